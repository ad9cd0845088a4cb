// Repository contract: the worker's sweep (CONTRACT §8 retention) — events of tenants that
// never read their feed expire all the same, and finished deliveries are removed. A sweep
// reaches every tenant, so each test has storage of its own (make_private_repository).
#include <catch2/catch.hpp>
#include <chrono>

#include "tests/contract/repository_factory.hpp"
#include "tests/contract/support.hpp"
#include "tests/support/random.hpp"

namespace leads::tests::contract {
namespace {

using domain::DeliveryState;
using domain::EventType;
using domain::Lead;

const domain::Timestamp kLongAgo = at(-86'400'000);

ports::EventPage feed(ports::Repository& repository, const domain::TenantId& tenant,
                      std::optional<std::int64_t> after) {
    return value_of(repository.events(ports::EventQuery{.tenant = tenant,
                                                        .after = after,
                                                        .limit = 100,
                                                        .types = {},
                                                        .workspace = std::nullopt,
                                                        .drop_before = kLongAgo}));
}

std::vector<std::int64_t> sequences(const ports::EventPage& page) {
    std::vector<std::int64_t> numbers;
    for (const auto& event : page.items) numbers.push_back(event.sequence);
    return numbers;
}

ports::DeliveryOutcome outcome_of(const ports::ClaimedDelivery& claimed, DeliveryState state, domain::Timestamp at) {
    return ports::DeliveryOutcome{
        .tenant = claimed.webhook.tenant,
        .webhook_id = claimed.webhook.id,
        .sequence = claimed.event.sequence,
        .state = state,
        .attempts = claimed.attempts + 1,
        .status_code = state == DeliveryState::Succeeded ? 200 : 500,
        .error = std::nullopt,
        .next_attempt_at = state == DeliveryState::Pending ? std::optional<domain::Timestamp>(at) : std::nullopt,
        .disable_webhook = false,
        .at = at,
        .claimed_until = claimed.claimed_until};
}

}  // namespace

TEST_CASE("sweep: a tenant that never reads its feed loses its expired events all the same; numbering goes on",
          "[contract][events][sweep]") {
    auto repository = make_private_repository();
    const auto silent = random_tenant();  // never reads the feed, has no webhook
    const auto reader = random_tenant();
    for (const char* address : {"a@example.com", "b@example.com", "c@example.com"}) {
        add_lead(*repository, silent, slug("acme"), {.email = address});
    }
    add_lead(*repository, reader, slug("acme"), {.email = "a@example.com"});
    add_lead(*repository, reader, slug("acme"), {.email = "b@example.com"});
    CHECK(sequences(feed(*repository, reader, 0)) == std::vector<std::int64_t>{1, 2});

    // Nothing has expired yet.
    CHECK(value_of(repository->sweep(kLongAgo, kLongAgo)).events == 0);
    // Everything recorded so far is older than a cut-off in the future.
    const auto swept = value_of(repository->sweep(now() + std::chrono::hours(1), kLongAgo));
    CHECK(swept.events == 5);
    CHECK(value_of(repository->sweep(now() + std::chrono::hours(1), kLongAgo)).events == 0);

    // The silent tenant's three events are gone, and counted: a consumer behind them is
    // told so, and the next event is the fourth.
    CHECK(feed(*repository, silent, 0).expired);
    CHECK(feed(*repository, silent, std::nullopt).items.empty());
    add_lead(*repository, silent, slug("acme"), {.email = "d@example.com"});
    CHECK(sequences(feed(*repository, silent, 3)) == std::vector<std::int64_t>{4});
    CHECK(feed(*repository, silent, 2).expired);

    // The reader, who saw 1 and 2, missed nothing.
    CHECK_FALSE(feed(*repository, reader, 2).expired);
    CHECK(feed(*repository, reader, 2).items.empty());
    CHECK(feed(*repository, reader, 1).expired);
}

TEST_CASE("sweep: finished deliveries past retention are removed; pending and recent ones stay",
          "[contract][webhooks][sweep]") {
    auto repository = make_private_repository();
    const auto tenant = random_tenant();
    const ports::Webhook webhook{.id = domain::WebhookId::generate(now(), random_entropy()),
                                 .tenant = tenant,
                                 .url = "https://hooks.example.com/leads",
                                 .event_types = {EventType::LeadCreated},
                                 .description = std::nullopt,
                                 .enabled = true,
                                 .created_at = now(),
                                 .updated_at = now(),
                                 .secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"};
    require_ok(repository->insert_webhook(webhook));
    for (const char* address : {"a@example.com", "b@example.com", "c@example.com"}) {
        add_lead(*repository, tenant, slug("acme"), {.email = address});
    }
    const auto t = now();
    CHECK(value_of(repository->fan_out(t, 1000)) == 3);
    auto claimed =
        value_of(repository->claim_deliveries({.now = t, .claim_until = t + std::chrono::seconds(30), .limit = 10}));
    REQUIRE(claimed.size() == 3);
    require_ok(repository->finish_delivery(outcome_of(claimed[0], DeliveryState::Succeeded, t)));
    require_ok(repository->finish_delivery(outcome_of(claimed[1], DeliveryState::Failed, t)));
    require_ok(repository->finish_delivery(outcome_of(claimed[2], DeliveryState::Pending, t)));

    CHECK(value_of(repository->sweep(kLongAgo, t - std::chrono::seconds(1))).deliveries == 0);
    CHECK(value_of(repository->list_deliveries(tenant, webhook.id, 10, std::nullopt)).items.size() == 3);

    const auto swept = value_of(repository->sweep(kLongAgo, t + std::chrono::milliseconds(1)));
    CHECK(swept.deliveries == 2);
    CHECK(swept.events == 0);
    const auto left = value_of(repository->list_deliveries(tenant, webhook.id, 10, std::nullopt)).items;
    REQUIRE(left.size() == 1);
    CHECK(left[0].sequence == claimed[2].event.sequence);
    CHECK(left[0].state == DeliveryState::Pending);
    // The pending one is still claimed and delivered as before.
    CHECK(value_of(repository->claim_deliveries({.now = t, .claim_until = t + std::chrono::seconds(30), .limit = 10}))
              .size() == 1);
}

}  // namespace leads::tests::contract
