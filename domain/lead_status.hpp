#pragma once

#include <optional>
#include <string_view>

namespace leads::domain {

enum class LeadStatus { New, Contacted, Replied, Converted };
// Every status, in the enum's order (index = static_cast<std::size_t>(status)).
inline constexpr LeadStatus kLeadStatuses[] = {LeadStatus::New, LeadStatus::Contacted, LeadStatus::Replied,
                                               LeadStatus::Converted};

std::string_view to_string(LeadStatus status);
std::optional<LeadStatus> parse_lead_status(std::string_view text);

}  // namespace leads::domain
