// The trigram index's pending list on PostgreSQL: writes only append to it (migration 16's
// limit), the repository's own merges fold it into the index off the request path, and a
// search finds what is still pending (docs/persistence.md). Each case has a fresh
// database, so no other test's merges touch its index.
#include <soci/postgresql/soci-postgresql.h>
#include <soci/soci.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "adapters/postgres/postgres_repository.hpp"
#include "tests/contract/sql/sql_backend.hpp"
#include "tests/contract/support.hpp"

namespace leads::tests::contract {
namespace {

using namespace std::chrono_literals;

// 1,500 leads, 300 of them named Quillon: a few hundred KiB of pending entries, more than
// the 512 kB list an insert used to merge by itself.
constexpr int kRows = 1'500;
constexpr int kNamed = 300;

std::shared_ptr<ports::Repository> open(const std::string& database, std::chrono::milliseconds merge_interval,
                                        std::size_t analyze_after_rows = 0) {
    auto opened = adapters::postgres::open_postgres({.url = database,
                                                     .pool_size = 2,
                                                     .acquire_timeout = 10s,
                                                     .merge_interval = merge_interval,
                                                     .analyze_after_rows = analyze_after_rows});
    REQUIRE(opened.ok());
    return opened.value();
}

void import_rows(ports::LeadRepository& repository, const domain::TenantId& tenant) {
    std::vector<ports::ImportItem> items;
    for (int i = 0; i < kRows; ++i) {
        domain::Lead lead = new_lead(tenant, "acme", "row" + std::to_string(i) + "@pending.example.com");
        if (i % (kRows / kNamed) == 0) lead.first_name = "Quillon";
        lead.company = "Company " + std::to_string(i);
        items.push_back(ports::ImportItem{lead, created_entry(lead), {}});
    }
    const auto outcomes = value_of(repository.import(tenant, slug("acme"), items));
    REQUIRE(outcomes.size() == static_cast<std::size_t>(kRows));
}

long long pending_pages(soci::session& session) {
    long long pages = -1;
    session << "SELECT pending_pages FROM pgstatginindex('leads_search_trgm')", soci::into(pages);
    return pages;
}

std::unique_ptr<soci::session> admin(const std::string& database) {
    auto conninfo = adapters::postgres::parse_postgres_url(database);
    REQUIRE(conninfo.ok());
    auto session = std::make_unique<soci::session>(soci::postgresql, conninfo.value());
    *session << "CREATE EXTENSION IF NOT EXISTS pgstattuple";
    return session;
}

}  // namespace

TEST_CASE("an import leaves the search index's merge to later; a search still finds every row", "[postgres][search]") {
    const auto database = sql_backend().fresh_database();
    auto repository = open(database, 1h);  // no merge during the test
    auto session = admin(database);
    const auto tenant = random_tenant();

    import_rows(*repository, tenant);

    // 512 kB is 64 pages: an import that merged on overflow would have emptied the list.
    CHECK(pending_pages(*session) > 64);
    CHECK(search(*repository, tenant, slug("acme"), "quillon").total == kNamed);
}

TEST_CASE("the repository merges the search index's pending list by itself", "[postgres][search]") {
    const auto database = sql_backend().fresh_database();
    auto repository = open(database, 100ms);
    auto session = admin(database);
    const auto tenant = random_tenant();

    import_rows(*repository, tenant);

    long long pages = pending_pages(*session);
    for (int i = 0; i < 100 && pages != 0; ++i) {
        std::this_thread::sleep_for(100ms);
        pages = pending_pages(*session);
    }
    CHECK(pages == 0);
    CHECK(search(*repository, tenant, slug("acme"), "quillon").total == kNamed);
}

TEST_CASE("after a large import the repository refreshes the statistics of leads by itself", "[postgres][search]") {
    const auto database = sql_backend().fresh_database();
    auto session = admin(database);
    auto repository = open(database, 100ms, kRows - 100);
    const auto analyzed = [&] {
        soci::indicator ind = soci::i_null;
        long long at = 0;
        *session << "SELECT CAST(EXTRACT(EPOCH FROM last_analyze) AS BIGINT) FROM pg_stat_user_tables WHERE "
                    "relname = 'leads'",
            soci::into(at, ind);
        return ind == soci::i_ok;
    };
    std::this_thread::sleep_for(300ms);
    CHECK_FALSE(analyzed());  // nothing imported yet

    import_rows(*repository, random_tenant());

    bool done = analyzed();
    for (int i = 0; i < 100 && !done; ++i) {
        std::this_thread::sleep_for(100ms);
        done = analyzed();
    }
    CHECK(done);
}

TEST_CASE("the merges stop with the repository", "[postgres][search]") {
    const auto database = sql_backend().fresh_database();
    auto session = admin(database);
    const auto tenant = random_tenant();
    {
        auto repository = open(database, 100ms);
        import_rows(*repository, tenant);
    }
    // Released: a later import stays pending (no merger thread outlives its repository).
    auto unmerged = open(database, 1h);
    std::this_thread::sleep_for(300ms);
    const auto before = pending_pages(*session);
    import_rows(*unmerged, random_tenant());
    std::this_thread::sleep_for(500ms);
    CHECK(pending_pages(*session) > before);
}

}  // namespace leads::tests::contract
