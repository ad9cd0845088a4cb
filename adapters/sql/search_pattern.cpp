#include "adapters/sql/search_pattern.hpp"

#include <algorithm>

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

std::vector<std::string> trigrams(std::string_view term) {
    // Where each code point starts: at every byte that is not a continuation byte.
    std::vector<std::size_t> starts;
    for (std::size_t i = 0; i < term.size(); ++i) {
        if ((static_cast<unsigned char>(term[i]) & 0xC0U) != 0x80U) starts.push_back(i);
    }
    starts.push_back(term.size());
    std::vector<std::string> out;
    for (std::size_t i = 0; i + 3 < starts.size(); ++i) {
        std::string gram(term.substr(starts[i], starts[i + 3] - starts[i]));
        if (std::find(out.begin(), out.end(), gram) == out.end()) out.push_back(std::move(gram));
    }
    return out;
}

std::string fts5_all(const std::vector<std::string>& texts) {
    std::string query;
    for (const auto& text : texts) {
        if (!query.empty()) query += " AND ";
        query += fts5_phrase(text);
    }
    return query;
}

}  // namespace leads::adapters::sql
