// The Beast server in-process, over raw sockets, with a stub API behind it.
#include <catch2/catch.hpp>
#include <regex>
#include <thread>

#include "tests/http/server/server_fixture.hpp"

using namespace leads::testing;
using namespace std::chrono_literals;

namespace {

std::string get(std::string_view target) { return "GET " + std::string(target) + " HTTP/1.1\r\nHost: t\r\n\r\n"; }

std::string post(std::string_view target, std::string_view body) {
    return "POST " + std::string(target) +
           " HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
           "\r\n\r\n" + std::string(body);
}

}  // namespace

TEST_CASE("GET /healthz answers ok with the standard headers", "[server]") {
    TestServer server;
    const auto response = http_request(server.port(), "GET", "/healthz");
    REQUIRE(response);
    CHECK(response->status == 200);
    CHECK(response->body == R"({"success":true,"data":{"status":"ok"}})");
    CHECK(response->header("content-type") == "application/json; charset=utf-8");
    CHECK(response->header("content-length") == std::to_string(response->body.size()));
    CHECK(response->header_count("x-request-id") == 1);
    CHECK(response->header_count("server") == 0);
}

TEST_CASE("X-Request-Id is echoed when sane and generated otherwise", "[server]") {
    TestServer server;
    SECTION("echoed") {
        const auto response = http_request(server.port(), "GET", "/stub/echo", {}, {{"X-Request-Id", "abc-123_XYZ"}});
        REQUIRE(response);
        CHECK(response->header("x-request-id") == "abc-123_XYZ");
        CHECK(response->body.find("request_id=abc-123_XYZ\n") != std::string::npos);
    }
    SECTION("generated when absent, different each time") {
        const auto a = http_request(server.port(), "GET", "/healthz");
        const auto b = http_request(server.port(), "GET", "/healthz");
        REQUIRE(a);
        REQUIRE(b);
        CHECK(std::regex_match(*a->header("x-request-id"), std::regex("[0-9a-f]{32}")));
        CHECK(a->header("x-request-id") != b->header("x-request-id"));
    }
    SECTION("replaced when too long") {
        const std::string long_id(129, 'a');
        const auto response = http_request(server.port(), "GET", "/healthz", {}, {{"X-Request-Id", long_id}});
        REQUIRE(response);
        CHECK(response->header("x-request-id") != long_id);
        CHECK(response->header("x-request-id")->size() == 32);
    }
    SECTION("128 characters are still accepted") {
        const std::string id(128, 'b');
        const auto response = http_request(server.port(), "GET", "/healthz", {}, {{"X-Request-Id", id}});
        REQUIRE(response);
        CHECK(response->header("x-request-id") == id);
    }
    SECTION("replaced when it has spaces or non-ASCII bytes") {
        for (const std::string bad : {"a b", "caf\xc3\xa9", "tab\there"}) {
            const auto response = http_request(server.port(), "GET", "/healthz", {}, {{"X-Request-Id", bad}});
            REQUIRE(response);
            CHECK(response->header("x-request-id") != bad);
        }
    }
}

TEST_CASE("The API sees lower-cased headers and a split target", "[server]") {
    TestServer server;
    const auto response =
        http_request(server.port(), "GET", "/stub/echo?search=x%20y&limit=2", {}, {{"X-Custom-HEADER", "Value"}});
    REQUIRE(response);
    CHECK(response->status == 200);
    CHECK(response->body.find("path=/stub/echo\n") != std::string::npos);
    CHECK(response->body.find("query=search=x%20y&limit=2\n") != std::string::npos);
    CHECK(response->body.find("header:x-custom-header=Value\n") != std::string::npos);
    CHECK(response->header("content-type") == "text/plain");
}

