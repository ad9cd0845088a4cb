#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

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

// The term's distinct trigrams (three consecutive code points of valid UTF-8), in order of
// first appearance. Every row containing the term contains each of them.
std::vector<std::string> trigrams(std::string_view term);

// An FTS5 query matching rows that contain every one of these texts (each a phrase):
// "ay9" AND "ma.". A superset of the term's rows when they are some of its trigrams.
std::string fts5_all(const std::vector<std::string>& texts);

}  // namespace leads::adapters::sql
