// CONTRACT §10: the per-tenant request budget (token bucket) and the search cap.
#include "adapters/http/api/fair_use.hpp"

#include <catch2/catch.hpp>

namespace leads::adapters::http {
namespace {

struct ManualClock {
    std::chrono::steady_clock::time_point now{};
    FairUseClock function() {
        return [this] { return now; };
    }
};

TEST_CASE("fair use: a tenant gets its burst, then one request per 1/rate seconds", "[fair-use]") {
    ManualClock clock;
    FairUse fair(FairUseOptions{.rate = 2, .burst = 3, .max_searches = 0}, clock.function());
    for (int i = 0; i < 3; ++i) {
        const auto budget = fair.take("a");
        CHECK(budget.allowed);
        CHECK(budget.limit == 3);
        CHECK(budget.remaining == 2 - i);
    }
    const auto refused = fair.take("a");
    CHECK_FALSE(refused.allowed);
    CHECK(refused.remaining == 0);
    CHECK(refused.retry_after == 1);
    CHECK(refused.reset == 2);      // 3 tokens at 2 per second
    CHECK(fair.take("b").allowed);  // another tenant has its own bucket
    clock.now += std::chrono::milliseconds(500);
    CHECK(fair.take("a").allowed);  // one token back
    CHECK_FALSE(fair.take("a").allowed);
    clock.now += std::chrono::seconds(60);
    CHECK(fair.take("a").remaining == 2);  // full again, never more than the burst
}

TEST_CASE("fair use: without a rate every request is allowed", "[fair-use]") {
    FairUse fair(FairUseOptions{});
    CHECK_FALSE(fair.has_budget());
    for (int i = 0; i < 1000; ++i) REQUIRE(fair.take("a").allowed);
}

TEST_CASE("fair use: a tenant runs at most max_searches searches at once", "[fair-use]") {
    FairUse fair(FairUseOptions{.rate = 0, .burst = 0, .max_searches = 2});
    auto first = fair.enter_search("a");
    auto second = fair.enter_search("a");
    REQUIRE(first);
    REQUIRE(second);
    CHECK_FALSE(fair.enter_search("a"));
    CHECK(fair.enter_search("b"));  // others are not held back
    second.reset();
    CHECK(fair.enter_search("a"));  // a finished search frees its slot
}

}  // namespace
}  // namespace leads::adapters::http
