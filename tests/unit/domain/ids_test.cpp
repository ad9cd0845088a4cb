#include "domain/ids.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <string>
#include <vector>

using namespace leads::domain;
using namespace std::chrono;

namespace {

constexpr std::string_view kAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

Timestamp ms(std::int64_t value) { return Timestamp{milliseconds{value}}; }

Entropy entropy_of(std::uint8_t fill) {
    Entropy entropy;
    entropy.fill(fill);
    return entropy;
}

}  // namespace

TEST_CASE("generated ids have the prefix and 26 Crockford characters") {
    const auto id = LeadId::generate(ms(1'700'000'000'000), entropy_of(0xA5));
    REQUIRE(id.value().size() == 5 + 26);
    CHECK(id.value().starts_with("lead_"));
    for (char c : id.value().substr(5)) CHECK(kAlphabet.find(c) != std::string_view::npos);
    CHECK(ActivityId::generate(ms(0), entropy_of(0)).value().starts_with("act_"));
}

TEST_CASE("the encoding follows the ULID layout") {
    CHECK(LeadId::generate(ms(0), entropy_of(0)).value() == "lead_" + std::string(26, '0'));
    CHECK(LeadId::generate(ms((std::int64_t{1} << 48) - 1), entropy_of(0xFF)).value() ==
          "lead_7" + std::string(25, 'Z'));
    // The ULID spec's example timestamp 1469918176385 encodes as 01ARYZ6S41.
    CHECK(LeadId::generate(ms(1469918176385), entropy_of(0)).value() == "lead_01ARYZ6S41" + std::string(16, '0'));
    Entropy last_bit{};
    last_bit[9] = 1;
    CHECK(LeadId::generate(ms(0), last_bit).value() == "lead_" + std::string(25, '0') + "1");
    // Out-of-range instants are clamped rather than wrapped.
    CHECK(LeadId::generate(ms(-5), entropy_of(0)).value() == "lead_" + std::string(26, '0'));
}

TEST_CASE("ids sort by creation time") {
    std::vector<LeadId> ids;
    for (std::int64_t t : {1'700'000'000'000, 1'700'000'000'001, 1'700'000'001'000, 1'800'000'000'000}) {
        ids.push_back(LeadId::generate(ms(t), entropy_of(static_cast<std::uint8_t>(0xFF - t % 200))));
    }
    CHECK(std::is_sorted(ids.begin(), ids.end()));
    CHECK(
        std::is_sorted(ids.begin(), ids.end(), [](const LeadId& a, const LeadId& b) { return a.value() < b.value(); }));
}

TEST_CASE("parse accepts exactly what generate produces") {
    const auto id = LeadId::generate(ms(1'700'000'000'123), entropy_of(0x3C));
    const auto parsed = LeadId::parse(id.value());
    REQUIRE(parsed.has_value());
    CHECK(*parsed == id);
    const auto act = ActivityId::generate(ms(42), entropy_of(0x11));
    CHECK(ActivityId::parse(act.value()) == act);
}

TEST_CASE("parse rejects anything else") {
    const std::string body = "01ARYZ6S41TSV4RRFFQ69G5FAV";
    REQUIRE(LeadId::parse("lead_" + body).has_value());
    const std::vector<std::string> rejected{
        std::string(""),
        body,                               // no prefix
        "act_" + body,                      // wrong prefix
        "Lead_" + body,                     // prefix is case-sensitive
        "lead_" + body.substr(1),           // 25 characters
        "lead_" + body + "0",               // 27 characters
        "lead_01aryz6s41tsv4rrffq69g5fav",  // lower case
        "lead_01ARYZ6S41TSV4RRFFQ69G5FAI",  // I is not in the alphabet
        "lead_01ARYZ6S41TSV4RRFFQ69G5FAL",  // L
        "lead_01ARYZ6S41TSV4RRFFQ69G5FAO",  // O
        "lead_01ARYZ6S41TSV4RRFFQ69G5FAU",  // U
        "lead_81ARYZ6S41TSV4RRFFQ69G5FAV",  // first character above 7
        "lead_01ARYZ6S41TSV4RRFFQ69G5FA-",
        "lead_" + body.substr(0, 25) + std::string(1, '\0'),
    };
    for (const std::string& text : rejected) {
        INFO(text);
        CHECK_FALSE(LeadId::parse(text).has_value());
    }
    CHECK_FALSE(ActivityId::parse("lead_" + body).has_value());
    CHECK(ActivityId::parse("act_" + body).has_value());
    CHECK(LeadId::parse("lead_7ZZZZZZZZZZZZZZZZZZZZZZZZZ").has_value());
}

TEST_CASE("TenantId") {
    for (std::string_view ok : {"a", "tenant-1", "Tenant_A", "0", "ABC-def_123"}) CHECK(TenantId::parse(ok));
    CHECK(TenantId::parse(std::string(64, 'x')));
    CHECK(TenantId::parse("t1")->value() == "t1");
    for (const std::string& bad : {std::string(""), std::string(65, 'x'), std::string("a b"), std::string("a.b"),
                                   std::string("ä"), std::string("a/b"), std::string("a\n"), std::string("a\0", 2)}) {
        INFO(bad);
        CHECK_FALSE(TenantId::parse(bad));
    }
}

TEST_CASE("WorkspaceSlug") {
    for (std::string_view ok : {"a", "acme", "acme-corp", "0", "9lives", "a-", "a--b"}) {
        INFO(ok);
        auto slug = WorkspaceSlug::parse("workspace_slug", ok);
        REQUIRE(slug.ok());
        CHECK(slug->value() == ok);
    }
    CHECK(WorkspaceSlug::parse("workspace_slug", std::string(63, 'a')).ok());
    for (const std::string& bad :
         {std::string(""), std::string(64, 'a'), std::string("-acme"), std::string("Acme"), std::string("ac me"),
          std::string("acme_corp"), std::string("acmé"), std::string(" acme")}) {
        INFO(bad);
        auto slug = WorkspaceSlug::parse("workspace", bad);
        REQUIRE_FALSE(slug.ok());
        CHECK(slug.error().kind == ErrorKind::Validation);
        REQUIRE(slug.error().details.size() == 1);
        CHECK(slug.error().details[0].field == "workspace");
        CHECK(slug.error().details[0].issue.starts_with("must be a workspace slug"));
    }
}
