// The JSON text the SQL adapters store attributes in: round trips, and stored text that
// is not a flat object is an internal error, never a crash or a partial value.
#include "adapters/sql/json_codec.hpp"

#include <catch2/catch.hpp>
#include <cstdint>
#include <limits>
#include <string>

namespace leads::tests::contract {
namespace {

using adapters::sql::decode_attributes;
using adapters::sql::encode_attributes;
using domain::Attributes;
using domain::AttributeValue;

TEST_CASE("stored attributes round-trip with their types", "[unit][json]") {
    const Attributes attributes{
        {"name", std::string("Zo\xc3\xab \"quoted\" \\ back")},
        {"count", std::int64_t{-42}},
        {"big", std::numeric_limits<std::int64_t>::max()},
        {"ratio", 1.5},
        {"whole_double", 2.0},
        {"flag", true},
        {"off", false},
        {"", std::string()},
    };
    const auto text = encode_attributes(attributes);
    REQUIRE(text.ok());
    const auto decoded = decode_attributes(*text);
    REQUIRE(decoded.ok());
    CHECK(*decoded == attributes);
    CHECK(std::holds_alternative<double>(decoded->at("whole_double")));
    CHECK(std::holds_alternative<std::int64_t>(decoded->at("big")));
}

TEST_CASE("stored numbers decode by their form", "[unit][json]") {
    const auto decoded =
        decode_attributes(R"({"i":7,"u":4294967295,"n":-9223372036854775808,"d":1e3,"huge":18446744073709551615})");
    REQUIRE(decoded.ok());
    CHECK(decoded->at("i") == AttributeValue{std::int64_t{7}});
    CHECK(decoded->at("u") == AttributeValue{std::int64_t{4294967295}});
    CHECK(decoded->at("n") == AttributeValue{std::numeric_limits<std::int64_t>::min()});
    CHECK(decoded->at("d") == AttributeValue{1000.0});
    CHECK(std::holds_alternative<double>(decoded->at("huge")));
    CHECK(decode_attributes("{}").value().empty());
}

TEST_CASE("stored text that is not a flat object is an internal error", "[unit][json]") {
    for (const std::string& text : {
             std::string(""),
             std::string("[]"),
             std::string("\"text\""),
             std::string("12"),
             std::string("null"),
             std::string(R"({"a":{"b":1}})"),
             std::string(R"({"a":[1]})"),
             std::string(R"({"a":null})"),
             std::string(R"({"a":1,"a":2})"),
             std::string(R"({"a":1)"),
             std::string("{\"a\":\"\xff\"}"),
             std::string(100000, '['),
         }) {
        INFO(text.substr(0, 40));
        const auto decoded = decode_attributes(text);
        REQUIRE_FALSE(decoded.ok());
        CHECK(decoded.error().kind == domain::ErrorKind::Internal);
    }
}

}  // namespace
}  // namespace leads::tests::contract