TEST_CASE("GET /readyz follows the readiness check", "[server]") {
    TestServer server;
    auto response = http_request(server.port(), "GET", "/readyz");
    REQUIRE(response);
    CHECK(response->status == 200);
    CHECK(response->body == R"({"success":true,"data":{"status":"ready"}})");

    server.stub->ready = false;
    response = http_request(server.port(), "GET", "/readyz");
    REQUIRE(response);
    CHECK(response->status == 503);
    CHECK(response->header("retry-after"));
    CHECK(response->body.find(R"("code":"unavailable")") != std::string::npos);
    CHECK(response->body.find("stub storage down") == std::string::npos);  // internal reason stays in the log

    server.stub->ready = true;
    response = http_request(server.port(), "GET", "/readyz");
    REQUIRE(response);
    CHECK(response->status == 200);
}

TEST_CASE("Operations paths answer 405 with Allow for other methods", "[server]") {
    TestServer server;
    for (const auto* path : {"/healthz", "/readyz", "/metrics", "/api/v1/openapi.json"}) {
        for (const auto* method : {"POST", "DELETE", "PUT", "PATCH"}) {
            const auto response = http_request(server.port(), method, path);
            REQUIRE(response);
            CHECK(response->status == 405);
            CHECK(response->header("allow") == "GET");
            CHECK(response->body.find(R"("code":"method_not_allowed")") != std::string::npos);
        }
    }
}

TEST_CASE("GET /api/v1/openapi.json serves the document", "[server]") {
    TestServer server;
    const auto response = http_request(server.port(), "GET", "/api/v1/openapi.json");
    REQUIRE(response);
    CHECK(response->status == 200);
    CHECK(response->body == R"({"openapi":"3.1.0"})");
    CHECK(response->header("content-type") == "application/json; charset=utf-8");
}

TEST_CASE("GET /metrics exposes counters that move", "[server][metrics]") {
    TestServer server;
    const std::string series = R"(leads_http_requests_total{method="GET",route="/healthz",status="200"})";
    auto scrape = [&] {
        const auto response = http_request(server.port(), "GET", "/metrics");
        REQUIRE(response);
        REQUIRE(response->status == 200);
        CHECK(response->header("content-type") == "text/plain; version=0.0.4; charset=utf-8");
        return response->body;
    };
    const auto before = metric_value(scrape(), series);
    for (int i = 0; i < 3; ++i) require_still_serving(server.port());
    (void)http_request(server.port(), "GET", "/nope");
    std::string text;
    CHECK(eventually([&] {
        text = scrape();
        return metric_value(text, series) == before + 3 &&
               metric_value(text, R"(leads_http_requests_total{method="GET",route="unmatched",status="404"})") == 1 &&
               metric_value(text, "leads_http_requests_in_flight") == 1;
    }));
    CHECK(metric_value(text, R"(leads_http_request_duration_seconds_count{method="GET",route="/healthz"})") ==
          before + 3);
    CHECK(
        metric_value(text, R"(leads_http_request_duration_seconds_bucket{method="GET",route="/healthz",le="+Inf"})") ==
        before + 3);
    CHECK(metric_value(text, R"(leads_build_info{version="9.9.9-test"})") == 1);
    CHECK(text.find("# TYPE leads_http_request_duration_seconds histogram\n") != std::string::npos);
    CHECK(text.find("# TYPE leads_http_requests_in_flight gauge\n") != std::string::npos);
    // The scrape itself is in flight while it renders.
    CHECK(metric_value(text, "leads_http_requests_in_flight") == 1);
}

TEST_CASE("A handler that throws gives 500 internal_error and the server goes on", "[server]") {
    TestServer server;
    const auto response = http_request(server.port(), "GET", "/stub/throw");
    REQUIRE(response);
    CHECK(response->status == 500);
    CHECK(response->body.find(R"("code":"internal_error")") != std::string::npos);
    CHECK(response->body.find("stub failure") == std::string::npos);
    require_still_serving(server.port());
}

TEST_CASE("204 responses carry neither a body, Content-Type nor Content-Length", "[server]") {
    TestServer server;
    RawConnection connection(server.port());
    connection.send("DELETE /stub/items HTTP/1.1\r\nHost: t\r\n\r\n" + get("/healthz"));
    const auto deleted = connection.read_response();
    REQUIRE(deleted);
    CHECK(deleted->status == 204);
    CHECK(deleted->body.empty());
    CHECK(deleted->header_count("content-type") == 0);
    CHECK(deleted->header_count("content-length") == 0);
    CHECK(deleted->header("x-request-id"));
    const auto next = connection.read_response();  // framing intact
    REQUIRE(next);
    CHECK(next->status == 200);
}

