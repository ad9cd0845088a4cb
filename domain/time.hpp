#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace leads::domain {

// Every instant the service stores or reports: UTC, millisecond precision.
using Timestamp = std::chrono::sys_time<std::chrono::milliseconds>;

// "2025-11-01T10:00:00.000Z"
std::string format_rfc3339(Timestamp instant);

// RFC 3339 date-time ("T" or "t", "Z" or a numeric offset, optional fraction, truncated to
// milliseconds). nullopt for anything else, including impossible dates and instants outside
// the years 0001 to 9999 in UTC.
std::optional<Timestamp> parse_rfc3339(std::string_view text);

}  // namespace leads::domain
