#include "application/lead_service.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "adapters/memory/in_memory_lead_repository.hpp"
#include "tests/unit/application/fakes.hpp"

namespace leads {
namespace {

using domain::Activity;
using domain::ActivityType;
using domain::Attributes;
using domain::Error;
using domain::ErrorKind;
using domain::Lead;
using domain::LeadStatus;
using domain::Result;
using domain::TenantId;
using namespace std::chrono_literals;

// Passes every call through, or fails every call with Unavailable while `down` is set.
class SwitchableRepository final : public ports::LeadRepository {
  public:
    explicit SwitchableRepository(ports::LeadRepository& inner) : inner_(inner) {}
    bool down = false;

    Result<void> insert(const Lead& lead, const Activity& created) override {
        if (down) return Error::unavailable("down");
        return inner_.insert(lead, created);
    }
    Result<Lead> find(const ports::LeadKey& key) override {
        if (down) return Error::unavailable("down");
        return inner_.find(key);
    }
    Result<Lead> update(const ports::LeadKey& key, const ports::LeadMutation& mutate) override {
        if (down) return Error::unavailable("down");
        return inner_.update(key, mutate);
    }
    Result<void> remove(const ports::LeadKey& key) override {
        if (down) return Error::unavailable("down");
        return inner_.remove(key);
    }
    Result<ports::LeadPage> list(const ports::LeadFilter& filter) override {
        if (down) return Error::unavailable("down");
        return inner_.list(filter);
    }
    Result<ports::ActivityPage> activities(const ports::LeadKey& key, std::int64_t limit,
                                           std::int64_t offset) override {
        if (down) return Error::unavailable("down");
        return inner_.activities(key, limit, offset);
    }
    Result<std::vector<ports::ImportOutcome>> import(const TenantId& tenant, const domain::WorkspaceSlug& workspace,
                                                     const std::vector<ports::ImportItem>& items) override {
        if (down) return Error::unavailable("down");
        return inner_.import(tenant, workspace, items);
    }
    Result<void> ping() override {
        if (down) return Error::unavailable("down");
        return inner_.ping();
    }

  private:
    ports::LeadRepository& inner_;
};

struct Fixture {
    adapters::memory::InMemoryLeadRepository memory;
    SwitchableRepository repository{memory};
    tests::FakeClock clock;
    tests::SequentialIds ids;
    app::LeadService service{repository, clock, ids};
    TenantId tenant = tests::random_tenant();
    TenantId other_tenant = tests::random_tenant();

    ports::LeadDetails create(const std::string& email, const std::string& workspace = "acme",
                              domain::LeadInput input = {}) {
        return create_for(tenant, email, workspace, std::move(input));
    }

    ports::LeadDetails create_for(const TenantId& owner, const std::string& email, const std::string& workspace,
                                  domain::LeadInput input = {}) {
        input.email = email;
        auto created = service.create({owner, workspace, std::move(input)});
        if (!created) FAIL("create failed: " << created.error().message);
        return std::move(created).value();
    }

    ports::LeadRef ref(const Lead& lead, std::optional<std::string> workspace = std::nullopt) const {
        return ports::LeadRef{tenant, lead.id.value(), std::move(workspace)};
    }

    Lead stored(const Lead& lead) {
        auto found = memory.find(ports::LeadKey{lead.tenant, lead.id, std::nullopt});
        if (!found) FAIL("lead is gone");
        return std::move(found).value();
    }

    std::vector<Activity> history(const Lead& lead) {
        auto page = memory.activities(ports::LeadKey{lead.tenant, lead.id, std::nullopt}, 1000, 0);
        if (!page) FAIL("activities failed");
        return std::move(page->items);
    }

    ports::UpdateLeadCommand update_of(const Lead& lead, domain::LeadChangesInput changes,
                                       std::optional<ports::VersionCondition> expected = std::nullopt) const {
        return ports::UpdateLeadCommand{ref(lead), std::move(expected), std::move(changes)};
    }

