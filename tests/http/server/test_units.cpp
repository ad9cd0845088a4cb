// The server's pure parts: listen addresses, request ids, metrics text, JSON log lines, routing.
#include <fcntl.h>
#include <poll.h>
#include <spdlog/details/log_msg.h>
#include <spdlog/formatter.h>
#include <spdlog/logger.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <cerrno>
#include <chrono>
#include <map>
#include <sstream>
#include <thread>
#include <vector>

#include "adapters/http/server/listen_address.hpp"
#include "adapters/http/server/metrics.hpp"
#include "adapters/http/server/request_id.hpp"
#include "adapters/http/server/router.hpp"
#include "adapters/http/text.hpp"
#include "adapters/logging/json_log.hpp"
#include "adapters/logging/setup.hpp"
#include "tests/http/server/raw_client.hpp"

namespace http = leads::adapters::http;
namespace logging = leads::adapters::logging;
using leads::testing::metric_value;

TEST_CASE("Listen addresses: IPv4 and bracketed IPv6 literals with a port", "[units]") {
    auto v4 = http::parse_listen_address("127.0.0.1:8080");
    REQUIRE(v4);
    CHECK(v4->host == "127.0.0.1");
    CHECK(v4->port == 8080);
    CHECK_FALSE(v4->ipv6);
    CHECK(v4->is_loopback());
    CHECK(v4->to_string() == "127.0.0.1:8080");

    auto v6 = http::parse_listen_address("[::1]:9000");
    REQUIRE(v6);
    CHECK(v6->host == "::1");
    CHECK(v6->ipv6);
    CHECK(v6->is_loopback());
    CHECK(v6->to_string() == "[::1]:9000");

    auto any = http::parse_listen_address("0.0.0.0:0");
    REQUIRE(any);
    CHECK(any->port == 0);
    CHECK_FALSE(any->is_loopback());
    auto any6 = http::parse_listen_address("[::]:80");
    REQUIRE(any6);
    CHECK_FALSE(any6->is_loopback());
    CHECK(http::parse_listen_address("127.5.6.7:1")->is_loopback());

    for (const auto* bad :
         {"", "8080", "127.0.0.1", "127.0.0.1:", "127.0.0.1:65536", "127.0.0.1:-1", "127.0.0.1:80x", "localhost:8080",
          "::1:8080", "[::1]", "[::1]8080", "[127.0.0.1]:80", "256.0.0.1:80", ":8080", "[]:80", "1.2.3.4:8080 "}) {
        INFO(bad);
        const auto parsed = http::parse_listen_address(bad);
        REQUIRE_FALSE(parsed);
        CHECK(parsed.error().kind == leads::domain::ErrorKind::Validation);
    }
}

TEST_CASE("Request ids", "[units]") {
    CHECK(http::is_acceptable_request_id("abc"));
    CHECK(http::is_acceptable_request_id(std::string(128, 'x')));
    CHECK_FALSE(http::is_acceptable_request_id(std::string(129, 'x')));
    CHECK_FALSE(http::is_acceptable_request_id(""));
    CHECK_FALSE(http::is_acceptable_request_id("a b"));
    CHECK_FALSE(http::is_acceptable_request_id("a\tb"));
    CHECK_FALSE(http::is_acceptable_request_id("\x7f"));
    CHECK_FALSE(http::is_acceptable_request_id("\xc3\xa9"));
    const auto a = http::generate_request_id();
    CHECK(a.size() == 32);
    CHECK(http::is_acceptable_request_id(a));
    CHECK(a != http::generate_request_id());
}

