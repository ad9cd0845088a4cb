// The pieces under the handler: the strict JSON reader, query strings and paths, media
// types, and body → command decoding. No use case involved.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "adapters/http/api/decode.hpp"
#include "adapters/http/api/json.hpp"
#include "adapters/http/api/query.hpp"
#include "adapters/http/text.hpp"
#include "domain/attributes.hpp"

namespace json = leads::adapters::http::json;
namespace decode = leads::adapters::http::decode;
using leads::adapters::http::is_json_media_type;
using leads::adapters::http::parse_int64;
using leads::adapters::http::percent_decode;
using leads::adapters::http::QueryParameters;
using leads::adapters::http::split_path;
using leads::domain::FieldIssue;

namespace {

bool parses(std::string_view text, json::Limits limits = {}) { return json::parse(text, limits).document != nullptr; }

std::string nested(std::size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); }

bool has_issue(const std::vector<FieldIssue>& issues, std::string_view field, std::string_view issue) {
    for (const auto& i : issues) {
        if (i.field == field && i.issue == issue) return true;
    }
    return false;
}

leads::domain::TenantId tenant() { return *leads::domain::TenantId::parse("t"); }
leads::ports::LeadRef ref() { return leads::ports::LeadRef{tenant(), "lead_x", std::nullopt}; }
leads::ports::UpdateLeadCommand update_command() { return {ref(), std::nullopt, {}}; }
leads::ports::RecordActivityCommand activity_command() { return {ref(), {}, std::nullopt, std::nullopt, {}}; }
leads::ports::ImportCommand import_command() { return {tenant(), {}, std::nullopt, {}}; }

const json::Object& object_of(const decode::ObjectBody& body) {
    REQUIRE(body.object != nullptr);
    return *body.object;
}

}  // namespace

TEST_CASE("the JSON reader builds the tree with the right types", "[json]") {
    auto parsed = json::parse(R"( {"s":"h\u00e9\n","i":-12,"big":9223372036854775807,"huge":18446744073709551615,
                                  "d":1.5,"e":12.0,"t":true,"n":null,"a":[1,"x"],"o":{"k":{}}} )");
    REQUIRE(parsed.document);
    const auto* root = parsed.document->root().as_object();
    REQUIRE(root);
    REQUIRE(root->size() == 10);
    CHECK(*(*root)[0].second.as_string() == "h\xC3\xA9\n");
    CHECK(*(*root)[1].second.as_int() == -12);
    CHECK(*(*root)[2].second.as_int() == INT64_MAX);
    CHECK((*root)[3].second.as_double() != nullptr);  // beyond int64: a double
    CHECK(*(*root)[4].second.as_double() == 1.5);
    CHECK((*root)[5].second.as_double() != nullptr);  // 12.0 stays a double
    CHECK(*(*root)[6].second.as_bool());
    CHECK((*root)[7].second.is_null());
    CHECK((*root)[8].second.as_array()->size() == 2);
    CHECK((*root)[9].second.as_object()->front().first == "k");
    CHECK(json::type_name((*root)[8].second) == "array");
}

TEST_CASE("the JSON reader rejects what RFC 8259 does not allow", "[json]") {
    for (std::string_view bad : {
             "",
             "   ",
             "{",
             "{\"a\":1",
             "{\"a\":1,}",
             "[1,]",
             "{'a':1}",
             "{a:1}",
             "NaN",
             "[Infinity]",
             "{\"a\":1} x",
             "{} {}",
             "// c\n{}",
             "{\"a\":01}",
             "{\"a\":1e999}",
             "\"\\x\"",
             "[\"\t\"]",
         }) {
        CAPTURE(bad);
        CHECK_FALSE(parses(bad));
    }
    CHECK(parses(" {\"a\" : [1, 2.5, -0, 1e3, true, false, null, \"\"]} \n\t\r"));
}

