// The migrated PostgreSQL catalog follows the rules of a table distributed by tenant_id
// (Citus, docs/scaling.md): every table but schema_migrations has tenant_id; every primary
// key, unique constraint and unique index includes it; every foreign key includes it on
// both sides, tenant_id referencing tenant_id. Read from pg_catalog, so a later migration
// that breaks a rule fails here.
#include <soci/postgresql/soci-postgresql.h>
#include <soci/soci.h>

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "adapters/postgres/postgres_repository.hpp"
#include "tests/contract/sql/sql_backend.hpp"

namespace leads::tests::contract {
namespace {

std::vector<std::string> names(soci::session& session, const std::string& query) {
    std::vector<std::string> out;
    soci::rowset<std::string> rows = session.prepare << query;
    for (const auto& row : rows) out.push_back(row);
    return out;
}

// The reference table: global, not per tenant.
constexpr const char* kTenantTables =
    "SELECT t.oid FROM pg_class t JOIN pg_namespace n ON n.oid = t.relnamespace WHERE n.nspname = current_schema() "
    "AND t.relkind = 'r' AND t.relname <> 'schema_migrations'";

}  // namespace

TEST_CASE("every tenant table, key and foreign key of the migrated schema includes tenant_id", "[postgres][citus]") {
    auto& backend = sql_backend();
    const auto database = backend.fresh_database();
    REQUIRE(backend.migrate(database).ok());
    auto conninfo = adapters::postgres::parse_postgres_url(database);
    REQUIRE(conninfo.ok());
    soci::session session(soci::postgresql, conninfo.value());

    const auto tables = names(
        session, std::string("SELECT t.oid::regclass::text FROM pg_class t WHERE t.oid IN (") + kTenantTables + ")");
    CHECK(tables.size() >= 6);  // leads, activities, lead_counts, suppressions, idempotency_keys, ...

    INFO("tables without tenant_id");
    CHECK(names(session, std::string("SELECT t.oid::regclass::text FROM pg_class t WHERE t.oid IN (") + kTenantTables +
                             ") AND NOT EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = t.oid AND "
                             "a.attname = 'tenant_id')")
              .empty());

    INFO("primary keys, unique and foreign key constraints without tenant_id");
    CHECK(names(session, std::string("SELECT c.conname FROM pg_constraint c WHERE c.conrelid IN (") + kTenantTables +
                             ") AND c.contype IN ('p', 'u', 'f') AND NOT EXISTS (SELECT 1 FROM pg_attribute a WHERE "
                             "a.attrelid = c.conrelid AND a.attname = 'tenant_id' AND a.attnum = ANY (c.conkey))")
              .empty());

    INFO("unique indexes without tenant_id");
    CHECK(names(session, std::string("SELECT i.indexrelid::regclass::text FROM pg_index i WHERE i.indrelid IN (") +
                             kTenantTables +
                             ") AND i.indisunique AND NOT EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = "
                             "i.indrelid AND a.attname = 'tenant_id' AND a.attnum = ANY (i.indkey))")
              .empty());

    INFO("foreign keys whose tenant_id does not reference the other table's tenant_id");
    CHECK(names(session,
                std::string("SELECT c.conname FROM pg_constraint c, generate_subscripts(c.conkey, 1) k WHERE c.contype "
                            "= 'f' AND c.conrelid IN (") +
                    kTenantTables +
                    ") AND c.conkey[k] = (SELECT attnum FROM pg_attribute WHERE attrelid = c.conrelid AND attname = "
                    "'tenant_id') AND c.confkey[k] <> (SELECT attnum FROM pg_attribute WHERE attrelid = c.confrelid "
                    "AND attname = 'tenant_id')")
              .empty());

    // At least the deliveries' foreign key exists (the rule above holds vacuously otherwise).
    CHECK(names(session,
                "SELECT conname FROM pg_constraint WHERE contype = 'f' AND conrelid = 'webhook_deliveries'::regclass")
              .size() == 1);
}

}  // namespace leads::tests::contract
