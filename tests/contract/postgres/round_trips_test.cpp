// How many statements an import costs on PostgreSQL, read from pg_stat_statements in a
// database of its own: work per import, not per row (docs/persistence.md, "Imports").
#include <soci/postgresql/soci-postgresql.h>
#include <soci/soci.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "adapters/postgres/postgres_repository.hpp"
#include "tests/contract/sql/sql_backend.hpp"
#include "tests/contract/support.hpp"

namespace leads::tests::contract {
namespace {

using namespace std::chrono_literals;

// Calls of the statements that read the suppression list, in this database only.
long long suppression_reads(soci::session& session) {
    long long calls = 0;
    session << "SELECT COALESCE(SUM(calls), 0) FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database "
               "WHERE datname = current_database()) AND query ~* '^\\s*SELECT' AND query LIKE '%FROM suppressions%'",
        soci::into(calls);
    return calls;
}

}  // namespace

TEST_CASE("an import into a tenant that lists emails reads the list once, not once per row",
          "[postgres][import][suppression]") {
    const auto database = sql_backend().fresh_database();
    auto conninfo = adapters::postgres::parse_postgres_url(database);
    REQUIRE(conninfo.ok());
    soci::session session(soci::postgresql, conninfo.value());
    session << "CREATE EXTENSION IF NOT EXISTS pg_stat_statements";
    auto opened = adapters::postgres::open_postgres(
        {.url = database, .pool_size = 2, .acquire_timeout = 10s, .merge_interval = {}});
    REQUIRE(opened.ok());
    auto repository = opened.value();
    const auto tenant = random_tenant();
    constexpr int kRows = 1'500;
    const auto address = [](int i) { return "row" + std::to_string(i) + "@listed.example.com"; };
    for (const int i : {7, 700, 1'400}) {
        value_of(repository->add_suppression(
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
    const long long before = suppression_reads(session);

    const auto outcomes = value_of(repository->import(tenant, slug("acme"), items));

    REQUIRE(outcomes.size() == static_cast<std::size_t>(kRows));
    CHECK(std::count_if(outcomes.begin(), outcomes.end(),
                        [](const ports::ImportOutcome& o) { return o.kind == ports::ImportOutcomeKind::Failed; }) == 3);
    CHECK(outcomes[700].kind == ports::ImportOutcomeKind::Failed);
    // Whether the tenant lists anything, then which of the import's emails: two reads.
    CHECK(suppression_reads(session) - before <= 2);
}

}  // namespace leads::tests::contract
