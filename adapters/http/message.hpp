#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

// Plain request/response values between the Beast session and the handlers, so handlers
// compile and test without Beast.
namespace leads::adapters::http {

struct Header {
    std::string name;  // lower-case in a Request
    std::string value;
};

struct Request {
    std::string method;  // "GET", "POST", ...
    std::string path;    // the target before "?", still percent-encoded
    std::string query;   // the target after "?", without it; empty when none
    std::vector<Header> headers;
    std::string body;
    std::string request_id;

    // The first header with that (lower-case) name.
    std::optional<std::string_view> header(std::string_view lower_name) const;
};

inline constexpr std::string_view kJsonContentType = "application/json; charset=utf-8";

struct Response {
    int status = 200;
    std::string content_type{kJsonContentType};  // empty: no body (204)
    std::vector<Header> headers;                 // extra headers (Location, ETag, Allow, ...)
    std::string body;
    // The route template for metrics and logs, e.g. "/api/v1/tenant/leads/{id}".
    std::string route = "unmatched";
    // For the access log only, never sent: why a 500 happened.
    std::string log_detail;
    // What the answer was made from, let go only once the response is written: a
    // 10,000-row import's parsed rows take milliseconds to free, which the client need not
    // wait for.
    std::shared_ptr<const void> keep_until_sent;
};

}  // namespace leads::adapters::http