TEST_CASE("the JSON reader rejects invalid UTF-8, raw or through escapes", "[json]") {
    CHECK(parses("{\"a\":\"\xE2\x82\xAC \xF0\x9F\x98\x80\"}"));
    CHECK(parses(R"({"a":"\ud83d\ude00"})"));
    for (std::string_view bad : {
             std::string_view("{\"a\":\"\xFF\"}"),          // not UTF-8 at all
             std::string_view("{\"a\":\"\xC0\xAF\"}"),      // overlong
             std::string_view("{\"a\":\"\xED\xA0\x80\"}"),  // a raw surrogate
             std::string_view("{\"\xC3\":1}"),              // truncated, in a key
             std::string_view(R"({"a":"\ud800"})"),         // lone high surrogate
             std::string_view(R"({"a":"\udc00"})"),         // lone low surrogate: RapidJSON 1.1 lets it through
             std::string_view(R"({"\udfff":1})"),
         }) {
        CAPTURE(bad);
        CHECK_FALSE(parses(bad));
    }
}

TEST_CASE("a body ending inside a multi-byte sequence is rejected without reading past it", "[json]") {
    // RapidJSON 1.1 reads up to three continuation bytes past the lead byte; under ASan
    // this read past the end of the buffer before the parser padded it.
    for (std::string_view bad : {std::string_view("{\"a\":\"\xE2"), std::string_view("{\"a\":\"\xF0"),
                                 std::string_view("\"\xF4"), std::string_view("{\"\xE2\x82")}) {
        CAPTURE(bad);
        CHECK_FALSE(parses(bad));
    }
}

TEST_CASE("the JSON reader stops at NUL bytes and trailing content", "[json]") {
    const std::string with_nul("{\"a\":1}\0{}", 10);
    CHECK_FALSE(parses(with_nul));
    const std::string nul_in_string("{\"a\":\"x\0y\"}", 11);
    CHECK_FALSE(parses(nul_in_string));
    CHECK(parses(R"({"a":"x\u0000y"})"));  // an escaped NUL is a character like any other
    auto parsed = json::parse(R"({"a":"x\u0000y"})");
    CHECK(parsed.document->root().as_object()->front().second.as_string()->size() == 3);
}

