#include "domain/email.hpp"

#include <catch2/catch.hpp>
#include <string>

#include "tests/support/text.hpp"

using namespace leads::domain;

namespace {

using leads::tests::repeat;

std::string issue_of(std::string_view raw) {
    auto result = Email::parse(raw);
    if (result.ok()) return "<accepted>";
    REQUIRE(result.error().kind == ErrorKind::Validation);
    REQUIRE(result.error().details.size() == 1);
    CHECK(result.error().details[0].field == "email");
    return result.error().details[0].issue;
}

}  // namespace

TEST_CASE("valid emails are accepted and normalised") {
    auto check = [](std::string_view raw, std::string_view expected) {
        INFO(raw);
        auto result = Email::parse(raw);
        REQUIRE(result.ok());
        CHECK(result->value() == expected);
    };
    check("jane@example.com", "jane@example.com");
    check("  Jane.Smith@Example.COM \t\n", "jane.smith@example.com");
    check("a@b.co", "a@b.co");
    check("first+tag@sub.domain.example.org", "first+tag@sub.domain.example.org");
    check("o'brien_x-y@my-host.example", "o'brien_x-y@my-host.example");
    check("user@123.example.com", "user@123.example.com");
    check("zoë@example.com", "zoë@example.com");  // non-ASCII local part kept as is
    check("ZOË@EXAMPLE.COM", "zoË@example.com");  // only ASCII letters are lower-cased
    check(repeat("a", 64) + "@example.com", repeat("a", 64) + "@example.com");
    check("x@" + repeat("a", 63) + ".com", "x@" + repeat("a", 63) + ".com");
}

TEST_CASE("the local part counts code points") {
    CHECK(Email::parse(repeat("é", 64) + "@example.com").ok());
    CHECK(issue_of(repeat("é", 65) + "@example.com") == "must have a local part of at most 64 characters");
    CHECK(issue_of(repeat("a", 65) + "@example.com") == "must have a local part of at most 64 characters");
}

TEST_CASE("the whole address is at most 254 code points") {
    // 64 + 1 + (63 + 1) * 2 + 57 + 1 + 3 = 254
    const std::string domain = repeat("a", 63) + "." + repeat("b", 63) + "." + repeat("c", 57) + ".com";
    const std::string at_limit = repeat("x", 64) + "@" + domain;
    REQUIRE(at_limit.size() == 254);
    CHECK(Email::parse(at_limit).ok());
    CHECK(issue_of(repeat("x", 64) + "@" + "d" + domain) == "must be at most 254 characters");
}

TEST_CASE("invalid emails are rejected with the clause they break") {
    CHECK(issue_of("") == "must not be empty");
    CHECK(issue_of("   ") == "must not be empty");
    CHECK(issue_of("jane.example.com") == "must contain an @");
    CHECK(issue_of("jane@@example.com") == "must contain exactly one @");
    CHECK(issue_of("ja@ne@example.com") == "must contain exactly one @");
    CHECK(issue_of("@example.com") == "must have a local part before the @");
    CHECK(issue_of("jane@") == "must have a domain after the @");
    CHECK(issue_of("jane@localhost") == "must have a domain with at least one dot");
    CHECK(issue_of("jane@example..com") == "must not have an empty label in the domain");
    CHECK(issue_of("jane@.example.com") == "must not have an empty label in the domain");
    CHECK(issue_of("jane@example.com.") == "must not have an empty label in the domain");
    CHECK(issue_of("jane@-example.com") == "must not have a domain label starting or ending with a hyphen");
    CHECK(issue_of("jane@example-.com") == "must not have a domain label starting or ending with a hyphen");
    CHECK(issue_of("jane@example.com-") == "must not have a domain label starting or ending with a hyphen");
    CHECK(issue_of("jane@exa_mple.com") == "must have a domain of letters, digits, hyphens and dots");
    CHECK(issue_of("jane@exämple.com") == "must have a domain of letters, digits, hyphens and dots");
    CHECK(issue_of("jane@[127.0.0.1]") == "must have a domain of letters, digits, hyphens and dots");
    CHECK(issue_of("x@" + repeat("a", 64) + ".com") == "must not have a domain label longer than 63 characters");
    CHECK(issue_of("ja ne@example.com") == "must not contain whitespace");
    CHECK(issue_of("jane@exa mple.com") == "must not contain whitespace");
    CHECK(issue_of("ja\xC2\xA0ne@example.com") == "must not contain whitespace");
    CHECK(issue_of("ja\tne@example.com") == "must not contain control characters");
    CHECK(issue_of(std::string("ja\0ne@example.com", 17)) == "must not contain control characters");
    CHECK(issue_of("ja\x7Fne@example.com") == "must not contain control characters");
    CHECK(issue_of("ja\xC2\x85ne@example.com") == "must not contain control characters");
    CHECK(issue_of("ja\xC0\xAFne@example.com") == "must be valid UTF-8");
    CHECK(issue_of("ja\xED\xA0\x80ne@example.com") == "must be valid UTF-8");
    CHECK(issue_of("jane@example.com\xE6") == "must be valid UTF-8");
}

TEST_CASE("emails compare by their normalised value") {
    CHECK(Email::parse("Jane@Example.com").value() == Email::parse(" jane@example.COM").value());
    CHECK_FALSE(Email::parse("jane@example.com").value() == Email::parse("john@example.com").value());
}
