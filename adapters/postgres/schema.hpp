#pragma once

#include <span>
#include <string_view>

#include "adapters/sql/migrations.hpp"

namespace leads::adapters::postgres {

// The PostgreSQL schema, version by version. Never edit a released migration: add one.
std::span<const sql::Migration> migrations();

// Takes the transaction-level advisory lock that makes concurrent migrators queue (the
// key spells "leads_m" in ASCII).
inline constexpr std::string_view kMigrationLock = "SELECT pg_advisory_xact_lock(30510766456266605)";

}  // namespace leads::adapters::postgres
