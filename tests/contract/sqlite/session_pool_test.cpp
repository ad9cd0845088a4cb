// The session pool (adapters/sql) on SQLite files: what a lease opens and what it leaves.
#include "adapters/sql/session_pool.hpp"

#include <soci/soci.h>
#include <soci/sqlite3/soci-sqlite3.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <string>

#include "tests/support/random.hpp"

namespace leads::tests::contract {

TEST_CASE("a lease that must not connect leaves a closed session closed; an open one is lent", "[sqlite][pool]") {
    // The search index maintenance leases this way, so that only requests reconnect.
    const std::string path = (std::filesystem::temp_directory_path() / (unique_name("pool_") + ".db")).string();
    int connects = 0;
    adapters::sql::Backend backend{
        .name = "sqlite",
        .connect =
            [&](soci::session& session) {
                ++connects;
                session.open(soci::sqlite3, path);
            },
        .is_broken = [](soci::session&) { return false; },
        .in_transaction = [](soci::session&) { return false; },
        .classify = [](const std::exception&) { return adapters::sql::Failure::Other; },
    };
    adapters::sql::SessionPool pool(backend, {.size = 1, .acquire_timeout = std::chrono::milliseconds(100)});

    CHECK_FALSE(pool.acquire(std::chrono::milliseconds::zero(), false).ok());
    CHECK(connects == 0);
    CHECK(pool.in_use() == 0);   // the slot was given back
    CHECK(pool.acquire().ok());  // opens it (and gives it back)
    CHECK(connects == 1);
    CHECK(pool.acquire(std::chrono::milliseconds::zero(), false).ok());
    CHECK(connects == 1);
    std::remove(path.c_str());
}

}  // namespace leads::tests::contract
