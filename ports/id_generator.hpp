#pragma once

#include <string>

#include "domain/ids.hpp"

namespace leads::ports {

class IdGenerator {
  public:
    virtual ~IdGenerator() = default;
    // Fresh, unguessable, never-repeated ids (at least 80 random bits each). Thread-safe.
    virtual domain::LeadId new_lead_id() = 0;
    virtual domain::ActivityId new_activity_id() = 0;
    virtual domain::SuppressionId new_suppression_id() = 0;
    virtual domain::EventId new_event_id() = 0;
    virtual domain::WebhookId new_webhook_id() = 0;
    // An opaque, never-repeated token (an idempotency claim's).
    virtual std::string new_token() = 0;
};

}  // namespace leads::ports