    ports::RecordActivityCommand activity_of(const Lead& lead, std::string type) const {
        ports::RecordActivityCommand command{ref(lead), std::move(type), std::nullopt, std::nullopt, {}};
        return command;
    }
};

template <class T>
Error error_of(const Result<T>& result) {
    REQUIRE_FALSE(result.ok());
    return result.error();
}

bool names_field(const Error& error, const std::string& field) {
    return std::any_of(error.details.begin(), error.details.end(), [&](const domain::FieldIssue& issue) {
        return issue.field == field || issue.field.rfind(field + ".", 0) == 0;
    });
}

std::string issue_of(const Error& error, const std::string& field) {
    for (const auto& issue : error.details) {
        if (issue.field == field) return issue.issue;
    }
    return {};
}

void require_validation(const Error& error, std::initializer_list<std::string> fields) {
    INFO("message: " << error.message);
    REQUIRE(error.kind == ErrorKind::Validation);
    for (const auto& field : fields) {
        INFO("field " << field);
        CHECK(names_field(error, field));
    }
}

domain::LeadInput email_only(std::string email) {
    domain::LeadInput input;
    input.email = std::move(email);
    return input;
}

domain::LeadInput named(std::string first_name) {
    domain::LeadInput input;
    input.first_name = std::move(first_name);
    return input;
}

domain::Timestamp at(const char* text) { return *domain::parse_rfc3339(text); }

Attributes many_attributes(std::size_t count) {
    Attributes attributes;
    for (std::size_t i = 0; i < count; ++i) attributes.emplace("k" + std::to_string(i), std::int64_t{1});
    return attributes;
}

// ---------------------------------------------------------------------------------- list

TEST_CASE("list validates every query field and reports all issues at once", "[list]") {
    Fixture f;
    const auto list = [&](ports::ListLeadsQuery query) { return f.service.list(query); };

    SECTION("workspace is required and must be a slug") {
        require_validation(error_of(list({f.tenant, "", {}, {}, {}, {}})), {"workspace"});
        require_validation(error_of(list({f.tenant, "Acme", {}, {}, {}, {}})), {"workspace"});
        require_validation(error_of(list({f.tenant, "-acme", {}, {}, {}, {}})), {"workspace"});
    }
    SECTION("status must be one of the four") {
        const Error error = error_of(list({f.tenant, "acme", "lost", {}, {}, {}}));
        require_validation(error, {"status"});
        CHECK(issue_of(error, "status") == "must be one of new, contacted, replied, converted");
        require_validation(error_of(list({f.tenant, "acme", "NEW", {}, {}, {}})), {"status"});
    }
    SECTION("search is 1..200 characters of valid UTF-8 without control characters") {
        require_validation(error_of(list({f.tenant, "acme", {}, "", {}, {}})), {"search"});
        require_validation(error_of(list({f.tenant, "acme", {}, std::string(201, 'a'), {}, {}})), {"search"});
        require_validation(error_of(list({f.tenant, "acme", {}, "ab\xff", {}, {}})), {"search"});
        require_validation(error_of(list({f.tenant,
                                          "acme",
                                          {},
                                          "a\x01"
                                          "b",
                                          {},
                                          {}})),
                           {"search"});
        require_validation(error_of(list({f.tenant, "acme", {}, "a\nb", {}, {}})), {"search"});
        // 200 two-byte characters are 200 characters, not 400.
        std::string long_term;
        for (int i = 0; i < 200; ++i) long_term += "\xc3\xa9";
        CHECK(list({f.tenant, "acme", {}, long_term, {}, {}}).ok());
        CHECK(list({f.tenant, "acme", {}, std::string(200, 'a'), {}, {}}).ok());
    }
    SECTION("limit is 1..200 and offset at least 0") {
        require_validation(error_of(list({f.tenant, "acme", {}, {}, 0, {}})), {"limit"});
        require_validation(error_of(list({f.tenant, "acme", {}, {}, 201, {}})), {"limit"});
        require_validation(error_of(list({f.tenant, "acme", {}, {}, -1, {}})), {"limit"});
        require_validation(error_of(list({f.tenant, "acme", {}, {}, {}, -1})), {"offset"});
        CHECK(list({f.tenant, "acme", {}, {}, 1, 0}).ok());
        CHECK(list({f.tenant, "acme", {}, {}, 200, 1'000'000}).ok());
    }
    SECTION("every issue is in one error") {
        const Error error = error_of(list({f.tenant, "BAD", "lost", "", 0, -5}));
        require_validation(error, {"workspace", "status", "search", "limit", "offset"});
        CHECK(error.details.size() == 5);
    }
}

TEST_CASE("list pages newest first with totals", "[list]") {
    Fixture f;
    std::vector<std::string> ids;
    for (int i = 0; i < 5; ++i) {
        ids.push_back(f.create("lead" + std::to_string(i) + "@example.com").lead.id.value());
        f.clock.advance(1s);
    }
    std::reverse(ids.begin(), ids.end());

    SECTION("defaults") {
        auto page = f.service.list({f.tenant, "acme", {}, {}, {}, {}});
        REQUIRE(page.ok());
        CHECK(page->page.limit == 50);
        CHECK(page->page.offset == 0);
        CHECK(page->page.total == 5);
        CHECK_FALSE(page->page.has_more);
        REQUIRE(page->items.size() == 5);
        for (std::size_t i = 0; i < 5; ++i) CHECK(page->items[i].id.value() == ids[i]);
    }
    SECTION("a middle page has more") {
        auto page = f.service.list({f.tenant, "acme", {}, {}, 2, 2});
        REQUIRE(page.ok());
        REQUIRE(page->items.size() == 2);
        CHECK(page->items[0].id.value() == ids[2]);
        CHECK(page->items[1].id.value() == ids[3]);
        CHECK(page->page.total == 5);
        CHECK(page->page.limit == 2);
        CHECK(page->page.offset == 2);
        CHECK(page->page.has_more);
    }
    SECTION("the last page has no more") {
        auto page = f.service.list({f.tenant, "acme", {}, {}, 2, 4});
        REQUIRE(page.ok());
        CHECK(page->items.size() == 1);
        CHECK_FALSE(page->page.has_more);
    }
    SECTION("an offset past the end is an empty page") {
        auto page = f.service.list({f.tenant, "acme", {}, {}, 10, 50});
        REQUIRE(page.ok());
        CHECK(page->items.empty());
        CHECK(page->page.total == 5);
        CHECK_FALSE(page->page.has_more);
    }
}

TEST_CASE("list filters by status and folded search", "[list]") {
    Fixture f;
    domain::LeadInput jane;
    jane.first_name = "Jane";
    jane.last_name = "Smith";
    f.create("jane@example.com", "acme", jane);
    domain::LeadInput eva;
    eva.first_name = "\xc3\x89va";  // Éva
    eva.status = "contacted";
    f.create("eva@example.org", "acme", eva);

    auto search = [&](std::string term) {
        auto page = f.service.list({f.tenant, "acme", {}, std::move(term), {}, {}});
        REQUIRE(page.ok());
        return *page;
    };
    CHECK(search("JANE SMITH").page.total == 1);
    CHECK(search("Example.COM").page.total == 1);
    CHECK(search("\xc3\xa9VA").items.size() == 1);  // éVA finds Éva
    CHECK(search("example").page.total == 2);
    CHECK(search("nobody").page.total == 0);

    auto contacted = f.service.list({f.tenant, "acme", "contacted", {}, {}, {}});
    REQUIRE(contacted.ok());
    REQUIRE(contacted->items.size() == 1);
    CHECK(contacted->items[0].email.value() == "eva@example.org");
    auto both = f.service.list({f.tenant, "acme", "new", "eva", {}, {}});
    REQUIRE(both.ok());
    CHECK(both->page.total == 0);
}

TEST_CASE("list sees only the caller's tenant and the named workspace", "[list][tenancy]") {
    Fixture f;
    f.create("mine@example.com", "acme");
    f.create("other-ws@example.com", "globex");
    f.create_for(f.other_tenant, "theirs@example.com", "acme");

    auto mine = f.service.list({f.tenant, "acme", {}, {}, {}, {}});
    REQUIRE(mine.ok());
    REQUIRE(mine->items.size() == 1);
    CHECK(mine->items[0].email.value() == "mine@example.com");
    auto theirs = f.service.list({f.other_tenant, "acme", {}, {}, {}, {}});
    REQUIRE(theirs.ok());
    REQUIRE(theirs->items.size() == 1);
    CHECK(theirs->items[0].email.value() == "theirs@example.com");
    auto nobody = f.service.list({tests::random_tenant(), "acme", {}, {}, {}, {}});
    REQUIRE(nobody.ok());
    CHECK(nobody->page.total == 0);
}

// -------------------------------------------------------------------------------- create

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

// ---------------------------------------------------------------------------------- get

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

// ------------------------------------------------------------------------------- update

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

// ------------------------------------------------------------------------------- remove

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
    CHECK(error_of(f.service.remove(f.ref(created.lead))).kind == ErrorKind::NotFound);
    CHECK(error_of(f.service.activity_history({f.ref(created.lead), {}, {}})).kind == ErrorKind::NotFound);

