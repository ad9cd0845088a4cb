// Search terms turned into bound values: LIKE patterns, FTS5 queries, trigrams.
#include "adapters/sql/search_pattern.hpp"

#include <catch2/catch.hpp>
#include <map>

namespace leads::adapters::sql {

TEST_CASE("a term's trigrams are its distinct runs of three code points, multi-byte ones whole",
          "[unit][search_pattern]") {
    CHECK(trigrams("ab").empty());
    CHECK(trigrams("abc") == std::vector<std::string>{"abc"});
    CHECK(trigrams("aaaa") == std::vector<std::string>{"aaa"});
    CHECK(trigrams("smith") == std::vector<std::string>{"smi", "mit", "ith"});
    // Only letters and digits, as pg_trgm indexes words: "a.g" and its neighbours go.
    CHECK(trigrams("ma.gray", true) == std::vector<std::string>{"gra", "ray"});
    // "müll": m, ü (two bytes), l, l.
    CHECK(trigrams("m\xC3\xBCll") == std::vector<std::string>{"m\xC3\xBCl", "\xC3\xBCll"});
    CHECK(trigrams("\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E") ==
          std::vector<std::string>{"\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E"});
}

TEST_CASE("the trigrams an index intersects are the rarest, from different words where the term has several",
          "[unit][search_pattern]") {
    const std::map<std::string, long long> counts{{"gut", 10}, {"tie", 11}, {"795", 50}, {"959", 60}};
    const auto rows = [&](const std::string& gram) {
        const auto found = counts.find(gram);
        return found == counts.end() ? 100LL : found->second;
    };
    // "tie" is rarer than "795", but lies in the same word as "gut".
    CHECK(pick_trigrams("sandra_gutierrez.795949", true, rows, 2) == std::vector<std::string>{"gut", "795"});
    // One word: the rarest, then the rarest not overlapping it ("tie" shares the "t" of "gut").
    CHECK(pick_trigrams("gutierrez", true, rows, 2) == std::vector<std::string>{"gut", "ier"});
    // Nothing apart: the rarest other one.
    CHECK(pick_trigrams("gutie", true, rows, 2) == std::vector<std::string>{"gut", "tie"});
    // Trigrams holding a separator are skipped when only letters and digits are indexed.
    const auto separators = [](const std::string& gram) { return gram.find('.') != std::string::npos ? 1LL : 100LL; };
    CHECK(pick_trigrams("ab.cd", false, separators, 2).size() == 2);
    CHECK(pick_trigrams("ab.cd", true, separators, 2).empty());
    // No more trigrams than asked for: the whole term instead.
    CHECK(pick_trigrams("abcd", false, rows, 2).empty());
}

TEST_CASE("FTS5 queries quote each text as a phrase, inner quotes doubled", "[unit][search_pattern]") {
    CHECK(fts5_phrase("a\"b") == "\"a\"\"b\"");
    CHECK(fts5_all({"ay9", "a\"b"}) == "\"ay9\" AND \"a\"\"b\"");
    CHECK(fts5_all({"abc"}) == "\"abc\"");
}

TEST_CASE("LIKE patterns make %, _ and \\ literal", "[unit][search_pattern]") {
    CHECK(like_contains_pattern("a%b_c\\") == "%a\\%b\\_c\\\\%");
}

}  // namespace leads::adapters::sql