TEST_CASE("Metrics render Prometheus text", "[units][metrics]") {
    http::Metrics metrics("1.2.3");
    metrics.observe("GET", "/api/v1/tenant/leads/{id}", 200, std::chrono::milliseconds(3));
    metrics.observe("GET", "/api/v1/tenant/leads/{id}", 200, std::chrono::milliseconds(30));
    metrics.observe("GET", "/api/v1/tenant/leads/{id}", 404, std::chrono::seconds(20));
    metrics.observe("BREW", "unmatched", 400, std::chrono::microseconds(10));
    metrics.observe("GET", "we\"ird\\route\n", 200, std::chrono::microseconds(10));
    metrics.request_started();
    metrics.add_gauge("leads_db_pool_connections", "Open connections.", [] { return 4.0; });
    metrics.add_gauge("leads_broken", "Throws.", []() -> double { throw std::runtime_error("x"); });
    const auto text = metrics.render();
    INFO(text);
    const std::string route = R"(method="GET",route="/api/v1/tenant/leads/{id}")";
    CHECK(metric_value(text, "leads_http_requests_total{" + route + R"(,status="200"})") == 2);
    CHECK(metric_value(text, "leads_http_requests_total{" + route + R"(,status="404"})") == 1);
    CHECK(metric_value(text, R"(leads_http_requests_total{method="OTHER",route="unmatched",status="400"})") == 1);
    CHECK(text.find(R"(route="we\"ird\\route\n")") != std::string::npos);
    CHECK(metric_value(text, "leads_http_request_duration_seconds_bucket{" + route + R"(,le="0.001"})") == 0);
    CHECK(metric_value(text, "leads_http_request_duration_seconds_bucket{" + route + R"(,le="0.005"})") == 1);
    CHECK(metric_value(text, "leads_http_request_duration_seconds_bucket{" + route + R"(,le="0.05"})") == 2);
    CHECK(metric_value(text, "leads_http_request_duration_seconds_bucket{" + route + R"(,le="10"})") == 2);
    CHECK(metric_value(text, "leads_http_request_duration_seconds_bucket{" + route + R"(,le="+Inf"})") == 3);
    CHECK(metric_value(text, "leads_http_request_duration_seconds_count{" + route + "}") == 3);
    CHECK(metric_value(text, "leads_http_request_duration_seconds_sum{" + route + "}") == Approx(20.033));
    CHECK(metric_value(text, "leads_http_requests_in_flight") == 1);
    CHECK(metric_value(text, R"(leads_build_info{version="1.2.3"})") == 1);
    CHECK(metric_value(text, "leads_db_pool_connections") == 4);
    CHECK(text.find("leads_broken NaN\n") != std::string::npos);
    CHECK(text.find("# TYPE leads_http_requests_total counter\n") != std::string::npos);
    CHECK(text.back() == '\n');
}

TEST_CASE("JSON log lines", "[units][log]") {
    std::string out;
    logging::append_json_string(out, "a\"b\\c\nd\x01\x7f\xc3\xa9\xff\xe2\x82");
    CHECK(out == R"("a\"b\\c\nd\u0001\u007fé\ufffd\ufffd\ufffd")");

    auto formatter = logging::make_json_formatter();
    auto format = [&](std::string_view payload) {
        spdlog::details::log_msg msg("test", spdlog::level::warn, payload);
        spdlog::memory_buf_t buffer;
        formatter->format(msg, buffer);
        return std::string(buffer.data(), buffer.size());
    };
    const auto plain = format("hello \"world\"");
    CHECK(plain.rfind(R"({"ts":")", 0) == 0);
    CHECK(plain.find(R"(Z","level":"warn","msg":"hello \"world\""})") != std::string::npos);
    CHECK(plain.back() == '\n');
    CHECK(plain.find("request_id") == std::string::npos);
    {
        logging::RequestIdScope scope("rid-1");
        const auto structured = format(logging::Fields("event").add("n", std::int64_t{3}).add("s", "x").str());
        CHECK(structured.find(R"("level":"warn","request_id":"rid-1","msg":"event","n":3,"s":"x"})") !=
              std::string::npos);
        {
            logging::RequestIdScope inner("rid-2");
            CHECK(logging::current_request_id() == "rid-2");
        }
        CHECK(logging::current_request_id() == "rid-1");
    }
    CHECK(logging::current_request_id().empty());
}

namespace {

struct RouterFixture {
    std::atomic<bool> draining{false};
    std::atomic<int> api_calls{0};
    bool ready = true;
    http::Metrics metrics{"t"};
    http::Router router{endpoints(), metrics, draining};

    http::Endpoints endpoints() {
        http::Endpoints e;
        e.api = [this](const http::Request&) {
            ++api_calls;
            http::Response r;
            r.route = "/api";
            return r;
        };
        e.check_ready = [this]() -> leads::domain::Result<void> {
            if (ready) return {};
            return leads::domain::Error::unavailable("down");
        };
        e.openapi_json = "{\"openapi\":\"3.1.0\"}";
        return e;
    }

    static http::Request request(std::string method, std::string path) {
        http::Request r;
        r.method = std::move(method);
        r.path = std::move(path);
        return r;
    }
};

}  // namespace

TEST_CASE_METHOD(RouterFixture, "Router: operations inline, readiness and the API on the pool", "[units][router]") {
    auto health = router.try_inline(request("GET", "/healthz"));
    REQUIRE(health);
    CHECK(health->status == 200);
    CHECK(health->route == "/healthz");

    CHECK_FALSE(router.try_inline(request("GET", "/readyz")));  // asks the storage: not inline
    CHECK(router.handle(request("GET", "/readyz")).status == 200);
    ready = false;
    const auto not_ready = router.handle(request("GET", "/readyz"));
    CHECK(not_ready.status == 503);
    CHECK(not_ready.log_detail == "down");

    CHECK_FALSE(router.try_inline(request("GET", "/api/v1/tenant/leads")));
    CHECK(router.handle(request("GET", "/api/v1/tenant/leads")).route == "/api");
    CHECK(api_calls == 1);
    // Near misses are the API's (404 there), not the operations endpoints'.
    CHECK_FALSE(router.try_inline(request("GET", "/healthz/")));
    CHECK_FALSE(router.try_inline(request("GET", "/HEALTHZ")));

    const auto wrong = router.try_inline(request("HEAD", "/metrics"));
    REQUIRE(wrong);
    CHECK(wrong->status == 405);
    CHECK(wrong->route == "/metrics");
}

TEST_CASE_METHOD(RouterFixture, "Router: readiness is 503 while draining, liveness stays 200", "[units][router]") {
    draining = true;
    const auto inline_answer = router.try_inline(request("GET", "/readyz"));
    REQUIRE(inline_answer);
    CHECK(inline_answer->status == 503);
    bool retry_after = false;
    for (const auto& h : inline_answer->headers) retry_after = retry_after || h.name == "Retry-After";
    CHECK(retry_after);
    CHECK(router.handle(request("GET", "/readyz")).status == 503);
    CHECK(router.try_inline(request("GET", "/healthz"))->status == 200);
}

TEST_CASE("Router: body limits come from the endpoints, 1 MiB when they declare none", "[units][router]") {
    http::Metrics metrics{"t"};
    std::atomic<bool> draining{false};
    http::Router undeclared(http::Endpoints{}, metrics, draining);
    CHECK(undeclared.body_limit("POST", "/anything") == 1024 * 1024);
    http::Endpoints declared;
    declared.body_limit = [](std::string_view method, std::string_view path) -> std::size_t {
        return method == "POST" && path == "/big" ? 7 : 3;
    };
    http::Router router(std::move(declared), metrics, draining);
    CHECK(router.body_limit("POST", "/big") == 7);
    CHECK(router.body_limit("GET", "/big") == 3);
}

TEST_CASE("origin_form: an absolute-form target keeps its path and query only", "[units][http11]") {
    CHECK(http::origin_form("/a?b") == "/a?b");
    CHECK(http::origin_form("http://host/a?b") == "/a?b");
    CHECK(http::origin_form("HTTPS://host:8443/healthz") == "/healthz");
    CHECK(http::origin_form("http://host") == "/");
    CHECK(http::origin_form("http://host?x=1") == "?x=1");
    CHECK(http::origin_form("*") == "*");
}

TEST_CASE("log lines written by many threads at once arrive whole, one per line, long ones too", "[units][log]") {
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    std::string received;
    std::thread reader([&] {
        char buffer[65536];
        for (;;) {
            const ssize_t n = ::read(fds[0], buffer, sizeof buffer);
            if (n <= 0) break;
            received.append(buffer, static_cast<std::size_t>(n));
        }
    });
    {
        spdlog::logger logger("lines", logging::make_line_sink(fds[1]));
        constexpr int kThreads = 8;
        constexpr int kLines = 400;
        const std::string long_tail(3 * PIPE_BUF, 'x');
        std::vector<std::thread> writers;
        for (int t = 0; t < kThreads; ++t) {
            writers.emplace_back([&, t] {
                for (int i = 0; i < kLines; ++i) {
                    const std::string tail = i % 50 == 0 ? long_tail : std::string();
                    logger.info(logging::Fields("line")
                                    .add("t", std::int64_t{t})
                                    .add("i", std::int64_t{i})
                                    .add("tail", tail)
                                    .str());
                }
            });
        }
        for (auto& writer : writers) writer.join();
    }
    ::close(fds[1]);
    reader.join();
    ::close(fds[0]);

    std::istringstream lines(received);
    std::string line;
    std::map<std::pair<int, int>, int> seen;
    while (std::getline(lines, line)) {
        REQUIRE(line.rfind(R"({"ts":")", 0) == 0);
        REQUIRE(line.back() == '}');
        const auto t_at = line.find(R"("t":)");
        const auto i_at = line.find(R"(,"i":)");
        REQUIRE(t_at != std::string::npos);
        REQUIRE(i_at != std::string::npos);
        const int t = std::stoi(line.substr(t_at + 4));
        const int i = std::stoi(line.substr(i_at + 5));
        const auto tail_at = line.find(R"("tail":")");
        REQUIRE(tail_at != std::string::npos);
        CHECK(line.size() - tail_at - 10 == (i % 50 == 0 ? 3 * PIPE_BUF : 0));
        ++seen[{t, i}];
    }
    CHECK(seen.size() == 8 * 400);
    for (const auto& [key, count] : seen) CHECK(count == 1);
}

namespace {

// Reads a pipe until its write end closes, `chunk` bytes at a time with `pause` between reads.
// `count`, when given, follows the bytes read so far, for other threads to look at.
std::thread drain(int fd, std::string& received, std::size_t chunk, std::chrono::microseconds pause,
                  std::atomic<std::size_t>* count = nullptr) {
    return std::thread([fd, &received, chunk, pause, count] {
        std::vector<char> buffer(chunk);
        for (;;) {
            const ssize_t n = ::read(fd, buffer.data(), buffer.size());
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) break;
            received.append(buffer.data(), static_cast<std::size_t>(n));
            if (count != nullptr) *count += static_cast<std::size_t>(n);
            if (pause.count() > 0) std::this_thread::sleep_for(pause);
        }
    });
}

}  // namespace

TEST_CASE("log lines on a non-blocking stdout that is often full still arrive whole", "[units][log]") {
    // A small pipe, non-blocking on the logger's side, read slowly: writes keep meeting a full
    // pipe (EAGAIN), and long lines are written in pieces.
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    REQUIRE(::fcntl(fds[1], F_SETFL, ::fcntl(fds[1], F_GETFL) | O_NONBLOCK) == 0);
    ::fcntl(fds[1], F_SETPIPE_SZ, 4096);
    std::string received;
    std::thread reader = drain(fds[0], received, 700, std::chrono::microseconds(100));
    constexpr int kThreads = 4;
    constexpr int kLines = 100;
    const std::string long_tail(3 * PIPE_BUF, 'y');
    {
        spdlog::logger logger("lines", logging::make_line_sink(fds[1]));
        std::vector<std::thread> writers;
        for (int t = 0; t < kThreads; ++t) {
            writers.emplace_back([&, t] {
                for (int i = 0; i < kLines; ++i) {
                    logger.info(logging::Fields("line")
                                    .add("t", std::int64_t{t})
                                    .add("i", std::int64_t{i})
                                    .add("tail", i % 10 == 0 ? long_tail : std::string())
                                    .str());
                }
            });
        }
        for (auto& writer : writers) writer.join();
    }
    ::close(fds[1]);
    reader.join();
    ::close(fds[0]);

    std::istringstream lines(received);
    std::string line;
    std::map<std::pair<int, int>, int> seen;
    while (std::getline(lines, line)) {
        REQUIRE(line.rfind(R"({"ts":")", 0) == 0);
        REQUIRE(line.back() == '}');
        const auto t_at = line.find(R"("t":)");
        const auto i_at = line.find(R"(,"i":)");
        const auto tail_at = line.find(R"("tail":")");
        REQUIRE(t_at != std::string::npos);
        REQUIRE(i_at != std::string::npos);
        REQUIRE(tail_at != std::string::npos);
        const int t = std::stoi(line.substr(t_at + 4));
        const int i = std::stoi(line.substr(i_at + 5));
        CHECK(line.size() - tail_at - 10 == (i % 10 == 0 ? long_tail.size() : 0));
        ++seen[{t, i}];
    }
    CHECK(seen.size() == kThreads * kLines);
    for (const auto& [key, count] : seen) CHECK(count == 1);
}

namespace {

// What a non-blocking read of the pipe finds now, or after waiting up to `wait` for it.
std::string read_available(int fd, std::chrono::milliseconds wait) {
    pollfd readable{fd, POLLIN, 0};
    std::string got;
    if (::poll(&readable, 1, static_cast<int>(wait.count())) <= 0) return got;
    char buffer[65536];
    for (;;) {
        const ssize_t n = ::read(fd, buffer, sizeof buffer);
        if (n <= 0) break;
        got.append(buffer, static_cast<std::size_t>(n));
    }
    return got;
}

}  // namespace

TEST_CASE("log lines go out by themselves within moments, without a flush", "[units][log]") {
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    REQUIRE(::fcntl(fds[0], F_SETFL, ::fcntl(fds[0], F_GETFL) | O_NONBLOCK) == 0);
    {
        spdlog::logger logger("lines", logging::make_line_sink(fds[1]));
        logger.info("first");
        logger.info("second");
        std::string got;
        const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(2);
        while (got.find("second") == std::string::npos && std::chrono::steady_clock::now() < give_up) {
            got += read_available(fds[0], std::chrono::milliseconds(100));
        }
        CHECK(got.find("first") < got.find("second"));
        CHECK(got.find("second") != std::string::npos);
    }
    ::close(fds[1]);
    ::close(fds[0]);
}

TEST_CASE("a warning is written at once, after every line logged before it", "[units][log]") {
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    REQUIRE(::fcntl(fds[0], F_SETFL, ::fcntl(fds[0], F_GETFL) | O_NONBLOCK) == 0);
    {
        spdlog::logger logger("lines", logging::make_line_sink(fds[1]));
        logger.flush_on(spdlog::level::warn);  // as setup_logging sets it
        for (int i = 0; i < 50; ++i) logger.info(logging::Fields("info").add("i", std::int64_t{i}).str());
        logger.warn("careful");
        // No waiting: the warning's flush wrote the batch before warn() returned.
        const auto got = read_available(fds[0], std::chrono::milliseconds(0));
        CHECK(std::count(got.begin(), got.end(), '\n') == 51);
        CHECK(got.find("careful") != std::string::npos);
        CHECK(got.find(R"("i":49)") < got.find("careful"));
    }
    ::close(fds[1]);
    ::close(fds[0]);
}

TEST_CASE("a logger that must wait for stdout waits its turn, not for whoever else keeps logging", "[units][log]") {
    // A slow stdout makes loggers write the batch themselves (the sink holds at most 64 KiB);
    // six threads keep logging short lines the whole time. A line too long for one batch
    // waits, at most, for the batch being written and then its own: the bytes that pass
    // while it waits are counted, not timed (a batch takes ~130 ms to drain). A first-come
    // lock would instead let the short lines' writers go ahead again and again (0.25-1 MB
    // passed in five runs of the earlier sink).
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    ::fcntl(fds[1], F_SETPIPE_SZ, 4096);
    std::string received;
    std::atomic<std::size_t> bytes_read{0};
    std::thread reader = drain(fds[0], received, 512, std::chrono::milliseconds(1), &bytes_read);
    const std::string long_tail(80 * 1024, 'z');
    std::size_t passed = 0;
    {
        spdlog::logger logger("lines", logging::make_line_sink(fds[1]));
        std::atomic<bool> stop{false};
        std::vector<std::thread> writers;
        for (int t = 0; t < 6; ++t) {
            writers.emplace_back([&] {
                const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(30);
                while (!stop && std::chrono::steady_clock::now() < give_up) logger.info("short");
            });
        }
        // Until the short lines alone have filled the sink more than once over.
        while (bytes_read < 256 * 1024) std::this_thread::sleep_for(std::chrono::milliseconds(5));
        const std::string line = logging::Fields("long").add("tail", long_tail).str();
        const std::size_t before = bytes_read;
        logger.info(line);
        passed = bytes_read - before;
        stop = true;
        for (auto& writer : writers) writer.join();
    }
    ::close(fds[1]);
    reader.join();
    ::close(fds[0]);
    // The batch in flight (64 KiB and a line from each writer) and its own (as much, and
    // itself), and one more batch should the one in flight end between reading the count
    // and the line's arrival in the sink; the reader may lag by the pipe (4 KiB) and its
    // chunk.
    constexpr std::size_t batch = 64 * 1024 + 6 * 256;
    constexpr std::size_t lag = 12 * 1024;
    CHECK(passed + lag >= long_tail.size());
    CHECK(passed < 3 * batch + long_tail.size() + lag);
    CHECK(received.find(long_tail) != std::string::npos);
}
