#include "domain/attributes.hpp"

#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <string>

#include "tests/support/text.hpp"

using namespace leads::domain;

namespace {

using leads::tests::repeat;

std::vector<FieldIssue> issues_of(const Attributes& attributes) {
    auto result = validate_attributes("attributes", attributes);
    if (result.ok()) return {};
    CHECK(result.error().kind == ErrorKind::Validation);
    return result.error().details;
}

Attributes many_keys(std::size_t count) {
    Attributes attributes;
    for (std::size_t i = 0; i < count; ++i) attributes.emplace("k" + std::to_string(i), std::int64_t{1});
    return attributes;
}

}  // namespace

TEST_CASE("valid attributes pass unchanged") {
    const Attributes attributes{{"title", std::string("CEO")},
                                {"_private", true},
                                {"Score2", std::int64_t{12}},
                                {"ratio", 0.5},
                                {"notes", std::string("line one\nline two\tend\r")},
                                {std::string(64, 'k'), std::string("")},
                                {"unicode", repeat("日", 1024)}};
    auto result = validate_attributes("attributes", attributes);
    REQUIRE(result.ok());
    CHECK(result.value() == attributes);
    CHECK(validate_attributes("attributes", {}).ok());
    CHECK(validate_attributes("attributes", many_keys(64)).ok());
}

TEST_CASE("attribute keys follow the pattern") {
    for (const std::string& key : {std::string("1abc"), std::string("a-b"), std::string("a b"), std::string("a.b"),
                                   std::string("ä"), std::string(65, 'k')}) {
        INFO(key);
        auto issues = issues_of({{key, true}});
        REQUIRE(issues.size() == 1);
        CHECK(issues[0].issue.find("keys must be") != std::string::npos);
    }
    CHECK(issues_of({{"a-b", true}})[0].field == "attributes.a-b");
    CHECK(issues_of({{"ä", true}})[0].field == "attributes.ä");
    // Keys that cannot be echoed safely are not put in the field name.
    CHECK(issues_of({{"", true}})[0].field == "attributes");
    CHECK(issues_of({{"a\xC0\xAF", true}})[0].field == "attributes");
    CHECK(issues_of({{"a\nb", true}})[0].field == "attributes");
    CHECK(issues_of({{std::string(101, 'k'), true}})[0].field == "attributes");
    CHECK(issues_of({{std::string(65, 'k'), true}})[0].field == "attributes." + std::string(65, 'k'));
}

TEST_CASE("attribute key count is limited") {
    auto issues = issues_of(many_keys(65));
    REQUIRE(issues.size() == 1);
    CHECK(issues[0] == FieldIssue{"attributes", "must have at most 64 keys"});
}

TEST_CASE("attribute values are checked") {
    CHECK(issues_of({{"s", repeat("é", 1024)}}).empty());
    CHECK(issues_of({{"s", repeat("é", 1025)}}) ==
          std::vector<FieldIssue>{{"attributes.s", "must be at most 1024 characters"}});
    CHECK(issues_of({{"s", std::string("\xED\xA0\x80")}}) ==
          std::vector<FieldIssue>{{"attributes.s", "must be valid UTF-8"}});
    for (const std::string& bad : {std::string("a\x01"), std::string("a\0", 2), std::string("\x1B[31m"),
                                   std::string("a\x7F"), std::string("a\xC2\x9B")}) {
        CHECK(issues_of({{"s", bad}}) ==
              std::vector<FieldIssue>{{"attributes.s", "must not contain control characters"}});
    }
    CHECK(issues_of({{"d", std::numeric_limits<double>::infinity()}}) ==
          std::vector<FieldIssue>{{"attributes.d", "must be a finite number"}});
    CHECK(issues_of({{"d", -std::numeric_limits<double>::infinity()}}).size() == 1);
    CHECK(issues_of({{"d", std::nan("")}}).size() == 1);
    CHECK(issues_of({{"i", std::numeric_limits<std::int64_t>::min()}}).empty());
}

TEST_CASE("every attribute issue is reported") {
    auto issues = issues_of({{"1bad", true}, {"d", std::numeric_limits<double>::infinity()}, {"s", repeat("x", 2000)}});
    CHECK(issues.size() == 3);
}

TEST_CASE("merge_attributes applies a merge patch") {
    const Attributes current{{"title", std::string("CEO")}, {"city", std::string("NYC")}, {"score", std::int64_t{3}}};
    SECTION("sets, replaces and removes") {
        AttributePatch patch{{"title", AttributeValue{std::string("CTO")}},
                             {"city", std::nullopt},
                             {"vip", AttributeValue{true}},
                             {"absent", std::nullopt}};
        auto merged = merge_attributes("attributes", current, patch);
        REQUIRE(merged.ok());
        CHECK(merged.value() == Attributes{{"title", std::string("CTO")}, {"score", std::int64_t{3}}, {"vip", true}});
    }
    SECTION("empty patch keeps everything") {
        auto merged = merge_attributes("attributes", current, {});
        REQUIRE(merged.ok());
        CHECK(merged.value() == current);
    }
    SECTION("a value type change replaces the value") {
        auto merged = merge_attributes("attributes", current, {{"score", AttributeValue{3.0}}});
        REQUIRE(merged.ok());
        CHECK(std::holds_alternative<double>(merged->at("score")));
    }
    SECTION("the merged result is validated") {
        AttributePatch grow;
        for (int i = 0; i < 62; ++i) grow.emplace("n" + std::to_string(i), AttributeValue{true});
        auto too_many = merge_attributes("attributes", current, grow);
        REQUIRE_FALSE(too_many.ok());
        CHECK(too_many.error().details == std::vector<FieldIssue>{{"attributes", "must have at most 64 keys"}});
        grow.emplace("city", std::nullopt);  // removing one makes room
        CHECK(merge_attributes("attributes", current, grow).ok());
        auto bad_key = merge_attributes("data", current, {{"bad key", AttributeValue{true}}});
        REQUIRE_FALSE(bad_key.ok());
        CHECK(bad_key.error().details[0].field == "data.bad key");
    }
}
