// The contract suite against SQLite: every database is a file in a temporary directory of
// this executable (SQLite's :memory: is one database per connection), removed at exit.
#include <soci/soci.h>
#include <soci/sqlite3/soci-sqlite3.h>

#include <atomic>
#include <mutex>
#include <stdexcept>

#include "adapters/sqlite/sqlite_repository.hpp"
#include "tests/contract/sql/recorded_migrations.hpp"
#include "tests/contract/sql/sql_backend.hpp"
#include "tests/support/temporary_directory.hpp"

namespace leads::tests::contract {

namespace {

class SqliteBackend final : public SqlBackend {
  public:
    ~SqliteBackend() override { shared_.reset(); }  // before the directory goes

    std::shared_ptr<ports::Repository> repository() override {
        std::lock_guard lock(mutex_);
        if (!shared_) {
            auto opened = open(directory_.file("shared.db"), 8, std::chrono::milliseconds(10000));
            if (!opened) throw std::runtime_error(opened.error().message);
            shared_ = opened.value();
        }
        return shared_;
    }

    std::string fresh_database() override { return directory_.file("db-" + std::to_string(++databases_) + ".db"); }

    domain::Result<std::shared_ptr<ports::Repository>> open(const std::string& database, std::size_t pool_size,
                                                            std::chrono::milliseconds acquire_timeout) override {
        return adapters::sqlite::open_sqlite(
            {.path = database, .pool_size = pool_size, .acquire_timeout = acquire_timeout});
    }

    domain::Result<std::vector<long long>> migrate(const std::string& database) override {
        return adapters::sqlite::migrate_sqlite({.path = database});
    }

    std::vector<long long> recorded_migrations(const std::string& database) override {
        soci::session session(soci::sqlite3, database);
        return read_migrations(session);
    }

    void execute(const std::string& database, const std::vector<std::string>& statements) override {
        soci::session session(soci::sqlite3, database);
        for (const auto& statement : statements) session << statement;
    }

    bool groups_creates() const override { return true; }
    long long count(const std::string& database, const std::string& query) override {
        soci::session session(soci::sqlite3, database);
        long long value = 0;
        session << query, soci::into(value);
        return value;
    }

  private:
    TemporaryDirectory directory_{"leads-contract"};
    std::atomic<int> databases_{0};
    std::mutex mutex_;
    std::shared_ptr<ports::Repository> shared_;
};

}  // namespace

SqlBackend& sql_backend() {
    static SqliteBackend instance;
    return instance;
}

}  // namespace leads::tests::contract
