#include "adapters/sql/search_pattern.hpp"

namespace leads::adapters::sql {

std::string like_contains_pattern(std::string_view term) {
    std::string pattern;
    pattern.reserve(term.size() + 2);
    pattern += '%';
    for (char c : term) {
        if (c == '%' || c == '_' || c == '\\') pattern += '\\';
        pattern += c;
    }
    pattern += '%';
    return pattern;
}

std::string fts5_phrase(std::string_view term) {
    std::string phrase;
    phrase.reserve(term.size() + 2);
    phrase += '"';
    for (char c : term) {
        if (c == '"') phrase += '"';
        phrase += c;
    }
    phrase += '"';
    return phrase;
}

}  // namespace leads::adapters::sql
