#pragma once

#include "ports/events.hpp"
#include "ports/idempotency.hpp"
#include "ports/lead_repository.hpp"
#include "ports/suppression_repository.hpp"
#include "ports/webhooks.hpp"

namespace leads::ports {

// What a storage backend provides: leads and the suppression list in one store, so that
// an erasure and its suppression share a transaction, a write to a suppressed email is
// refused by the same transaction that would store it, and every read of a lead sees the
// list as it is at that read; an idempotent write's answer is recorded with its effect; and
// every change records its events (CONTRACT §8) in its own transaction, which webhook
// endpoints then receive.
class Repository : public LeadRepository,
                   public SuppressionRepository,
                   public IdempotencyRepository,
                   public EventRepository,
                   public WebhookRepository {};

}  // namespace leads::ports
