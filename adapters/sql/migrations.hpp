#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace soci {
class session;
}

// Versioned schema migrations, compiled into the binary. Each backend lists its own; this
// runner applies the missing ones in order, inside one transaction, and records each in
// schema_migrations.
namespace leads::adapters::sql {

struct Migration {
    long long version;
    std::string_view name;
    // One statement each (drivers run a single statement per call).
    std::vector<std::string_view> statements;
};

struct MigrationPlan {
    // Opens the transaction and makes concurrent runners queue: SQLite "BEGIN IMMEDIATE"
    // (the write lock); PostgreSQL "BEGIN" then "SELECT pg_advisory_xact_lock(...)".
    std::vector<std::string> lock;
    std::span<const Migration> migrations;
};

// Applies what is missing; a second run, or a concurrent one, finds nothing to do.
// Throws what the driver throws; the transaction is then rolled back.
// Returns the versions it applied.
std::vector<long long> apply_migrations(soci::session& session, const MigrationPlan& plan);

}  // namespace leads::adapters::sql
