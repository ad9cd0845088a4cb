// The real binary on SQLite: leads outlive a restart, `migrate` works, bad URLs stop it.
#include <signal.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "tests/e2e/process.hpp"
#include "tests/e2e/service.hpp"
#include "tests/http/server/raw_client.hpp"
#include "tests/support/random.hpp"
#include "tests/support/temporary_directory.hpp"

namespace leads::tests::e2e {

using namespace leads::testing;

TEST_CASE("on SQLite, leads outlive a restart of the service", "[e2e][sqlite]") {
    TemporaryDirectory directory;
    const auto url = "sqlite:" + directory.file("leads.db");
    const auto tenant = random_tenant().value();

    std::string location;
    {
        ChildProcess service(kBinary, {}, service_env(url));
        auto port = service.wait_until_listening();
        REQUIRE(port);
        auto created = http_request(*port, "POST", "/api/v1/tenant/leads",
                                    R"({"workspace_slug":"acme","email":"Ann@Example.com","first_name":"Ann",)"
                                    R"("attributes":{"n":12,"x":12.0,"t":"Zoë 🙂"}})",
                                    {{"X-Tenant-Id", tenant}, {"Content-Type", kJson}});
        REQUIRE(created);
        REQUIRE(created->status == 201);
        location = created->header("location").value_or("");
        auto duplicate = http_request(*port, "POST", "/api/v1/tenant/leads",
                                      R"({"workspace_slug":"acme","email":"ann@example.com"})",
                                      {{"X-Tenant-Id", tenant}, {"Content-Type", kJson}});
        REQUIRE(duplicate);
        CHECK(duplicate->status == 409);
        CHECK(duplicate->body.find(location.substr(location.rfind('/') + 1)) != std::string::npos);
        service.signal(SIGTERM);
        CHECK(service.wait_exit() == 0);
    }
    REQUIRE_FALSE(location.empty());
    CHECK(std::filesystem::exists(directory.file("leads.db")));

    // `migrate` on the existing database: nothing to do, success.
    CHECK(run_to_exit(kBinary, {"migrate"}, service_env(url)).exit_code == 0);

    ChildProcess service(kBinary, {}, service_env(url));
    auto port = service.wait_until_listening();
    REQUIRE(port);
    auto fetched = http_request(*port, "GET", location, {}, {{"X-Tenant-Id", tenant}});
    REQUIRE(fetched);
    CHECK(fetched->status == 200);
    CHECK(fetched->body.find(R"("email":"ann@example.com")") != std::string::npos);
    CHECK(fetched->body.find(R"("attributes":{"n":12,"t":"Zoë 🙂","x":12.0})") != std::string::npos);
    CHECK(fetched->body.find(R"("activity_total":1)") != std::string::npos);
    auto listed =
        http_request(*port, "GET", "/api/v1/tenant/leads?workspace=acme&search=ann", {}, {{"X-Tenant-Id", tenant}});
    REQUIRE(listed);
    CHECK(listed->body.find(R"("total":1)") != std::string::npos);
    auto metrics = http_request(*port, "GET", "/metrics");
    REQUIRE(metrics);
    CHECK(metric_value(metrics->body, "leads_db_pool_size") == 3);
    service.signal(SIGTERM);
    CHECK(service.wait_exit() == 0);
}

TEST_CASE("`migrate` creates the SQLite schema; a bad sqlite URL stops the service", "[e2e][sqlite]") {
    TemporaryDirectory directory;
    auto migrated = run_to_exit(kBinary, {"migrate"}, service_env("sqlite:" + directory.file("fresh.db")));
    CHECK(migrated.exit_code == 0);
    CHECK(std::filesystem::exists(directory.file("fresh.db")));

    for (const char* bad : {"sqlite::memory:", "sqlite:///nonexistent-directory/x.db"}) {
        INFO(bad);
        auto refused = run_to_exit(kBinary, {}, service_env(bad));
        CHECK(refused.exit_code != 0);
        const auto said = refused.out + refused.err;
        CHECK((said.find("LEADS_DATABASE_URL") != std::string::npos || said.find("unavailable") != std::string::npos));
    }
}

}  // namespace leads::tests::e2e
