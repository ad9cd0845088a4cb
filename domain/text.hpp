#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "domain/result.hpp"

namespace leads::domain {

bool is_valid_utf8(std::string_view text);

// The length of the well-formed UTF-8 sequence starting at text[pos] (1 to 4), or 0 when
// the bytes there are not one (the rules of is_valid_utf8).
std::size_t utf8_sequence_length(std::string_view text, std::size_t pos);

// Number of Unicode code points; the text must be valid UTF-8.
std::size_t code_point_count(std::string_view text);

// C0 controls, DEL and C1 controls (U+0080..U+009F).
bool has_control_characters(std::string_view text);

// Strips leading and trailing ASCII whitespace.
std::string_view trim(std::string_view text);

// The rule for names, company, campaign id: trimmed; empty becomes nullopt; invalid UTF-8
// and control characters are rejected; at most max_code_points code points.
Result<std::optional<std::string>> parse_optional_text(std::string_view field, std::string_view raw,
                                                       std::size_t max_code_points);

// Lower-cases for case-insensitive search: ASCII plus the simple one-to-one mappings of
// Latin-1, Latin Extended-A, Greek and Cyrillic capitals. Input must be valid UTF-8.
std::string fold_case(std::string_view text);

}  // namespace leads::domain
