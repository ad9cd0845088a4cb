#include <catch2/catch.hpp>

#include "application/lead_service.hpp"

namespace leads {
namespace {

using app::if_match_holds;

TEST_CASE("If-Match: * matches any current tag", "[if-match]") {
    CHECK(if_match_holds("*", "\"1\""));
    CHECK(if_match_holds(" *\t", "\"42\""));
    CHECK_FALSE(if_match_holds("*, \"1\"", "\"1\""));
    CHECK_FALSE(if_match_holds("**", "\"1\""));
}

TEST_CASE("If-Match: strong comparison of a tag list", "[if-match]") {
    CHECK(if_match_holds("\"1\"", "\"1\""));
    CHECK_FALSE(if_match_holds("\"1\"", "\"2\""));
    CHECK_FALSE(if_match_holds("\"11\"", "\"1\""));
    CHECK(if_match_holds("\"3\", \"1\"", "\"1\""));
    CHECK(if_match_holds("\"3\",\"1\"", "\"1\""));
    CHECK(if_match_holds(" , \"1\" ,, ", "\"1\""));
    CHECK(if_match_holds("\"a,b\", \"1\"", "\"1\""));  // a comma is an ordinary tag character
    CHECK(if_match_holds("\"a,b\"", "\"a,b\""));
}

TEST_CASE("If-Match: a weak tag never matches", "[if-match]") {
    CHECK_FALSE(if_match_holds("W/\"1\"", "\"1\""));
    CHECK_FALSE(if_match_holds("W/\"1\", \"2\"", "\"1\""));
    CHECK(if_match_holds("W/\"1\", \"1\"", "\"1\""));
    CHECK_FALSE(if_match_holds("w/\"1\"", "\"1\""));  // the prefix is case-sensitive: malformed
}

TEST_CASE("If-Match: a malformed value matches nothing", "[if-match]") {
    for (const char* header : {"", "   ", "1", "\"1", "1\"", "\"1\" \"1\"", "\"1\"x", "\"1\", 1", "\"1\", \"2", "W/1",
                               "\"1\"\"1\"", "\"\x01\"", "\"1\",\"\x7f\""}) {
        INFO(header);
        CHECK_FALSE(if_match_holds(header, "\"1\""));
    }
    CHECK(if_match_holds("\"caf\xc3\xa9\"", "\"caf\xc3\xa9\""));  // obs-text is allowed
}

}  // namespace
}  // namespace leads
