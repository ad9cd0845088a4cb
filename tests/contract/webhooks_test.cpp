// Repository contract: webhook endpoints and their deliveries (CONTRACT §8) — what a
// tenant stores, which events reach which endpoint, and claims that let several workers
// share the deliveries without making one attempt twice.
#include <algorithm>
#include <catch2/catch.hpp>
#include <mutex>
#include <set>
#include <thread>

#include "tests/contract/repository_factory.hpp"
#include "tests/contract/support.hpp"
#include "tests/support/random.hpp"

namespace leads::tests::contract {
namespace {

using domain::DeliveryState;
using domain::ErrorKind;
using domain::EventType;
using domain::Lead;

ports::Webhook webhook_for(const domain::TenantId& tenant, std::vector<EventType> types = {}) {
    if (types.empty()) types.assign(std::begin(domain::kEventTypes), std::end(domain::kEventTypes));
    return ports::Webhook{.id = domain::WebhookId::generate(now(), random_entropy()),
                          .tenant = tenant,
                          .url = "https://hooks.example.com/leads",
                          .event_types = std::move(types),
                          .description = "CRM sync",
                          .enabled = true,
                          .created_at = now(),
                          .updated_at = now(),
                          .secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"};
}

ports::LeadMutation company(std::string name) {
    return [name](Lead& lead) -> domain::Result<std::vector<domain::Activity>> {
        lead.company = name;
        lead.version += 1;
        lead.updated_at = now();
        return std::vector<domain::Activity>{};
    };
}

// Every pending delivery of the tenant's endpoint, newest first.
std::vector<ports::WebhookDelivery> deliveries_of(ports::Repository& repository, const ports::Webhook& webhook) {
    auto page = value_of(repository.list_deliveries(webhook.tenant, webhook.id, 200, std::nullopt));
    return page.items;
}

// Claims everything due now of this tenant (other tests' deliveries may be due too: only
// this tenant's are kept, the others are released at once).
std::vector<ports::ClaimedDelivery> claim_own(ports::Repository& repository, const domain::TenantId& tenant,
                                              ports::ClaimRequest request) {
    const domain::Timestamp at = request.now;
    std::vector<ports::ClaimedDelivery> own;
    for (auto& claimed : value_of(repository.claim_deliveries(request))) {
        if (claimed.webhook.tenant == tenant) {
            own.push_back(std::move(claimed));
        } else {
            // Not this test's: put it back as it was.
            require_ok(repository.finish_delivery(ports::DeliveryOutcome{.tenant = claimed.webhook.tenant,
                                                                         .webhook_id = claimed.webhook.id,
                                                                         .sequence = claimed.event.sequence,
                                                                         .state = DeliveryState::Pending,
                                                                         .attempts = claimed.attempts,
                                                                         .status_code = std::nullopt,
                                                                         .error = std::nullopt,
                                                                         .next_attempt_at = at,
                                                                         .disable_webhook = false,
                                                                         .at = at,
                                                                         .claimed_until = claimed.claimed_until}));
        }
    }
    return own;
}

std::vector<ports::ClaimedDelivery> claim_own(ports::Repository& repository, const domain::TenantId& tenant,
                                              domain::Timestamp at, domain::Timestamp until) {
    return claim_own(repository, tenant, {.now = at, .claim_until = until, .limit = 1000});
}

}  // namespace

TEST_CASE("webhooks: an endpoint is stored, listed, changed and removed within its tenant only",
          "[contract][webhooks]") {
    auto repository = make_repository();
    const auto tenant = random_tenant();
    const auto other = random_tenant();
    const auto webhook = webhook_for(tenant, {EventType::LeadCreated, EventType::LeadDeleted});
    require_ok(repository->insert_webhook(webhook));
    const auto found = value_of(repository->find_webhook(tenant, webhook.id));
    CHECK(found.url == webhook.url);
    CHECK(found.event_types == webhook.event_types);
    CHECK(found.description == webhook.description);
    CHECK(found.secret == webhook.secret);
    CHECK(found.enabled);
    CHECK(found.created_at == webhook.created_at);
    CHECK(value_of(repository->list_webhooks(tenant)).size() == 1);

    CHECK(error_of(repository->find_webhook(other, webhook.id)).kind == ErrorKind::NotFound);
    CHECK(value_of(repository->list_webhooks(other)).empty());
    CHECK(error_of(repository->update_webhook(other, webhook.id, [](ports::Webhook&) {
              return domain::Result<void>{};
          })).kind == ErrorKind::NotFound);
    CHECK(error_of(repository->remove_webhook(other, webhook.id)).kind == ErrorKind::NotFound);
    CHECK(error_of(repository->list_deliveries(other, webhook.id, 10, std::nullopt)).kind == ErrorKind::NotFound);

    const auto changed = value_of(repository->update_webhook(tenant, webhook.id, [](ports::Webhook& w) {
        w.url = "https://other.example.com/";
        w.description.reset();
        w.previous_secret = w.secret;
        w.previous_until = at(1000);
        w.secret = "whsec_bmV3c2VjcmV0bmV3c2VjcmV0bmV3c2VjcmV0";
        return domain::Result<void>{};
    }));
    const auto reread = value_of(repository->find_webhook(tenant, webhook.id));
    CHECK(reread.url == "https://other.example.com/");
    CHECK_FALSE(reread.description);
    CHECK(reread.previous_secret == webhook.secret);
    CHECK(reread.previous_until == at(1000));
    CHECK(reread.secret == changed.secret);
    // A refused change stores nothing.
    CHECK(error_of(repository->update_webhook(tenant, webhook.id, [](ports::Webhook& w) -> domain::Result<void> {
              w.url = "https://changed.example.com/";
              return domain::Error::validation("url", "no");
          })).kind == ErrorKind::Validation);
    CHECK(value_of(repository->find_webhook(tenant, webhook.id)).url == "https://other.example.com/");

    require_ok(repository->remove_webhook(tenant, webhook.id));
    CHECK(error_of(repository->find_webhook(tenant, webhook.id)).kind == ErrorKind::NotFound);
}

TEST_CASE("webhooks: an endpoint receives the events of its types committed after it was made, once each",
          "[contract][webhooks]") {
    auto repository = make_repository();
    const auto tenant = random_tenant();
    const Lead before = add_lead(*repository, tenant, slug("acme"), {.email = "before@example.com"});
    const auto webhook = webhook_for(tenant, {EventType::LeadCreated, EventType::LeadDeleted});
    require_ok(repository->insert_webhook(webhook));
    const Lead jane = add_lead(*repository, tenant, slug("acme"), {.email = "jane@example.com"});
    value_of(repository->update(key_of(jane), company("Acme")));  // lead.updated: not its type
    require_ok(repository->remove(key_of(before), std::nullopt));

    const auto t = now();
    CHECK(value_of(repository->fan_out(t, 1000)) >= 2);
    value_of(repository->fan_out(t, 1000));  // again: nothing new for it
    const auto deliveries = deliveries_of(*repository, webhook);
    REQUIRE(deliveries.size() == 2);
    CHECK(deliveries[0].sequence > deliveries[1].sequence);  // newest first
    for (const auto& delivery : deliveries) {
        CHECK(delivery.state == DeliveryState::Pending);
        CHECK(delivery.attempts == 0);
        CHECK(delivery.next_attempt_at == t);
    }
    const auto events = value_of(repository->events(ports::EventQuery{.tenant = tenant,
                                                                      .after = std::nullopt,
                                                                      .limit = 100,
                                                                      .types = {},
                                                                      .workspace = std::nullopt,
                                                                      .drop_before = at(-1)}))
                            .items;
    std::set<std::string> expected;
    for (const auto& event : events) {
        if (event.sequence > 1 && (event.type == EventType::LeadCreated || event.type == EventType::LeadDeleted)) {
            expected.insert(event.id.value());
        }
    }
    CHECK(std::set<std::string>{deliveries[0].event_id.value(), deliveries[1].event_id.value()} == expected);
}

TEST_CASE("webhooks: an endpoint behind events retention dropped gets the next event in one round",
          "[contract][webhooks][events]") {
    auto repository = make_private_repository();
    const auto tenant = random_tenant();
    const auto webhook = webhook_for(tenant);
    require_ok(repository->insert_webhook(webhook));
    for (const char* address : {"a@example.com", "b@example.com", "c@example.com", "d@example.com"}) {
        add_lead(*repository, tenant, slug("acme"), {.email = address});
    }
    // Retention drops all four before the endpoint was handed any of them.
    const auto dropped = value_of(repository->events(ports::EventQuery{.tenant = tenant,
                                                                       .after = std::nullopt,
                                                                       .limit = 100,
                                                                       .types = {},
                                                                       .workspace = std::nullopt,
                                                                       .drop_before = now() + std::chrono::hours(1)}));
    REQUIRE(dropped.items.empty());
    add_lead(*repository, tenant, slug("acme"), {.email = "e@example.com"});

    // Two numbers per round: the dropped ones are skipped, not walked.
    CHECK(value_of(repository->fan_out(now(), 2)) == 1);
    const auto deliveries = deliveries_of(*repository, webhook);
    REQUIRE(deliveries.size() == 1);
    CHECK(deliveries[0].sequence == 5);
}

TEST_CASE("webhooks: a disabled endpoint gets nothing, and once enabled again only what follows",
          "[contract][webhooks]") {
    auto repository = make_repository();
    const auto tenant = random_tenant();
    const auto webhook = webhook_for(tenant);
    require_ok(repository->insert_webhook(webhook));
    value_of(repository->update_webhook(tenant, webhook.id, [](ports::Webhook& w) {
        w.enabled = false;
        return domain::Result<void>{};
    }));
    add_lead(*repository, tenant, slug("acme"), {.email = "missed@example.com"});
    value_of(repository->fan_out(now(), 1000));
    CHECK(deliveries_of(*repository, webhook).empty());
    value_of(repository->update_webhook(tenant, webhook.id, [](ports::Webhook& w) {
        w.enabled = true;
        return domain::Result<void>{};
    }));
    const Lead later = add_lead(*repository, tenant, slug("acme"), {.email = "later@example.com"});
    value_of(repository->fan_out(now(), 1000));
    const auto deliveries = deliveries_of(*repository, webhook);
    REQUIRE(deliveries.size() == 1);
    const auto claimed = claim_own(*repository, tenant, now(), now() + std::chrono::minutes(1));
    REQUIRE(claimed.size() == 1);
    CHECK(claimed[0].event.lead_id == later.id);
}

TEST_CASE("webhooks: a claimed delivery is not claimed again until its claim expires; an outcome is recorded",
          "[contract][webhooks]") {
    auto repository = make_repository();
    const auto tenant = random_tenant();
    const auto webhook = webhook_for(tenant);
    require_ok(repository->insert_webhook(webhook));
    const Lead jane = add_lead(*repository, tenant, slug("acme"), {.email = "jane@example.com"});
    const auto t = now();
    value_of(repository->fan_out(t, 1000));

    const auto first = claim_own(*repository, tenant, t, t + std::chrono::seconds(30));
    REQUIRE(first.size() == 1);
    CHECK(first[0].webhook.id == webhook.id);
    CHECK(first[0].webhook.secret == webhook.secret);
    CHECK(first[0].event.type == EventType::LeadCreated);
    CHECK(first[0].event.data.find("jane@example.com") != std::string::npos);
    CHECK(first[0].attempts == 0);
    CHECK(claim_own(*repository, tenant, t + std::chrono::seconds(1), t + std::chrono::seconds(31)).empty());
    // The claim expired (its worker died): another worker takes it.
    const auto again = claim_own(*repository, tenant, t + std::chrono::seconds(31), t + std::chrono::seconds(60));
    REQUIRE(again.size() == 1);

    // The first worker's late outcome is not recorded: the claim is the second one's now.
    require_ok(repository->finish_delivery(ports::DeliveryOutcome{.tenant = tenant,
                                                                  .webhook_id = webhook.id,
                                                                  .sequence = first[0].event.sequence,
                                                                  .state = DeliveryState::Succeeded,
                                                                  .attempts = 1,
                                                                  .status_code = 200,
                                                                  .error = std::nullopt,
                                                                  .next_attempt_at = std::nullopt,
                                                                  .disable_webhook = false,
                                                                  .at = t + std::chrono::seconds(31),
                                                                  .claimed_until = first[0].claimed_until}));
    CHECK(deliveries_of(*repository, webhook)[0].state == DeliveryState::Pending);
    CHECK(deliveries_of(*repository, webhook)[0].attempts == 0);

    // A 500: retried later.
    require_ok(repository->finish_delivery(ports::DeliveryOutcome{.tenant = tenant,
                                                                  .webhook_id = webhook.id,
                                                                  .sequence = again[0].event.sequence,
                                                                  .state = DeliveryState::Pending,
                                                                  .attempts = 1,
                                                                  .status_code = 500,
                                                                  .error = "the receiver answered 500",
                                                                  .next_attempt_at = t + std::chrono::seconds(40),
                                                                  .disable_webhook = false,
                                                                  .at = t + std::chrono::seconds(32),
                                                                  .claimed_until = again[0].claimed_until}));
    auto listed = deliveries_of(*repository, webhook);
    REQUIRE(listed.size() == 1);
    CHECK(listed[0].attempts == 1);
    CHECK(listed[0].last_status_code == 500);
    CHECK(listed[0].last_error == "the receiver answered 500");
    CHECK(listed[0].next_attempt_at == t + std::chrono::seconds(40));
    CHECK(claim_own(*repository, tenant, t + std::chrono::seconds(35), t + std::chrono::seconds(90)).empty());
    CHECK(value_of(repository->delivery_backlog()).pending >= 1);

    // Erasure reaches later attempts: the lead is deleted before the retry.
    require_ok(repository->remove(key_of(jane), std::nullopt));
    const auto retry = claim_own(*repository, tenant, t + std::chrono::seconds(41), t + std::chrono::seconds(90));
    REQUIRE(retry.size() == 1);
    CHECK(retry[0].attempts == 1);
    CHECK(retry[0].event.data == ports::kErasedEventData);
    // More pending meanwhile: jane's lead.deleted, john's lead.created.
    add_lead(*repository, tenant, slug("acme"), {.email = "john@example.com"});
    value_of(repository->fan_out(t + std::chrono::seconds(41), 1000));
    REQUIRE(deliveries_of(*repository, webhook).size() == 3);

    // 410: failed, the endpoint disabled, and its other pending deliveries failed with it.
    require_ok(repository->finish_delivery(ports::DeliveryOutcome{.tenant = tenant,
                                                                  .webhook_id = webhook.id,
                                                                  .sequence = retry[0].event.sequence,
                                                                  .state = DeliveryState::Failed,
                                                                  .attempts = 2,
                                                                  .status_code = 410,
                                                                  .error = std::nullopt,
                                                                  .next_attempt_at = std::nullopt,
                                                                  .disable_webhook = true,
                                                                  .at = t + std::chrono::seconds(42),
                                                                  .claimed_until = retry[0].claimed_until}));
    CHECK_FALSE(value_of(repository->find_webhook(tenant, webhook.id)).enabled);
    listed = deliveries_of(*repository, webhook);
    REQUIRE(listed.size() == 3);
    for (const auto& delivery : listed) {
        CHECK(delivery.state == DeliveryState::Failed);
        CHECK_FALSE(delivery.next_attempt_at);
    }
    CHECK(listed[0].last_error == std::string(ports::kEndpointGone));
    CHECK(listed[1].last_error == std::string(ports::kEndpointGone));
    CHECK(listed[2].last_status_code == 410);
}

TEST_CASE("webhooks: deliveries page newest first; removing the endpoint removes them", "[contract][webhooks]") {
    auto repository = make_repository();
    const auto tenant = random_tenant();
    const auto webhook = webhook_for(tenant, {EventType::LeadCreated});
    require_ok(repository->insert_webhook(webhook));
    for (int i = 0; i < 5; ++i) add_lead(*repository, tenant, slug("acme"), {.email = std::to_string(i) + "@x.com"});
    value_of(repository->fan_out(now(), 1000));
    auto page = value_of(repository->list_deliveries(tenant, webhook.id, 3, std::nullopt));
    REQUIRE(page.items.size() == 3);
    CHECK(page.more);
    auto rest = value_of(repository->list_deliveries(tenant, webhook.id, 3, page.items.back().sequence));
    REQUIRE(rest.items.size() == 2);
    CHECK_FALSE(rest.more);
    CHECK(rest.items.front().sequence < page.items.back().sequence);
    require_ok(repository->remove_webhook(tenant, webhook.id));
    CHECK(claim_own(*repository, tenant, now(), now() + std::chrono::minutes(1)).empty());
}

TEST_CASE("webhooks: concurrent workers never claim the same delivery", "[contract][webhooks][concurrency]") {
    auto repository = make_repository();
    const auto tenant = random_tenant();
    const auto webhook = webhook_for(tenant, {EventType::LeadCreated});
    require_ok(repository->insert_webhook(webhook));
    constexpr int kLeads = 40;
    for (int i = 0; i < kLeads; ++i)
        add_lead(*repository, tenant, slug("acme"), {.email = std::to_string(i) + "@x.com"});
    const auto t = now();
    value_of(repository->fan_out(t, 1000));
    std::mutex mutex;
    std::vector<std::int64_t> claimed;
    std::vector<std::thread> workers;
    for (int w = 0; w < 4; ++w) {
        workers.emplace_back([&] {
            for (int round = 0; round < 20; ++round) {
                // Claimed for a second past t: other processes (real clocks) are not held up.
                auto got =
                    repository->claim_deliveries({.now = t, .claim_until = t + std::chrono::seconds(1), .limit = 3});
                if (!got) continue;
                std::lock_guard lock(mutex);
                for (const auto& delivery : *got) {
                    if (delivery.webhook.tenant == tenant) claimed.push_back(delivery.event.sequence);
                }
            }
        });
    }
    for (auto& worker : workers) worker.join();
    std::sort(claimed.begin(), claimed.end());
    CHECK(std::adjacent_find(claimed.begin(), claimed.end()) == claimed.end());  // none twice
    CHECK(claimed.size() == static_cast<std::size_t>(kLeads));
}

TEST_CASE("webhooks: a claim takes at most per_webhook deliveries of each endpoint and none of a skipped one",
          "[contract][webhooks]") {
    auto repository = make_repository();
    const auto tenant = random_tenant();
    const auto first = webhook_for(tenant);
    const auto second = webhook_for(tenant);
    const auto skipped = webhook_for(tenant);
    for (const auto& webhook : {first, second, skipped}) require_ok(repository->insert_webhook(webhook));
    for (int i = 0; i < 5; ++i) {
        add_lead(*repository, tenant, slug("acme"), {.email = "lead" + std::to_string(i) + "@example.com"});
    }
    const auto t = now();
    value_of(repository->fan_out(t, 1000));

    const auto count = [](const std::vector<ports::ClaimedDelivery>& claimed, const ports::Webhook& webhook) {
        return std::count_if(claimed.begin(), claimed.end(),
                             [&](const ports::ClaimedDelivery& delivery) { return delivery.webhook.id == webhook.id; });
    };
    const ports::ClaimRequest request{
        .now = t, .claim_until = t + std::chrono::seconds(30), .limit = 1000, .per_webhook = 2, .skip = {skipped.id}};
    const auto claimed = claim_own(*repository, tenant, request);
    CHECK(claimed.size() == 4);
    CHECK(count(claimed, first) == 2);
    CHECK(count(claimed, second) == 2);
    CHECK(count(claimed, skipped) == 0);
    // Oldest due first within an endpoint: every delivery was due at t, so any two of its own.
    std::set<std::int64_t> sequences;
    for (const auto& delivery : claimed) sequences.insert(delivery.event.sequence);
    CHECK(sequences.size() == 2);

    // The next claim takes the next two of each; then what is left.
    const auto next = claim_own(*repository, tenant, request);
    CHECK(count(next, first) == 2);
    CHECK(count(next, second) == 2);
    const auto last = claim_own(*repository, tenant, request);
    CHECK(count(last, first) == 1);
    CHECK(count(last, second) == 1);
    CHECK(count(last, skipped) == 0);
    // Not skipped any more: the third endpoint's deliveries, two at a time.
    CHECK(count(claim_own(*repository, tenant,
                          {.now = t, .claim_until = t + std::chrono::seconds(30), .limit = 1000, .per_webhook = 2}),
                skipped) == 2);
}

TEST_CASE("webhooks: a claimed delivery given back unattempted is claimable at once; a stale give-back changes nothing",
          "[contract][webhooks]") {
    auto repository = make_repository();
    const auto tenant = random_tenant();
    const auto webhook = webhook_for(tenant);
    require_ok(repository->insert_webhook(webhook));
    add_lead(*repository, tenant, slug("acme"), {.email = "jane@example.com"});
    const auto t = now();
    value_of(repository->fan_out(t, 1000));

    const auto first = claim_own(*repository, tenant, t, t + std::chrono::seconds(30));
    REQUIRE(first.size() == 1);
    CHECK(claim_own(*repository, tenant, t + std::chrono::seconds(1), t + std::chrono::seconds(31)).empty());
    require_ok(repository->release_claim(first[0]));
    // Given back: claimed again before the first claim's lease would have ended.
    const auto again = claim_own(*repository, tenant, t + std::chrono::seconds(1), t + std::chrono::seconds(40));
    REQUIRE(again.size() == 1);
    CHECK(again[0].attempts == 0);
    const auto delivery = deliveries_of(*repository, webhook).at(0);
    CHECK(delivery.state == DeliveryState::Pending);
    CHECK(delivery.attempts == 0);

    // The first claim's give-back, late: the second claim holds.
    require_ok(repository->release_claim(first[0]));
    CHECK(claim_own(*repository, tenant, t + std::chrono::seconds(2), t + std::chrono::seconds(42)).empty());
}

TEST_CASE("webhooks: an endpoint made after more than 10,000 events nobody read receives none of them",
          "[contract][webhooks]") {
    auto repository = make_repository();
    const auto tenant = random_tenant();
    std::vector<ports::ImportItem> items;
    for (int i = 0; i < 10'050; ++i) {
        const Lead lead = make_lead(tenant, slug("acme"), {.email = "lead" + std::to_string(i) + "@example.com"});
        items.push_back({lead, created_entry(lead), {}});
    }
    value_of(repository->import(tenant, slug("acme"), items));
    const auto webhook = webhook_for(tenant);
    require_ok(repository->insert_webhook(webhook));
    const Lead late = add_lead(*repository, tenant, slug("acme"), {.email = "late@example.com"});
    value_of(repository->fan_out(now(), 100'000));
    const auto deliveries = deliveries_of(*repository, webhook);
    REQUIRE(deliveries.size() == 1);
    CHECK(deliveries[0].sequence == 10'051);
    (void)late;
}

}  // namespace leads::tests::contract
