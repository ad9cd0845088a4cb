// The real leads-api binary, started as a child process on a free loopback port.
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <regex>
#include <thread>

#include "tests/e2e/process.hpp"
#include "tests/e2e/service.hpp"
#include "tests/http/server/raw_client.hpp"
#include "tests/support/random.hpp"

using namespace leads::testing;
using namespace std::chrono_literals;

namespace {

using leads::tests::e2e::kBinary;

// memory: storage unless extra names another.
std::map<std::string, std::string> base_env(const std::map<std::string, std::string>& extra = {}) {
    return leads::tests::e2e::service_env("memory:", extra);
}

std::string random_tenant() { return leads::tests::random_tenant().value(); }

std::string import_body(int rows) {
    std::string body = R"({"workspace_slug":"acme","on_duplicate":"skip","leads":[)";
    for (int i = 0; i < rows; ++i) {
        if (i) body += ",";
        body += R"({"email":"person)" + std::to_string(i) + R"(@example.com","first_name":"Row )" + std::to_string(i) +
                R"(","attributes":{"note":"padding padding padding padding padding padding"}})";
    }
    return body + "]}";
}

bool ipv6_loopback_available() {
    const int fd = ::socket(AF_INET6, SOCK_STREAM, 0);
    if (fd < 0) return false;
    sockaddr_in6 address{};
    address.sin6_family = AF_INET6;
    address.sin6_addr = in6addr_loopback;
    const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
    ::close(fd);
    return ok;
}

}  // namespace

TEST_CASE("--help lists every LEADS_ variable with its flag", "[e2e][config]") {
    const auto result = run_to_exit(kBinary, {"--help"}, base_env());
    CHECK(result.exit_code == 0);
    for (const auto* variable :
         {"LEADS_LISTEN", "LEADS_DATABASE_URL", "LEADS_THREADS", "LEADS_DB_POOL_SIZE", "LEADS_LOG_LEVEL",
          "LEADS_SHUTDOWN_GRACE_S", "LEADS_AUTH_MODE", "LEADS_JWT_SECRET", "LEADS_JWT_PUBLIC_KEY_FILE",
          "LEADS_JWT_ISSUER", "LEADS_JWT_AUDIENCE", "LEADS_READ_TIMEOUT_S", "LEADS_IDLE_TIMEOUT_S"}) {
        INFO(variable);
        CHECK(result.out.find("(Env:" + std::string(variable) + ")") != std::string::npos);
    }
    CHECK(result.out.find("migrate") != std::string::npos);
}

TEST_CASE("--version prints the version", "[e2e][config]") {
    const auto result = run_to_exit(kBinary, {"--version"}, base_env());
    CHECK(result.exit_code == 0);
    CHECK(std::regex_search(result.out, std::regex(R"(^\d+\.\d+\.\d+\s*$)")));
}

