// Use-case tests of LeadService: update: changes, status moves, preconditions, conflicts.
#include <catch2/catch.hpp>

#include "tests/unit/application/service_fixture.hpp"

namespace leads::service_tests {

TEST_CASE("update applies changes and returns the stored lead with its activity", "[update]") {
    Fixture f;
    domain::LeadInput input;
    input.first_name = "Jane";
    input.attributes = {{"title", std::string("CEO")}, {"city", std::string("NYC")}};
    const auto created = f.create("jane@example.com", "acme", input);
    f.clock.advance(5s);

    domain::LeadChangesInput changes;
    changes.last_name = std::optional<std::string>("Smith");
    changes.first_name = std::optional<std::string>();  // null clears
    changes.attributes = domain::AttributePatch{{"city", std::nullopt}, {"phone", std::string("+1555")}};
    auto updated = f.service.update(f.update_of(created.lead, changes));
    REQUIRE(updated.ok());
    CHECK(updated->lead.first_name == std::nullopt);
    CHECK(updated->lead.last_name == "Smith");
    CHECK(updated->lead.attributes == Attributes{{"title", std::string("CEO")}, {"phone", std::string("+1555")}});
    CHECK(updated->lead.version == created.lead.version + 1);
    CHECK(updated->lead.updated_at == f.clock.now());
    CHECK(updated->lead.created_at == created.lead.created_at);
    CHECK(updated->lead.version != created.lead.version);
    CHECK(updated->activity_total == 1);  // no status change, no entry
    REQUIRE(updated->activity.size() == 1);

    const Lead stored = f.stored(created.lead);
    CHECK(stored.last_name == "Smith");
    CHECK(stored.version == updated->lead.version);
}

TEST_CASE("an empty update changes nothing", "[update]") {
    Fixture f;
    const auto created = f.create("jane@example.com");
    f.clock.advance(1s);
    auto updated = f.service.update(f.update_of(created.lead, {}));
    REQUIRE(updated.ok());
    CHECK(updated->lead.version == created.lead.version);
    CHECK(updated->lead.updated_at == created.lead.updated_at);
    CHECK(updated->lead.version == created.lead.version);
    CHECK(f.history(created.lead).size() == 1);
}

TEST_CASE("a status change records status_changed", "[update]") {
    Fixture f;
    const auto created = f.create("jane@example.com");
    f.clock.advance(1min);
    domain::LeadChangesInput changes;
    changes.status = "converted";
    auto updated = f.service.update(f.update_of(created.lead, changes));
    REQUIRE(updated.ok());
    CHECK(updated->lead.status == LeadStatus::Converted);
    REQUIRE(updated->activity.size() == 2);
    CHECK(updated->activity_total == 2);
    const Activity& entry = updated->activity[0];
    CHECK(entry.type == ActivityType::StatusChanged);
    CHECK(entry.timestamp == f.clock.now());
    CHECK(entry.data == domain::status_change_data(LeadStatus::New, LeadStatus::Converted));
    CHECK(entry.campaign_id == std::nullopt);
    CHECK(updated->activity[1].type == ActivityType::LeadCreated);

    // Setting the status it already has is no change.
    auto again = f.service.update(f.update_of(created.lead, changes));
    REQUIRE(again.ok());
    CHECK(again->activity_total == 2);
    CHECK(again->lead.version == updated->lead.version);
}

TEST_CASE("update validates before looking the lead up", "[update]") {
    Fixture f;
    const auto created = f.create("jane@example.com");
    domain::LeadChangesInput changes;
    changes.email = "broken";
    changes.status = "lost";
    changes.company = std::optional<std::string>(std::string(201, 'c'));
    changes.attributes = domain::AttributePatch{{"bad key", std::int64_t{1}}};
    require_validation(error_of(f.service.update(f.update_of(created.lead, changes))),
                       {"email", "status", "company", "attributes"});
    // 400 before 404: the body is judged first, even for an unknown lead.
    require_validation(error_of(f.service.update({{f.tenant, "nope", std::nullopt}, std::nullopt, changes})),
                       {"email"});
    require_validation(error_of(f.service.update({{f.tenant, created.lead.id.value(), "NOPE"}, std::nullopt, {}})),
                       {"workspace"});
    CHECK(f.stored(created.lead).email.value() == "jane@example.com");
}

TEST_CASE("update of a missing, foreign or malformed lead is not found and changes nothing", "[update][tenancy]") {
    Fixture f;
    const auto created = f.create("jane@example.com", "acme");
    domain::LeadChangesInput changes;
    changes.first_name = std::optional<std::string>("Mallory");
    const std::string id = created.lead.id.value();

    CHECK(error_of(f.service.update({{f.other_tenant, id, std::nullopt}, std::nullopt, changes})).kind ==
          ErrorKind::NotFound);
    CHECK(error_of(f.service.update({{f.tenant, id, "globex"}, std::nullopt, changes})).kind == ErrorKind::NotFound);
    CHECK(error_of(f.service.update({{f.tenant, "lead_x", std::nullopt}, std::nullopt, changes})).kind ==
          ErrorKind::NotFound);
    CHECK(error_of(f.service.update({{f.other_tenant, id, std::nullopt}, ports::VersionCondition{true, {}}, changes}))
              .kind == ErrorKind::NotFound);
    CHECK(f.stored(created.lead).first_name == std::nullopt);
    CHECK(f.service.update({{f.tenant, id, "acme"}, std::nullopt, changes}).ok());
}

TEST_CASE("update applies only to a version its condition accepts", "[update][if-match]") {
    Fixture f;
    const auto created = f.create("jane@example.com");
    const std::int64_t current = created.lead.version;
    domain::LeadChangesInput changes;
    changes.company = std::optional<std::string>("Globex");
    const auto versions = [](std::vector<std::int64_t> list) {
        return ports::VersionCondition{false, std::move(list)};
    };

    const auto expect_refused = [&](const ports::VersionCondition& condition) {
        const Lead before = f.stored(created.lead);
        const std::size_t entries = f.history(created.lead).size();
        CHECK(error_of(f.service.update(f.update_of(created.lead, changes, condition))).kind ==
              ErrorKind::PreconditionFailed);
        const Lead after = f.stored(created.lead);
        CHECK(after.version == before.version);
        CHECK(after.company == before.company);
        CHECK(f.history(created.lead).size() == entries);
    };
    const auto expect_applied = [&](const ports::VersionCondition& condition) {
        auto updated = f.service.update(f.update_of(f.stored(created.lead), changes, condition));
        REQUIRE(updated.ok());
        CHECK(updated->lead.company == "Globex");
    };

    SECTION("another version") {
        expect_refused(versions({current + 998}));
        CHECK(f.stored(created.lead).company == std::nullopt);
    }
    SECTION("no version at all (a malformed If-Match)") { expect_refused(versions({})); }
    SECTION("the current version") { expect_applied(versions({current})); }
    SECTION("any") { expect_applied(ports::VersionCondition{true, {}}); }
    SECTION("a list holding it") { expect_applied(versions({current + 998, current})); }
    SECTION("a stale version after a change") {
        expect_applied(versions({current}));
        changes.company = std::optional<std::string>("Stale");
        expect_refused(versions({current}));
        CHECK(f.stored(created.lead).company == "Globex");
        const Lead now = f.stored(created.lead);
        changes.company = std::optional<std::string>("Initech");
        auto updated = f.service.update(f.update_of(now, changes, versions({now.version})));
        REQUIRE(updated.ok());
        CHECK(updated->lead.company == "Initech");
    }
}

TEST_CASE("update to a taken email is a conflict and changes nothing", "[update]") {
    Fixture f;
    const auto jane = f.create("jane@example.com");
    const auto john = f.create("john@example.com");
    domain::LeadChangesInput changes;
    changes.email = "Jane@Example.com";
    changes.first_name = std::optional<std::string>("John");
    const Error error = error_of(f.service.update(f.update_of(john.lead, changes)));
    CHECK(error.kind == ErrorKind::Conflict);
    CHECK(error.existing_id == jane.lead.id.value());
    CHECK(f.stored(john.lead).email.value() == "john@example.com");
    CHECK(f.stored(john.lead).first_name == std::nullopt);

    // The email of a lead in another workspace or tenant is free to take.
    f.create("free@example.com", "globex");
    f.create_for(f.other_tenant, "taken@example.com", "acme");
    changes = {};
    changes.email = "free@example.com";
    CHECK(f.service.update(f.update_of(john.lead, changes)).ok());
    changes.email = "taken@example.com";
    CHECK(f.service.update(f.update_of(john.lead, changes)).ok());
}

TEST_CASE("update whose merged attributes break the limits is a validation error", "[update]") {
    Fixture f;
    domain::LeadInput input;
    input.attributes = many_attributes(domain::kMaxAttributeKeys);
    const auto created = f.create("full@example.com", "acme", input);
    domain::LeadChangesInput changes;
    changes.attributes = domain::AttributePatch{{"one_more", std::int64_t{1}}};
    changes.first_name = std::optional<std::string>("Full");
    CHECK(error_of(f.service.update(f.update_of(created.lead, changes))).kind == ErrorKind::Validation);
    CHECK(f.stored(created.lead).attributes.size() == domain::kMaxAttributeKeys);
    CHECK(f.stored(created.lead).first_name == std::nullopt);

    // Replacing one key keeps the count in bounds.
    changes.attributes = domain::AttributePatch{{"k0", std::nullopt}, {"one_more", std::int64_t{1}}};
    CHECK(f.service.update(f.update_of(created.lead, changes)).ok());
}

}  // namespace leads::service_tests
