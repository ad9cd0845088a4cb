#include "adapters/bootstrap/storage.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstddef>
#include <string_view>
#include <utility>

#include "adapters/bootstrap/storage_metrics.hpp"
#include "adapters/logging/json_log.hpp"
#include "adapters/memory/in_memory_lead_repository.hpp"
#include "adapters/postgres/postgres_repository.hpp"
#include "adapters/sql/pool_stats.hpp"
#include "adapters/sqlite/sqlite_repository.hpp"

namespace leads::adapters::bootstrap {
namespace {

// Configuration mistakes read "invalid configuration" with the variable in the details.
domain::Error configuration_error(domain::Error error) {
    if (error.kind == domain::ErrorKind::Validation) error.message = "invalid configuration";
    return error;
}

domain::Error unknown() {
    return configuration_error(domain::Error::validation("LEADS_DATABASE_URL", std::string(kDatabaseUrlForms)));
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
        .url = options.database_url,
        .pool_size = pool_size(options),
        .acquire_timeout = options.acquire_timeout,
        .on_maintenance_error = [](const std::string& message) {
            spdlog::warn(logging::Fields("search index maintenance").add("error", message).str());
        }};
}

template <class T>
domain::Result<void> done(domain::Result<T> result) {
    if (!result) return configuration_error(std::move(result).error());
    return {};
}

}  // namespace

std::optional<Backend> backend_of(std::string_view url) {
    if (url == "memory:") return Backend::Memory;
    if (url.starts_with("sqlite:") && url.size() > std::string_view("sqlite:").size()) return Backend::Sqlite;
    if (url.starts_with("postgresql://") || url.starts_with("postgres://")) return Backend::Postgres;
    return std::nullopt;
}

std::string_view backend_name(Backend backend) {
    switch (backend) {
        case Backend::Memory:
            return "memory";
        case Backend::Sqlite:
            return "sqlite";
        case Backend::Postgres:
            return "postgresql";
    }
    return "unknown";
}

domain::Result<std::shared_ptr<ports::Repository>> open_storage(const StorageOptions& options) {
    const auto backend = backend_of(options.database_url);
    if (!backend) return unknown();
    switch (*backend) {
        case Backend::Memory:
            return std::shared_ptr<ports::Repository>(std::make_shared<memory::InMemoryLeadRepository>());
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
    }
    return unknown();
}

domain::Result<void> migrate_storage(const StorageOptions& options) {
    const auto backend = backend_of(options.database_url);
    if (!backend) return unknown();
    switch (*backend) {
        case Backend::Memory:
            return {};  // nothing persists, nothing to migrate
        case Backend::Sqlite: {
            auto sqlite_settings = sqlite_options(options);
            if (!sqlite_settings) return std::move(sqlite_settings).error();
            return done(sqlite::migrate_sqlite(*sqlite_settings));
        }
        case Backend::Postgres:
            return done(postgres::migrate_postgres(postgres_options(options)));
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
    metrics.add_gauge("leads_db_creates_queued",
                      "Creates waiting for the write lock, to be written together (SQLite; 0 on PostgreSQL)",
                      [read] { return static_cast<double>(read().queued_creates); });
}

}  // namespace leads::adapters::bootstrap
