#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "ports/lead_use_cases.hpp"

// Conditional requests (RFC 9110 §8.8.3, §13.1.1) in the terms of the use cases: a lead's
// ETag is its version, quoted; If-Match names the versions an update may apply to.
namespace leads::adapters::http {

// The strong ETag of a lead version: "\"3\"".
std::string etag(std::int64_t version);

// An If-Match value as the versions it accepts: "*" accepts any existing lead; otherwise
// each strong tag that is one of our ETags names its version (a weak tag W/"…" never
// matches, nor does a tag we never issued). A malformed value accepts nothing.
ports::VersionCondition if_match_condition(std::string_view header);

}  // namespace leads::adapters::http
