// app::IdempotencyService: what it checks of a key, what it asks the repository, and its
// housekeeping (CONTRACT §6). The repository side is in the contract suite.
#include <catch2/catch.hpp>
#include <vector>

#include "application/idempotency_service.hpp"
#include "tests/unit/application/fakes.hpp"

namespace leads::tests {
namespace {

using namespace std::chrono_literals;

// Records what the service asks; claims always succeed.
class RecordingRepository final : public ports::IdempotencyRepository {
  public:
    std::vector<ports::IdempotencyRequest> claims;
    std::vector<domain::Timestamp> purges;
    std::vector<std::string> purged_tenants;

    domain::Result<ports::ClaimOutcome> claim_idempotency(const ports::IdempotencyRequest& request) override {
        claims.push_back(request);
        return ports::ClaimOutcome{ports::ClaimState::Claimed, std::nullopt};
    }
    domain::Result<void> finish_idempotency(const ports::IdempotencyRecord&, const ports::IdempotentAnswer&) override {
        return {};
    }
    domain::Result<void> release_idempotency(const ports::IdempotencyRecord&) override { return {}; }
    domain::Result<std::int64_t> purge_idempotency(const domain::TenantId& tenant, domain::Timestamp now,
                                                   std::int64_t) override {
        purged_tenants.push_back(tenant.value());
        purges.push_back(now);
        return 0;
    }
};

TEST_CASE("a key must be 1 to 255 visible ASCII characters; a refused key reaches no repository",
          "[unit][idempotency]") {
    RecordingRepository repository;
    FakeClock clock;
    SequentialIds ids;
    app::IdempotencyService service(repository, clock, ids, 24h);
    const auto tenant = random_tenant();
    for (const std::string& key :
         {std::string(), std::string(256, 'a'), std::string("a b"), std::string("\x7f"), std::string("\xc3\xa9")}) {
        CAPTURE(key);
        const auto refused = service.begin(tenant, key, "fp");
        REQUIRE_FALSE(refused);
        CHECK(refused.error().kind == domain::ErrorKind::Validation);
        REQUIRE(refused.error().details.size() == 1);
        CHECK(refused.error().details[0].field == "Idempotency-Key");
    }
    CHECK(repository.claims.empty());
    CHECK(service.begin(tenant, std::string(255, '!'), "fp"));
    CHECK(service.begin(tenant, "~", "fp"));
}

TEST_CASE("a claim carries a fresh token, the lifetime and the point before which a claim is abandoned",
          "[unit][idempotency]") {
    RecordingRepository repository;
    FakeClock clock;
    SequentialIds ids;
    app::IdempotencyService service(repository, clock, ids, 48h);
    const auto tenant = random_tenant();
    const auto first = service.begin(tenant, "k", "fingerprint");
    const auto second = service.begin(tenant, "k", "fingerprint");
    REQUIRE(first);
    REQUIRE(second);
    REQUIRE(repository.claims.size() == 2);
    const auto& request = repository.claims[0];
    CHECK(request.tenant == tenant);
    CHECK(request.key == "k");
    CHECK(request.fingerprint == "fingerprint");
    CHECK(request.now == clock.now());
    CHECK(request.expires_at == clock.now() + 48h);
    CHECK(request.stale_before == clock.now() - app::IdempotencyService::kAbandonedAfter);
    CHECK(first->record.token == request.token);
    CHECK(first->record.token != second->record.token);
}

TEST_CASE("expired records are purged one batch every kPurgeEvery claims", "[unit][idempotency]") {
    RecordingRepository repository;
    FakeClock clock;
    SequentialIds ids;
    app::IdempotencyService service(repository, clock, ids, 24h);
    const auto tenant = random_tenant();
    for (int i = 0; i < 3 * app::IdempotencyService::kPurgeEvery; ++i) {
        REQUIRE(service.begin(tenant, "k" + std::to_string(i), "fp"));
    }
    CHECK(repository.purges.size() == 3);
    // The claiming tenant's records: every statement names its tenant.
    CHECK(repository.purged_tenants == std::vector<std::string>(3, tenant.value()));
}

}  // namespace
}  // namespace leads::tests
