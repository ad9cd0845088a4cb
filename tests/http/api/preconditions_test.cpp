// If-Match (RFC 9110 §13.1.1) as the versions an update may apply to, and ETags.
#include "adapters/http/api/preconditions.hpp"

#include <catch2/catch.hpp>

namespace leads::adapters::http {
namespace {

// Whether the header lets an update apply to the lead whose ETag is current ("\"N\"").
bool if_match_holds(std::string_view header, std::string_view current) {
    const std::int64_t version = std::stoll(std::string(current.substr(1, current.size() - 2)));
    return if_match_condition(header).accepts(version);
}

TEST_CASE("ETag: the version, quoted", "[if-match]") {
    CHECK(etag(1) == "\"1\"");
    CHECK(etag(1234567890123) == "\"1234567890123\"");
}

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
    CHECK_FALSE(if_match_holds("\"01\"", "\"1\""));    // not a tag we issued
    CHECK_FALSE(if_match_holds("\"99999999999999999999\"", "\"1\""));
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
    CHECK(if_match_holds("\"caf\xc3\xa9\", \"1\"", "\"1\""));  // obs-text is allowed
}

}  // namespace
}  // namespace leads::adapters::http
