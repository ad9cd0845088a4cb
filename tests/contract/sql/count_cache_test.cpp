// The SQL adapters' cache of filtered totals: a total is used only under the stamp it was
// counted at, a key counted by one thread is waited for by the others, the least recently
// used totals go first.
#include "adapters/sql/count_cache.hpp"

#include <atomic>
#include <catch2/catch.hpp>
#include <thread>
#include <vector>

namespace leads::adapters::sql {
namespace {

using namespace std::chrono_literals;
using Stamp = CountCache::Stamp;

}  // namespace

TEST_CASE("a cached total answers only a snapshot with the same stamp", "[unit][count_cache]") {
    CountCache cache(8, 0ms);
    auto first = cache.find("k", Stamp{1, 10});
    REQUIRE_FALSE(first.count);
    first.claim.store(3);
    CHECK(cache.find("k", Stamp{1, 10}).count == 3);
    // A write since (version) or a lead count that moved: counted again.
    CHECK_FALSE(cache.find("k", Stamp{2, 10}).count);
    CHECK_FALSE(cache.find("k", Stamp{1, 11}).count);
    CHECK_FALSE(cache.find("other", Stamp{1, 10}).count);
}

TEST_CASE("a total dropped unstored is counted by the next request", "[unit][count_cache]") {
    CountCache cache(8, 1s);
    { auto abandoned = cache.find("k", Stamp{1, 1}); }  // an error while counting
    auto next = cache.find("k", Stamp{1, 1});
    CHECK_FALSE(next.count);
    next.claim.store(7);
    CHECK(cache.find("k", Stamp{1, 1}).count == 7);
}

TEST_CASE("requests for a total another thread is counting wait for it instead of counting again",
          "[unit][count_cache]") {
    CountCache cache(8, 10s);
    auto counting = cache.find("k", Stamp{5, 5});
    REQUIRE_FALSE(counting.count);
    constexpr int kWaiters = 8;
    std::atomic<int> counted_again{0};
    std::vector<long long> answers(kWaiters, -1);
    std::vector<std::thread> waiters;
    for (int i = 0; i < kWaiters; ++i) {
        waiters.emplace_back([&, i] {
            auto found = cache.find("k", Stamp{5, 5});
            if (found.count) {
                answers[static_cast<std::size_t>(i)] = *found.count;
            } else {
                ++counted_again;
            }
        });
    }
    std::this_thread::sleep_for(50ms);
    counting.claim.store(42);
    for (auto& waiter : waiters) waiter.join();
    CHECK(counted_again == 0);
    CHECK(answers == std::vector<long long>(kWaiters, 42));
}

TEST_CASE("a waiter gives up after the wait and counts itself", "[unit][count_cache]") {
    CountCache cache(8, 20ms);
    auto counting = cache.find("k", Stamp{1, 1});
    auto impatient = cache.find("k", Stamp{1, 1});
    CHECK_FALSE(impatient.count);
    impatient.claim.store(9);
    CHECK(cache.find("k", Stamp{1, 1}).count == 9);
}

TEST_CASE("the least recently used totals are dropped beyond the capacity", "[unit][count_cache]") {
    CountCache cache(2, 0ms);
    cache.find("a", Stamp{}).claim.store(1);
    cache.find("b", Stamp{}).claim.store(2);
    CHECK(cache.find("a", Stamp{}).count == 1);  // a is now the most recently used
    cache.find("c", Stamp{}).claim.store(3);     // drops b
    CHECK(cache.size() == 2);
    CHECK(cache.find("a", Stamp{}).count == 1);
    CHECK(cache.find("c", Stamp{}).count == 3);
    CHECK_FALSE(cache.find("b", Stamp{}).count);
}

}  // namespace leads::adapters::sql
