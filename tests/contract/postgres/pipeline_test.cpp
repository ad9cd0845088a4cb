// An import's statements pipelined on one PostgreSQL connection (Dialect::pipelined,
// adapters/postgres/pipeline.cpp): every statement's rows land, a failure part-way leaves
// nothing written and the connection fit for the next import.
#include "adapters/postgres/pipeline.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdio>
#include <string>
#include <vector>

#include "tests/contract/sql/sql_backend.hpp"
#include "tests/contract/support.hpp"

namespace leads::tests::contract {
namespace {

// Zero-padded: the import's email order (its statements' order) is the rows' order.
std::string address(const std::string& prefix, int i) {
    char digits[8];
    std::snprintf(digits, sizeof digits, "%05d", i);
    return prefix + digits + "@pipeline.example.com";
}

std::vector<ports::ImportItem> new_items(const domain::TenantId& tenant, const std::string& prefix, int rows) {
    std::vector<ports::ImportItem> items;
    for (int i = 0; i < rows; ++i) {
        const domain::Lead lead = new_lead(tenant, "acme", address(prefix, i));
        items.push_back(ports::ImportItem{lead, created_entry(lead), {}});
    }
    return items;
}

// Rows of table (and condition) of the tenant: every statement on a tenant table names
// its tenant, these too (contract_postgres_statements reads them all).
long long rows_of(const FreshRepository& fresh, const domain::TenantId& tenant, const std::string& table,
                  const std::string& condition = "") {
    return sql_backend().count(
        fresh.database, "SELECT COUNT(*) FROM " + table + " WHERE tenant_id = '" + tenant.value() + "'" + condition);
}

long long created(const std::vector<ports::ImportOutcome>& outcomes) {
    return std::count_if(outcomes.begin(), outcomes.end(),
                         [](const ports::ImportOutcome& o) { return o.kind == ports::ImportOutcomeKind::Created; });
}

}  // namespace

TEST_CASE("pipelined statements take positional parameters in the order of their names",
          "[postgres][import][pipeline]") {
    CHECK(adapters::postgres::positional("SELECT :rows, :tenant, :rows_total, :workspace, :tenant",
                                         {"rows", "tenant", "workspace"}) == "SELECT $1, $2, :rows_total, $3, $2");
}

TEST_CASE("an import of several pipelined statements writes every statement's leads, entries and events",
          "[postgres][import][pipeline]") {
    const auto fresh = fresh_repository(1);
    const auto tenant = random_tenant();
    constexpr int kRows = 3'500;  // four statements of leads, four of events

    const auto outcomes = value_of(fresh.repository->import(tenant, slug("acme"), new_items(tenant, "a", kRows)));

    CHECK(created(outcomes) == kRows);
    CHECK(rows_of(fresh, tenant, "leads") == kRows);
    CHECK(rows_of(fresh, tenant, "activities", " AND type = 'lead_created'") == kRows);
    CHECK(rows_of(fresh, tenant, "events", " AND type = 'lead.created'") == kRows);
}

TEST_CASE("an import's column arrays carry every value as it was: quotes, backslashes, non-ASCII, nulls, numbers",
          "[postgres][import][pipeline]") {
    // More than one statement of leads and of events (the arrays' path for both), each
    // third row without its optional fields.
    const auto fresh = fresh_repository(1);
    const auto tenant = random_tenant();
    constexpr int kRows = 1'200;
    std::vector<ports::ImportItem> items;
    for (int i = 0; i < kRows; ++i) {
        LeadSpec spec{.email = address("q", i)};
        if (i % 3 != 0) {
            spec.first_name = "O'Brien \"Jr\" \\ " + std::to_string(i);
            spec.last_name = "Zo\u00eb \u0141ukasiewicz \u540d\u524d";
            spec.company = "{\"not\": \"json\"}, [1,2]";
            spec.status = i % 2 == 0 ? "replied" : "contacted";
            spec.attributes = {{"quote", domain::AttributeValue{std::string("say \"hi\"\n")}},
                               {"big", domain::AttributeValue{std::int64_t{9'007'199'254'740'993}}},
                               {"negative", domain::AttributeValue{std::int64_t{-42}}},
                               {"flag", domain::AttributeValue{true}}};
        }
        const domain::Lead lead = make_lead(tenant, slug("acme"), spec);
        items.push_back(ports::ImportItem{lead, created_entry(lead), {}});
    }

    const auto outcomes = value_of(fresh.repository->import(tenant, slug("acme"), items));

    REQUIRE(created(outcomes) == kRows);
    for (const auto& item : items) {
        const auto stored = value_of(fresh.repository->find_with_activity(key_of(item.lead), 10));
        check_same_lead(stored.lead, item.lead);
        REQUIRE(stored.activity.items.size() == 1);
        check_same_activity(stored.activity.items.front(), item.created);
    }
    std::size_t events = 0;
    std::optional<std::int64_t> after;
    for (;;) {
        const auto page = value_of(fresh.repository->events(ports::EventQuery{.tenant = tenant,
                                                                              .after = after,
                                                                              .limit = 500,
                                                                              .types = {},
                                                                              .workspace = std::nullopt,
                                                                              .drop_before = at(-86'400'000)}));
        for (const auto& event : page.items) {
            REQUIRE(events < items.size());
            const auto& lead = items[events].lead;  // the import's order
            CHECK(event.lead_id == lead.id);
            CHECK(event.data.find(lead.email.value()) != std::string::npos);
            if (lead.first_name) CHECK(event.data.find(R"(O'Brien \"Jr\" \\ )") != std::string::npos);
            ++events;
            after = event.sequence;
        }
        if (!page.more) break;
    }
    CHECK(events == kRows);
}

TEST_CASE("a pipelined statement that fails part-way leaves nothing of the import, and the connection serves the next",
          "[postgres][import][pipeline]") {
    const auto fresh = fresh_repository(1);  // one connection: the next import gets the same one
    const auto tenant = random_tenant();
    auto items = new_items(tenant, "b", 2'500);
    // The 2,101st row (third statement) reuses the 6th row's id under its own email: the
    // primary key refuses it after two statements went through.
    domain::Lead twin = items[2'100].lead;
    twin.id = items[5].lead.id;
    items[2'100] = ports::ImportItem{twin, created_entry(twin), {}};

    const auto failed = fresh.repository->import(tenant, slug("acme"), items);

    REQUIRE_FALSE(failed.ok());
    CHECK(rows_of(fresh, tenant, "leads") == 0);
    CHECK(rows_of(fresh, tenant, "activities") == 0);
    CHECK(rows_of(fresh, tenant, "events") == 0);

    const auto outcomes = value_of(fresh.repository->import(tenant, slug("acme"), new_items(tenant, "c", 2'500)));
    CHECK(created(outcomes) == 2'500);
    CHECK(rows_of(fresh, tenant, "leads") == 2'500);
}

}  // namespace leads::tests::contract
