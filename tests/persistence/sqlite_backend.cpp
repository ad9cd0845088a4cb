// The persistence suite against SQLite: every database is a file in a temporary
// directory of this executable, removed at exit.
#include <soci/soci.h>
#include <soci/sqlite3/soci-sqlite3.h>
#include <stdlib.h>

#include <atomic>
#include <filesystem>
#include <stdexcept>

#include "adapters/sqlite/sqlite_repository.hpp"
#include "tests/persistence/support.hpp"

namespace leads::tests::persistence {

namespace {

class SqliteBackend final : public TestBackend {
  public:
    SqliteBackend() {
        std::string pattern = (std::filesystem::temp_directory_path() / "leads-persistence-XXXXXX").string();
        if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("cannot create a temporary directory");
        directory_ = pattern;
    }
    ~SqliteBackend() override {
        shared_.reset();
        std::error_code ignored;
        std::filesystem::remove_all(directory_, ignored);
    }

    std::shared_ptr<ports::LeadRepository> repository() override {
        if (!shared_) {
            auto opened = open(path("shared.db"), 8, std::chrono::milliseconds(10000));
            if (!opened) throw std::runtime_error(opened.error().message);
            shared_ = opened.value();
        }
        return shared_;
    }

    std::string fresh_database() override { return path("db-" + std::to_string(++databases_) + ".db"); }

    domain::Result<std::shared_ptr<ports::LeadRepository>> open(const std::string& database, std::size_t pool_size,
                                                                std::chrono::milliseconds acquire_timeout) override {
        return adapters::sqlite::open_sqlite(
            {.path = database, .pool_size = pool_size, .acquire_timeout = acquire_timeout});
    }

    domain::Result<std::vector<long long>> migrate(const std::string& database) override {
        return adapters::sqlite::migrate_sqlite({.path = database});
    }

    std::vector<long long> recorded_migrations(const std::string& database) override {
        soci::session session(soci::sqlite3, database);
        std::vector<long long> versions;
        long long version = 0;
        soci::statement st =
            (session.prepare << "SELECT version FROM schema_migrations ORDER BY version", soci::into(version));
        st.execute();
        while (st.fetch()) versions.push_back(version);
        return versions;
    }

  private:
    std::string path(const std::string& name) const { return (directory_ / name).string(); }

    std::filesystem::path directory_;
    std::atomic<int> databases_{0};
    std::shared_ptr<ports::LeadRepository> shared_;
};

}  // namespace

TestBackend& backend() {
    static SqliteBackend instance;
    return instance;
}

}  // namespace leads::tests::persistence
