#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "domain/result.hpp"
#include "ports/repository.hpp"

// The PostgreSQL backend: a pool of libpq connections that reconnect by themselves after
// an outage.
namespace leads::adapters::postgres {

struct PostgresOptions {
    std::string url;  // postgresql://user:password@host:port/dbname?sslmode=...
    std::size_t pool_size = 8;
    std::chrono::milliseconds acquire_timeout{2000};
    // How often the search index's pending list is merged into it, off the request path,
    // on a pooled connection (docs/persistence.md); zero: never (autovacuum does). A merge
    // costs per trigram it touches, so larger, rarer merges cost less CPU in all (every
    // second instead of every 250 ms: a 1M load with two imports in flight 59.7 -> 53 s).
    std::chrono::milliseconds merge_interval{1000};
    // With the merges: ANALYZE leads once imports created this many leads since the last
    // one (at most every 30 s), so that plans see a bulk load at once; zero: never.
    std::size_t analyze_after_rows = 5000;
    // Told when that maintenance (merges, ANALYZE) starts failing, fails differently or
    // works again (each turn retries), for the log.
    std::function<void(const std::string&)> on_maintenance_error = {};
};

// Checks a postgresql:// or postgres:// URL with libpq's own parser and returns the
// connection string the pool uses: the URL's parameters plus defaults for what it leaves
// out (connect_timeout=5, a 30 s statement_timeout, fallback_application_name). Validation
// naming LEADS_DATABASE_URL when libpq cannot parse it; the message never repeats the URL
// (it may hold a password).
domain::Result<std::string> parse_postgres_url(std::string_view url);

// Connects, applies pending migrations, returns the repository (and starts the merges of
// the search index's pending list, which stop with it). Validation for a bad URL;
// Unavailable when the server cannot be reached.
domain::Result<std::shared_ptr<ports::Repository>> open_postgres(const PostgresOptions& options);

// Applies pending migrations and returns the versions it applied.
domain::Result<std::vector<long long>> migrate_postgres(const PostgresOptions& options);

}  // namespace leads::adapters::postgres
