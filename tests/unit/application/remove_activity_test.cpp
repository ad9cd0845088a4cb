// Use-case tests of LeadService: remove, recording activity (and its automatic status moves), history.
#include <catch2/catch.hpp>

#include "tests/unit/application/service_fixture.hpp"

namespace leads::service_tests {

TEST_CASE("remove erases the lead and frees its email", "[remove][tenancy]") {
    Fixture f;
    const auto created = f.create("jane@example.com", "acme");
    const std::string id = created.lead.id.value();

    CHECK(error_of(f.service.remove({f.other_tenant, id, std::nullopt})).kind == ErrorKind::NotFound);
    CHECK(error_of(f.service.remove({f.tenant, id, "globex"})).kind == ErrorKind::NotFound);
    CHECK(error_of(f.service.remove({f.tenant, "garbage", std::nullopt})).kind == ErrorKind::NotFound);
    CHECK(f.service.get(f.ref(created.lead)).ok());

    CHECK(f.service.remove({f.tenant, id, "acme"}).ok());
    CHECK(error_of(f.service.get(f.ref(created.lead))).kind == ErrorKind::NotFound);
    CHECK(error_of(f.service.remove({f.ref(created.lead)})).kind == ErrorKind::NotFound);
    CHECK(error_of(f.service.activity_history({f.ref(created.lead), {}, {}})).kind == ErrorKind::NotFound);

    const auto again = f.create("jane@example.com", "acme");
    CHECK(again.lead.id != created.lead.id);
}

TEST_CASE("record_activity stores a note without touching the lead", "[activity]") {
    Fixture f;
    const auto created = f.create("jane@example.com");
    f.clock.advance(1h);
    auto command = f.activity_of(created.lead, "note");
    command.campaign_id = "  cmp_123 ";
    command.data = {{"text", std::string("called")}, {"minutes", std::int64_t{5}}, {"ok", true}, {"score", 0.5}};
    auto entry = f.service.record_activity(command);
    REQUIRE(entry.ok());
    CHECK(entry->type == ActivityType::Note);
    CHECK(entry->lead_id == created.lead.id);
    CHECK(entry->campaign_id == "cmp_123");
    CHECK(entry->timestamp == f.clock.now());
    CHECK(entry->data == command.data);
    CHECK(entry->id.value().rfind("act_", 0) == 0);

    const Lead stored = f.stored(created.lead);
    CHECK(stored.version == created.lead.version);
    CHECK(stored.updated_at == created.lead.updated_at);
    const auto history = f.history(created.lead);
    REQUIRE(history.size() == 2);
    CHECK(history[0].id == entry->id);
}

TEST_CASE("record_activity takes the client's timestamp and an empty campaign as none", "[activity]") {
    Fixture f;
    const auto created = f.create("jane@example.com");
    auto command = f.activity_of(created.lead, "email_opened");
    command.timestamp = "2025-11-02T12:00:00.123+02:00";
    command.campaign_id = "   ";
    auto entry = f.service.record_activity(command);
    REQUIRE(entry.ok());
    CHECK(entry->timestamp == at("2025-11-02T10:00:00.123Z"));
    CHECK(entry->campaign_id == std::nullopt);
    CHECK(f.stored(created.lead).status == LeadStatus::New);
}

TEST_CASE("record_activity validates every field together", "[activity]") {
    Fixture f;
    const auto created = f.create("jane@example.com");
    const std::string type_issue =
        "must be one of email_sent, email_opened, email_clicked, email_replied, email_bounced, note";

    for (const char* type : {"lead_created", "status_changed", "bogus", "", "NOTE", "email sent"}) {
        INFO(type);
        const Error error = error_of(f.service.record_activity(f.activity_of(created.lead, type)));
        require_validation(error, {"type"});
        CHECK(issue_of(error, "type") == type_issue);
    }

    auto command = f.activity_of(created.lead, "nope");
    command.campaign_id = std::string(65, 'c');
    command.timestamp = "yesterday";
    command.data = {{"9lives", std::int64_t{1}}};
    command.ref.workspace = "Not A Slug";
    const Error error = error_of(f.service.record_activity(command));
    require_validation(error, {"type", "campaign_id", "timestamp", "data", "workspace"});

    command = f.activity_of(created.lead, "note");
    command.campaign_id =
        "a\x01"
        "b";
    require_validation(error_of(f.service.record_activity(command)), {"campaign_id"});
    command = f.activity_of(created.lead, "note");
    command.timestamp = "2025-02-30T10:00:00Z";
    require_validation(error_of(f.service.record_activity(command)), {"timestamp"});
    command = f.activity_of(created.lead, "note");
    command.data = {{"text", std::string(1025, 'x')}};
    require_validation(error_of(f.service.record_activity(command)), {"data"});

    // 64 characters is still fine.
    command = f.activity_of(created.lead, "note");
    command.campaign_id = std::string(64, 'c');
    CHECK(f.service.record_activity(command).ok());
    CHECK(f.history(created.lead).size() == 2);

    // Validation comes before the lookup.
    command = f.activity_of(created.lead, "bogus");
    command.ref.lead_id = "unknown";
    require_validation(error_of(f.service.record_activity(command)), {"type"});
}

TEST_CASE("email_sent moves a new lead to contacted with a status_changed entry", "[activity][status]") {
    Fixture f;
    const auto created = f.create("jane@example.com");
    f.clock.advance(1h);
    auto command = f.activity_of(created.lead, "email_sent");
    command.timestamp = "2025-10-01T09:00:00Z";  // back-dated: the move shares its instant
    command.campaign_id = "cmp_1";
    auto entry = f.service.record_activity(command);
    REQUIRE(entry.ok());
    CHECK(entry->type == ActivityType::EmailSent);

    const Lead stored = f.stored(created.lead);
    CHECK(stored.status == LeadStatus::Contacted);
    CHECK(stored.version == created.lead.version + 1);
    CHECK(stored.updated_at == f.clock.now());

    const auto history = f.history(created.lead);
    REQUIRE(history.size() == 3);
    // Newest first: the move sorts just above the entry that caused it.
    const Activity& moved = history[1];
    CHECK(history[2].id == entry->id);
    CHECK(moved.type == ActivityType::StatusChanged);
    CHECK(moved.timestamp == entry->timestamp);
    CHECK(moved.id > entry->id);
    CHECK(moved.campaign_id == std::nullopt);
    CHECK(moved.data == domain::status_change_data(LeadStatus::New, LeadStatus::Contacted));
    CHECK(history[0].type == ActivityType::LeadCreated);

    // Contacted stays contacted on another send.
    REQUIRE(f.service.record_activity(f.activity_of(created.lead, "email_sent")).ok());
    CHECK(f.stored(created.lead).status == LeadStatus::Contacted);
    CHECK(f.history(created.lead).size() == 4);
}

TEST_CASE("email_replied moves new and contacted leads to replied", "[activity][status]") {
    Fixture f;
    for (const char* start : {"new", "contacted"}) {
        INFO(start);
        domain::LeadInput input;
        input.status = start;
        const auto created = f.create(std::string(start) + "@example.com", "acme", input);
        auto entry = f.service.record_activity(f.activity_of(created.lead, "email_replied"));
        REQUIRE(entry.ok());
        CHECK(f.stored(created.lead).status == LeadStatus::Replied);
        const auto history = f.history(created.lead);
        REQUIRE(history.size() == 3);
        CHECK(history[0].type == ActivityType::StatusChanged);
        CHECK(history[0].timestamp == entry->timestamp);
        CHECK(history[0].data == domain::status_change_data(*domain::parse_lead_status(start), LeadStatus::Replied));
        CHECK(history[1].id == entry->id);
    }
}

TEST_CASE("activity never moves a converted lead, and other types never move", "[activity][status]") {
    Fixture f;
    domain::LeadInput converted;
    converted.status = "converted";
    const auto won = f.create("won@example.com", "acme", converted);
    for (const char* type : {"email_sent", "email_replied", "email_opened", "email_clicked", "email_bounced", "note"}) {
        INFO(type);
        REQUIRE(f.service.record_activity(f.activity_of(won.lead, type)).ok());
        CHECK(f.stored(won.lead).status == LeadStatus::Converted);
        CHECK(f.stored(won.lead).version == won.lead.version);
    }
    CHECK(f.history(won.lead).size() == 7);

    const auto fresh = f.create("fresh@example.com");
    for (const char* type : {"email_opened", "email_clicked", "email_bounced", "note"}) {
        REQUIRE(f.service.record_activity(f.activity_of(fresh.lead, type)).ok());
    }
    CHECK(f.stored(fresh.lead).status == LeadStatus::New);
    CHECK(f.history(fresh.lead).size() == 5);

    domain::LeadInput replied;
    replied.status = "replied";
    const auto answered = f.create("answered@example.com", "acme", replied);
    REQUIRE(f.service.record_activity(f.activity_of(answered.lead, "email_sent")).ok());
    REQUIRE(f.service.record_activity(f.activity_of(answered.lead, "email_replied")).ok());
    CHECK(f.stored(answered.lead).status == LeadStatus::Replied);
    CHECK(f.history(answered.lead).size() == 3);
}

TEST_CASE("record_activity on a missing, foreign or malformed lead is not found", "[activity][tenancy]") {
    Fixture f;
    const auto created = f.create("jane@example.com", "acme");
    auto command = f.activity_of(created.lead, "email_sent");

    command.ref.tenant = f.other_tenant;
    CHECK(error_of(f.service.record_activity(command)).kind == ErrorKind::NotFound);
    command.ref.tenant = f.tenant;
    command.ref.workspace = "globex";
    CHECK(error_of(f.service.record_activity(command)).kind == ErrorKind::NotFound);
    command.ref.workspace = std::nullopt;
    command.ref.lead_id = "lead_";
    CHECK(error_of(f.service.record_activity(command)).kind == ErrorKind::NotFound);
    CHECK(f.stored(created.lead).status == LeadStatus::New);
    CHECK(f.history(created.lead).size() == 1);

    command.ref.lead_id = created.lead.id.value();
    command.ref.workspace = "acme";
    CHECK(f.service.record_activity(command).ok());
}

TEST_CASE("activity_history pages newest first", "[history]") {
    Fixture f;
    const auto created = f.create("jane@example.com");
    std::vector<std::string> notes;
    for (int i = 0; i < 4; ++i) {
        f.clock.advance(1s);
        auto entry = f.service.record_activity(f.activity_of(created.lead, "note"));
        REQUIRE(entry.ok());
        notes.push_back(entry->id.value());
    }

    auto all = f.service.activity_history({f.ref(created.lead), {}, {}});
    REQUIRE(all.ok());
    CHECK(all->page.limit == 50);
    CHECK(all->page.offset == 0);
    CHECK(all->page.total == 5);
    CHECK_FALSE(all->page.has_more);
    REQUIRE(all->items.size() == 5);
    CHECK(all->items[0].id.value() == notes[3]);
    CHECK(all->items[4].type == ActivityType::LeadCreated);

    auto middle = f.service.activity_history({f.ref(created.lead), 2, 1});
    REQUIRE(middle.ok());
    REQUIRE(middle->items.size() == 2);
    CHECK(middle->items[0].id.value() == notes[2]);
    CHECK(middle->items[1].id.value() == notes[1]);
    CHECK(middle->page.has_more);

    auto past = f.service.activity_history({f.ref(created.lead), 10, 99});
    REQUIRE(past.ok());
    CHECK(past->items.empty());
    CHECK(past->page.total == 5);
    CHECK_FALSE(past->page.has_more);
}

TEST_CASE("activity_history validates paging and scopes the lead", "[history][tenancy]") {
    Fixture f;
    const auto created = f.create("jane@example.com", "acme");
    require_validation(error_of(f.service.activity_history({f.ref(created.lead), 0, {}})), {"limit"});
    require_validation(error_of(f.service.activity_history({f.ref(created.lead), 201, {}})), {"limit"});
    require_validation(error_of(f.service.activity_history({f.ref(created.lead), {}, -1})), {"offset"});
    const Error both = error_of(f.service.activity_history({f.ref(created.lead), 500, -1}));
    require_validation(both, {"limit", "offset"});
    CHECK(f.service.activity_history({f.ref(created.lead), 200, 0}).ok());

    const std::string id = created.lead.id.value();
    CHECK(error_of(f.service.activity_history({{f.other_tenant, id, std::nullopt}, {}, {}})).kind ==
          ErrorKind::NotFound);
    CHECK(error_of(f.service.activity_history({{f.tenant, id, "globex"}, {}, {}})).kind == ErrorKind::NotFound);
    CHECK(error_of(f.service.activity_history({{f.tenant, "lead_zz", std::nullopt}, {}, {}})).kind ==
          ErrorKind::NotFound);
    CHECK(f.service.activity_history({{f.tenant, id, "acme"}, {}, {}}).ok());
}

}  // namespace leads::service_tests
