#include "adapters/sql/search_pattern.hpp"

#include <algorithm>

namespace leads::adapters::sql {

namespace {

// Where each code point of valid UTF-8 starts (every byte that is not a continuation byte),
// and the end.
std::vector<std::size_t> code_point_starts(std::string_view text) {
    std::vector<std::size_t> starts;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if ((static_cast<unsigned char>(text[i]) & 0xC0U) != 0x80U) starts.push_back(i);
    }
    starts.push_back(text.size());
    return starts;
}

bool ascii_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }

struct Placed {
    std::string text;
    std::size_t begin = 0, end = 0;  // bytes of the term it covers (first appearance)
    std::size_t word = 0;            // which run of ASCII letters and digits it lies in; 0: none
    long long rows = 0;
};

// The term's distinct trigrams where they first appear, with their words.
std::vector<Placed> placed_trigrams(std::string_view term, bool alnum_only) {
    const auto starts = code_point_starts(term);
    // Word numbers per byte: runs of ASCII letters and digits, counted from 1.
    std::vector<std::size_t> word(term.size(), 0);
    for (std::size_t i = 0, n = 0; i < term.size(); ++i) {
        if (!ascii_alnum(term[i])) continue;
        if (i == 0 || !ascii_alnum(term[i - 1])) ++n;
        word[i] = n;
    }
    std::vector<Placed> grams;
    for (std::size_t i = 0; i + 3 < starts.size(); ++i) {
        Placed gram{std::string(term.substr(starts[i], starts[i + 3] - starts[i])), starts[i], starts[i + 3], 0, 0};
        const bool alnum = std::all_of(gram.text.begin(), gram.text.end(), [](char c) { return ascii_alnum(c); });
        if (alnum_only && !alnum) continue;
        if (std::any_of(grams.begin(), grams.end(), [&](const Placed& p) { return p.text == gram.text; })) continue;
        gram.word = alnum ? word[gram.begin] : 0;
        grams.push_back(std::move(gram));
    }
    return grams;
}

}  // namespace

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

std::vector<std::string> trigrams(std::string_view term, bool alnum_only) {
    std::vector<std::string> out;
    for (auto& gram : placed_trigrams(term, alnum_only)) out.push_back(std::move(gram.text));
    return out;
}

std::vector<std::string> pick_trigrams(std::string_view term, bool alnum_only,
                                       const std::function<long long(const std::string&)>& rows, std::size_t count) {
    std::vector<Placed> grams = placed_trigrams(term, alnum_only);
    if (grams.size() <= count) return {};
    for (auto& gram : grams) gram.rows = rows(gram.text);

    std::vector<const Placed*> chosen;
    auto rarest_where = [&](auto&& allowed) -> const Placed* {
        const Placed* best = nullptr;
        for (const auto& gram : grams) {
            if (std::find(chosen.begin(), chosen.end(), &gram) != chosen.end() || !allowed(gram)) continue;
            if (best == nullptr || gram.rows < best->rows) best = &gram;
        }
        return best;
    };
    while (chosen.size() < count) {
        const auto other_word = [&](const Placed& g) {
            return g.word != 0 &&
                   std::none_of(chosen.begin(), chosen.end(), [&](const Placed* c) { return c->word == g.word; });
        };
        const auto apart = [&](const Placed& g) {
            return std::none_of(chosen.begin(), chosen.end(),
                                [&](const Placed* c) { return g.begin < c->end && c->begin < g.end; });
        };
        const Placed* next = chosen.empty() ? rarest_where([](const Placed&) { return true; }) : nullptr;
        if (next == nullptr) next = rarest_where(other_word);
        if (next == nullptr) next = rarest_where(apart);
        if (next == nullptr) next = rarest_where([](const Placed&) { return true; });
        chosen.push_back(next);
    }
    std::vector<std::string> out;
    for (const Placed* gram : chosen) out.push_back(gram->text);
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
