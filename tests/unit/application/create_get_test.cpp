// Use-case tests of LeadService: create and get.
#include <catch2/catch.hpp>

#include "tests/unit/application/service_fixture.hpp"

namespace leads::service_tests {

TEST_CASE("create stores a new lead with its lead_created entry", "[create]") {
    Fixture f;
    domain::LeadInput input;
    input.first_name = "  Jane ";
    input.company = "Tech Corp";
    input.attributes = {{"title", std::string("CEO")}, {"employees", std::int64_t{12}}};
    const auto created = f.create("  Jane@Example.COM ", "acme", input);

    const Lead& lead = created.lead;
    CHECK(lead.tenant == f.tenant);
    CHECK(lead.workspace.value() == "acme");
    CHECK(lead.email.value() == "jane@example.com");
    CHECK(lead.first_name == "Jane");
    CHECK(lead.last_name == std::nullopt);
    CHECK(lead.company == "Tech Corp");
    CHECK(lead.status == LeadStatus::New);
    CHECK(lead.attributes == input.attributes);
    CHECK(lead.created_at == f.clock.now());
    CHECK(lead.updated_at == f.clock.now());
    CHECK(lead.id.value().rfind("lead_", 0) == 0);

    REQUIRE(created.activity.size() == 1);
    CHECK(created.activity_total == 1);
    const Activity& entry = created.activity[0];
    CHECK(entry.type == ActivityType::LeadCreated);
    CHECK(entry.lead_id == lead.id);
    CHECK(entry.timestamp == f.clock.now());
    CHECK(entry.campaign_id == std::nullopt);
    CHECK(entry.data.empty());

    const Lead stored = f.stored(lead);
    CHECK(stored.email == lead.email);
    CHECK(stored.version == lead.version);
    const auto history = f.history(lead);
    REQUIRE(history.size() == 1);
    CHECK(history[0].id == entry.id);
}

TEST_CASE("create takes a given status without a status_changed entry", "[create]") {
    Fixture f;
    domain::LeadInput input;
    input.status = "converted";
    const auto created = f.create("won@example.com", "acme", input);
    CHECK(created.lead.status == LeadStatus::Converted);
    CHECK(f.history(created.lead).size() == 1);
}

TEST_CASE("create validates the workspace and the lead together", "[create]") {
    Fixture f;
    domain::LeadInput input;
    input.email = "not an email";
    input.first_name = std::string(101, 'x');
    input.status = "lost";
    const Error error = error_of(f.service.create({f.tenant, "Bad Slug", input}));
    require_validation(error, {"workspace_slug", "email", "first_name", "status"});

    input = {};
    input.email = "ok@example.com";
    require_validation(error_of(f.service.create({f.tenant, "", input})), {"workspace_slug"});
    input.email = "";
    require_validation(error_of(f.service.create({f.tenant, "acme", input})), {"email"});
    input.email = "ok@example.com";
    input.attributes = {{"1bad", std::string("x")}};
    require_validation(error_of(f.service.create({f.tenant, "acme", input})), {"attributes"});

    auto page = f.service.list({f.tenant, "acme", {}, {}, {}, {}});
    REQUIRE(page.ok());
    CHECK(page->page.total == 0);
}

TEST_CASE("create refuses a duplicate email in the workspace only", "[create][tenancy]") {
    Fixture f;
    const auto first = f.create("jane@example.com", "acme");

    const Error error = error_of(f.service.create({f.tenant, "acme", email_only("JANE@example.com")}));
    CHECK(error.kind == ErrorKind::Conflict);
    CHECK(error.existing_id == first.lead.id.value());

    CHECK(f.service.create({f.tenant, "globex", email_only("jane@example.com")}).ok());
    CHECK(f.service.create({f.other_tenant, "acme", email_only("jane@example.com")}).ok());

    auto page = f.service.list({f.tenant, "acme", {}, {}, {}, {}});
    REQUIRE(page.ok());
    CHECK(page->page.total == 1);
}

TEST_CASE("get returns the lead with its newest activity", "[get]") {
    Fixture f;
    const auto created = f.create("jane@example.com");
    for (int i = 0; i < 120; ++i) {
        f.clock.advance(1ms);
        REQUIRE(f.service.record_activity(f.activity_of(created.lead, "note")).ok());
    }
    auto details = f.service.get(f.ref(created.lead));
    REQUIRE(details.ok());
    CHECK(details->lead.id == created.lead.id);
    CHECK(details->lead.email.value() == "jane@example.com");
    CHECK(details->activity_total == 121);
    REQUIRE(details->activity.size() == 100);
    CHECK(details->activity.front().timestamp == f.clock.now());
    CHECK(std::is_sorted(details->activity.begin(), details->activity.end(),
                         [](const Activity& a, const Activity& b) { return a.timestamp > b.timestamp; }));
}

TEST_CASE("a lead of another tenant or workspace, or a malformed id, is not found", "[get][tenancy]") {
    Fixture f;
    const auto created = f.create("jane@example.com", "acme");
    const std::string id = created.lead.id.value();

    CHECK(f.service.get({f.tenant, id, std::nullopt}).ok());
    CHECK(f.service.get({f.tenant, id, "acme"}).ok());
    CHECK(error_of(f.service.get({f.tenant, id, "globex"})).kind == ErrorKind::NotFound);
    CHECK(error_of(f.service.get({f.other_tenant, id, std::nullopt})).kind == ErrorKind::NotFound);
    CHECK(error_of(f.service.get({f.other_tenant, id, "acme"})).kind == ErrorKind::NotFound);

    const std::vector<std::string> malformed_ids{
        "",           "nope", "lead_", "LEAD_01JD7", "act_" + id.substr(5), id + "0", "lead_" + std::string(26, 'u'),
        "' OR 1=1 --"};
    for (const std::string& malformed : malformed_ids) {
        INFO(malformed);
        CHECK(error_of(f.service.get({f.tenant, malformed, std::nullopt})).kind == ErrorKind::NotFound);
    }
    // A malformed id is never a validation error, not even when it is the only problem.
    CHECK(error_of(f.service.get({f.tenant, "x", "acme"})).kind == ErrorKind::NotFound);
}

TEST_CASE("a given workspace on a lead reference must be a slug", "[get]") {
    Fixture f;
    const auto created = f.create("jane@example.com", "acme");
    require_validation(error_of(f.service.get({f.tenant, created.lead.id.value(), "ACME"})), {"workspace"});
    require_validation(error_of(f.service.get({f.tenant, created.lead.id.value(), ""})), {"workspace"});
    require_validation(error_of(f.service.remove({f.tenant, created.lead.id.value(), "a b"})), {"workspace"});
    require_validation(error_of(f.service.activity_history({{f.tenant, created.lead.id.value(), "_"}, {}, {}})),
                       {"workspace"});
    CHECK(f.service.get(f.ref(created.lead)).ok());
}

}  // namespace leads::service_tests
