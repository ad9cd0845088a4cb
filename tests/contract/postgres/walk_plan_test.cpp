// A search walking the list order on PostgreSQL: its pattern goes to the planner as a
// sub-select (Dialect::walk_pattern), so the walk the service chose is the plan
// (docs/performance.md, "A walk planned as a sort").
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "tests/contract/sql/sql_backend.hpp"
#include "tests/contract/support.hpp"

namespace leads::tests::contract {
namespace {

// 1 when the plan of query names node, else 0 (read through count()).
constexpr const char* kPlanHas =
    R"(CREATE FUNCTION plan_has(query TEXT, node TEXT) RETURNS INTEGER LANGUAGE plpgsql AS $$
DECLARE line TEXT;
BEGIN
    FOR line IN EXECUTE 'EXPLAIN ' || query LOOP
        IF strpos(line, node) > 0 THEN RETURN 1; END IF;
    END LOOP;
    RETURN 0;
END $$)";

std::string quoted(const std::string& text) { return "$q$" + text + "$q$"; }

}  // namespace

TEST_CASE(
    "a search walking the list order hides its pattern from the planner, which then walks leads_list instead "
    "of sorting every match",
    "[postgres][search]") {
    auto& b = sql_backend();
    const auto fresh = fresh_repository(1);
    b.execute(fresh.database, {"CREATE EXTENSION IF NOT EXISTS pg_stat_statements", kPlanHas});
    const auto tenant = random_tenant();
    // 100,000 leads, 2% of them a smith: the planner, reading '%smith%' itself, expects
    // 0.08%. (Below ~50,000 leads it scans and sorts either way: a few milliseconds.)
    std::vector<ports::ImportItem> items;
    for (int i = 0; i < 100'000; ++i) {
        const std::string local = (i % 50 == 0 ? "smith" : "person") + std::to_string(i);
        const domain::Lead lead = new_lead(tenant, "acme", local + "@example.com");
        items.push_back(ports::ImportItem{lead, created_entry(lead), {}});
    }
    value_of(fresh.repository->import(tenant, slug("acme"), items));
    b.execute(fresh.database, {"ANALYZE leads"});

    // The repository's walk (a two-letter term is always walked) sends its pattern as a
    // sub-select.
    ports::LeadFilter filter = filter_for(tenant, slug("acme"));
    filter.search = "sm";
    CHECK(value_of(fresh.repository->list(filter)).total == 2'000);
    CHECK(b.count(fresh.database,
                  "SELECT COUNT(*) FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = "
                  "current_database()) AND strpos(query, 'LIKE (SELECT CAST($') > 0") >= 1);

    // What that buys, on these rows: the walk's shape with '%smith%' as a value is planned
    // as a scan and sort of the whole workspace; as a sub-select, as the walk.
    const auto walk = [&](const std::string& pattern) {
        return quoted("SELECT id FROM leads WHERE tenant_id = '" + tenant.value() +
                      "' AND workspace = 'acme' AND (search_text || '') LIKE " + pattern +
                      " ESCAPE '\\' ORDER BY created_at DESC, id DESC LIMIT 51");
    };
    const auto plan_has = [&](const std::string& query, const std::string& node) {
        return b.count(fresh.database, "SELECT plan_has(" + query + ", " + quoted(node) + ")");
    };
    CHECK(plan_has(walk("'%smith%'"), "Seq Scan") == 1);
    CHECK(plan_has(walk("(SELECT CAST('%smith%' AS TEXT))"), "Index Only Scan using leads_list") == 1);
    CHECK(plan_has(walk("(SELECT CAST('%smith%' AS TEXT))"), "Seq Scan") == 0);
}

}  // namespace leads::tests::contract
