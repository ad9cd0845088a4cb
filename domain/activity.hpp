#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "domain/attributes.hpp"
#include "domain/ids.hpp"
#include "domain/lead_status.hpp"
#include "domain/time.hpp"

namespace leads::domain {

enum class ActivityType {
    LeadCreated,
    StatusChanged,
    EmailSent,
    EmailOpened,
    EmailClicked,
    EmailReplied,
    EmailBounced,
    Note,
};

std::string_view to_string(ActivityType type);
std::optional<ActivityType> parse_activity_type(std::string_view text);

// Whether a client may record this type; lead_created and status_changed are the
// service's own.
bool is_client_recordable(ActivityType type);

struct Activity {
    ActivityId id;
    LeadId lead_id;
    ActivityType type = ActivityType::Note;
    Timestamp timestamp;
    std::optional<std::string> campaign_id;
    Attributes data;
};

inline constexpr std::size_t kMaxCampaignIdLength = 64;

// The status an activity moves a lead to, if any: email_sent moves new to contacted;
// email_replied moves new or contacted to replied; nothing leaves converted.
std::optional<LeadStatus> automatic_status_move(LeadStatus current, ActivityType type);

// The data of a status_changed entry: {"from": ..., "to": ...}.
Attributes status_change_data(LeadStatus from, LeadStatus to);

}  // namespace leads::domain
