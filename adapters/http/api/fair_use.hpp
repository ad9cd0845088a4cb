#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

// CONTRACT §10, per replica: a request budget per tenant (a token bucket) and a cap on the
// searches one tenant runs at once. Thread-safe.
namespace leads::adapters::http {

struct FairUseOptions {
    int rate = 0;          // requests per second per tenant; 0: no budget
    int burst = 0;         // the bucket's size; 0: the rate
    int max_searches = 0;  // searches running at once per tenant; 0: no cap
};

using FairUseClock = std::function<std::chrono::steady_clock::time_point()>;

class FairUse {
  public:
    explicit FairUse(FairUseOptions options, FairUseClock clock = &std::chrono::steady_clock::now);

    // What one request of the tenant may do, and what the RateLimit-* headers say.
    struct Budget {
        bool allowed = true;
        std::int64_t limit = 0;        // RateLimit-Limit: the burst
        std::int64_t remaining = 0;    // RateLimit-Remaining: whole requests left now
        std::int64_t reset = 0;        // RateLimit-Reset: seconds until the bucket is full
        std::int64_t retry_after = 0;  // seconds until one request is allowed (when refused)
    };

    bool has_budget() const { return options_.rate > 0; }
    // Takes one request from the tenant's bucket (always allowed without a budget).
    Budget take(const std::string& tenant);

    // Holds one of the tenant's search slots while it lives.
    class SearchSlot {
      public:
        SearchSlot(FairUse* owner, std::string tenant) : owner_(owner), tenant_(std::move(tenant)) {}
        SearchSlot(SearchSlot&& other) noexcept
            : owner_(std::exchange(other.owner_, nullptr)), tenant_(other.tenant_) {}
        SearchSlot(const SearchSlot&) = delete;
        SearchSlot& operator=(const SearchSlot&) = delete;
        SearchSlot& operator=(SearchSlot&&) = delete;
        ~SearchSlot();

      private:
        FairUse* owner_;
        std::string tenant_;
    };
    // A slot, or nullopt when the tenant already runs max_searches searches.
    std::optional<SearchSlot> enter_search(const std::string& tenant);

  private:
    struct Bucket {
        double tokens = 0;
        std::chrono::steady_clock::time_point refilled;
    };

    double burst() const;
    void leave_search(const std::string& tenant);

    FairUseOptions options_;
    FairUseClock clock_;
    std::mutex mutex_;
    std::map<std::string, Bucket> buckets_;
    std::map<std::string, int> searches_;
};

}  // namespace leads::adapters::http
