#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "domain/ids.hpp"
#include "domain/result.hpp"
#include "domain/time.hpp"

// The tenant's suppression list (CONTRACT §9): emails that must not be contacted again,
// kept after the lead is erased. An entry holds no email, only its hash.
namespace leads::domain {

enum class SuppressionReason { Unsubscribed, Bounced, Complained, Erased, Manual };

std::string_view to_string(SuppressionReason reason);
std::optional<SuppressionReason> parse_suppression_reason(std::string_view text);

struct Suppression {
    SuppressionId id;
    TenantId tenant;
    // Lower-case hex SHA-256 of the normalised email (domain::Email::value()).
    std::string email_hash;
    SuppressionReason reason = SuppressionReason::Manual;
    Timestamp created_at;
};

// What a new entry is made of before the repository hashes the email into it.
struct SuppressionDraft {
    SuppressionId id;
    SuppressionReason reason = SuppressionReason::Manual;
    Timestamp created_at;
};

// NotFound for an entry that is not on the list (or is another tenant's).
Error no_such_suppression();

}  // namespace leads::domain
