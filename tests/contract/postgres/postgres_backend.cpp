// The contract suite against PostgreSQL: the server named by LEADS_TEST_POSTGRES_URL
// (scripts/with-postgres.sh starts one); skipped (77) without one. Fresh databases are
// created on it as needed.
#include <soci/postgresql/soci-postgresql.h>
#include <soci/soci.h>

#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <stdexcept>

#include "adapters/postgres/postgres_repository.hpp"
#include "tests/contract/postgres/postgres_server.hpp"
#include "tests/contract/sql/recorded_migrations.hpp"
#include "tests/contract/sql/sql_backend.hpp"
#include "tests/support/random.hpp"

namespace leads::tests::contract {

namespace {

std::string conninfo(const std::string& url) {
    auto parsed = adapters::postgres::parse_postgres_url(url);
    if (!parsed) throw std::runtime_error(parsed.error().message);
    return parsed.value();
}

class PostgresBackend final : public SqlBackend {
  public:
    std::shared_ptr<ports::Repository> repository() override {
        std::lock_guard lock(mutex_);
        if (!shared_) {
            auto opened = open(postgres_url(), 8, std::chrono::milliseconds(10000));
            if (!opened) throw std::runtime_error(opened.error().message);
            shared_ = opened.value();
        }
        return shared_;
    }

    std::string fresh_database() override {
        const std::string name = unique_name("leads_t_");
        soci::session session(soci::postgresql, conninfo(postgres_url()));
        // A name cannot be a bound parameter; this one is made of digits and letters above.
        session << "CREATE DATABASE " + name;
        return with_database(postgres_url(), name);
    }

    domain::Result<std::shared_ptr<ports::Repository>> open(const std::string& database, std::size_t pool_size,
                                                            std::chrono::milliseconds acquire_timeout) override {
        // No merges of the search index: the suite's shared repository lives until exit,
        // and a thread that made a connection then would outlive OpenSSL's exit handlers
        // (pending_list_test.cpp opens its own with them).
        return adapters::postgres::open_postgres(
            {.url = database, .pool_size = pool_size, .acquire_timeout = acquire_timeout, .merge_interval = {}});
    }

    domain::Result<std::vector<long long>> migrate(const std::string& database) override {
        return adapters::postgres::migrate_postgres({.url = database});
    }

    std::vector<long long> recorded_migrations(const std::string& database) override {
        soci::session session(soci::postgresql, conninfo(database));
        return read_migrations(session);
    }

    void execute(const std::string& database, const std::vector<std::string>& statements) override {
        soci::session session(soci::postgresql, conninfo(database));
        for (const auto& statement : statements) session << statement;
    }

    long long count(const std::string& database, const std::string& query) override {
        soci::session session(soci::postgresql, conninfo(database));
        long long value = 0;
        session << query, soci::into(value);
        return value;
    }

  private:
    std::mutex mutex_;
    std::shared_ptr<ports::Repository> shared_;
};

}  // namespace

const std::string& postgres_url() {
    static const std::string url = [] {
        const char* value = std::getenv("LEADS_TEST_POSTGRES_URL");
        if (value == nullptr || *value == '\0') {
            std::fputs("LEADS_TEST_POSTGRES_URL is not set (run under scripts/with-postgres.sh): skipped\n", stderr);
            std::exit(77);
        }
        return std::string(value);
    }();
    return url;
}

std::string with_database(const std::string& url, const std::string& database) {
    auto authority = url.find("://");
    auto path = url.find('/', authority == std::string::npos ? 0 : authority + 3);
    auto query = url.find('?');
    std::string tail = query == std::string::npos ? std::string() : url.substr(query);
    std::string head = url.substr(0, path == std::string::npos || path > query ? query : path);
    return head + "/" + database + tail;
}

SqlBackend& sql_backend() {
    static PostgresBackend instance;
    return instance;
}

// Skip before Catch2 runs anything when there is no server.
[[maybe_unused]] const bool kConfigured = !postgres_url().empty();

}  // namespace leads::tests::contract