TEST_CASE("HEAD responses keep Content-Length but send no body", "[server]") {
    TestServer server;
    RawConnection connection(server.port());
    connection.send("HEAD /stub/echo HTTP/1.1\r\nHost: t\r\n\r\n" + get("/healthz"));
    const auto head = connection.read_response(10s, true);
    REQUIRE(head);
    CHECK(head->status == 200);
    CHECK(std::stoul(head->header("content-length").value_or("0")) > 0);
    CHECK(head->body.empty());
    const auto next = connection.read_response();  // framing intact: no stray body bytes
    REQUIRE(next);
    CHECK(next->status == 200);
    CHECK(next->body == R"({"success":true,"data":{"status":"ok"}})");
}

TEST_CASE("Keep-alive serves several requests on one connection", "[server]") {
    TestServer server;
    RawConnection connection(server.port());
    for (int i = 0; i < 5; ++i) {
        connection.send(get("/healthz"));
        const auto response = connection.read_response();
        REQUIRE(response);
        CHECK(response->status == 200);
        CHECK(response->header("connection") != "close");
    }
}

TEST_CASE("Connection: close and HTTP/1.0 close after the response", "[server]") {
    TestServer server;
    SECTION("Connection: close") {
        RawConnection connection(server.port());
        connection.send("GET /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
        const auto response = connection.read_response();
        REQUIRE(response);
        CHECK(response->header("connection") == "close");
        CHECK(connection.wait_closed(5s));
    }
    SECTION("HTTP/1.0") {
        RawConnection connection(server.port());
        connection.send("GET /healthz HTTP/1.0\r\n\r\n");
        const auto response = connection.read_response();
        REQUIRE(response);
        CHECK(response->status == 200);
        CHECK(connection.wait_closed(5s));
    }
}

TEST_CASE("Pipelined requests are answered in order, each after the ones before it", "[server]") {
    TestServer server;
    RawConnection connection(server.port());
    // One write: each request must see the effects of those before it, whatever the timing.
    connection.send(post("/stub/items", "first") + get("/stub/slow?ms=50") + post("/stub/items", "second") +
                    get("/stub/items") + get("/healthz"));
    const auto created = connection.read_response();
    const auto slow = connection.read_response();
    const auto created2 = connection.read_response();
    const auto listed = connection.read_response();
    const auto health = connection.read_response();
    REQUIRE(created);
    REQUIRE(slow);
    REQUIRE(created2);
    REQUIRE(listed);
    REQUIRE(health);
    CHECK(created->status == 201);
    CHECK(slow->body == R"({"success":true,"data":"slow"})");
    CHECK(created2->status == 201);
    CHECK(listed->body == "first,second");
    CHECK(health->status == 200);
}

TEST_CASE("Malformed requests get 400 and the connection closes", "[server][robustness]") {
    TestServer server;
    const char* bad_requests[] = {
        "GARBAGE\r\n\r\n",
        "GET /healthz HTTP/9.9\r\n\r\n",
        "GET /healthz HTTP/1.1\r\nBad Header Line\r\n\r\n",
        "GET  HTTP/1.1\r\n\r\n",
        "POST /stub/items HTTP/1.1\r\nContent-Length: abc\r\n\r\n",
        "POST /stub/items HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!",
        "POST /stub/items HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\nhello\r\n0\r\n\r\n",
        "G\x01T / HTTP/1.1\r\n\r\n",
    };
    for (const auto* bad : bad_requests) {
        INFO(bad);
        RawConnection connection(server.port());
        connection.send(bad);
        const auto response = connection.read_response();
        REQUIRE(response);
        CHECK(response->status == 400);
        CHECK(response->body.find(R"("code":"bad_request")") != std::string::npos);
        CHECK(response->header("x-request-id"));
        CHECK(response->header("content-type") == "application/json; charset=utf-8");
        CHECK(connection.wait_closed(5s));
        require_still_serving(server.port());
    }
}

TEST_CASE("A body over 1 MiB gets 413 payload_too_large", "[server][robustness]") {
    TestServer server;
    SECTION("declared by Content-Length") {
        RawConnection connection(server.port());
        connection.send("POST /stub/items HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: " +
                        std::to_string(1024 * 1024 + 1) + "\r\n\r\n");
        const auto response = connection.read_response();
        REQUIRE(response);
        CHECK(response->status == 413);
        CHECK(response->body.find(R"("code":"payload_too_large")") != std::string::npos);
        CHECK(connection.wait_closed(5s));
    }
    SECTION("sent chunked") {
        RawConnection connection(server.port());
        connection.send("POST /stub/items HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n");
        const std::string chunk(64 * 1024, 'x');
        bool answered_early = false;
        for (int i = 0; i < 20 && !answered_early; ++i) {
            char size[16];
            std::snprintf(size, sizeof size, "%zx\r\n", chunk.size());
            answered_early = !connection.try_send(size + chunk + "\r\n");
        }
        const auto response = connection.read_response();
        REQUIRE(response);
        CHECK(response->status == 413);
    }
    SECTION("exactly 1 MiB is accepted") {
        const std::string body(1024 * 1024, 'y');
        const auto response = http_request(server.port(), "POST", "/stub/items", body);
        REQUIRE(response);
        CHECK(response->status == 201);
    }
    require_still_serving(server.port());
}

TEST_CASE("A route declared with a 16 MiB body limit accepts up to 16 MiB, others 1 MiB", "[server][robustness]") {
    TestServer server;
    const std::string body(3 * 1024 * 1024, 'z');
    auto response = http_request(server.port(), "POST", "/api/v1/tenant/leads/import", body);
    REQUIRE(response);
    CHECK(response->status == 200);
    CHECK(response->body == std::to_string(body.size()));

    RawConnection connection(server.port());
    connection.send("POST /api/v1/tenant/leads/import HTTP/1.1\r\nHost: t\r\nContent-Length: " +
                    std::to_string(16 * 1024 * 1024 + 1) + "\r\n\r\n");
    response = connection.read_response();
    REQUIRE(response);
    CHECK(response->status == 413);
    // Not on other methods or paths.
    response = http_request(server.port(), "PATCH", "/api/v1/tenant/leads/import", std::string(1024 * 1024 + 1, 'a'));
    REQUIRE(response);
    CHECK(response->status == 413);
}

TEST_CASE("A Content-Length over every body limit still gets its X-Request-Id and method", "[server][robustness]") {
    // Beast refuses such a length while parsing the header (the parser's own limit is the
    // import one), before the request line is known to the session.
    TestServer server;
    RawConnection connection(server.port());
    connection.send("POST /api/v1/tenant/leads/import HTTP/1.1\r\nHost: t\r\nX-Request-Id: huge-1\r\nContent-Length: " +
                    std::to_string(64 * 1024 * 1024) + "\r\n\r\n");
    const auto response = connection.read_response();
    REQUIRE(response);
    CHECK(response->status == 413);
    CHECK(response->header("x-request-id") == "huge-1");
    const std::string series = R"(leads_http_requests_total{method="POST",route="unmatched",status="413"})";
    CHECK(eventually([&] {
        const auto metrics = http_request(server.port(), "GET", "/metrics");
        return metrics && metric_value(metrics->body, series) == 1;
    }));
}

TEST_CASE("Expect: 100-continue gets an interim response", "[server]") {
    TestServer server;
    RawConnection connection(server.port());
    connection.send("POST /stub/items HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n");
    // The raw client skips the 100 but we only send the body once it came.
    std::this_thread::sleep_for(50ms);
    connection.send("hello");
    const auto response = connection.read_response();
    REQUIRE(response);
    CHECK(response->status == 201);
}

TEST_CASE("Request headers over 16 KiB get 431", "[server][robustness]") {
    TestServer server;
    RawConnection connection(server.port());
    const std::string big(17 * 1024, 'h');
    connection.try_send("GET /healthz HTTP/1.1\r\nHost: t\r\nX-Big: " + big + "\r\n\r\n");
    const auto response = connection.read_response();
    REQUIRE(response);
    CHECK(response->status == 431);
    CHECK(response->header("x-request-id"));
    require_still_serving(server.port());

    // Just under the limit is fine.
    const auto ok = http_request(server.port(), "GET", "/healthz", {}, {{"X-Big", std::string(15 * 1024, 'h')}});
    REQUIRE(ok);
    CHECK(ok->status == 200);
}

TEST_CASE("A slow client is cut off at the read deadline", "[server][robustness]") {
    auto options = test_options();
    options.read_timeout = 400ms;
    TestServer server(options);
    SECTION("header never finished") {
        RawConnection connection(server.port());
        connection.send("GET /healthz HTTP/1.1\r\nHost: t\r\n");
        const auto start = std::chrono::steady_clock::now();
        CHECK(connection.wait_closed(5s));
        CHECK(std::chrono::steady_clock::now() - start < 3s);
    }
    SECTION("body trickling in") {
        RawConnection connection(server.port());
        connection.send("POST /stub/items HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\n");
        bool closed = false;
        for (int i = 0; i < 30 && !closed; ++i) {
            closed = !connection.try_send("x") || connection.wait_closed(100ms);
        }
        CHECK(closed);
        std::lock_guard lock(server.stub->mutex);
        CHECK(server.stub->items.empty());
    }
    SECTION("connection that never sends") {
        RawConnection connection(server.port());
        CHECK(connection.wait_closed(5s));
    }
    require_still_serving(server.port());
}

TEST_CASE("An idle keep-alive connection is closed after the idle timeout", "[server][robustness]") {
    auto options = test_options();
    options.idle_timeout = 300ms;
    TestServer server(options);
    RawConnection connection(server.port());
    connection.send(get("/healthz"));
    REQUIRE(connection.read_response());
    const auto start = std::chrono::steady_clock::now();
    CHECK(connection.wait_closed(5s));
    const auto waited = std::chrono::steady_clock::now() - start;
    CHECK(waited >= 250ms);
    CHECK(waited < 3s);
    require_still_serving(server.port());
}

TEST_CASE("Handlers run off the I/O threads", "[server]") {
    auto options = test_options();
    options.io_threads = 1;
    options.worker_threads = 2;
    TestServer server(options);
    // One slow request must not stop the single I/O thread from answering /healthz.
    RawConnection slow(server.port());
    slow.send(get("/stub/slow?ms=1500"));
    std::this_thread::sleep_for(100ms);
    const auto start = std::chrono::steady_clock::now();
    require_still_serving(server.port());
    CHECK(std::chrono::steady_clock::now() - start < 1s);
    const auto response = slow.read_response();
    REQUIRE(response);
    CHECK(response->status == 200);
}

TEST_CASE("A response larger than the socket takes at once reaches a slow reader whole, and the worker moves on",
          "[server]") {
    auto options = test_options();
    options.worker_threads = 1;
    TestServer server(options);
    RawConnection reader(server.port());
    // 16 MiB: far more than the socket buffers hold while nobody reads.
    reader.send(get("/stub/big?kb=16384") + get("/healthz"));
    std::this_thread::sleep_for(300ms);
    // The only worker wrote what fitted and left the rest to the connection's strand: it is
    // free for another connection's request while the first one's client is not reading.
    RawConnection other(server.port());
    other.send(post("/stub/items", "while-full"));
    const auto created = other.read_response(3s);
    REQUIRE(created);
    CHECK(created->status == 201);
    const auto big = reader.read_response();
    REQUIRE(big);
    CHECK(big->status == 200);
    CHECK(big->body == std::string(16384 * 1024, 'b'));
    // The connection carries on with the pipelined request after it.
    const auto health = reader.read_response();
    REQUIRE(health);
    CHECK(health->status == 200);
}

TEST_CASE("A request that waited too long for a worker is answered 503 without running", "[server][robustness]") {
    auto options = test_options();
    options.worker_threads = 1;
    options.queue_timeout = 300ms;
    TestServer server(options);
    RawConnection slow(server.port());
    slow.send(get("/stub/slow?ms=1000"));
    std::this_thread::sleep_for(100ms);
    // Queued behind the slow call for longer than the queue timeout: shed, not run.
    RawConnection queued(server.port());
    queued.send(post("/stub/items", "shed"));
    const auto shed = queued.read_response();
    REQUIRE(shed);
    CHECK(shed->status == 503);
    CHECK(shed->header("retry-after") == "1");
    CHECK(shed->body.find(R"("code":"unavailable")") != std::string::npos);
    const auto done = slow.read_response();
    REQUIRE(done);
    CHECK(done->status == 200);
    {
        std::lock_guard lock(server.stub->mutex);
        CHECK(server.stub->items.empty());
    }
    require_still_serving(server.port());
}

TEST_CASE("Shutdown finishes in-flight requests and refuses new connections", "[server][shutdown]") {
    auto stub_server = std::make_unique<TestServer>();
    const auto port = stub_server->port();
    RawConnection busy(port);
    RawConnection idle(port);
    busy.send(get("/stub/slow?ms=700"));
    idle.send(get("/healthz"));
    REQUIRE(idle.read_response());
    std::this_thread::sleep_for(100ms);

    const auto start = std::chrono::steady_clock::now();
    stub_server->server.shutdown();
    CHECK(stub_server->server.draining());
    CHECK(idle.wait_closed(2s));  // idle keep-alive connections close at once

    const auto response = busy.read_response();
    REQUIRE(response);
    CHECK(response->status == 200);
    CHECK(response->header("connection") == "close");
    CHECK(busy.wait_closed(2s));
    stub_server->server.wait();
    CHECK(std::chrono::steady_clock::now() - start < 4s);
    CHECK_FALSE(can_connect(port));
}

TEST_CASE("Shutdown gives up after the grace period", "[server][shutdown]") {
    auto options = test_options();
    options.shutdown_grace = 300ms;
    auto stub_server = std::make_unique<TestServer>(options);
    RawConnection busy(stub_server->port());
    busy.send(get("/stub/slow?ms=1500"));
    std::this_thread::sleep_for(100ms);
    const auto start = std::chrono::steady_clock::now();
    stub_server->server.shutdown();
    stub_server->server.wait();  // joins the worker too, so waits for the slow handler
    CHECK(std::chrono::steady_clock::now() - start < 3s);
    stub_server.reset();
    CHECK(busy.wait_closed(2s));
}

TEST_CASE("The access log has one JSON line per request with the route template", "[server][log]") {
    LogCapture capture;
    {
        TestServer server;
        (void)http_request(server.port(), "GET", "/stub/echo?search=jane%40example.com", {},
                           {{"X-Request-Id", "log-test-1"}, {"Authorization", "Bearer secret-token"}});
        (void)http_request(server.port(), "GET", "/stub/throw", {}, {{"X-Request-Id", "log-test-2"}});
    }
    const auto text = capture.text();
    std::istringstream lines(text);
    std::string line;
    int access_lines = 0;
    while (std::getline(lines, line)) {
        INFO(line);
        CHECK(line.front() == '{');
        CHECK(line.back() == '}');
        CHECK(line.find(R"("ts":")") != std::string::npos);
        CHECK(line.find(R"("level":")") != std::string::npos);
        if (line.find(R"("msg":"request")") == std::string::npos) continue;
        ++access_lines;
        if (line.find("log-test-1") != std::string::npos) {
            CHECK(line.find(R"("request_id":"log-test-1")") != std::string::npos);
            CHECK(line.find(R"("route":"/stub/echo")") != std::string::npos);
            CHECK(line.find(R"("status":200)") != std::string::npos);
            CHECK(line.find(R"("method":"GET")") != std::string::npos);
            CHECK(line.find(R"("duration_ms":)") != std::string::npos);
            CHECK(line.find(R"("bytes":)") != std::string::npos);
        }
        if (line.find("log-test-2") != std::string::npos) {
            CHECK(line.find(R"("status":500)") != std::string::npos);
            CHECK(line.find(R"("level":"error")") != std::string::npos);
            CHECK(line.find("stub failure") != std::string::npos);  // log_detail
        }
    }
    CHECK(access_lines == 2);
    CHECK(text.find("jane") == std::string::npos);
    CHECK(text.find("search") == std::string::npos);
    CHECK(text.find("secret-token") == std::string::npos);
}

TEST_CASE("What a response was made from is let go after the client has the response, not before",
          "[server][workers]") {
    // The kept object's release blocks until the test allows it: released before the
    // write, it would hold the response back and the read below would time out.
    TestServer server;
    RawConnection connection(server.port());
    connection.send(get("/stub/kept"));
    const auto response = connection.read_response(5s);
    const bool gone_before = server.stub->kept_gone;
    server.stub->release_kept();
    REQUIRE(response);
    CHECK(response->status == 200);
    CHECK(response->body == "kept");
    CHECK_FALSE(gone_before);
    CHECK(eventually([&] { return server.stub->kept_gone.load(); }));
}

TEST_CASE("Expensive requests run on their own workers: a cheap request never queues behind them",
          "[server][workers]") {
    auto options = test_options();
    options.worker_threads = 2;
    options.expensive_worker_threads = 1;
    auto stub = std::make_shared<StubApi>();
    auto endpoints = TestServer::endpoints(stub);
    endpoints.expensive = [](const http::Request& request) { return request.path == "/stub/slow"; };
    quiet_logs();
    http::Server server(std::move(options), std::move(endpoints));
    REQUIRE(server.start());

    // More slow requests than there are workers of either kind.
    std::vector<std::thread> slow;
    std::atomic<int> slow_ok{0};
    for (int i = 0; i < 3; ++i) {
        slow.emplace_back([&] {
            const auto response = http_request(server.port(), "GET", "/stub/slow?ms=1500");
            if (response && response->status == 200) ++slow_ok;
        });
    }
    std::this_thread::sleep_for(200ms);  // the first slow request is running, the others queue
    const auto started = std::chrono::steady_clock::now();
    const auto cheap = http_request(server.port(), "GET", "/stub/items");
    const auto waited = std::chrono::steady_clock::now() - started;
    REQUIRE(cheap);
    CHECK(cheap->status == 200);
    CHECK(waited < 1000ms);
    for (auto& thread : slow) thread.join();
    CHECK(slow_ok == 3);  // one at a time, but all served
    server.shutdown();
    server.wait();
}

TEST_CASE("Expensive requests run at a lower CPU priority than cheap ones, so cheap ones get the cores first",
          "[server][workers]") {
    auto options = test_options();
    options.worker_threads = 1;
    options.expensive_worker_threads = 1;
    auto stub = std::make_shared<StubApi>();
    auto endpoints = TestServer::endpoints(stub);
    endpoints.expensive = [](const http::Request& request) { return request.query == "expensive"; };
    quiet_logs();
    http::Server server(std::move(options), std::move(endpoints));
    REQUIRE(server.start());

    const auto cheap = http_request(server.port(), "GET", "/stub/nice");
    const auto expensive = http_request(server.port(), "GET", "/stub/nice?expensive");
    REQUIRE(cheap);
    REQUIRE(expensive);
    CHECK(std::stoi(expensive->body) == std::min(19, std::stoi(cheap->body) + http::kExpensiveNiceness));
    // Still so on a later request of the same worker.
    CHECK(http_request(server.port(), "GET", "/stub/nice?expensive")->body == expensive->body);
    CHECK(http_request(server.port(), "GET", "/stub/nice")->body == cheap->body);
    server.shutdown();
    server.wait();
}
