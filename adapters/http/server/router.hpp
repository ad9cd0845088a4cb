#pragma once

#include <atomic>
#include <cstddef>
#include <functional>
#include <optional>
#include <string_view>

#include "adapters/http/message.hpp"
#include "adapters/http/server/metrics.hpp"
#include "domain/result.hpp"

// The top of the routing tree: the operations endpoints, then everything else to the API.
namespace leads::adapters::http {

// The body limit of a request the Endpoints declare nothing for.
inline constexpr std::size_t kDefaultBodyLimit = 1024 * 1024;

// What the server serves. Both functions block (storage) and must be thread-safe.
struct Endpoints {
    std::function<Response(const Request&)> api;        // everything not operational
    std::function<domain::Result<void>()> check_ready;  // GET /readyz
    std::string_view openapi_json = "{}";               // GET /api/v1/openapi.json (static storage)
    // GET /docs: the API reference page, and GET /docs/<script_name>: its script (static
    // storage; empty page: /docs is an unknown route like any other).
    std::string_view docs_page;
    std::string_view docs_script;
    // The largest body accepted for a method and (still percent-encoded) path: the API
    // declares its routes' limits; unset, every request gets kDefaultBodyLimit.
    std::function<std::size_t(std::string_view method, std::string_view path)> body_limit;
    // The requests the API marks expensive (searches): they run on a pool of their own, so
    // that however many are running, every other request still finds a worker at once.
    // Unset: none.
    std::function<bool(const Request&)> expensive;
};

class Router {
  public:
    Router(Endpoints endpoints, Metrics& metrics, const std::atomic<bool>& draining);

    // Answers what never blocks (/healthz, /metrics, the OpenAPI document, 405s, /readyz
    // while draining); nullopt when the request must go to handle() on the worker pool.
    std::optional<Response> try_inline(const Request& request) const;

    // Blocking: /readyz and the API. Never throws: a failure is a 500 with log_detail.
    Response handle(const Request& request) const;

    // The largest body accepted for this request line (Endpoints::body_limit).
    std::size_t body_limit(std::string_view method, std::string_view path) const;

    // Whether the request goes to the expensive requests' pool (Endpoints::expensive).
    bool expensive(const Request& request) const;

  private:
    Endpoints endpoints_;
    Metrics& metrics_;
    const std::atomic<bool>& draining_;
};

// 500 internal_error with the reason kept for the access log only.
Response internal_error(std::string detail);

}  // namespace leads::adapters::http
