#include "domain/lead_status.hpp"

namespace leads::domain {

std::string_view to_string(LeadStatus status) {
    switch (status) {
        case LeadStatus::New:
            return "new";
        case LeadStatus::Contacted:
            return "contacted";
        case LeadStatus::Replied:
            return "replied";
        case LeadStatus::Converted:
            return "converted";
    }
    return "new";
}

std::optional<LeadStatus> parse_lead_status(std::string_view text) {
    for (const LeadStatus status : kLeadStatuses) {
        if (to_string(status) == text) return status;
    }
    return std::nullopt;
}

}  // namespace leads::domain
