#pragma once

#include <optional>
#include <string_view>

namespace leads::domain {

enum class LeadStatus { New, Contacted, Replied, Converted };

std::string_view to_string(LeadStatus status);
std::optional<LeadStatus> parse_lead_status(std::string_view text);

}  // namespace leads::domain
