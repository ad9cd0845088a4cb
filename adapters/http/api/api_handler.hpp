#pragma once

#include <memory>

#include "adapters/http/api/auth.hpp"
#include "adapters/http/message.hpp"
#include "ports/lead_use_cases.hpp"

namespace leads::adapters::http {

// Everything under /api/v1/tenant/leads: authentication, routing (404, 405 + Allow),
// media type, JSON decoding into a command, one use case call, JSON encoding.
// Blocking (the use cases hit storage): call it off the I/O threads. Thread-safe.
class ApiHandler {
  public:
    ApiHandler(ports::LeadUseCases& use_cases, std::shared_ptr<const Authenticator> authenticator);
    Response handle(const Request& request) const;

  private:
    ports::LeadUseCases& use_cases_;
    std::shared_ptr<const Authenticator> authenticator_;
};

// The OpenAPI 3.1 document of the contract (docs/openapi.json, built into the binary).
std::string_view openapi_document();

}  // namespace leads::adapters::http
