#pragma once

#include <atomic>
#include <chrono>

#include "ports/clock.hpp"
#include "ports/id_generator.hpp"
#include "ports/idempotency.hpp"

namespace leads::app {

// Idempotency-Key claims (CONTRACT §6). Records live ttl; a claim still running after
// abandoned_after is taken to be dead (its process was killed) and may be taken over.
// Every so many claims, one bounded batch of expired records is purged.
class IdempotencyService final : public ports::IdempotencyUseCases {
  public:
    static constexpr std::chrono::seconds kAbandonedAfter{60};
    static constexpr int kPurgeEvery = 256;
    static constexpr std::int64_t kPurgeBatch = 500;

    IdempotencyService(ports::IdempotencyRepository& repository, ports::Clock& clock, ports::IdGenerator& ids,
                       std::chrono::hours ttl);

    domain::Result<ports::Claim> begin(const domain::TenantId& tenant, const std::string& key,
                                       const std::string& fingerprint) override;
    domain::Result<void> finish(const ports::IdempotencyRecord& record, const ports::IdempotentAnswer& answer) override;
    domain::Result<void> release(const ports::IdempotencyRecord& record) override;

  private:
    ports::IdempotencyRepository& repository_;
    ports::Clock& clock_;
    ports::IdGenerator& ids_;
    std::chrono::hours ttl_;
    std::atomic<unsigned> claims_{0};
};

}  // namespace leads::app
