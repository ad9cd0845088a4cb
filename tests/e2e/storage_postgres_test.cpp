// The real binary on PostgreSQL: an acknowledged write outlives a restart of the service;
// through an outage of the database it answers 503 with Retry-After and /readyz 503, then
// recovers by itself once the database is back.
// Needs LEADS_TEST_POSTGRES_URL and LEADS_TEST_PG_CTL (scripts/with-postgres.sh); exits 77
// (skipped) without them.
#include <signal.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include "tests/e2e/concurrent_keys.hpp"
#include "tests/e2e/process.hpp"
#include "tests/e2e/service.hpp"
#include "tests/http/server/raw_client.hpp"
#include "tests/support/random.hpp"

namespace leads::tests::e2e {

using namespace leads::testing;
using namespace std::chrono_literals;

namespace {

std::string required_env(const char* name) {
    const char* value = std::getenv(name);
    if (value == nullptr || *value == '\0') {
        std::fprintf(stderr, "%s is not set (run under scripts/with-postgres.sh): skipped\n", name);
        std::exit(77);
    }
    return value;
}

const std::string kUrl = required_env("LEADS_TEST_POSTGRES_URL");
const std::string kPgCtl = required_env("LEADS_TEST_PG_CTL");

void server(const std::string& action) {
    std::string command = "'" + kPgCtl + "' " + action + " >/dev/null";
    REQUIRE(std::system(command.c_str()) == 0);
}

}  // namespace

TEST_CASE("on PostgreSQL, an acknowledged write outlives a restart of the service", "[e2e][postgres]") {
    REQUIRE(run_to_exit(kBinary, {"migrate"}, service_env(kUrl)).exit_code == 0);
    const auto tenant = random_tenant().value();
    std::string location;
    {
        ChildProcess service(kBinary, {}, service_env(kUrl));
        auto port = service.wait_until_listening();
        REQUIRE(port);
        auto created = http_request(*port, "POST", "/api/v1/tenant/leads",
                                    R"({"workspace_slug":"acme","email":"durable@example.com"})",
                                    {{"X-Tenant-Id", tenant}, {"Content-Type", kJson}});
        REQUIRE(created);
        REQUIRE(created->status == 201);
        location = created->header("location").value_or("");
        service.signal(SIGTERM);
        CHECK(service.wait_exit() == 0);
    }
    ChildProcess service(kBinary, {}, service_env(kUrl));
    auto port = service.wait_until_listening();
    REQUIRE(port);
    auto fetched = http_request(*port, "GET", location, {}, {{"X-Tenant-Id", tenant}});
    REQUIRE(fetched);
    CHECK(fetched->status == 200);
    CHECK(fetched->body.find("durable@example.com") != std::string::npos);
    service.signal(SIGTERM);
    CHECK(service.wait_exit() == 0);
}

TEST_CASE(
    "on PostgreSQL, 20 identical creates with one Idempotency-Key, sent at once to two replicas, make one lead; "
    "24 with keys of their own each make theirs and replay their own answer",
    "[e2e][postgres][idempotency]") {
    REQUIRE(run_to_exit(kBinary, {"migrate"}, service_env(kUrl)).exit_code == 0);
    ChildProcess first(kBinary, {}, service_env(kUrl));
    ChildProcess second(kBinary, {}, service_env(kUrl));
    auto first_port = first.wait_until_listening();
    auto second_port = second.wait_until_listening();
    REQUIRE(first_port);
    REQUIRE(second_port);
    check_one_effect_for_concurrent_keys({*first_port, *second_port}, random_tenant().value());
    check_each_key_answers_its_own_create({*first_port, *second_port}, random_tenant().value());
    for (ChildProcess* service : {&first, &second}) {
        service->signal(SIGTERM);
        CHECK(service->wait_exit() == 0);
    }
}

TEST_CASE("on PostgreSQL, an outage answers 503 and the service recovers by itself", "[e2e][postgres]") {
    CHECK(run_to_exit(kBinary, {"migrate"}, service_env(kUrl)).exit_code == 0);

    ChildProcess service(kBinary, {}, service_env(kUrl));
    auto port = service.wait_until_listening();
    REQUIRE(port);
    const auto tenant = random_tenant().value();
    const std::vector<std::pair<std::string, std::string>> headers{{"X-Tenant-Id", tenant}, {"Content-Type", kJson}};

    auto created = http_request(*port, "POST", "/api/v1/tenant/leads",
                                R"({"workspace_slug":"acme","email":"before@example.com"})", headers);
    REQUIRE(created);
    REQUIRE(created->status == 201);
    const auto location = created->header("location").value_or("");

    server("stop");
    for (int round = 0; round < 2; ++round) {
        auto started = std::chrono::steady_clock::now();
        auto fetched = http_request(*port, "GET", location, {}, headers);
        REQUIRE(fetched);
        CHECK(fetched->status == 503);
        CHECK(fetched->header("retry-after").has_value());
        CHECK(fetched->body.find(R"("code":"unavailable")") != std::string::npos);
        CHECK((std::chrono::steady_clock::now() - started < 6s));
        auto write = http_request(*port, "POST", "/api/v1/tenant/leads",
                                  R"({"workspace_slug":"acme","email":"during@example.com"})", headers);
        REQUIRE(write);
        CHECK(write->status == 503);
        auto ready = http_request(*port, "GET", "/readyz");
        REQUIRE(ready);
        CHECK(ready->status == 503);
        auto alive = http_request(*port, "GET", "/healthz");
        REQUIRE(alive);
        CHECK(alive->status == 200);
    }

    server("start");
    CHECK(eventually(
        [&] {
            auto ready = http_request(*port, "GET", "/readyz");
            return ready && ready->status == 200;
        },
        30s));
    auto fetched = http_request(*port, "GET", location, {}, headers);
    REQUIRE(fetched);
    CHECK(fetched->status == 200);
    auto after = http_request(*port, "POST", "/api/v1/tenant/leads",
                              R"({"workspace_slug":"acme","email":"after@example.com"})", headers);
    REQUIRE(after);
    CHECK(after->status == 201);
    auto listed = http_request(*port, "GET", "/api/v1/tenant/leads?workspace=acme", {}, headers);
    REQUIRE(listed);
    CHECK(listed->body.find(R"("total":2)") != std::string::npos);  // nothing written while down

    service.signal(SIGTERM);
    const auto exit_code = service.wait_exit();
    INFO("exit code " << exit_code.value_or(-1) << "; stderr: " << service.err());
    CHECK(exit_code == std::optional<int>(0));
}

}  // namespace leads::tests::e2e
