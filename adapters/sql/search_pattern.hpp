#pragma once

#include <cstddef>
#include <string>
#include <string_view>

// Turning a search term into bound parameter values (never into SQL text).
namespace leads::adapters::sql {

// "%term%" for `LIKE ... ESCAPE '\'`, with '%', '_' and '\' escaped so that each
// stands for itself.
std::string like_contains_pattern(std::string_view term);

// An FTS5 phrase query matching the term literally: double quotes around it, inner
// double quotes doubled. With the trigram tokenizer it matches any row that contains the
// term, for terms of at least kTrigramMinimum code points.
std::string fts5_phrase(std::string_view term);

inline constexpr std::size_t kTrigramMinimum = 3;

}  // namespace leads::adapters::sql