TEST_CASE("the JSON reader caps depth and value count, and rejects duplicate keys", "[json]") {
    CHECK(parses(nested(32)));
    auto deep = json::parse(nested(33));
    CHECK_FALSE(deep.document);
    CHECK(deep.error.find("nested") != std::string::npos);
    CHECK_FALSE(parses(nested(100'000)));  // no stack overflow: the parser is iterative

    CHECK(parses("[1,2,3]", json::Limits{32, 4}));
    CHECK_FALSE(parses("[1,2,3,4]", json::Limits{32, 4}));

    auto dup = json::parse(R"({"a":1,"b":{"x":1,"x":2}})");
    CHECK_FALSE(dup.document);
    CHECK(dup.error.find("duplicate") != std::string::npos);
    CHECK_FALSE(parses(R"({"a":1,"a":1})"));
    CHECK_FALSE(parses(R"({"a":1,"\u0061":2})"));  // the same key, spelled differently
    CHECK(parses(R"([{"a":1},{"a":1}])"));         // different objects may share keys
}

TEST_CASE("parse errors never echo the body", "[json]") {
    auto parsed = json::parse(R"({"secret-token-value": tru})");
    REQUIRE_FALSE(parsed.document);
    CHECK(parsed.error.find("secret") == std::string::npos);
    CHECK(parsed.error.find("byte") != std::string::npos);
}

TEST_CASE("percent-decoding and paths", "[query]") {
    CHECK(percent_decode("a%20b+c", true) == "a b c");
    CHECK(percent_decode("a%20b+c", false) == "a b+c");
    CHECK(percent_decode("%E2%82%AC%2b", true) == "\xE2\x82\xAC+");
    CHECK_FALSE(percent_decode("%", true));
    CHECK_FALSE(percent_decode("%2", true));
    CHECK_FALSE(percent_decode("%zz", true));
    CHECK_FALSE(percent_decode("%FF", true));  // not UTF-8

    CHECK(split_path("/api/v1/x") == std::vector<std::string>{"api", "v1", "x"});
    CHECK(split_path("/a/b%2Fc/") == std::vector<std::string>{"a", "b/c", ""});
    CHECK_FALSE(split_path("a/b"));
    CHECK_FALSE(split_path("/a/%zz"));

    CHECK(parse_int64("0") == 0);
    CHECK(parse_int64("-5") == -5);
    CHECK(parse_int64("9223372036854775807") == INT64_MAX);
    for (std::string_view bad : {"", "+1", " 1", "1 ", "1.0", "1e2", "0x10", "abc", "9223372036854775808"}) {
        CAPTURE(bad);
        CHECK_FALSE(parse_int64(bad));
    }
}

TEST_CASE("query parameters: unknown, duplicate and malformed ones are issues", "[query]") {
    auto ok = QueryParameters::parse("workspace=acme&search=jane+doe&limit=10&&", {"workspace", "search", "limit"});
    CHECK(ok.issues().empty());
    CHECK(ok.text("workspace") == "acme");
    CHECK(ok.text("search") == "jane doe");
    CHECK(ok.integer("limit") == 10);
    CHECK_FALSE(ok.text("offset"));
    CHECK(ok.issues().empty());

    auto bad = QueryParameters::parse("limit=ten&foo=1&limit=2&offset&%zz=1&bar=%zz", {"limit", "offset"});
    CHECK(has_issue(bad.issues(), "foo", "unknown query parameter"));
    CHECK(has_issue(bad.issues(), "bar", "unknown query parameter"));
    CHECK(has_issue(bad.issues(), "limit", "must not be given more than once"));
    CHECK(has_issue(bad.issues(), "query", "a parameter name is not valid percent-encoded UTF-8"));
    CHECK_FALSE(bad.integer("limit"));
    CHECK(has_issue(bad.issues(), "limit", "must be an integer"));
    CHECK_FALSE(bad.integer("offset"));  // "offset" without "=" is an empty value
    CHECK(has_issue(bad.issues(), "offset", "must be an integer"));

    auto encoded_name = QueryParameters::parse("work%73pace=a", {"workspace"});
    CHECK(encoded_name.text("workspace") == "a");

    auto long_name = QueryParameters::parse(std::string(500, 'x') + "=1", {});
    REQUIRE(long_name.issues().size() == 1);
    CHECK(long_name.issues()[0].field.size() < 100);
}

TEST_CASE("media types", "[query]") {
    CHECK(is_json_media_type("application/json"));
    CHECK(is_json_media_type("Application/JSON; charset=UTF-8"));
    CHECK(is_json_media_type("application/json;charset=\"utf-8\""));
    CHECK(is_json_media_type(" application/json ; foo=bar"));
    CHECK_FALSE(is_json_media_type(""));
    CHECK_FALSE(is_json_media_type("text/plain"));
    CHECK_FALSE(is_json_media_type("application/jsonx"));
    CHECK_FALSE(is_json_media_type("application/json; charset=latin1"));
    CHECK_FALSE(is_json_media_type("application/x-www-form-urlencoded"));
    CHECK_FALSE(is_json_media_type("application/merge-patch+json"));
    CHECK(is_json_media_type("application/merge-patch+json", true));
}

TEST_CASE("create bodies: required, types, unknown fields, null as absent", "[decode]") {
    auto body = decode::parse_object(R"({"workspace_slug":"acme","email":"a@b.co","first_name":null,
        "last_name":"Smith","company":"Tech","status":"new","attributes":{"n":3,"d":1.5,"b":false,"s":"x"}})",
                                     decode::body_limits());
    leads::ports::CreateLeadCommand command{tenant(), {}, {}};
    CHECK(decode::create_lead(object_of(body), command).empty());
    CHECK(command.workspace_slug == "acme");
    CHECK(command.lead.email == "a@b.co");
    CHECK_FALSE(command.lead.first_name);
    CHECK(command.lead.last_name == "Smith");
    CHECK(command.lead.status == "new");
    CHECK(std::get<std::int64_t>(command.lead.attributes.at("n")) == 3);
    CHECK(std::get<double>(command.lead.attributes.at("d")) == 1.5);
    CHECK(std::get<bool>(command.lead.attributes.at("b")) == false);
    CHECK(std::get<std::string>(command.lead.attributes.at("s")) == "x");

    auto bad = decode::parse_object(
        R"({"email":5,"first_name":[],"attributes":{"o":{},"a":[1],"n":null},"extra":1,"status":null})",
        decode::body_limits());
    leads::ports::CreateLeadCommand other{tenant(), {}, {}};
    auto issues = decode::create_lead(object_of(bad), other);
    CHECK(has_issue(issues, "email", "must be a string"));
    CHECK(has_issue(issues, "first_name", "must be a string or null"));
    CHECK(has_issue(issues, "attributes.o", "must be a string, number or boolean"));
    CHECK(has_issue(issues, "attributes.a", "must be a string, number or boolean"));
    CHECK(has_issue(issues, "attributes.n", "must be a string, number or boolean"));
    CHECK(has_issue(issues, "extra", "unknown field"));
    CHECK(has_issue(issues, "workspace_slug", "is required"));
    CHECK_FALSE(has_issue(issues, "status", "must be a string or null"));  // null = not given

    auto attributes_not_object =
        decode::parse_object(R"({"workspace_slug":"a","email":"e","attributes":[]})", decode::body_limits());
    leads::ports::CreateLeadCommand third{tenant(), {}, {}};
    CHECK(has_issue(decode::create_lead(object_of(attributes_not_object), third), "attributes", "must be an object"));
}

TEST_CASE("non-object bodies are invalid_json", "[decode]") {
    for (std::string_view body : {"[]", "\"x\"", "1", "null", "true"}) {
        CAPTURE(body);
        auto parsed = decode::parse_object(body, decode::body_limits());
        CHECK(parsed.object == nullptr);
        CHECK(parsed.error.find("must be a JSON object") != std::string::npos);
    }
}

TEST_CASE("update bodies: tri-state names, merge patch attributes, no null email/status", "[decode]") {
    auto body = decode::parse_object(
        R"({"first_name":null,"last_name":"S","attributes":{"gone":null,"kept":2},"email":"x@y.co","status":"replied"})",
        decode::body_limits());
    auto command = update_command();
    CHECK(decode::update_lead(object_of(body), command).empty());
    REQUIRE(command.changes.first_name);
    CHECK_FALSE(*command.changes.first_name);  // present, null: clear
    CHECK(command.changes.last_name == std::optional<std::string>("S"));
    CHECK_FALSE(command.changes.company);  // absent: unchanged
    REQUIRE(command.changes.attributes);
    CHECK_FALSE(command.changes.attributes->at("gone"));
    CHECK(std::get<std::int64_t>(*command.changes.attributes->at("kept")) == 2);
    CHECK(command.changes.email == "x@y.co");
    CHECK(command.changes.status == "replied");

    auto empty = decode::parse_object("{}", decode::body_limits());
    auto nothing = update_command();
    CHECK(decode::update_lead(object_of(empty), nothing).empty());
    CHECK_FALSE(nothing.changes.attributes);

    auto bad = decode::parse_object(R"({"email":null,"status":null,"company":1,"attributes":null,"id":"x"})",
                                    decode::body_limits());
    auto other = update_command();
    auto issues = decode::update_lead(object_of(bad), other);
    CHECK(has_issue(issues, "email", "must be a string (it cannot be cleared)"));
    CHECK(has_issue(issues, "status", "must be a string (it cannot be cleared)"));
    CHECK(has_issue(issues, "company", "must be a string or null"));
    CHECK(has_issue(issues, "attributes", "must be an object"));
    CHECK(has_issue(issues, "id", "unknown field"));
}

TEST_CASE("record activity bodies", "[decode]") {
    auto body = decode::parse_object(
        R"({"type":"email_sent","campaign_id":"cmp_1","timestamp":"2025-01-01T00:00:00Z","data":{"subject":"Hi"}})",
        decode::body_limits());
    auto command = activity_command();
    CHECK(decode::record_activity(object_of(body), command).empty());
    CHECK(command.type == "email_sent");
    CHECK(command.campaign_id == "cmp_1");
    CHECK(command.timestamp == "2025-01-01T00:00:00Z");
    CHECK(std::get<std::string>(command.data.at("subject")) == "Hi");

    auto bad = decode::parse_object(R"({"campaign_id":7,"data":"x","lead_id":"y"})", decode::body_limits());
    auto other = activity_command();
    auto issues = decode::record_activity(object_of(bad), other);
    CHECK(has_issue(issues, "type", "is required"));
    CHECK(has_issue(issues, "campaign_id", "must be a string or null"));
    CHECK(has_issue(issues, "data", "must be an object"));
    CHECK(has_issue(issues, "lead_id", "unknown field"));
}

TEST_CASE("import bodies: row issues stay with the row", "[decode]") {
    auto body = decode::parse_object(R"({"workspace_slug":"acme","on_duplicate":"update","leads":[
        {"email":"a@b.co","first_name":"A"},
        {"email":1},
        "not an object",
        {"email":"c@d.co","workspace_slug":"other"},
        {"first_name":"no email"}]})",
                                     decode::import_limits());
    auto command = import_command();
    CHECK(decode::import_leads(object_of(body), command).empty());
    CHECK(command.workspace_slug == "acme");
    CHECK(command.on_duplicate == "update");
    REQUIRE(command.rows.size() == 5);
    CHECK(command.rows[0].decode_issues.empty());
    CHECK(command.rows[0].lead.first_name == "A");
    CHECK(has_issue(command.rows[1].decode_issues, "email", "must be a string"));
    CHECK(has_issue(command.rows[2].decode_issues, "", "must be an object"));
    CHECK(has_issue(command.rows[3].decode_issues, "workspace_slug", "unknown field"));
    CHECK(has_issue(command.rows[4].decode_issues, "email", "is required"));

    std::string many = R"({"workspace_slug":"a","leads":[)";
    for (int i = 0; i < 10'001; ++i) many += (i ? ",{}" : "{}");
    many += "]}";
    auto too_many = decode::parse_object(many, decode::import_limits());
    auto big = import_command();
    // The row cap is the import use case's rule, checked once there: decoding keeps every row.
    CHECK(decode::import_leads(object_of(too_many), big).empty());
    CHECK(big.rows.size() == 10'001);

    auto missing = decode::parse_object(R"({"leads":{},"extra":true})", decode::import_limits());
    auto none = import_command();
    auto issues = decode::import_leads(object_of(missing), none);
    CHECK(has_issue(issues, "workspace_slug", "is required"));
    CHECK(has_issue(issues, "leads", "must be an array"));
    CHECK(has_issue(issues, "extra", "unknown field"));
}

TEST_CASE("hostile rows and attribute objects cost a bounded number of issues", "[decode]") {
    // An attributes or data object over the 64-key limit is refused as a whole: its
    // entries are neither kept nor each reported.
    std::string attributes = "{";
    for (int i = 0; i < 1000; ++i) attributes += (i ? "," : "") + std::string("\"k") + std::to_string(i) + "\":[]";
    attributes += "}";
    auto create = decode::parse_object(R"({"workspace_slug":"w","email":"a@b.co","attributes":)" + attributes + "}",
                                       decode::body_limits());
    leads::ports::CreateLeadCommand command{tenant(), {}, {}};
    const auto issues = decode::create_lead(object_of(create), command);
    CHECK(issues == std::vector<FieldIssue>{{"attributes", "must have at most 64 keys"}});
    CHECK(command.lead.attributes.empty());

    auto activity = decode::parse_object(R"({"type":"note","data":)" + attributes + "}", decode::body_limits());
    auto recorded = activity_command();
    CHECK(decode::record_activity(object_of(activity), recorded) ==
          std::vector<FieldIssue>{{"data", "must have at most 64 keys"}});

    // An import row keeps only the problems the summary lists.
    std::string row = "{";
    for (int i = 0; i < 1000; ++i) row += (i ? "," : "") + std::string("\"x") + std::to_string(i) + "\":0";
    row += "}";
    auto import = decode::parse_object(R"({"workspace_slug":"w","leads":[)" + row + "]}", decode::import_limits());
    auto imported = import_command();
    CHECK(decode::import_leads(object_of(import), imported).empty());
    REQUIRE(imported.rows.size() == 1);
    CHECK(imported.rows[0].decode_issues.size() == leads::ports::kMaxRowErrors);
    CHECK(imported.rows[0].decode_issues.front() == FieldIssue{"x0", "unknown field"});
}

TEST_CASE("names echoed in errors are capped at 64 bytes on a code point boundary", "[parsing]") {
    using leads::adapters::http::echo_name;
    CHECK(echo_name("workspace") == "workspace");
    CHECK(echo_name(std::string(64, 'a')) == std::string(64, 'a'));
    CHECK(echo_name(std::string(65, 'a')) == std::string(64, 'a') + "...");
    // 63 ASCII bytes then a two-byte letter straddling the cut: the letter goes whole.
    CHECK(echo_name(std::string(63, 'a') + "\xC3\xA9xyz") == std::string(63, 'a') + "...");

    leads::ports::CreateLeadCommand command{tenant(), {}, {}};
    auto body = decode::parse_object(R"({"workspace_slug":"w","email":"a@b.co",")" + std::string(1000, 'k') + R"(":1})",
                                     decode::body_limits());
    REQUIRE(body.object);
    const auto issues = decode::create_lead(*body.object, command);
    CHECK(has_issue(issues, std::string(64, 'k') + "...", "unknown field"));
    auto query = QueryParameters::parse(std::string(1000, 'q') + "=1", {"workspace"});
    CHECK(has_issue(query.issues(), std::string(64, 'q') + "...", "unknown query parameter"));
}

TEST_CASE("ASCII helpers for HTTP syntax", "[parsing]") {
    using leads::adapters::http::ascii_lower;
    using leads::adapters::http::iequals;
    using leads::adapters::http::trim_ows;
    CHECK(iequals("Bearer", "bEARER"));
    CHECK_FALSE(iequals("Bearer", "Bearer "));
    CHECK_FALSE(iequals("\xC3\xA9", "\xC3\x89"));  // ASCII only: é and É differ
    CHECK(ascii_lower("X-Request-ID \xC3\x89") == "x-request-id \xC3\x89");
    CHECK(trim_ows(" \t a b \t ") == "a b");
    CHECK(trim_ows("\r\na\n") == "\r\na\n");  // only space and tab are OWS
}

// attributes.<key>=<text> filters (CONTRACT §7) compare domain::attribute_text, which is
// also how the API writes a double: it must read back as the same double, in JSON syntax.
TEST_CASE("attribute_text writes every double as JSON that reads back as the same double", "[parsing][attributes]") {
    std::vector<double> values{0.0,
                               -0.0,
                               1.0,
                               -1.0,
                               10.0,
                               0.5,
                               0.1,
                               0.30000000000000004,
                               1e6,
                               1e21,
                               1e22,
                               1.5e30,
                               1e-6,
                               1e-7,
                               1.25e-7,
                               123456.789,
                               2e-10,
                               1e308,
                               5e-324,
                               -2.5,
                               1e15,
                               1e16,
                               9007199254740993.0};
    std::mt19937_64 random(20261205);
    for (int i = 0; i < 20'000; ++i) {
        const std::uint64_t bits = random();
        double value = 0;
        std::memcpy(&value, &bits, sizeof value);
        if (std::isfinite(value)) values.push_back(value);
        values.push_back(static_cast<double>(static_cast<std::int64_t>(bits >> 20)) / 1000.0);
    }
    for (const double value : values) {
        const std::string text = leads::domain::attribute_text(leads::domain::AttributeValue{value});
        CAPTURE(value, text);
        const auto parsed = json::parse("{\"v\":" + text + "}");
        REQUIRE(parsed.document);
        const double* number = parsed.document->root().as_object()->front().second.as_double();
        REQUIRE(number != nullptr);  // a double stays a double: never written as an integer
        CHECK(std::memcmp(number, &value, sizeof value) == 0);
    }
    CHECK(leads::domain::attribute_text(leads::domain::AttributeValue{1e6}) == "1000000.0");
    CHECK(leads::domain::attribute_text(leads::domain::AttributeValue{1.5e30}) == "1.5e30");
    CHECK(leads::domain::attribute_text(leads::domain::AttributeValue{1e-7}) == "1e-7");
    CHECK(leads::domain::attribute_text(leads::domain::AttributeValue{0.001}) == "0.001");
    CHECK(leads::domain::attribute_text(leads::domain::AttributeValue{std::int64_t{-12}}) == "-12");
    CHECK(leads::domain::attribute_text(leads::domain::AttributeValue{true}) == "true");
    CHECK(leads::domain::attribute_text(leads::domain::AttributeValue{std::string("x y")}) == "x y");
}
