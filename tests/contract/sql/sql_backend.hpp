#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "domain/lead.hpp"
#include "domain/result.hpp"
#include "ports/repository.hpp"

namespace leads::tests::contract {

// What a SQL backend's contract executable supplies beyond make_repository(): fresh
// databases, opening with chosen pool settings, and the migrations table read directly.
class SqlBackend {
  public:
    virtual ~SqlBackend() = default;
    // The repository over the database every generic contract test shares.
    virtual std::shared_ptr<ports::Repository> repository() = 0;
    // A new, empty database; returns what open() and migrate() take.
    virtual std::string fresh_database() = 0;
    virtual domain::Result<std::shared_ptr<ports::Repository>> open(
        const std::string& database, std::size_t pool_size,
        // Generous: the load tests assert "no errors", and a busy CI machine running
        // sanitizer builds in parallel must not turn a slow lease into one.
        std::chrono::milliseconds acquire_timeout = std::chrono::milliseconds(10000)) = 0;
    virtual domain::Result<std::vector<long long>> migrate(const std::string& database) = 0;
    // Rows of schema_migrations, read directly.
    virtual std::vector<long long> recorded_migrations(const std::string& database) = 0;
    // Runs each statement directly (outside the repository), to set up what a test needs.
    virtual void execute(const std::string& database, const std::vector<std::string>& statements) = 0;
    // The integer a query returns in its first row, read directly.
    virtual long long count(const std::string& database, const std::string& query) = 0;
    // Whether creates that queue behind another are written together (Dialect::group_creates).
    virtual bool groups_creates() const { return false; }
};

// Defined by each SQL backend's executable. Exits with 77 (skipped) when its database is
// not configured.
SqlBackend& sql_backend();

// A new, migrated database of sql_backend() and a repository over it with pool_size
// connections; throws if either fails.
struct FreshRepository {
    std::string database;
    std::shared_ptr<ports::Repository> repository;
};
FreshRepository fresh_repository(std::size_t pool_size);

// A fresh repository (two connections) holding jane@example.com and john@example.com in
// one new tenant's workspace "acme": for tests that then read or change its tables directly.
struct JaneAndJohn {
    FreshRepository fresh;
    domain::TenantId tenant;
    domain::Lead jane, john;
};
JaneAndJohn jane_and_john();

}  // namespace leads::tests::contract
