#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>

#include "domain/ids.hpp"
#include "domain/time.hpp"
#include "ports/clock.hpp"
#include "ports/id_generator.hpp"
#include "tests/support/random.hpp"  // random_tenant()

namespace leads::tests {

// A clock that stands still until a test moves it.
class FakeClock final : public ports::Clock {
  public:
    domain::Timestamp now() override {
        std::lock_guard lock(mutex_);
        return now_;
    }
    void set(domain::Timestamp at) {
        std::lock_guard lock(mutex_);
        now_ = at;
    }
    void advance(std::chrono::milliseconds by) {
        std::lock_guard lock(mutex_);
        now_ += by;
    }

  private:
    std::mutex mutex_;
    domain::Timestamp now_ = domain::Timestamp{std::chrono::milliseconds{1'761'991'200'000}};  // 2025-11-01T10:00Z
};

// Predictable ids: every id sorts after the ones generated before it.
class SequentialIds final : public ports::IdGenerator {
  public:
    domain::LeadId new_lead_id() override {
        const auto [at, entropy] = next();
        return domain::LeadId::generate(at, entropy);
    }
    domain::ActivityId new_activity_id() override {
        const auto [at, entropy] = next();
        return domain::ActivityId::generate(at, entropy);
    }
    domain::SuppressionId new_suppression_id() override {
        const auto [at, entropy] = next();
        return domain::SuppressionId::generate(at, entropy);
    }

    domain::EventId new_event_id() override {
        const auto [at, entropy] = next();
        return domain::EventId::generate(at, entropy);
    }
    domain::WebhookId new_webhook_id() override {
        const auto [at, entropy] = next();
        return domain::WebhookId::generate(at, entropy);
    }

    std::string new_token() override { return new_activity_id().value(); }

  private:
    std::pair<domain::Timestamp, domain::Entropy> next() {
        std::lock_guard lock(mutex_);
        ++counter_;
        domain::Entropy entropy{};
        for (std::size_t i = 0; i < 8; ++i) {
            entropy[entropy.size() - 1 - i] = static_cast<std::uint8_t>(counter_ >> (8U * i));
        }
        return {domain::Timestamp{std::chrono::milliseconds{1'600'000'000'000}}, entropy};
    }

    std::mutex mutex_;
    std::uint64_t counter_ = 0;
};

}  // namespace leads::tests
