#pragma once

#include <string>
#include <string_view>

#include "domain/email.hpp"

namespace leads::adapters::crypto {

// Lower-case hex SHA-256 of the bytes given.
std::string sha256_hex(std::string_view bytes);

// The key of the suppression list (CONTRACT §9): sha256_hex of the normalised email.
inline std::string email_hash(const domain::Email& email) { return sha256_hex(email.value()); }

}  // namespace leads::adapters::crypto
