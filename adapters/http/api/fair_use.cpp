#include "adapters/http/api/fair_use.hpp"

#include <algorithm>
#include <cmath>
#include <utility>

namespace leads::adapters::http {
namespace {

// Buckets of tenants gone quiet (full again) are forgotten past this many, so the map
// stays bounded however many tenants call.
constexpr std::size_t kBucketsKept = 10'000;

std::int64_t ceil_seconds(double seconds) { return static_cast<std::int64_t>(std::ceil(std::max(seconds, 0.0))); }

}  // namespace

FairUse::FairUse(FairUseOptions options, FairUseClock clock) : options_(options), clock_(std::move(clock)) {}

double FairUse::burst() const { return options_.burst > 0 ? options_.burst : options_.rate; }

FairUse::Budget FairUse::take(const std::string& tenant) {
    if (!has_budget()) return Budget{};
    const auto now = clock_();
    const double rate = options_.rate;
    const double size = burst();
    std::lock_guard lock(mutex_);
    if (buckets_.size() > kBucketsKept) {
        std::erase_if(buckets_, [&](const auto& entry) {
            const double elapsed = std::chrono::duration<double>(now - entry.second.refilled).count();
            return entry.second.tokens + elapsed * rate >= size;
        });
    }
    auto [found, added] = buckets_.try_emplace(tenant, Bucket{size, now});
    Bucket& bucket = found->second;
    const double elapsed = std::chrono::duration<double>(now - bucket.refilled).count();
    bucket.tokens = std::min(size, bucket.tokens + elapsed * rate);
    bucket.refilled = now;
    Budget budget;
    budget.limit = static_cast<std::int64_t>(size);
    budget.allowed = bucket.tokens >= 1.0;
    if (budget.allowed) {
        bucket.tokens -= 1.0;
    } else {
        budget.retry_after = std::max<std::int64_t>(1, ceil_seconds((1.0 - bucket.tokens) / rate));
    }
    budget.remaining = static_cast<std::int64_t>(std::floor(bucket.tokens));
    budget.reset = ceil_seconds((size - bucket.tokens) / rate);
    return budget;
}

std::optional<FairUse::SearchSlot> FairUse::enter_search(const std::string& tenant) {
    if (options_.max_searches <= 0) return SearchSlot(nullptr, tenant);
    std::lock_guard lock(mutex_);
    int& running = searches_[tenant];
    if (running >= options_.max_searches) return std::nullopt;
    ++running;
    return SearchSlot(this, tenant);
}

void FairUse::leave_search(const std::string& tenant) {
    std::lock_guard lock(mutex_);
    if (const auto found = searches_.find(tenant); found != searches_.end() && --found->second <= 0) {
        searches_.erase(found);
    }
}

FairUse::SearchSlot::~SearchSlot() {
    if (owner_ != nullptr) owner_->leave_search(tenant_);
}

}  // namespace leads::adapters::http
