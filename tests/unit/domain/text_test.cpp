#include "domain/text.hpp"

#include <catch2/catch.hpp>
#include <string>

#include "tests/support/text.hpp"

using namespace leads::domain;

namespace {

using leads::tests::repeat;

}  // namespace

TEST_CASE("is_valid_utf8 accepts well-formed text") {
    CHECK(is_valid_utf8(""));
    CHECK(is_valid_utf8("plain ascii"));
    CHECK(is_valid_utf8("Zoë Ünal"));
    CHECK(is_valid_utf8("日本語"));
    CHECK(is_valid_utf8("\xF0\x9F\x98\x80"));  // U+1F600
    CHECK(is_valid_utf8("\xF4\x8F\xBF\xBF"));  // U+10FFFF
    CHECK(is_valid_utf8("\xEF\xBF\xBF"));      // U+FFFF
}

TEST_CASE("is_valid_utf8 rejects malformed text") {
    CHECK_FALSE(is_valid_utf8("\xC0\xAF"));              // overlong '/'
    CHECK_FALSE(is_valid_utf8("\xC1\xBF"));              // overlong
    CHECK_FALSE(is_valid_utf8("\xE0\x80\xAF"));          // overlong 3-byte
    CHECK_FALSE(is_valid_utf8("\xF0\x80\x80\xAF"));      // overlong 4-byte
    CHECK_FALSE(is_valid_utf8("\xED\xA0\x80"));          // surrogate U+D800
    CHECK_FALSE(is_valid_utf8("\xED\xBF\xBF"));          // surrogate U+DFFF
    CHECK_FALSE(is_valid_utf8("\xF4\x90\x80\x80"));      // above U+10FFFF
    CHECK_FALSE(is_valid_utf8("\xF8\x88\x80\x80\x80"));  // 5-byte form
    CHECK_FALSE(is_valid_utf8("abc\xE6\x97"));           // truncated at the end
    CHECK_FALSE(is_valid_utf8("\xE6\x97x"));             // truncated in the middle
    CHECK_FALSE(is_valid_utf8("\x80"));                  // stray continuation
    CHECK_FALSE(is_valid_utf8("\xFF"));
    CHECK_FALSE(is_valid_utf8(std::string_view("a\xC3", 2)));
}

TEST_CASE("code_point_count counts code points, not bytes") {
    CHECK(code_point_count("") == 0);
    CHECK(code_point_count("abc") == 3);
    CHECK(code_point_count("é") == 1);
    CHECK(code_point_count("日本語") == 3);
    CHECK(code_point_count("\xF0\x9F\x98\x80x") == 2);
}

TEST_CASE("has_control_characters finds C0, DEL and C1") {
    CHECK_FALSE(has_control_characters("Jane Smith"));
    CHECK_FALSE(has_control_characters("Zoë"));
    CHECK(has_control_characters("a\tb"));
    CHECK(has_control_characters("a\nb"));
    CHECK(has_control_characters(std::string("a\0b", 3)));
    CHECK(has_control_characters("a\x7F"));
    CHECK(has_control_characters("a\xC2\x80"));        // U+0080
    CHECK(has_control_characters("a\xC2\x9F"));        // U+009F
    CHECK_FALSE(has_control_characters("a\xC2\xA0"));  // U+00A0 is not a control
}

TEST_CASE("trim strips ASCII whitespace only") {
    CHECK(trim("  a b \t\r\n") == "a b");
    CHECK(trim("") == "");
    CHECK(trim(" \t ") == "");
    CHECK(trim("\xC2\xA0x\xC2\xA0") == "\xC2\xA0x\xC2\xA0");
}

TEST_CASE("parse_optional_text") {
    SECTION("trims and keeps the text byte-for-byte") {
        auto result = parse_optional_text("first_name", "  Zoë 日本 ", 100);
        REQUIRE(result.ok());
        CHECK(result.value() == std::optional<std::string>("Zoë 日本"));
    }
    SECTION("empty or blank becomes nullopt") {
        for (std::string_view raw : {"", "   ", "\t\n"}) {
            auto result = parse_optional_text("first_name", raw, 100);
            REQUIRE(result.ok());
            CHECK_FALSE(result.value().has_value());
        }
    }
    SECTION("length is counted in code points") {
        auto at_limit = parse_optional_text("first_name", repeat("é", 100), 100);
        REQUIRE(at_limit.ok());
        CHECK(at_limit.value()->size() == 200);
        CHECK(parse_optional_text("first_name", repeat("日", 100), 100).ok());
        CHECK(parse_optional_text("first_name", repeat("\xF0\x9F\x98\x80", 100), 100).ok());
        auto over = parse_optional_text("first_name", repeat("é", 101), 100);
        REQUIRE_FALSE(over.ok());
        CHECK(over.error().kind == ErrorKind::Validation);
        CHECK(over.error().details == std::vector<FieldIssue>{{"first_name", "must be at most 100 characters"}});
        CHECK_FALSE(parse_optional_text("first_name", repeat("a", 101), 100).ok());
        CHECK(parse_optional_text("first_name", repeat("a", 100), 100).ok());
    }
    SECTION("invalid UTF-8 is rejected") {
        for (std::string_view raw : {"\xC0\xAF", "\xED\xA0\x80", "ab\xE6\x97", "\xFF"}) {
            auto result = parse_optional_text("company", raw, 200);
            REQUIRE_FALSE(result.ok());
            CHECK(result.error().details == std::vector<FieldIssue>{{"company", "must be valid UTF-8"}});
        }
    }
    SECTION("control characters are rejected") {
        for (std::string_view raw : {"a\tb", "a\nb", "a\x01",
                                     "a\x7F"
                                     "b",
                                     "a\xC2\x85"
                                     "b"}) {
            auto result = parse_optional_text("company", raw, 200);
            REQUIRE_FALSE(result.ok());
            CHECK(result.error().details ==
                  std::vector<FieldIssue>{{"company", "must not contain control characters"}});
        }
    }
}

TEST_CASE("fold_case") {
    CHECK(fold_case("Jane.SMITH@Example.COM") == "jane.smith@example.com");
    CHECK(fold_case("ÀÉÎÕÜÞ") == "àéîõüþ");
    CHECK(fold_case("×÷ß") == "×÷ß");  // no 1:1 mapping
    CHECK(fold_case("ĀĂŁŃŒŠŸŹŽ") == "āăłńœšÿźž");
    CHECK(fold_case("ıĸŉſ") == "ıĸŉſ");  // small letters without a pair stay
    CHECK(fold_case("ΑΒΓΩ Ά") == "αβγω ά");
    CHECK(fold_case("ΣΟΦΙΑ") == "σοφια");
    CHECK(fold_case("ПРИВЕТ ЁЖЄЇЎЏ") == "привет ёжєїўџ");
    CHECK(fold_case("日本語 123 !?") == "日本語 123 !?");
    CHECK(is_valid_utf8(fold_case("\xC0\xAF")));
    CHECK(fold_case(fold_case("ΑΒΓ Zoë")) == fold_case("ΑΒΓ Zoë"));
}
