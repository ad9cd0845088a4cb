// The real binary on SQLite: leads outlive a restart, `migrate` works, bad URLs stop it.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "tests/e2e/concurrent_keys.hpp"
#include "tests/e2e/process.hpp"
#include "tests/e2e/service.hpp"
#include "tests/http/server/raw_client.hpp"
#include "tests/support/random.hpp"
#include "tests/support/temporary_directory.hpp"

namespace leads::tests::e2e {

using namespace leads::testing;
using namespace std::chrono_literals;

TEST_CASE("on SQLite, leads and the suppression list outlive a restart of the service", "[e2e][sqlite]") {
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
        // Erased and suppressed: the person must not come back after the restart.
        auto erased = http_request(*port, "POST", "/api/v1/tenant/leads",
                                   R"({"workspace_slug":"acme","email":"gone@example.com"})",
                                   {{"X-Tenant-Id", tenant}, {"Content-Type", kJson}});
        REQUIRE(erased);
        REQUIRE(erased->status == 201);
        auto removed = http_request(*port, "DELETE", erased->header("location").value_or("") + "?suppress=true", {},
                                    {{"X-Tenant-Id", tenant}});
        REQUIRE(removed);
        CHECK(removed->status == 204);
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
    CHECK(fetched->body.find(R"("do_not_contact":false)") != std::string::npos);
    auto returned =
        http_request(*port, "POST", "/api/v1/tenant/leads", R"({"workspace_slug":"other","email":"Gone@example.com"})",
                     {{"X-Tenant-Id", tenant}, {"Content-Type", kJson}});
    REQUIRE(returned);
    CHECK(returned->status == 409);
    CHECK(returned->body.find(R"("code":"suppressed")") != std::string::npos);
    auto listed =
        http_request(*port, "GET", "/api/v1/tenant/leads?workspace=acme&search=ann", {}, {{"X-Tenant-Id", tenant}});
    REQUIRE(listed);
    CHECK(listed->body.find(R"("total":1)") != std::string::npos);
    auto metrics = http_request(*port, "GET", "/metrics");
    REQUIRE(metrics);
    CHECK(metric_value(metrics->body, "leads_db_pool_size") == 3);
    CHECK(metric_value(metrics->body, "leads_db_creates_queued") == 0);  // nothing waits now
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

TEST_CASE("a new SQLite database file is readable by its owner only", "[e2e][sqlite]") {
    TemporaryDirectory directory;
    ::umask(022);  // the usual default: without care a new file would be world-readable
    const auto migrated = run_to_exit(kBinary, {"migrate"}, service_env("sqlite:" + directory.file("private.db")));
    REQUIRE(migrated.exit_code == 0);
    for (const char* suffix : {"", "-wal", "-shm"}) {
        const auto path = directory.file(std::string("private.db") + suffix);
        if (!std::filesystem::exists(path)) continue;  // -wal and -shm may be gone after a clean close
        INFO(path);
        const auto permissions = std::filesystem::status(path).permissions();
        CHECK((permissions & (std::filesystem::perms::group_all | std::filesystem::perms::others_all)) ==
              std::filesystem::perms::none);
    }
}

TEST_CASE("a SQLite file the process may not write stops start-up with a clear message", "[e2e][sqlite]") {
    // Root writes any file whatever its mode: the service runs as an unprivileged user here.
    const char* runuser = ::access("/usr/sbin/runuser", X_OK) == 0 ? "/usr/sbin/runuser" : "/sbin/runuser";
    if (::geteuid() != 0 || ::access(runuser, X_OK) != 0) {
        WARN("needs root and runuser to run the service as another user: skipped");
        return;
    }
    if (run_to_exit(runuser, {"-u", "nobody", "--", kBinary, "--version"}, service_env("memory:")).exit_code != 0) {
        WARN("the user nobody cannot run " << kBinary << " (a private checkout directory): skipped");
        return;
    }
    TemporaryDirectory directory;
    std::filesystem::permissions(directory.path(),
                                 std::filesystem::perms::owner_all | std::filesystem::perms::group_read |
                                     std::filesystem::perms::group_exec | std::filesystem::perms::others_read |
                                     std::filesystem::perms::others_exec);
    const auto url = "sqlite:" + directory.file("readonly.db");
    REQUIRE(run_to_exit(kBinary, {"migrate"}, service_env(url)).exit_code == 0);
    // Readable by everyone, writable by root only; no WAL files left to share.
    std::filesystem::permissions(directory.file("readonly.db"),
                                 std::filesystem::perms::owner_read | std::filesystem::perms::owner_write |
                                     std::filesystem::perms::group_read | std::filesystem::perms::others_read);
    for (const char* suffix : {"-wal", "-shm"})
        std::filesystem::remove(directory.file(std::string("readonly.db") + suffix));

    const auto started = run_to_exit(runuser, {"-u", "nobody", "--", kBinary}, service_env(url), 20s);
    INFO(started.out << started.err);
    CHECK(started.exit_code != 0);
    CHECK((started.out + started.err).find("read-only") != std::string::npos);
}

}  // namespace leads::tests::e2e

namespace leads::tests::e2e {

// CONTRACT §6: the answer is recorded in the transaction of the effect. A client that never
// read its answer (the process was killed after the commit) retries with its key after
// the restart and gets that answer, not a second lead.
TEST_CASE("on SQLite, a write killed (-9) after its commit, before its answer was read, replays after the restart",
          "[e2e][sqlite][idempotency]") {
    using namespace leads::testing;
    TemporaryDirectory directory;
    const auto url = "sqlite:" + directory.file("leads.db");
    const auto tenant = random_tenant().value();
    const std::string body = R"({"workspace_slug":"acme","email":"once@example.com"})";
    const std::vector<std::pair<std::string, std::string>> headers{
        {"X-Tenant-Id", tenant}, {"Content-Type", kJson}, {"Idempotency-Key", "order-7"}};
    const auto lead_ids = [&](std::uint16_t port) {
        auto listed = http_request(port, "GET", "/api/v1/tenant/leads?workspace=acme", {}, {{"X-Tenant-Id", tenant}});
        REQUIRE(listed);
        return listed->body;
    };

    std::string listed_before_kill;
    {
        ChildProcess service(kBinary, {}, service_env(url));
        auto port = service.wait_until_listening();
        REQUIRE(port);
        RawConnection connection(*port);
        connection.send("POST /api/v1/tenant/leads HTTP/1.1\r\nHost: x\r\nX-Tenant-Id: " + tenant +
                        "\r\nContent-Type: application/json\r\nIdempotency-Key: order-7\r\nContent-Length: " +
                        std::to_string(body.size()) + "\r\n\r\n" + body);
        // The effect is committed (another connection sees it); the answer is never read.
        REQUIRE(eventually([&] { return lead_ids(*port).find(R"("total":1)") != std::string::npos; }, 10s));
        listed_before_kill = lead_ids(*port);
        service.signal(SIGKILL);
        service.wait_exit();
    }

    ChildProcess service(kBinary, {}, service_env(url));
    auto port = service.wait_until_listening();
    REQUIRE(port);
    auto retried = http_request(*port, "POST", "/api/v1/tenant/leads", body, headers);
    REQUIRE(retried);
    CHECK(retried->status == 201);
    CHECK(retried->header("idempotent-replayed") == "true");
    const std::string location = retried->header("location").value_or("");
    const std::string id = location.substr(location.rfind('/') + 1);
    REQUIRE(id.rfind("lead_", 0) == 0);
    CHECK(listed_before_kill.find(id) != std::string::npos);
    const std::string listed = lead_ids(*port);
    CHECK(listed.find(R"("total":1)") != std::string::npos);
    service.signal(SIGTERM);
    CHECK(service.wait_exit() == 0);
}

TEST_CASE(
    "on SQLite, 20 identical creates sent at once with one Idempotency-Key make one lead; 24 with keys of "
    "their own each make theirs and replay their own answer",
    "[e2e][sqlite][idempotency]") {
    TemporaryDirectory directory;
    ChildProcess service(kBinary, {}, service_env("sqlite:" + directory.file("leads.db")));
    auto port = service.wait_until_listening();
    REQUIRE(port);
    check_one_effect_for_concurrent_keys({*port}, random_tenant().value());
    check_each_key_answers_its_own_create({*port}, random_tenant().value());
    service.signal(SIGTERM);
    CHECK(service.wait_exit() == 0);
}

}  // namespace leads::tests::e2e
