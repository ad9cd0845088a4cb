// PostgreSQL goes away and comes back while a repository is open: calls fail fast with
// Unavailable, and succeed again after the restart without recreating anything.
// Needs LEADS_TEST_PG_CTL (scripts/with-postgres.sh), since it stops the server.
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "adapters/postgres/postgres_repository.hpp"
#include "tests/contract/postgres/postgres_server.hpp"
#include "tests/contract/support.hpp"

namespace leads::tests::contract {

namespace {

using Clock = std::chrono::steady_clock;

const std::string& pg_ctl() {
    static const std::string command = [] {
        const char* value = std::getenv("LEADS_TEST_PG_CTL");
        if (value == nullptr || *value == '\0') {
            std::fputs("LEADS_TEST_PG_CTL is not set (run under scripts/with-postgres.sh): skipped\n", stderr);
            std::exit(77);
        }
        return std::string(value);
    }();
    return command;
}

[[maybe_unused]] const bool kConfigured = !postgres_url().empty() && !pg_ctl().empty();

void server(const std::string& action) {
    std::string command = "'" + pg_ctl() + "' " + action + " >/dev/null";
    REQUIRE(std::system(command.c_str()) == 0);
}

// Runs a call, checks it failed with Unavailable, and says how long it took.
template <class Call>
Clock::duration expect_unavailable(const char* what, Call&& call) {
    auto started = Clock::now();
    auto result = call();
    auto took = Clock::now() - started;
    INFO(what);
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().kind == domain::ErrorKind::Unavailable);
    return took;
}

}  // namespace

TEST_CASE("PostgreSQL outage: Unavailable while down, recovery after restart without a new repository") {
    auto opened = adapters::postgres::open_postgres({.url = postgres_url(), .pool_size = 4});
    REQUIRE(opened.ok());
    auto repository = opened.value();
    auto tenant = random_tenant();
    auto workspace = slug("outage");
    auto lead = add_lead(*repository, tenant, workspace, {.email = "before@example.com"});

    // Open every pooled connection, so that each of them goes stale in the outage.
    {
        std::vector<std::thread> threads;
        for (int i = 0; i < 4; ++i) {
            threads.emplace_back([&] {
                for (int j = 0; j < 5; ++j) CHECK(repository->find(key_of(lead)).ok());
            });
        }
        for (auto& thread : threads) thread.join();
    }

    server("stop");
    const auto bound = std::chrono::seconds(6);  // connect_timeout is 5 s; a refused port is instant
    for (int round = 0; round < 2; ++round) {    // first on stale connections, then on reconnects
        CHECK(expect_unavailable("ping", [&] { return repository->ping(); }) < bound);
        CHECK(expect_unavailable("find", [&] { return repository->find(key_of(lead)); }) < bound);
        CHECK(expect_unavailable("list", [&] {
                  return repository->list(ports::LeadFilter{tenant, workspace, std::nullopt, std::nullopt, 10, 0});
              }) < bound);
        auto fresh = make_lead(tenant, workspace, {.email = "during@example.com"});
        CHECK(expect_unavailable("insert", [&] { return repository->insert(fresh, created_entry(fresh)); }) < bound);
        CHECK(expect_unavailable("update", [&] {
                  return repository->update(key_of(lead),
                                            [](domain::Lead& l) -> domain::Result<std::vector<domain::Activity>> {
                                                l.company = "during";
                                                l.version += 1;
                                                return std::vector<domain::Activity>{};
                                            });
              }) < bound);
    }

    server("start");
    auto deadline = Clock::now() + std::chrono::seconds(30);
    bool ready = false;
    while (!ready && Clock::now() < deadline) {
        ready = repository->ping().ok();
        if (!ready) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    REQUIRE(ready);

    // Every pooled connection works again: several calls at once need several of them.
    {
        std::vector<std::thread> threads;
        for (int i = 0; i < 4; ++i) {
            threads.emplace_back([&] {
                for (int j = 0; j < 5; ++j) {
                    auto found = repository->find(key_of(lead));
                    CHECK(found.ok());
                }
            });
        }
        for (auto& thread : threads) thread.join();
    }
    auto after = make_lead(tenant, workspace, {.email = "after@example.com"});
    REQUIRE(repository->insert(after, created_entry(after)).ok());
    auto page = repository->list(ports::LeadFilter{tenant, workspace, std::nullopt, std::nullopt, 10, 0});
    REQUIRE(page.ok());
    CHECK(page->total == 2);  // nothing written during the outage
    CHECK(emails(*page) == std::vector<std::string>{"after@example.com", "before@example.com"});
}

}  // namespace leads::tests::contract
