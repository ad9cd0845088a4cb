// What only the SQLite backend must guarantee: replicas and `migrate` runs opening one new
// database file at the same moment all succeed (switching it to WAL races for a lock).
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <thread>
#include <vector>

#include "tests/contract/sql/sql_backend.hpp"

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

}  // namespace leads::tests::contract
