#include "application/idempotency_service.hpp"

#include <algorithm>
#include <string>

namespace leads::app {

namespace {

constexpr std::size_t kMaxKeyLength = 255;

bool is_valid_key(const std::string& key) {
    return !key.empty() && key.size() <= kMaxKeyLength &&
           std::all_of(key.begin(), key.end(), [](char c) { return c >= 0x21 && c <= 0x7e; });
}

}  // namespace

IdempotencyService::IdempotencyService(ports::IdempotencyRepository& repository, ports::Clock& clock,
                                       ports::IdGenerator& ids, std::chrono::hours ttl)
    : repository_(repository), clock_(clock), ids_(ids), ttl_(ttl) {}

domain::Result<ports::Claim> IdempotencyService::begin(const domain::TenantId& tenant, const std::string& key,
                                                       const std::string& fingerprint) {
    if (!is_valid_key(key)) {
        return domain::Error::validation({{"Idempotency-Key", "must be 1 to 255 visible ASCII characters"}});
    }
    const domain::Timestamp now = clock_.now();
    if (claims_.fetch_add(1, std::memory_order_relaxed) % kPurgeEvery == kPurgeEvery - 1) {
        // Housekeeping on the side, for the claiming tenant: a failed purge is retried with a
        // later claim.
        (void)repository_.purge_idempotency(tenant, now, kPurgeBatch);
    }
    ports::IdempotencyRequest request{.tenant = tenant,
                                      .key = key,
                                      .fingerprint = fingerprint,
                                      .token = ids_.new_token(),
                                      .now = now,
                                      .expires_at = now + ttl_,
                                      .stale_before = now - kAbandonedAfter};
    auto outcome = repository_.claim_idempotency(request);
    if (!outcome) return std::move(outcome).error();
    return ports::Claim{.state = outcome->state,
                        .answer = std::move(outcome->answer),
                        .record = ports::IdempotencyRecord{tenant, key, std::move(request.token)}};
}

domain::Result<void> IdempotencyService::finish(const ports::IdempotencyRecord& record,
                                                const ports::IdempotentAnswer& answer) {
    return repository_.finish_idempotency(record, answer);
}

domain::Result<void> IdempotencyService::release(const ports::IdempotencyRecord& record) {
    return repository_.release_idempotency(record);
}

}  // namespace leads::app
