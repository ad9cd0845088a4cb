// Search terms turned into bound values: LIKE patterns, FTS5 queries, trigrams.
#include "adapters/sql/search_pattern.hpp"

#include <catch2/catch.hpp>

namespace leads::adapters::sql {

TEST_CASE("a term's trigrams are its distinct runs of three code points, multi-byte ones whole",
          "[unit][search_pattern]") {
    CHECK(trigrams("ab").empty());
    CHECK(trigrams("abc") == std::vector<std::string>{"abc"});
    CHECK(trigrams("aaaa") == std::vector<std::string>{"aaa"});
    CHECK(trigrams("smith") == std::vector<std::string>{"smi", "mit", "ith"});
    // "müll": m, ü (two bytes), l, l.
    CHECK(trigrams("m\xC3\xBCll") == std::vector<std::string>{"m\xC3\xBCl", "\xC3\xBCll"});
    CHECK(trigrams("\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E") ==
          std::vector<std::string>{"\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E"});
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
