#include "adapters/crypto/email_hash.hpp"

#include <openssl/sha.h>

#include <array>

namespace leads::adapters::crypto {

std::string sha256_hex(std::string_view bytes) {
    std::array<unsigned char, SHA256_DIGEST_LENGTH> digest{};
    SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), digest.data());
    static constexpr char kHex[] = "0123456789abcdef";
    std::string hex;
    hex.reserve(digest.size() * 2);
    for (const unsigned char byte : digest) {
        hex.push_back(kHex[byte >> 4U]);
        hex.push_back(kHex[byte & 0x0FU]);
    }
    return hex;
}

}  // namespace leads::adapters::crypto
