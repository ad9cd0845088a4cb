// What pods of an earlier release, which keep serving during a rollout and after a
// rollback, still get from a migrated PostgreSQL schema (docs/operations.md, "Migrating").
#include <catch2/catch.hpp>
#include <string>

#include "tests/contract/sql/sql_backend.hpp"
#include "tests/contract/support.hpp"

namespace leads::tests::contract {

TEST_CASE("a lead deleted alone, as releases before migration 17 delete it, still takes its activities",
          "[postgres][activities]") {
    auto& b = sql_backend();
    const auto [fresh, tenant, jane, john] = jane_and_john();
    const std::string& database = fresh.database;
    const std::string of_tenant = " WHERE tenant_id = '" + tenant.value() + "'";
    REQUIRE(b.count(database, "SELECT COUNT(*) FROM activities" + of_tenant) == 2);

    // Their remove: the lead's row only, the entries left to the foreign key's cascade.
    b.execute(database, {"DELETE FROM leads" + of_tenant + " AND id = '" + jane.id.value() + "'"});

    CHECK(b.count(database,
                  "SELECT COUNT(*) FROM activities" + of_tenant + " AND lead_id = '" + jane.id.value() + "'") == 0);
    CHECK(b.count(database,
                  "SELECT COUNT(*) FROM activities" + of_tenant + " AND lead_id = '" + john.id.value() + "'") == 1);
}

}  // namespace leads::tests::contract
