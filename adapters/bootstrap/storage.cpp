#include "adapters/bootstrap/storage.hpp"

#include <algorithm>
#include <cstddef>
#include <string_view>
#include <utility>

#include "adapters/bootstrap/storage_metrics.hpp"
#include "adapters/memory/in_memory_lead_repository.hpp"
#include "adapters/postgres/postgres_repository.hpp"
#include "adapters/sql/pool_stats.hpp"
#include "adapters/sqlite/sqlite_repository.hpp"

namespace leads::adapters::bootstrap {
namespace {

enum class Backend { Memory, Sqlite, Postgres, Unknown };

Backend backend_of(std::string_view url) {
    if (url == "memory:") return Backend::Memory;
    if (url.starts_with("sqlite:")) return Backend::Sqlite;
    if (url.starts_with("postgresql://") || url.starts_with("postgres://")) return Backend::Postgres;
    return Backend::Unknown;
}

// Configuration mistakes read "invalid configuration" with the variable in the details.
domain::Error configuration_error(domain::Error error) {
    if (error.kind == domain::ErrorKind::Validation) error.message = "invalid configuration";
    return error;
}

domain::Error unknown() {
    return configuration_error(
        domain::Error::validation("LEADS_DATABASE_URL", "must be sqlite:PATH, postgresql://... or memory:"));
}

std::size_t pool_size(const StorageOptions& options) {
    return static_cast<std::size_t>(std::max(options.pool_size, 1));
}

domain::Result<sqlite::SqliteOptions> sqlite_options(const StorageOptions& options) {
    auto path = sqlite::parse_sqlite_url(options.database_url);
    if (!path) return configuration_error(std::move(path).error());
    return sqlite::SqliteOptions{
        .path = std::move(path).value(), .pool_size = pool_size(options), .acquire_timeout = options.acquire_timeout};
}

postgres::PostgresOptions postgres_options(const StorageOptions& options) {
    return postgres::PostgresOptions{
        .url = options.database_url, .pool_size = pool_size(options), .acquire_timeout = options.acquire_timeout};
}

template <class T>
domain::Result<void> done(domain::Result<T> result) {
    if (!result) return configuration_error(std::move(result).error());
    return {};
}

}  // namespace

domain::Result<std::shared_ptr<ports::LeadRepository>> open_storage(const StorageOptions& options) {
    switch (backend_of(options.database_url)) {
        case Backend::Memory:
            return std::shared_ptr<ports::LeadRepository>(std::make_shared<memory::InMemoryLeadRepository>());
        case Backend::Sqlite: {
            auto sqlite_settings = sqlite_options(options);
            if (!sqlite_settings) return std::move(sqlite_settings).error();
            auto opened = sqlite::open_sqlite(*sqlite_settings);
            if (!opened) return configuration_error(std::move(opened).error());
            return opened;
        }
        case Backend::Postgres: {
            auto opened = postgres::open_postgres(postgres_options(options));
            if (!opened) return configuration_error(std::move(opened).error());
            return opened;
        }
        case Backend::Unknown:
            break;
    }
    return unknown();
}

domain::Result<void> migrate_storage(const StorageOptions& options) {
    switch (backend_of(options.database_url)) {
        case Backend::Memory:
            return {};  // nothing persists, nothing to migrate
        case Backend::Sqlite: {
            auto sqlite_settings = sqlite_options(options);
            if (!sqlite_settings) return std::move(sqlite_settings).error();
            return done(sqlite::migrate_sqlite(*sqlite_settings));
        }
        case Backend::Postgres:
            return done(postgres::migrate_postgres(postgres_options(options)));
        case Backend::Unknown:
            break;
    }
    return unknown();
}

void register_storage_metrics(http::Metrics& metrics, ports::LeadRepository& repository) {
    // The memory repository has no pool: no gauges.
    auto read = sql::pool_stats_reader(repository);
    if (!read) return;
    metrics.add_gauge("leads_db_pool_size", "Sessions in the database connection pool",
                      [read] { return static_cast<double>(read().size); });
    metrics.add_gauge("leads_db_pool_connections_in_use", "Pooled database sessions leased by a request right now",
                      [read] { return static_cast<double>(read().in_use); });
    metrics.add_gauge("leads_db_pool_connections_open", "Pooled database sessions holding an open connection",
                      [read] { return static_cast<double>(read().connected); });
}

}  // namespace leads::adapters::bootstrap
