// What only the SQLite backend must guarantee: replicas and `migrate` runs opening one new
// database file at the same moment all succeed (switching it to WAL races for a lock); an
// import's larger page cache does not outlive its transaction; a create queued for a group
// gives up after the busy timeout, as one waiting for the write lock alone does.
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <future>
#include <latch>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "adapters/sql/pool_stats.hpp"
#include "adapters/sqlite/sqlite_repository.hpp"
#include "ports/idempotency.hpp"
#include "tests/contract/sql/sql_backend.hpp"
#include "tests/contract/support.hpp"

namespace leads::tests::contract {

TEST_CASE("processes migrating one new SQLite file at the same moment all succeed", "[sqlite][migrations]") {
    auto& backend = sql_backend();
    constexpr int kRounds = 40;
    constexpr int kProcesses = 8;
    int failures = 0;
    for (int round = 0; round < kRounds; ++round) {
        const std::string database = backend.fresh_database();
        // Every child waits for the same instant, then opens the file.
        const auto start = std::chrono::steady_clock::now() + std::chrono::milliseconds(30);
        std::vector<pid_t> children;
        for (int i = 0; i < kProcesses; ++i) {
            const pid_t pid = fork();
            REQUIRE(pid >= 0);
            if (pid == 0) {
                std::this_thread::sleep_until(start);
                const auto migrated = backend.migrate(database);
                if (!migrated) std::fprintf(stderr, "migrate failed: %s\n", migrated.error().message.c_str());
                _exit(migrated.ok() ? 0 : 1);
            }
            children.push_back(pid);
        }
        for (const pid_t child : children) {
            int status = 0;
            REQUIRE(waitpid(child, &status, 0) == child);
            if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) ++failures;
        }
    }
    CHECK(failures == 0);
}

TEST_CASE("an import's larger page cache is given back when its transaction ends, committed or failed",
          "[sqlite][import]") {
    auto& backend = sql_backend();
    const std::string database = backend.fresh_database();
    // In a child process: the service turns SQLite's memory statistics off when it first
    // opens a database (adapters/sqlite), and they can only be turned on again from a
    // fresh start of the library. SQLite asks for every connection to be closed before
    // that; the child never uses the ones it inherited and exits without closing them.
    const pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        sqlite3_shutdown();
        sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 1);
        sqlite3_initialize();
        auto opened = backend.open(database, 1);  // one connection: the imports' and the reads'
        if (!opened) _exit(2);
        auto repository = *opened;
        const auto tenant = random_tenant();
        const auto workspace = slug("bulk");
        // Rows enough to dirty well over SQLite's default 2 MiB cache (leads, their
        // entries, events, indexes): ~10 MiB.
        auto items_from = [&](int first, int count) {
            std::vector<ports::ImportItem> items;
            for (int i = first; i < first + count; ++i) {
                auto lead = make_lead(tenant, workspace,
                                      {.email = "bulk" + std::to_string(i) + "@example.com",
                                       .last_name = std::string(90, 'y'),
                                       .company = "Company " + std::string(180, 'x') + std::to_string(i)});
                items.push_back(ports::ImportItem{lead, created_entry(lead), {}});
            }
            return items;
        };
        // Every kept event read: pages enough to fill whatever cache the connection has.
        auto read_every_event = [&] {
            std::int64_t after = 0;
            for (;;) {
                auto page = repository->events(ports::EventQuery{.tenant = tenant,
                                                                 .after = after,
                                                                 .limit = 1000,
                                                                 .types = {},
                                                                 .workspace = std::nullopt,
                                                                 .drop_before = now() - std::chrono::hours(24)});
                if (!page || page->items.empty()) return;
                after = page->items.back().sequence;
            }
        };
        add_lead(*repository, tenant, workspace, {.email = "first@example.com"});
        const sqlite3_int64 before = sqlite3_memory_used();
        constexpr sqlite3_int64 kDefaultCacheAndSlack = 4 << 20;
        int failures = 0;
        sqlite3_memory_highwater(1);
        if (!repository->import(tenant, workspace, items_from(0, 8000)).ok()) failures |= 4;
        // The import did hold more than the default cache (the measure can tell)...
        if (sqlite3_memory_highwater(0) - before < 2 * kDefaultCacheAndSlack) failures |= 64;
        // ...and gave it back.
        read_every_event();
        std::fprintf(stderr, "SQLite memory: %lld before, %lld at most, %lld after an import and a read\n",
                     static_cast<long long>(before), static_cast<long long>(sqlite3_memory_highwater(0)),
                     static_cast<long long>(sqlite3_memory_used()));
        if (sqlite3_memory_used() - before >= kDefaultCacheAndSlack) failures |= 8;
        auto failing = items_from(8000, 8000);
        failing.push_back(failing.front());
        failing.back().merge = [](domain::Lead&) -> domain::Result<std::vector<domain::Activity>> {
            throw std::runtime_error("simulated failure part-way through an import");
        };
        if (repository->import(tenant, workspace, failing).ok()) failures |= 16;
        // A rollback drops the transaction's pages whatever the cache size: the read shows
        // what the connection keeps.
        read_every_event();
        std::fprintf(stderr, "SQLite memory: %lld after a failed import and a read\n",
                     static_cast<long long>(sqlite3_memory_used()));
        if (sqlite3_memory_used() - before >= kDefaultCacheAndSlack) failures |= 32;
        _exit(failures);
    }
    int status = 0;
    REQUIRE(waitpid(pid, &status, 0) == pid);
    REQUIRE(WIFEXITED(status));
    // 2: open failed; 4/16: an import's outcome; 8/32: the cache outlived the transaction;
    // 64: the import never held more than the default cache.
    CHECK(WEXITSTATUS(status) == 0);
}

