#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "domain/result.hpp"
#include "ports/repository.hpp"

// The SQLite backend: one database file, opened in WAL mode by a small pool of
// connections (many readers, one writer at a time).
namespace leads::adapters::sqlite {

struct SqliteOptions {
    std::string path;  // the database file; created when missing
    std::size_t pool_size = 8;
    std::chrono::milliseconds acquire_timeout{2000};
    // How long a writer waits for the write lock (other writers, other processes) before
    // the call fails with Unavailable.
    std::chrono::milliseconds busy_timeout{5000};
};

// "sqlite:PATH" (or "sqlite://PATH") to PATH. Validation naming LEADS_DATABASE_URL for
// anything else, an empty path, or ":memory:" (one database per connection).
domain::Result<std::string> parse_sqlite_url(std::string_view url);

// Opens the database and applies pending migrations. Unavailable when the file cannot be
// opened or stays locked.
domain::Result<std::shared_ptr<ports::Repository>> open_sqlite(const SqliteOptions& options);

// Applies pending migrations and returns the versions it applied (empty when the schema
// was up to date).
domain::Result<std::vector<long long>> migrate_sqlite(const SqliteOptions& options);

}  // namespace leads::adapters::sqlite
