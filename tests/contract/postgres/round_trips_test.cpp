// How many statements an import costs on PostgreSQL, read from pg_stat_statements in a
// database of its own: work per import, not per row (docs/persistence.md, "Imports").
#include <algorithm>
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "tests/contract/sql/sql_backend.hpp"
#include "tests/contract/support.hpp"

namespace leads::tests::contract {
namespace {

// Calls of the statements that read the suppression list, in this database only.
constexpr const char* kSuppressionReads =
    "SELECT COALESCE(SUM(calls), 0) FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = "
    "current_database()) AND query ~* '^\\s*SELECT' AND query LIKE '%FROM suppressions%'";

}  // namespace

TEST_CASE("an import into a tenant that lists emails reads the list once, not once per row",
          "[postgres][import][suppression]") {
    auto& b = sql_backend();
    const auto fresh = fresh_repository(2);
    b.execute(fresh.database, {"CREATE EXTENSION IF NOT EXISTS pg_stat_statements"});
    auto& repository = *fresh.repository;
    const auto tenant = random_tenant();
    constexpr int kRows = 1'500;
    const auto address = [](int i) { return "row" + std::to_string(i) + "@listed.example.com"; };
    for (const int i : {7, 700, 1'400}) {
        value_of(repository.add_suppression(
            tenant, email(address(i)),
            domain::SuppressionDraft{.id = domain::SuppressionId::generate(at(0), random_entropy()),
                                     .reason = domain::SuppressionReason::Unsubscribed,
                                     .created_at = at(0)}));
    }
    std::vector<ports::ImportItem> items;
    for (int i = 0; i < kRows; ++i) {
        const domain::Lead lead = new_lead(tenant, "acme", address(i));
        items.push_back(ports::ImportItem{lead, created_entry(lead), {}});
    }
    const long long before = b.count(fresh.database, kSuppressionReads);

    const auto outcomes = value_of(repository.import(tenant, slug("acme"), items));

    REQUIRE(outcomes.size() == static_cast<std::size_t>(kRows));
    CHECK(std::count_if(outcomes.begin(), outcomes.end(),
                        [](const ports::ImportOutcome& o) { return o.kind == ports::ImportOutcomeKind::Failed; }) == 3);
    CHECK(outcomes[700].kind == ports::ImportOutcomeKind::Failed);
    // Whether the tenant lists anything, then which of the import's emails: two reads (and
    // at least one: the count does see this database's statements).
    const long long reads = b.count(fresh.database, kSuppressionReads) - before;
    CHECK(reads >= 1);
    CHECK(reads <= 2);
}

}  // namespace leads::tests::contract
