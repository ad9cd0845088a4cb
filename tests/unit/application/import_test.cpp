// Use-case tests of LeadService: import, and readiness.
#include <catch2/catch.hpp>

#include "tests/unit/application/service_fixture.hpp"

namespace leads::service_tests {

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
    CHECK(error_of(f.service.remove({f.ref(created.lead)})).kind == ErrorKind::Unavailable);
    CHECK(error_of(f.service.record_activity(f.activity_of(created.lead, "note"))).kind == ErrorKind::Unavailable);
    CHECK(error_of(f.service.activity_history({f.ref(created.lead), {}, {}})).kind == ErrorKind::Unavailable);
    CHECK(error_of(f.service.import_leads({f.tenant, "acme", {}, {row("y@example.com")}})).kind ==
          ErrorKind::Unavailable);
    f.repository.down = false;
    CHECK(f.service.check_ready().ok());
}

}  // namespace leads::service_tests