TEST_CASE(
    "a create queued behind a write that holds the lock past the busy timeout answers Unavailable and is "
    "never written",
    "[sqlite][concurrency]") {
    auto opened = adapters::sqlite::open_sqlite(
        {.path = sql_backend().fresh_database(), .pool_size = 4, .busy_timeout = std::chrono::milliseconds(300)});
    REQUIRE(opened.ok());
    auto repository = opened.value();
    const auto stats = adapters::sql::pool_stats_reader(*repository);
    const auto tenant = random_tenant();
    const auto holder = new_lead(tenant, "acme", "holder@example.com", now());
    const auto queued = new_lead(tenant, "acme", "queued@example.com", now());
    std::latch inside(1);
    std::promise<void> queued_done;
    // The holder's answer keeps its transaction (and the write lock) until the other create
    // has given up (at most 10 s: should it never give up, the test fails instead of hanging).
    const ports::Completion<domain::Lead> slow{
        ports::IdempotencyRecord{tenant, "slow", "token"},
        [&](const domain::Lead&, ports::TransactionReader&) -> domain::Result<std::optional<ports::IdempotentAnswer>> {
            inside.count_down();
            queued_done.get_future().wait_for(std::chrono::seconds(10));
            return std::optional<ports::IdempotentAnswer>{};
        }};
    std::optional<domain::Result<void>> held;
    std::thread first([&] { held = repository->insert(holder, created_entry(holder), &slow); });
    inside.wait();
    const auto started = std::chrono::steady_clock::now();
    auto result = repository->insert(queued, created_entry(queued));
    const auto waited = std::chrono::steady_clock::now() - started;
    const auto still_queued = stats().queued_creates;
    queued_done.set_value();
    first.join();

    REQUIRE_FALSE(result.ok());
    CHECK(result.error().kind == domain::ErrorKind::Unavailable);
    CHECK(waited >= std::chrono::milliseconds(300));
    CHECK(waited < std::chrono::seconds(5));
    CHECK(still_queued == 0);
    REQUIRE(held);
    CHECK(held->ok());
    CHECK(repository->find(key_of(holder)).ok());
    CHECK(error_of(repository->find(key_of(queued))).kind == domain::ErrorKind::NotFound);
    CHECK(value_of(repository->list({tenant, slug("acme"), {}, {}, 50, 0})).total == 1);
}

}  // namespace leads::tests::contract
