#pragma once

#include <cstddef>
#include <functional>
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
// first appearance; only those of ASCII letters and digits when alnum_only. Every row
// containing the term contains each of them.
std::vector<std::string> trigrams(std::string_view term, bool alnum_only = false);

// Up to `count` of the term's trigrams for a trigram index to intersect (only those of
// ASCII letters and digits when alnum_only): the rarest by `rows` first, then each next one
// the rarest of those in another word (a run of ASCII letters and digits) than the ones
// chosen, else not overlapping them, else any — trigrams of one word, such as "gut" and
// "tie" of "gutierrez", come together and narrow nothing down. Empty when the term has no
// more than `count` such trigrams: the whole term costs no more.
std::vector<std::string> pick_trigrams(std::string_view term, bool alnum_only,
                                       const std::function<long long(const std::string&)>& rows, std::size_t count);

// An FTS5 query matching rows that contain every one of these texts (each a phrase):
// "ay9" AND "ma.". A superset of the term's rows when they are some of its trigrams.
std::string fts5_all(const std::vector<std::string>& texts);

}  // namespace leads::adapters::sql