TEST_CASE("A bad setting stops start-up with a message naming the variable", "[e2e][config]") {
    struct Case {
        std::map<std::string, std::string> env;
        std::vector<std::string> args;
        std::string variable;
    };
    const std::vector<Case> cases = {
        {{{"LEADS_LISTEN", "not-an-address"}}, {}, "LEADS_LISTEN"},
        {{{"LEADS_LISTEN", "127.0.0.1:99999"}}, {}, "LEADS_LISTEN"},
        {{}, {"--listen", "localhost"}, "LEADS_LISTEN"},
        {{{"LEADS_THREADS", "0"}}, {}, "LEADS_THREADS"},
        {{{"LEADS_THREADS", "lots"}}, {}, "LEADS_THREADS"},
        {{{"LEADS_DB_POOL_SIZE", "1025"}}, {}, "LEADS_DB_POOL_SIZE"},
        {{{"LEADS_LOG_LEVEL", "loud"}}, {}, "LEADS_LOG_LEVEL"},
        {{{"LEADS_SHUTDOWN_GRACE_S", "-1"}}, {}, "LEADS_SHUTDOWN_GRACE_S"},
        {{{"LEADS_AUTH_MODE", "basic"}}, {}, "LEADS_AUTH_MODE"},
        {{{"LEADS_JWT_SECRET", "too-short"}}, {}, "LEADS_JWT_SECRET"},
        {{{"LEADS_AUTH_MODE", "jwt"}}, {}, "LEADS_AUTH_MODE"},
        {{{"LEADS_JWT_PUBLIC_KEY_FILE", "/nonexistent/key.pem"}}, {}, "LEADS_JWT_PUBLIC_KEY_FILE"},
        {{{"LEADS_DATABASE_URL", "mysql://x"}}, {}, "LEADS_DATABASE_URL"},
        // The implicit gateway mode on a public address (CONTRACT §1).
        {{{"LEADS_LISTEN", "0.0.0.0:0"}}, {}, "LEADS_AUTH_MODE"},
        {{{"LEADS_LISTEN", "[::]:0"}}, {}, "LEADS_AUTH_MODE"},
    };
    for (const auto& c : cases) {
        INFO(c.variable << " " << (c.env.empty() ? "" : c.env.begin()->second));
        const auto result = run_to_exit(kBinary, c.args, base_env(c.env));
        CHECK(result.exit_code == 2);
        CHECK(result.err.find(c.variable) != std::string::npos);
        CHECK(result.out.find(R"("msg":"listening")") == std::string::npos);
    }
    // A secret is never echoed back.
    const auto result = run_to_exit(kBinary, {}, base_env({{"LEADS_JWT_SECRET", "hunter2-short"}}));
    CHECK(result.err.find("hunter2") == std::string::npos);
    // An unknown flag is a usage error too.
    CHECK(run_to_exit(kBinary, {"--no-such-flag"}, base_env()).exit_code == 2);
}

TEST_CASE("A flag wins over its variable", "[e2e][config]") {
    ChildProcess child(kBinary, {"--threads", "3", "--log-level", "info"},
                       base_env({{"LEADS_THREADS", "0"}, {"LEADS_LOG_LEVEL", "nonsense"}}));
    const auto port = child.wait_until_listening();
    REQUIRE(port);
    CHECK(child.out().find(R"("threads":3)") != std::string::npos);
    child.signal(SIGTERM);
    CHECK(child.wait_exit() == 0);
}

TEST_CASE("migrate exits 0 for memory; a bad URL is a configuration error", "[e2e][config]") {
    CHECK(run_to_exit(kBinary, {"migrate"}, base_env()).exit_code == 0);
    CHECK(run_to_exit(kBinary, {"migrate", "--database-url", "memory:"}, base_env()).exit_code == 0);
    const auto bad = run_to_exit(kBinary, {"migrate"}, base_env({{"LEADS_DATABASE_URL", "mysql://nope"}}));
    CHECK(bad.exit_code == 2);
    CHECK(bad.err.find("LEADS_DATABASE_URL") != std::string::npos);
}

