// Every statement the repository ran on a tenant table during the PostgreSQL contract
// suite names its tenant: reads, updates and deletes filter by tenant_id, inserts set it (docs/scaling.md: on a table
// distributed by tenant each one is then routed to a single shard). Read from pg_stat_statements, which
// scripts/with-postgres.sh loads: ctest runs this after contract_postgres (DEPENDS), over what that suite recorded.
#include <soci/postgresql/soci-postgresql.h>
#include <soci/soci.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <string>
#include <vector>

#include "adapters/postgres/postgres_repository.hpp"

namespace leads::tests::contract {
namespace {

constexpr const char* kTenantTable =
    R"(\m(leads|activities|lead_counts|suppressions|idempotency_keys|workspace_versions|events|event_sequences|webhooks|webhook_deliveries|erased_leads)\M)";

std::vector<std::string> queries(soci::session& session, const std::string& where) {
    std::vector<std::string> out;
    soci::rowset<std::string> rows =
        (session.prepare
         << "SELECT query FROM pg_stat_statements WHERE query ~* '^\\s*(SELECT|INSERT|UPDATE|DELETE|WITH)' "
            "AND query ~ '" +
                std::string(kTenantTable) + "' " + where);
    for (const auto& row : rows) out.push_back(row);
    return out;
}

}  // namespace

TEST_CASE("every statement the repository ran on a tenant table filters by tenant_id, or sets it",
          "[postgres][citus]") {
    const char* url = std::getenv("LEADS_TEST_POSTGRES_URL");
    if (url == nullptr || *url == '\0') {
        WARN("LEADS_TEST_POSTGRES_URL is not set (run under scripts/with-postgres.sh): skipped");
        std::exit(77);
    }
    auto conninfo = adapters::postgres::parse_postgres_url(url);
    REQUIRE(conninfo.ok());
    soci::session session(soci::postgresql, conninfo.value());
    session << "CREATE EXTENSION IF NOT EXISTS pg_stat_statements";

    const auto recorded = queries(session, "");
    INFO("the contract suite must run first (ctest orders it: DEPENDS contract_postgres)");
    REQUIRE(recorded.size() >= 30);  // the suite's reads and writes of every kind

    // A read, update or delete filters by the tenant (tenant_id = $n); an insert names it.
    // Migrations are the exception: they run once over all tenants (on Citus, as
    // distributed statements): migration 3's backfill of email hashes. The delivery worker's
    // statements over every tenant's endpoints begin with "/* worker, all tenants */" and
    // are not matched (docs/scaling.md, "Webhooks").
    const auto without_tenant =
        queries(session,
                "AND NOT (CASE WHEN query ~* '\\minsert\\M' THEN query ~ '\\mtenant_id\\M' ELSE query ~ "
                "'\\mtenant_id = \\$[0-9]+' END) AND query !~ '^UPDATE leads SET email_hash = encode\\(sha256'");
    for (const auto& query : without_tenant) UNSCOPED_INFO(query);
    CHECK(without_tenant.empty());
}

}  // namespace leads::tests::contract
