#pragma once

#include <cstdint>
#include <mutex>

#include "domain/ids.hpp"
#include "ports/id_generator.hpp"

namespace leads::adapters::system {

// Ids from the current time and 80 bits of getrandom(2), drawn 256 bytes at a time per
// thread. Within one process the ids are strictly increasing (lead and activity ids share
// one sequence): in the same millisecond as the previous id, the random part is the
// previous one plus 1 + a fresh random 63-bit step, so "generated later" also sorts later
// while the next id stays unguessable. Thread-safe.
class RandomIdGenerator final : public ports::IdGenerator {
  public:
    domain::LeadId new_lead_id() override;
    domain::ActivityId new_activity_id() override;
    domain::SuppressionId new_suppression_id() override;
    domain::EventId new_event_id() override;
    domain::WebhookId new_webhook_id() override;
    std::string new_token() override;

  private:
    struct Next {
        domain::Timestamp at;
        domain::Entropy entropy;
    };
    Next next();

    std::mutex mutex_;
    std::int64_t last_millis_ = -1;
    domain::Entropy last_entropy_{};
};

}  // namespace leads::adapters::system
