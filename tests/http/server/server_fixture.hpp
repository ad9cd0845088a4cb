#pragma once

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "adapters/http/envelope.hpp"
#include "adapters/http/server/server.hpp"
#include "adapters/logging/json_log.hpp"
#include "tests/http/server/raw_client.hpp"

namespace leads::testing {

namespace http = leads::adapters::http;
namespace logging = leads::adapters::logging;

// Stands in for the API: a few routes with observable state.
//   POST /stub/items (body appended) → 201; GET /stub/items → the bodies joined by ","
//   GET /stub/slow?ms=N → sleeps N ms; GET /stub/throw → throws; DELETE /stub/items → 204
//   GET /stub/echo → what the server passed in; POST /api/v1/tenant/leads/import → body size
//   GET /stub/big?kb=N → N KiB of text
//   GET /stub/kept → its keep_until_sent, once let go, waits for release_kept() (10 s at most)
struct StubApi {
    std::mutex mutex;
    std::vector<std::string> items;
    std::atomic<bool> ready{true};
    std::condition_variable kept_cv;
    bool kept_may_go = false;            // mutex
    std::atomic<bool> kept_gone{false};  // the kept object was let go (and released)

    void release_kept() {
        {
            std::lock_guard lock(mutex);
            kept_may_go = true;
        }
        kept_cv.notify_all();
    }

    http::Response handle(const http::Request& request) {
        http::Response response;
        response.route = request.path;
        if (request.path == "/stub/items" && request.method == "POST") {
            std::lock_guard lock(mutex);
            items.push_back(request.body);
            response.status = 201;
            response.body = R"({"success":true,"data":null})";
        } else if (request.path == "/stub/items" && request.method == "GET") {
            std::lock_guard lock(mutex);
            std::string joined;
            for (const auto& item : items) joined += (joined.empty() ? "" : ",") + item;
            response.body = joined;
            response.content_type = "text/plain";
        } else if (request.path == "/stub/items" && request.method == "DELETE") {
            response.status = 204;
            response.content_type.clear();
        } else if (request.path == "/stub/slow") {
            const auto ms = std::stoi(request.query.substr(request.query.find('=') + 1));
            std::this_thread::sleep_for(std::chrono::milliseconds(ms));
            response.body = R"({"success":true,"data":"slow"})";
        } else if (request.path == "/stub/nice") {
            // The CPU priority of the worker thread running this request.
            errno = 0;
            response.body = std::to_string(getpriority(PRIO_PROCESS, static_cast<id_t>(gettid())));
            response.content_type = "text/plain";
        } else if (request.path == "/stub/big") {
            const auto kb = std::stoul(request.query.substr(request.query.find('=') + 1));
            response.body = std::string(kb * 1024, 'b');
            response.content_type = "text/plain";
        } else if (request.path == "/stub/kept") {
            response.body = "kept";
            response.content_type = "text/plain";
            response.keep_until_sent = std::shared_ptr<const int>(new int(0), [this](const int* kept) {
                std::unique_lock lock(mutex);
                kept_cv.wait_for(lock, std::chrono::seconds(10), [this] { return kept_may_go; });
                delete kept;
                kept_gone = true;
            });
        } else if (request.path == "/stub/throw") {
            throw std::runtime_error("stub failure");
        } else if (request.path == "/stub/echo") {
            std::string text = "method=" + request.method + "\npath=" + request.path + "\nquery=" + request.query +
                               "\nbody=" + request.body + "\nrequest_id=" + request.request_id + "\n";
            for (const auto& h : request.headers) text += "header:" + h.name + "=" + h.value + "\n";
            response.body = text;
            response.content_type = "text/plain";
        } else if (request.path == "/api/v1/tenant/leads/import") {
            response.body = std::to_string(request.body.size());
        } else {
            response = http::error_response(404, "not_found", "No such route.");
        }
        return response;
    }
};

// After a hostile or unusual exchange: the server still answers a plain request.
inline void require_still_serving(std::uint16_t port) {
    const auto response = http_request(port, "GET", "/healthz");
    REQUIRE(response);
    REQUIRE(response->status == 200);
}

// Quiet by default (LEADS_TEST_LOG=1 shows the server's log lines on stdout).
inline void quiet_logs() {
    static const bool once = [] {
        const char* show = std::getenv("LEADS_TEST_LOG");
        spdlog::set_level(show && *show == '1' ? spdlog::level::trace : spdlog::level::off);
        return true;
    }();
    (void)once;
}

inline http::ServerOptions test_options() {
    http::ServerOptions options;
    options.listen = {"127.0.0.1", 0, false};
    options.io_threads = 2;
    options.worker_threads = 2;
    options.read_timeout = std::chrono::seconds(10);
    options.idle_timeout = std::chrono::seconds(10);
    options.shutdown_grace = std::chrono::seconds(5);
    options.version = "9.9.9-test";
    return options;
}

// The server in-process on an ephemeral loopback port, serving a StubApi.
struct TestServer {
    explicit TestServer(http::ServerOptions options = test_options())
        : stub(std::make_shared<StubApi>()), server((quiet_logs(), std::move(options)), endpoints(stub)) {
        const auto started = server.start();
        if (!started) throw std::runtime_error("server did not start: " + started.error().message);
    }
    ~TestServer() {
        server.shutdown();
        server.wait();
    }
    std::uint16_t port() const { return server.port(); }

    static http::Endpoints endpoints(const std::shared_ptr<StubApi>& stub) {
        http::Endpoints e;
        e.api = [stub](const http::Request& r) { return stub->handle(r); };
        e.check_ready = [stub]() -> domain::Result<void> {
            if (stub->ready.load()) return {};
            return domain::Error::unavailable("stub storage down");
        };
        e.openapi_json = R"({"openapi":"3.1.0"})";
        // The stub declares one large route, as the real API declares its import route.
        e.body_limit = [](std::string_view method, std::string_view path) -> std::size_t {
            return method == "POST" && path == "/api/v1/tenant/leads/import" ? 16 * 1024 * 1024 : 1024 * 1024;
        };
        return e;
    }

    std::shared_ptr<StubApi> stub;
    http::Server server;
};

// Routes the default logger into a string for the test's lifetime (JSON lines).
class LogCapture {
  public:
    LogCapture() : previous_((quiet_logs(), spdlog::default_logger())) {
        auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(stream_);
        sink->set_formatter(logging::make_json_formatter());
        auto logger = std::make_shared<spdlog::logger>("capture", sink);
        logger->set_level(spdlog::level::trace);
        spdlog::set_default_logger(logger);
    }
    ~LogCapture() { spdlog::set_default_logger(previous_); }
    // Only read once the server writing to it has stopped.
    std::string text() const { return stream_.str(); }

  private:
    std::shared_ptr<spdlog::logger> previous_;
    std::ostringstream stream_;
};

}  // namespace leads::testing
