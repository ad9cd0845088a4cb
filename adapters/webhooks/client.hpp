#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

// One webhook delivery attempt (CONTRACT §8): POST the body to the endpoint's URL and read
// the answer's status line and headers. The address rules apply to every address the name
// resolves to, before connecting (refused_address); redirects are answers like any other,
// never followed. Blocking, for the delivery worker's threads; Beast stays in client.cpp.
namespace leads::adapters::webhooks {

struct ClientOptions {
    std::chrono::milliseconds timeout{15'000};  // the whole attempt: resolve to response headers
    bool allow_http = false;                    // LEADS_WEBHOOK_ALLOW_HTTP
    bool allow_private = false;                 // LEADS_WEBHOOK_ALLOW_PRIVATE
    std::string ca_file;                        // PEM of extra trusted CAs, besides the system store
};

struct Attempt {
    std::string url;
    std::string body;  // sent as application/json
    std::vector<std::pair<std::string, std::string>> headers;
};

struct AttemptResult {
    std::optional<int> status;                        // the receiver answered with this status
    std::optional<std::chrono::seconds> retry_after;  // its Retry-After, in seconds, when given
    std::string error;                                // no answer: why (for last_error)
};

AttemptResult attempt_delivery(const Attempt& attempt, const ClientOptions& options);

}  // namespace leads::adapters::webhooks
