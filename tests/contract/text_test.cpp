// Repository contract: text, numbers and instants come back exactly as stored.
#include "domain/text.hpp"

#include <catch2/catch.hpp>
#include <set>
#include <variant>

#include "tests/contract/repository_factory.hpp"
#include "tests/contract/support.hpp"

namespace leads::tests::contract {
TEST_CASE("text round-trips byte for byte") {
    auto repository = make_repository();
    auto tenant = random_tenant();
    auto workspace = slug("unicode");
    domain::Attributes attributes{
        {"emoji", std::string("🚀 launch 👩‍💻")},
        {"cjk", std::string("東京都 渋谷区")},
        {"rtl", std::string("שלום עולם مرحبا")},
        {"combining", std::string("e\xcc\x81 vs \xc3\xa9")},
        {"quotes", std::string("\"quoted\" \\ back / slash")},
        {"whitespace", std::string("tab\tnewline\ncr\r")},
        {"integer", std::int64_t{12}},
        {"big", std::int64_t{9007199254740993}},
        {"negative", std::int64_t{-42}},
        {"double", 12.0},
        {"fraction", 0.1},
        {"huge", 1e300},
        {"tiny", 5e-324},
        {"flag", true},
        {"off", false},
    };
    auto lead = add_lead(*repository, tenant, workspace,
                         {.email = "unicode@example.com",
                          .first_name = "Zoë 🙂",
                          .last_name = "Ñandú-Ørsted",
                          .company = "株式会社 テスト — “Ω”",
                          .attributes = attributes});
    auto found = repository->find(key_of(lead));
    REQUIRE(found.ok());
    CHECK(found->first_name == lead.first_name);
    CHECK(found->last_name == lead.last_name);
    CHECK(found->company == lead.company);
    CHECK(found->attributes == lead.attributes);
    REQUIRE(std::holds_alternative<double>(found->attributes.at("double")));
    REQUIRE(std::holds_alternative<std::int64_t>(found->attributes.at("integer")));
    CHECK(found->created_at == lead.created_at);
    CHECK(found->updated_at == lead.updated_at);

    auto listed = search(*repository, tenant, workspace, "zoë 🙂");
    REQUIRE(listed.items.size() == 1);
    CHECK(listed.items[0].attributes == lead.attributes);

    // Activity data and campaign ids too.
    domain::Activity note{
        .id = activity_id(lead.created_at + std::chrono::milliseconds(1)),
        .lead_id = lead.id,
        .type = domain::ActivityType::Note,
        .timestamp = lead.created_at + std::chrono::milliseconds(1),  // after lead_created, whatever the clock
        .campaign_id = std::string("cmp_ünï"),
        .data = {{"text", std::string("called — no answer ☎")}, {"n", 1.5}},
    };
    auto updated =
        repository->update(key_of(lead), [&](domain::Lead&) -> domain::Result<std::vector<domain::Activity>> {
            return std::vector<domain::Activity>{note};
        });
    REQUIRE(updated.ok());
    CHECK(updated->version == lead.version);  // an activity alone does not rewrite the lead
    auto history = repository->activities(key_of(lead), 10, 0);
    REQUIRE(history.ok());
    REQUIRE(history->total == 2);
    CHECK(history->items[0].id == note.id);
    CHECK(history->items[0].campaign_id == note.campaign_id);
    CHECK(history->items[0].data == note.data);
    CHECK(history->items[0].timestamp == note.timestamp);
    CHECK(history->items[1].type == domain::ActivityType::LeadCreated);
    CHECK_FALSE(history->items[1].campaign_id.has_value());
}

}  // namespace leads::tests::contract
