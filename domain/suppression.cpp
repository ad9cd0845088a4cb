#include "domain/suppression.hpp"

namespace leads::domain {

namespace {
constexpr SuppressionReason kReasons[] = {SuppressionReason::Unsubscribed, SuppressionReason::Bounced,
                                          SuppressionReason::Complained, SuppressionReason::Erased,
                                          SuppressionReason::Manual};
}  // namespace

std::string_view to_string(SuppressionReason reason) {
    switch (reason) {
        case SuppressionReason::Unsubscribed:
            return "unsubscribed";
        case SuppressionReason::Bounced:
            return "bounced";
        case SuppressionReason::Complained:
            return "complained";
        case SuppressionReason::Erased:
            return "erased";
        case SuppressionReason::Manual:
            return "manual";
    }
    return "manual";
}

std::optional<SuppressionReason> parse_suppression_reason(std::string_view text) {
    for (auto reason : kReasons) {
        if (to_string(reason) == text) return reason;
    }
    return std::nullopt;
}

Error no_such_suppression() { return Error::not_found("The email is not on the suppression list."); }

}  // namespace leads::domain
