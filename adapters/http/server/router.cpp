#include "adapters/http/server/router.hpp"

#include <array>
#include <exception>
#include <string>

#include "adapters/http/envelope.hpp"

namespace leads::adapters::http {
namespace {

constexpr std::string_view kHealthz = "/healthz";
constexpr std::string_view kReadyz = "/readyz";
constexpr std::string_view kMetrics = "/metrics";
constexpr std::string_view kOpenApi = "/api/v1/openapi.json";
constexpr std::string_view kDocs = "/docs";
constexpr std::string_view kDocsScript = "/docs/redoc.standalone.js";

constexpr std::array<std::string_view, 6> kOperationsPaths = {kHealthz, kReadyz, kMetrics,
                                                              kOpenApi, kDocs,   kDocsScript};

// The page may run only its own script and styles (Redoc injects style elements and runs
// its search in a worker made from a blob), and load nothing from elsewhere.
constexpr std::string_view kDocsPolicy =
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src "
    "'self' data:; connect-src 'self'; worker-src blob:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

Response status_body(std::string_view status, std::string_view route) {
    Response response;
    response.body = R"({"success":true,"data":{"status":")" + std::string(status) + R"("}})";
    response.route = std::string(route);
    return response;
}

Response unavailable(std::string_view message) {
    Response response = unavailable_response(message);
    response.route = std::string(kReadyz);
    return response;
}

template <class Fn>
auto guarded(Fn&& fn) -> decltype(fn()) {
    try {
        return fn();
    } catch (const std::exception& e) {
        return internal_error(std::string("uncaught exception: ") + e.what());
    } catch (...) {
        return internal_error("uncaught non-standard exception");
    }
}

}  // namespace

Response internal_error(std::string detail) {
    Response response = error_response(500, "internal_error", "An internal error occurred.");
    response.log_detail = std::move(detail);
    return response;
}

Router::Router(Endpoints endpoints, Metrics& metrics, const std::atomic<bool>& draining)
    : endpoints_(std::move(endpoints)), metrics_(metrics), draining_(draining) {}

bool Router::expensive(const Request& request) const { return endpoints_.expensive && endpoints_.expensive(request); }

std::size_t Router::body_limit(std::string_view method, std::string_view path) const {
    return endpoints_.body_limit ? endpoints_.body_limit(method, path) : kDefaultBodyLimit;
}

std::optional<Response> Router::try_inline(const Request& request) const {
    bool operational = false;
    for (const auto path : kOperationsPaths) operational = operational || request.path == path;
    if ((request.path == kDocs || request.path == kDocsScript) && endpoints_.docs_page.empty()) operational = false;
    if (!operational) return std::nullopt;

    return guarded([&]() -> std::optional<Response> {
        if (request.method != "GET") {
            Response response = error_response(405, "method_not_allowed", "Use GET for this path.");
            response.headers.push_back({"Allow", "GET"});
            response.route = request.path;
            return response;
        }
        if (request.path == kHealthz) return status_body("ok", kHealthz);
        if (request.path == kReadyz) {
            if (draining_.load()) return unavailable("The service is shutting down.");
            return std::nullopt;  // asks the storage: blocking
        }
        if (request.path == kMetrics) {
            Response response;
            response.content_type = std::string(kPrometheusContentType);
            response.body = metrics_.render();
            response.route = std::string(kMetrics);
            return response;
        }
        Response response;
        if (request.path == kDocs || request.path == kDocsScript) {
            const bool page = request.path == kDocs;
            response.content_type = page ? "text/html; charset=utf-8" : "text/javascript; charset=utf-8";
            response.body = std::string(page ? endpoints_.docs_page : endpoints_.docs_script);
            response.route = std::string(request.path);
            if (page) response.headers.push_back({"Content-Security-Policy", std::string(kDocsPolicy)});
            response.headers.push_back({"X-Content-Type-Options", "nosniff"});
            return response;
        }
        response.body = std::string(endpoints_.openapi_json);
        response.route = std::string(kOpenApi);
        return response;
    });
}

Response Router::handle(const Request& request) const {
    return guarded([&] {
        if (request.path == kReadyz && request.method == "GET") {
            if (draining_.load()) return unavailable("The service is shutting down.");
            const auto ready = endpoints_.check_ready();
            if (!ready) {
                Response response = unavailable("The storage is not answering.");
                response.log_detail = ready.error().message;
                return response;
            }
            return status_body("ready", kReadyz);
        }
        return endpoints_.api(request);
    });
}

}  // namespace leads::adapters::http
