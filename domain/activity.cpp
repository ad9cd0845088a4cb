#include "domain/activity.hpp"

#include <array>

namespace leads::domain {

namespace {

constexpr std::array kAllTypes{ActivityType::LeadCreated,  ActivityType::StatusChanged, ActivityType::EmailSent,
                               ActivityType::EmailOpened,  ActivityType::EmailClicked,  ActivityType::EmailReplied,
                               ActivityType::EmailBounced, ActivityType::Note};

}  // namespace

std::string_view to_string(ActivityType type) {
    switch (type) {
        case ActivityType::LeadCreated:
            return "lead_created";
        case ActivityType::StatusChanged:
            return "status_changed";
        case ActivityType::EmailSent:
            return "email_sent";
        case ActivityType::EmailOpened:
            return "email_opened";
        case ActivityType::EmailClicked:
            return "email_clicked";
        case ActivityType::EmailReplied:
            return "email_replied";
        case ActivityType::EmailBounced:
            return "email_bounced";
        case ActivityType::Note:
            return "note";
    }
    return "note";
}

std::optional<ActivityType> parse_activity_type(std::string_view text) {
    for (auto type : kAllTypes) {
        if (to_string(type) == text) return type;
    }
    return std::nullopt;
}

bool is_client_recordable(ActivityType type) {
    return type != ActivityType::LeadCreated && type != ActivityType::StatusChanged;
}

std::optional<LeadStatus> automatic_status_move(LeadStatus current, ActivityType type) {
    if (type == ActivityType::EmailSent && current == LeadStatus::New) return LeadStatus::Contacted;
    if (type == ActivityType::EmailReplied && (current == LeadStatus::New || current == LeadStatus::Contacted)) {
        return LeadStatus::Replied;
    }
    return std::nullopt;
}

Attributes status_change_data(LeadStatus from, LeadStatus to) {
    return Attributes{{"from", std::string(to_string(from))}, {"to", std::string(to_string(to))}};
}

}  // namespace leads::domain