TEST_CASE("The binary serves the API and the operations endpoints", "[e2e]") {
    ChildProcess child(kBinary, {}, base_env());
    const auto port = child.wait_until_listening();
    REQUIRE(port);
    const auto tenant = random_tenant();

    auto health = http_request(*port, "GET", "/healthz");
    REQUIRE(health);
    CHECK(health->status == 200);
    auto ready = http_request(*port, "GET", "/readyz");
    REQUIRE(ready);
    CHECK(ready->status == 200);

    const auto created = http_request(
        *port, "POST", "/api/v1/tenant/leads",
        R"({"workspace_slug":"acme","email":"Secret.Person@Example.com","first_name":"Zebulon","last_name":"Quux"})",
        {{"X-Tenant-Id", tenant}, {"Content-Type", "application/json"}, {"X-Request-Id", "e2e-create-1"}});
    REQUIRE(created);
    CHECK(created->status == 201);
    CHECK(created->header("x-request-id") == "e2e-create-1");
    const auto location = created->header("location");
    REQUIRE(location);

    const auto fetched = http_request(*port, "GET", *location, {}, {{"X-Tenant-Id", tenant}});
    REQUIRE(fetched);
    CHECK(fetched->status == 200);
    CHECK(fetched->body.find("secret.person@example.com") != std::string::npos);

    const auto searched =
        http_request(*port, "GET", "/api/v1/tenant/leads?workspace=acme&search=zebulon", {}, {{"X-Tenant-Id", tenant}});
    REQUIRE(searched);
    CHECK(searched->status == 200);
    CHECK(searched->body.find(R"("total":1)") != std::string::npos);

    std::optional<HttpResponse> metrics;
    CHECK(eventually([&] {
        metrics = http_request(*port, "GET", "/metrics");
        // Metrics are recorded once a response is written: wait until all three are in.
        return metrics &&
               metric_value(metrics->body,
                            R"(leads_http_requests_total{method="GET",route="/api/v1/tenant/leads",status="200"})") ==
                   1 &&
               metric_value(metrics->body,
                            R"(leads_http_requests_total{method="POST",route="/api/v1/tenant/leads",status="201"})") ==
                   1 &&
               metric_value(
                   metrics->body,
                   R"(leads_http_requests_total{method="GET",route="/api/v1/tenant/leads/{id}",status="200"})") == 1;
    }));
    REQUIRE(metrics);
    CHECK(metric_value(metrics->body,
                       R"(leads_http_requests_total{method="POST",route="/api/v1/tenant/leads",status="201"})") == 1);
    CHECK(metric_value(metrics->body,
                       R"(leads_http_requests_total{method="GET",route="/api/v1/tenant/leads/{id}",status="200"})") ==
          1);

    const auto openapi = http_request(*port, "GET", "/api/v1/openapi.json");
    REQUIRE(openapi);
    CHECK(openapi->status == 200);
    CHECK(openapi->body.find("\"openapi\"") != std::string::npos);

    child.signal(SIGTERM);
    CHECK(child.wait_exit() == 0);

    // Logs: JSON lines with request ids and route templates, never the personal data.
    const auto& out = child.out();
    CHECK(out.find(R"("request_id":"e2e-create-1")") != std::string::npos);
    CHECK(out.find(R"("route":"/api/v1/tenant/leads/{id}")") != std::string::npos);
    for (const auto* secret : {"secret.person", "Secret.Person", "Zebulon", "zebulon", "Quux", tenant.c_str()}) {
        INFO(secret);
        CHECK(out.find(secret) == std::string::npos);
    }
    std::istringstream lines(out);
    std::string line;
    while (std::getline(lines, line)) {
        INFO(line);
        CHECK(std::regex_match(line,
                               std::regex(R"(\{"ts":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z","level":"\w+",.*\})")));
    }
}

TEST_CASE("JWT mode answers 401 without a token", "[e2e]") {
    ChildProcess child(kBinary, {}, base_env({{"LEADS_JWT_SECRET", std::string(40, 'k')}}));
    const auto port = child.wait_until_listening();
    REQUIRE(port);
    CHECK(child.out().find(R"("auth_mode":"jwt")") != std::string::npos);
    const auto response =
        http_request(*port, "GET", "/api/v1/tenant/leads?workspace=acme", {}, {{"X-Tenant-Id", "ignored-in-jwt"}});
    REQUIRE(response);
    CHECK(response->status == 401);
    child.signal(SIGTERM);
    CHECK(child.wait_exit() == 0);
}

TEST_CASE("Explicit gateway mode may listen on a non-loopback address", "[e2e][config]") {
    ChildProcess child(kBinary, {}, base_env({{"LEADS_LISTEN", "0.0.0.0:0"}, {"LEADS_AUTH_MODE", "gateway"}}));
    const auto port = child.wait_until_listening();
    REQUIRE(port);
    CHECK(child.out().find(R"("level":"warn")") != std::string::npos);
    CHECK(http_request(*port, "GET", "/healthz")->status == 200);
    child.signal(SIGINT);
    CHECK(child.wait_exit() == 0);
}

TEST_CASE("IPv6 literal listen addresses work", "[e2e][config]") {
    if (!ipv6_loopback_available()) {
        WARN("no IPv6 loopback here: skipped");
        return;
    }
    ChildProcess child(kBinary, {}, base_env({{"LEADS_LISTEN", "[::1]:0"}}));
    const auto port = child.wait_until_listening();
    REQUIRE(port);
    RawConnection connection(*port, "::1");
    connection.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    const auto response = connection.read_response();
    REQUIRE(response);
    CHECK(response->status == 200);
    child.signal(SIGTERM);
    CHECK(child.wait_exit() == 0);
}

TEST_CASE("SIGTERM: a request still being received completes, then the process exits 0", "[e2e][shutdown]") {
    ChildProcess child(kBinary, {}, base_env());
    const auto port = child.wait_until_listening();
    REQUIRE(port);
    const auto tenant = random_tenant();
    const auto body = import_body(300);
    const auto split = body.size() / 2;

    RawConnection idle(*port);  // a keep-alive connection between requests: closed at once
    idle.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    REQUIRE(idle.read_response());

    RawConnection slow(*port);
    slow.send(
        "POST /api/v1/tenant/leads/import HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        "X-Tenant-Id: " +
        tenant + "\r\nX-Request-Id: e2e-slow-import\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" +
        body.substr(0, split));
    std::this_thread::sleep_for(300ms);

    child.signal(SIGTERM);
    REQUIRE(child.wait_for_line(R"("msg":"shutting down")", 5s));
    CHECK(idle.wait_closed(5s));
    // No new connections once draining.
    bool refused = false;
    for (int i = 0; i < 50 && !refused; ++i) {
        refused = !can_connect(*port);
        if (!refused) std::this_thread::sleep_for(20ms);
    }
    CHECK(refused);
    CHECK_FALSE(child.wait_exit(300ms));  // still finishing the upload

    slow.send(body.substr(split));
    const auto response = slow.read_response();
    REQUIRE(response);
    CHECK(response->status == 200);
    CHECK(response->body.find(R"("created":300)") != std::string::npos);
    CHECK(response->header("connection") == "close");

    CHECK(child.wait_exit(10s) == 0);
    const auto& out = child.out();
    const auto access = out.find(R"("request_id":"e2e-slow-import")");
    CHECK(access != std::string::npos);
    CHECK(access < out.find(R"("msg":"exiting")"));
}

TEST_CASE("SIGTERM: a stalled request is abandoned after the grace period, exit 0", "[e2e][shutdown]") {
    ChildProcess child(kBinary, {}, base_env({{"LEADS_SHUTDOWN_GRACE_S", "1"}}));
    const auto port = child.wait_until_listening();
    REQUIRE(port);
    RawConnection stalled(*port);
    stalled.send(
        "POST /api/v1/tenant/leads HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        "X-Tenant-Id: t\r\nContent-Length: 1000\r\n\r\n{\"workspace_slug\":");
    std::this_thread::sleep_for(200ms);
    const auto start = std::chrono::steady_clock::now();
    child.signal(SIGTERM);
    CHECK(child.wait_exit(10s) == 0);
    const auto took = std::chrono::steady_clock::now() - start;
    CHECK(took >= 900ms);
    CHECK(took < 5s);
    CHECK(child.out().find(R"("reason":"grace period over")") != std::string::npos);
}

TEST_CASE("SIGTERM on an idle server exits 0 at once", "[e2e][shutdown]") {
    ChildProcess child(kBinary, {}, base_env());
    REQUIRE(child.wait_until_listening());
    const auto start = std::chrono::steady_clock::now();
    child.signal(SIGTERM);
    CHECK(child.wait_exit(10s) == 0);
    CHECK(std::chrono::steady_clock::now() - start < 3s);
}