    const auto again = f.create("jane@example.com", "acme");
    CHECK(again.lead.id != created.lead.id);
}

// ---------------------------------------------------------------------- record_activity

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

// ----------------------------------------------------------------------- activity_history

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

// ------------------------------------------------------------------------------- import

ports::ImportRow row(std::string email, std::optional<std::string> first_name = std::nullopt,
                     std::optional<std::string> status = std::nullopt, Attributes attributes = {}) {
    ports::ImportRow result;
    result.lead.email = std::move(email);
    result.lead.first_name = std::move(first_name);
    result.lead.status = std::move(status);
    result.lead.attributes = std::move(attributes);
    return result;
}

ports::ImportSummary import_ok(Fixture& f, ports::ImportCommand command) {
    auto summary = f.service.import_leads(command);
    if (!summary) FAIL("import failed: " << summary.error().message);
    return std::move(summary).value();
}

Lead find_by_email(Fixture& f, const TenantId& tenant, const std::string& workspace, const std::string& email) {
    auto page = f.service.list({tenant, workspace, {}, email, 200, {}});
    REQUIRE(page.ok());
    for (const Lead& lead : page->items) {
        if (lead.email.value() == email) return lead;
    }
    FAIL("no lead with " << email);
    throw std::logic_error("unreachable");
}

TEST_CASE("import validates the request as a whole", "[import]") {
    Fixture f;
    std::vector<ports::ImportRow> too_many(ports::kMaxImportRows + 1, row("a@example.com"));
    const Error error = error_of(f.service.import_leads({f.tenant, "Bad", "merge", too_many}));
    require_validation(error, {"workspace_slug", "on_duplicate", "leads"});
    CHECK(error.details.size() == 3);

    require_validation(error_of(f.service.import_leads({f.tenant, "", std::nullopt, {}})), {"workspace_slug"});
    require_validation(error_of(f.service.import_leads({f.tenant, "acme", "", {}})), {"on_duplicate"});
    require_validation(error_of(f.service.import_leads({f.tenant, "acme", "UPDATE", {}})), {"on_duplicate"});

    auto page = f.service.list({f.tenant, "acme", {}, {}, {}, {}});
    REQUIRE(page.ok());
    CHECK(page->page.total == 0);
}

TEST_CASE("import takes exactly the maximum number of rows", "[import]") {
    Fixture f;
    std::vector<ports::ImportRow> rows;
    rows.reserve(ports::kMaxImportRows);
    for (std::size_t i = 0; i < ports::kMaxImportRows; ++i) rows.push_back(row("l" + std::to_string(i) + "@x.io"));
    const auto summary = import_ok(f, {f.tenant, "acme", std::nullopt, std::move(rows)});
    CHECK(summary.created == static_cast<std::int64_t>(ports::kMaxImportRows));
    CHECK(summary.errors.empty());
}

TEST_CASE("an empty import does nothing", "[import]") {
    Fixture f;
    const auto summary = import_ok(f, {f.tenant, "acme", "update", {}});
    CHECK(summary.created == 0);
    CHECK(summary.updated == 0);
    CHECK(summary.skipped == 0);
    CHECK(summary.errors.empty());
}

TEST_CASE("import skips duplicates by default", "[import]") {
    Fixture f;
    domain::LeadInput input;
    input.first_name = "Original";
    const auto existing = f.create("jane@example.com", "acme", input);
    f.clock.advance(1s);

    const auto summary = import_ok(f, {f.tenant,
                                       "acme",
                                       std::nullopt,
                                       {row("JANE@example.com", "Imported"), row("new@example.com", "New"),
                                        row("new@example.com", "Second"), row("other@example.com")}});
    CHECK(summary.created == 2);
    CHECK(summary.skipped == 2);
    CHECK(summary.updated == 0);
    CHECK(summary.errors.empty());

    CHECK(f.stored(existing.lead).first_name == "Original");
    const Lead imported = find_by_email(f, f.tenant, "acme", "new@example.com");
    CHECK(imported.first_name == "New");
    CHECK(imported.created_at == f.clock.now());
    const auto history = f.history(imported);
    REQUIRE(history.size() == 1);
    CHECK(history[0].type == ActivityType::LeadCreated);
    CHECK(history[0].timestamp == f.clock.now());

    const auto explicit_skip = import_ok(f, {f.tenant, "acme", "skip", {row("jane@example.com", "Again")}});
    CHECK(explicit_skip.skipped == 1);
    CHECK(f.stored(existing.lead).first_name == "Original");
}

TEST_CASE("import with update merges into existing leads", "[import]") {
    Fixture f;
    domain::LeadInput input;
    input.first_name = "Jane";
    input.company = "Tech Corp";
    input.attributes = {{"title", std::string("CEO")}};
    const auto existing = f.create("jane@example.com", "acme", input);
    f.clock.advance(1min);

    const auto summary = import_ok(f, {f.tenant,
                                       "acme",
                                       "update",
                                       {row("jane@example.com", "Janet", "contacted", {{"city", std::string("Paris")}}),
                                        row("fresh@example.com")}});
    CHECK(summary.created == 1);
    CHECK(summary.updated == 1);
    CHECK(summary.skipped == 0);
    CHECK(summary.errors.empty());

    const Lead merged = f.stored(existing.lead);
    CHECK(merged.first_name == "Janet");
    CHECK(merged.company == "Tech Corp");  // absent fields stay
    CHECK(merged.status == LeadStatus::Contacted);
    CHECK(merged.attributes == Attributes{{"title", std::string("CEO")}, {"city", std::string("Paris")}});
    CHECK(merged.updated_at == f.clock.now());
    CHECK(merged.version == existing.lead.version + 1);
    const auto history = f.history(existing.lead);
    REQUIRE(history.size() == 2);
    CHECK(history[0].type == ActivityType::StatusChanged);
    CHECK(history[0].timestamp == f.clock.now());
    CHECK(history[0].data == domain::status_change_data(LeadStatus::New, LeadStatus::Contacted));
}

TEST_CASE("import counts a repeated email as a duplicate of its first occurrence", "[import]") {
    Fixture f;
    SECTION("skip") {
        const auto summary = import_ok(
            f, {f.tenant, "acme", "skip", {row("dup@example.com", "First"), row("DUP@example.com", "Second")}});
        CHECK(summary.created == 1);
        CHECK(summary.skipped == 1);
        CHECK(find_by_email(f, f.tenant, "acme", "dup@example.com").first_name == "First");
    }
    SECTION("update") {
        const auto summary =
            import_ok(f, {f.tenant,
                          "acme",
                          "update",
                          {row("dup@example.com", "First"), row("dup@example.com", "Second", "replied")}});
        CHECK(summary.created == 1);
        CHECK(summary.updated == 1);
        const Lead lead = find_by_email(f, f.tenant, "acme", "dup@example.com");
        CHECK(lead.first_name == "Second");
        CHECK(lead.status == LeadStatus::Replied);
        CHECK(f.history(lead).size() == 2);
    }
    auto page = f.service.list({f.tenant, "acme", {}, {}, {}, {}});
    REQUIRE(page.ok());
    CHECK(page->page.total == 1);
}

TEST_CASE("import reports row problems by index and writes the valid rows", "[import]") {
    Fixture f;
    ports::ImportRow decoded = row("decoded@example.com");
    decoded.decode_issues = {{"first_name", "must be a string"}, {"nickname", "is not a known field"}};
    ports::ImportRow many_issues = row("also bad", std::string(101, 'n'), "lost");

    const auto summary =
        import_ok(f, {f.tenant,
                      "acme",
                      std::nullopt,
                      {row("ok1@example.com"), row("not-an-email"), decoded, row("ok2@example.com"), many_issues}});
    CHECK(summary.created == 2);
    CHECK(summary.skipped == 0);
    REQUIRE(summary.errors.size() >= 6);
    CHECK(std::is_sorted(summary.errors.begin(), summary.errors.end(),
                         [](const auto& a, const auto& b) { return a.index < b.index; }));
    CHECK(summary.errors[0].index == 1);
    CHECK(summary.errors[0].field == "email");
    CHECK(summary.errors[1].index == 2);
    CHECK(summary.errors[1].field == "first_name");
    CHECK(summary.errors[1].issue == "must be a string");
    CHECK(summary.errors[2].index == 2);
    CHECK(summary.errors[2].field == "nickname");
    std::vector<std::string> last_fields;
    for (const auto& error : summary.errors) {
        CHECK(!error.issue.empty());
        if (error.index == 4) last_fields.push_back(error.field);
    }
    CHECK(std::find(last_fields.begin(), last_fields.end(), "email") != last_fields.end());
    CHECK(std::find(last_fields.begin(), last_fields.end(), "first_name") != last_fields.end());
    CHECK(std::find(last_fields.begin(), last_fields.end(), "status") != last_fields.end());

    auto page = f.service.list({f.tenant, "acme", {}, {}, {}, {}});
    REQUIRE(page.ok());
    CHECK(page->page.total == 2);
}

TEST_CASE("an import row lists at most its first kMaxRowErrors problems", "[import]") {
    // A hostile 16 MiB import could otherwise list millions of problems (every unknown
    // field, every bad attribute) and answer with a response many times its size.
    Fixture f;
    ports::ImportRow decoded = row("decoded@example.com");
    for (int i = 0; i < 50; ++i) decoded.decode_issues.push_back({"field" + std::to_string(i), "unknown field"});
    Attributes bad_keys;
    for (int i = 0; i < 64; ++i) bad_keys.emplace(std::to_string(i) + "key", std::int64_t{i});
    ports::ImportRow validated = row("validated@example.com", std::nullopt, std::nullopt, bad_keys);

    const auto summary = import_ok(f, {f.tenant, "acme", std::nullopt, {decoded, row("ok@example.com"), validated}});
    CHECK(summary.created == 1);
    std::vector<std::string> first_row;
    std::size_t third_row = 0;
    for (const auto& error : summary.errors) {
        if (error.index == 0) first_row.push_back(error.field);
        if (error.index == 2) ++third_row;
    }
    REQUIRE(first_row.size() == ports::kMaxRowErrors);
    for (std::size_t i = 0; i < first_row.size(); ++i) CHECK(first_row[i] == "field" + std::to_string(i));
    CHECK(third_row == ports::kMaxRowErrors);
    CHECK(summary.errors.size() == 2 * ports::kMaxRowErrors);
}

TEST_CASE("an import row whose merge fails is reported and the others are written", "[import]") {
    Fixture f;
    domain::LeadInput input;
    input.attributes = many_attributes(domain::kMaxAttributeKeys);
    const auto full = f.create("full@example.com", "acme", input);

    const auto summary = import_ok(
        f, {f.tenant,
            "acme",
            "update",
            {row("before@example.com"), row("full@example.com", "Full", std::nullopt, {{"extra", std::int64_t{1}}}),
             row("after@example.com")}});
    CHECK(summary.created == 2);
    CHECK(summary.updated == 0);
    REQUIRE_FALSE(summary.errors.empty());
    for (const auto& error : summary.errors) CHECK(error.index == 1);
    CHECK(f.stored(full.lead).first_name == std::nullopt);
    CHECK(f.stored(full.lead).attributes.size() == domain::kMaxAttributeKeys);
    CHECK(f.history(full.lead).size() == 1);
}

TEST_CASE("import works within the caller's tenant and workspace only", "[import][tenancy]") {
    Fixture f;
    f.create_for(f.other_tenant, "jane@example.com", "acme", named("Theirs"));
    f.create("jane@example.com", "globex");

    const auto summary = import_ok(f, {f.tenant, "acme", "update", {row("jane@example.com", "Mine")}});
    CHECK(summary.created == 1);
    CHECK(summary.updated == 0);
    CHECK(find_by_email(f, f.other_tenant, "acme", "jane@example.com").first_name == "Theirs");
    CHECK(find_by_email(f, f.tenant, "globex", "jane@example.com").first_name == std::nullopt);
    CHECK(find_by_email(f, f.tenant, "acme", "jane@example.com").first_name == "Mine");
}

// -------------------------------------------------------------------------- readiness

TEST_CASE("check_ready follows the repository, and storage errors pass through", "[ready]") {
    Fixture f;
    const auto created = f.create("jane@example.com");
    CHECK(f.service.check_ready().ok());
    f.repository.down = true;
    CHECK(error_of(f.service.check_ready()).kind == ErrorKind::Unavailable);
    CHECK(error_of(f.service.list({f.tenant, "acme", {}, {}, {}, {}})).kind == ErrorKind::Unavailable);
    CHECK(error_of(f.service.get(f.ref(created.lead))).kind == ErrorKind::Unavailable);
    CHECK(error_of(f.service.create({f.tenant, "acme", email_only("x@example.com")})).kind == ErrorKind::Unavailable);
    CHECK(error_of(f.service.update(f.update_of(created.lead, {}))).kind == ErrorKind::Unavailable);
    CHECK(error_of(f.service.remove(f.ref(created.lead))).kind == ErrorKind::Unavailable);
    CHECK(error_of(f.service.record_activity(f.activity_of(created.lead, "note"))).kind == ErrorKind::Unavailable);
    CHECK(error_of(f.service.activity_history({f.ref(created.lead), {}, {}})).kind == ErrorKind::Unavailable);
    CHECK(error_of(f.service.import_leads({f.tenant, "acme", {}, {row("y@example.com")}})).kind ==
          ErrorKind::Unavailable);
    f.repository.down = false;
    CHECK(f.service.check_ready().ok());
}

}  // namespace
}  // namespace leads
