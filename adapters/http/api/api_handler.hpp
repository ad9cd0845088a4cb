#pragma once

#include <cstddef>
#include <memory>
#include <string_view>

#include "adapters/http/api/auth.hpp"
#include "adapters/http/api/fair_use.hpp"
#include "adapters/http/message.hpp"
#include "ports/events.hpp"
#include "ports/idempotency.hpp"
#include "ports/lead_use_cases.hpp"
#include "ports/suppression_use_cases.hpp"
#include "ports/webhook_use_cases.hpp"

namespace leads::adapters::http {

// Everything under /api/v1/tenant/ (leads, suppressions): authentication, routing (404, 405 + Allow),
// media type, JSON decoding into a command, one use case call, JSON encoding.
// Blocking (the use cases hit storage): call it off the I/O threads. Thread-safe.
// Request body limits (CONTRACT §2): the import route's, and every other route's.
inline constexpr std::size_t kBodyLimit = 1024 * 1024;
inline constexpr std::size_t kImportBodyLimit = 16 * 1024 * 1024;

class ApiHandler {
  public:
    // The largest body accepted for a method and (percent-encoded) path, routed exactly as
    // handle() routes it: the routes and their limits are declared once, here.
    static std::size_t body_limit(std::string_view method, std::string_view path);

    // Whether the request is an expensive one (a list with a search), for the server to run
    // on the expensive requests' own workers (Endpoints::expensive).
    static bool is_expensive(const Request& request);

    // fair_use: the per-tenant budget and search cap (CONTRACT §10); null: none.
    // idempotency: Idempotency-Key claims (CONTRACT §6); null: the header is ignored.
    // events: the change-event feed (CONTRACT §8); null: GET /events is 404.
    // webhooks: webhook endpoints (CONTRACT §8); null: /webhooks is 404.
    ApiHandler(ports::LeadUseCases& use_cases, ports::SuppressionUseCases& suppressions,
               std::shared_ptr<const Authenticator> authenticator, std::shared_ptr<FairUse> fair_use = nullptr,
               ports::IdempotencyUseCases* idempotency = nullptr, ports::EventUseCases* events = nullptr,
               ports::WebhookUseCases* webhooks = nullptr);
    Response handle(const Request& request) const;

  private:
    ports::LeadUseCases& use_cases_;
    ports::SuppressionUseCases& suppressions_;
    std::shared_ptr<const Authenticator> authenticator_;
    std::shared_ptr<FairUse> fair_use_;
    ports::IdempotencyUseCases* idempotency_;
    ports::EventUseCases* events_;
    ports::WebhookUseCases* webhooks_;
};

// The OpenAPI 3.1 document of the contract (docs/openapi.json, built into the binary).
std::string_view openapi_document();
// The API reference page (GET /docs, adapters/http/reference/page.html) and the script
// that renders the OpenAPI document in it (Redoc's standalone bundle), built in as well:
// nothing is fetched at run time.
std::string_view reference_page();
std::string_view reference_script();

}  // namespace leads::adapters::http
