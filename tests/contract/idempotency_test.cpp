// Repository contract: Idempotency-Key records (CONTRACT §6). Claims, answers recorded in
// the transaction of the write's effect (never one without the other), expiry, and one
// effect for many concurrent requests with one key.
#include "ports/idempotency.hpp"

#include <atomic>
#include <catch2/catch.hpp>
#include <thread>

#include "ports/repository.hpp"
#include "ports/suppression_repository.hpp"
#include "tests/contract/repository_factory.hpp"
#include "tests/contract/support.hpp"

namespace leads::tests::contract {
namespace {

using ports::ClaimState;
using namespace std::chrono_literals;

ports::IdempotencyRecord record_of(const ports::IdempotencyRequest& r) { return {r.tenant, r.key, r.token}; }

ports::IdempotentAnswer answer(std::string body) {
    return ports::IdempotentAnswer{
        .status = 201, .body = std::move(body), .location = "/api/v1/tenant/leads/x", .etag = "\"1\""};
}

// A completion recording answer(body-of-the-stored-lead's-email) for an insert.
ports::Completion<domain::Lead> completion(const ports::IdempotencyRecord& record) {
    return ports::Completion<domain::Lead>{
        record,
        [](const domain::Lead& lead,
           ports::TransactionReader& reads) -> domain::Result<std::optional<ports::IdempotentAnswer>> {
            auto recent = reads.recent_activity(key_of(lead), 10);
            if (!recent) return std::move(recent).error();
            return std::optional<ports::IdempotentAnswer>{
                answer(lead.email.value() + " " + std::to_string(recent->total))};
        }};
}

TEST_CASE("a free key is claimed once; the same request then waits, another is refused", "[contract][idempotency]") {
    auto repository = make_repository();
    const auto tenant = random_tenant();
    CHECK(value_of(repository->claim_idempotency(claim_request(tenant, "k", "t1"))).state == ClaimState::Claimed);
    CHECK(value_of(repository->claim_idempotency(claim_request(tenant, "k", "t2"))).state == ClaimState::InProgress);
    CHECK(value_of(repository->claim_idempotency(claim_request(tenant, "k", "t3", now(), "other"))).state ==
          ClaimState::Reused);
    // Keys belong to their tenant.
    CHECK(value_of(repository->claim_idempotency(claim_request(random_tenant(), "k", "t4"))).state ==
          ClaimState::Claimed);
}

TEST_CASE("the answer is recorded with the write's effect and replayed; a refused write records nothing",
          "[contract][idempotency]") {
    auto repository = make_repository();
    const auto tenant = random_tenant();
    const auto claim = claim_request(tenant, "create", "t1");
    REQUIRE(value_of(repository->claim_idempotency(claim)).state == ClaimState::Claimed);
    const domain::Lead lead = new_lead(tenant, "acme", "idem@example.com", now());
    const auto done = completion(record_of(claim));
    require_ok(repository->insert(lead, created_entry(lead), &done));

    // The answer was made inside the transaction: it saw the lead_created entry.
    const auto replay = value_of(repository->claim_idempotency(claim_request(tenant, "create", "t2")));
    CHECK(replay.state == ClaimState::Replay);
    REQUIRE(replay.answer);
    CHECK(*replay.answer == answer("idem@example.com 1"));

    // A duplicate insert under another claim: refused, no record, the claim still running.
    const auto second = claim_request(tenant, "dup", "t3");
    REQUIRE(value_of(repository->claim_idempotency(second)).state == ClaimState::Claimed);
    const domain::Lead twin = new_lead(tenant, "acme", "idem@example.com", now());
    const auto done_twin = completion(record_of(second));
    CHECK(error_of(repository->insert(twin, created_entry(twin), &done_twin)).kind == domain::ErrorKind::Conflict);
    CHECK(value_of(repository->claim_idempotency(claim_request(tenant, "dup", "t4"))).state == ClaimState::InProgress);
    // The refusal is recorded by itself, then replayed.
    const ports::IdempotentAnswer refusal{.status = 409, .body = "{}", .location = {}, .etag = {}};
    require_ok(repository->finish_idempotency(record_of(second), refusal));
    const auto replayed = value_of(repository->claim_idempotency(claim_request(tenant, "dup", "t5")));
    CHECK(replayed.state == ClaimState::Replay);
    CHECK(replayed.answer == refusal);
}

TEST_CASE("a write whose claim is no longer its own has no effect", "[contract][idempotency]") {
    auto repository = make_repository();
    const auto tenant = random_tenant();
    REQUIRE(value_of(repository->claim_idempotency(claim_request(tenant, "k", "mine"))).state == ClaimState::Claimed);
    const ports::IdempotencyRecord stolen{tenant, "k", "someone-else"};
    const domain::Lead lead = new_lead(tenant, "acme", "nobody@example.com", now());
    const auto done = completion(stolen);
    CHECK(error_of(repository->insert(lead, created_entry(lead), &done)).kind == domain::ErrorKind::Unavailable);
    CHECK(error_of(repository->find(key_of(lead))).kind == domain::ErrorKind::NotFound);
    // Nor an update's, nor a finish.
    const domain::Lead existing = add_lead(*repository, tenant, slug("acme"), LeadSpec{.email = "e@example.com"});
    const auto update_done = completion(stolen);
    CHECK(error_of(repository->update(
                       key_of(existing),
                       [](domain::Lead& l) -> domain::Result<std::vector<domain::Activity>> {
                           l.company = "Changed";
                           ++l.version;
                           return std::vector<domain::Activity>{};
                       },
                       &update_done))
              .kind == domain::ErrorKind::Unavailable);
    CHECK_FALSE(value_of(repository->find(key_of(existing))).company);
    CHECK(error_of(repository->finish_idempotency(stolen, answer("x"))).kind == domain::ErrorKind::Unavailable);
}

// An answer that refuses, for any write: the write must leave nothing behind.
template <class Outcome>
ports::Completion<Outcome> refusing(const ports::IdempotencyRecord& record) {
    return ports::Completion<Outcome>{
        record,
        [](const Outcome&, ports::TransactionReader&) -> domain::Result<std::optional<ports::IdempotentAnswer>> {
            return domain::Error::validation("answer", "refused");
        }};
}

TEST_CASE("an answer that refuses undoes its write: no new lead, no change, no entry, no event, nothing listed",
          "[contract][idempotency]") {
    auto repository = make_repository();
    const auto tenant = random_tenant();
    const domain::Lead existing = add_lead(*repository, tenant, slug("acme"), LeadSpec{.email = "kept@example.com"});
    const auto events_before = value_of(repository->events(feed_of(tenant))).items.size();
    const auto claim = [&](const std::string& key) {
        const auto made = claim_request(tenant, key, "t");
        REQUIRE(value_of(repository->claim_idempotency(made)).state == ClaimState::Claimed);
        return record_of(made);
    };

    const domain::Lead fresh = new_lead(tenant, "acme", "fresh@example.com", now());
    const auto refused_insert = refusing<domain::Lead>(claim("insert"));
    CHECK(error_of(repository->insert(fresh, created_entry(fresh), &refused_insert)).kind ==
          domain::ErrorKind::Validation);

    const auto refused_update = refusing<domain::Lead>(claim("update"));
    CHECK(error_of(repository->update(
                       key_of(existing),
                       [](domain::Lead& l) -> domain::Result<std::vector<domain::Activity>> {
                           l.company = "Changed";
                           ++l.version;
                           return std::vector<domain::Activity>{entry(l, domain::ActivityType::Note, now(), {})};
                       },
                       &refused_update))
              .kind == domain::ErrorKind::Validation);

    const domain::Lead imported = new_lead(tenant, "acme", "imported@example.com", now());
    const domain::Lead again = new_lead(tenant, "acme", "kept@example.com", now());
    const std::vector<ports::ImportItem> items{
        {imported, created_entry(imported), {}},
        {again, created_entry(again), [](domain::Lead& l) -> domain::Result<std::vector<domain::Activity>> {
             l.company = "Merged";
             ++l.version;
             return std::vector<domain::Activity>{};
         }}};
    const auto refused_import = refusing<std::vector<ports::ImportOutcome>>(claim("import"));
    CHECK(error_of(repository->import(tenant, slug("acme"), items, &refused_import)).kind ==
          domain::ErrorKind::Validation);

    const auto refused_listing = refusing<ports::SuppressionAdded>(claim("listing"));
    const domain::SuppressionDraft draft{.id = domain::SuppressionId::generate(now(), random_entropy()),
                                         .reason = domain::SuppressionReason::Manual,
                                         .created_at = now()};
    CHECK(error_of(repository->add_suppression(tenant, email("fresh@example.com"), draft, &refused_listing)).kind ==
          domain::ErrorKind::Validation);

    CHECK(error_of(repository->find(key_of(fresh))).kind == domain::ErrorKind::NotFound);
    CHECK(error_of(repository->find(key_of(imported))).kind == domain::ErrorKind::NotFound);
    const auto kept = value_of(repository->find(key_of(existing)));
    CHECK_FALSE(kept.company);
    CHECK(kept.version == existing.version);
    CHECK(value_of(repository->activities(key_of(existing), 10, 0)).total == 1);
    CHECK(value_of(repository->list({tenant, slug("acme"), {}, {}, 50, 0})).total == 1);
    CHECK(value_of(repository->events(feed_of(tenant))).items.size() == events_before);
    CHECK(error_of(repository->find_suppression(tenant, email("fresh@example.com"))).kind ==
          domain::ErrorKind::NotFound);
    // The claims are still running: nothing was recorded under them.
    CHECK(value_of(repository->claim_idempotency(claim_request(tenant, "insert", "t2"))).state ==
          ClaimState::InProgress);
    // And the same writes without a refusal go through, the email free and the lead as it was.
    require_ok(repository->insert(fresh, created_entry(fresh)));
}

TEST_CASE("released, expired and abandoned claims free the key; purge forgets only expired records",
          "[contract][idempotency]") {
    auto repository = make_repository();
    const auto tenant = random_tenant();
    const auto t0 = now();
    // Released: claimed again at once.
    const auto first = claim_request(tenant, "released", "t1", t0);
    REQUIRE(value_of(repository->claim_idempotency(first)).state == ClaimState::Claimed);
    require_ok(repository->release_idempotency(record_of(first)));
    CHECK(value_of(repository->claim_idempotency(claim_request(tenant, "released", "t2", t0, "other"))).state ==
          ClaimState::Claimed);

    // Abandoned: a claim running for over a minute (its process died) is taken over.
    REQUIRE(value_of(repository->claim_idempotency(claim_request(tenant, "abandoned", "t3", t0))).state ==
            ClaimState::Claimed);
    CHECK(value_of(repository->claim_idempotency(claim_request(tenant, "abandoned", "t4", t0 + 30s))).state ==
          ClaimState::InProgress);
    CHECK(value_of(repository->claim_idempotency(claim_request(tenant, "abandoned", "t5", t0 + 61s))).state ==
          ClaimState::Claimed);

    // Expired: a recorded answer is forgotten after its lifetime, even for another request.
    const auto done = claim_request(tenant, "expired", "t6", t0);
    REQUIRE(value_of(repository->claim_idempotency(done)).state == ClaimState::Claimed);
    require_ok(repository->finish_idempotency(record_of(done), answer("old")));
    CHECK(value_of(repository->claim_idempotency(claim_request(tenant, "expired", "t7", t0 + 23h))).state ==
          ClaimState::Replay);
    CHECK(value_of(repository->claim_idempotency(claim_request(tenant, "expired", "t8", t0 + 25h, "other"))).state ==
          ClaimState::Claimed);

    // Purge at t0 + 24h: "released" (claimed at t0) goes; what was claimed later stays, and
    // so does another tenant's expired record (a purge is one tenant's).
    const auto kept = claim_request(tenant, "kept", "t9", t0 + 2h);
    const auto stranger = random_tenant();
    REQUIRE(value_of(repository->claim_idempotency(claim_request(stranger, "released", "s1", t0))).state ==
            ClaimState::Claimed);
    REQUIRE(value_of(repository->claim_idempotency(kept)).state == ClaimState::Claimed);
    std::int64_t purged = 0;
    for (int i = 0; i < 1000; ++i) {
        const auto batch = value_of(repository->purge_idempotency(tenant, t0 + 24h + 1s, 50));
        purged += batch;
        if (batch < 50) break;
    }
    CHECK(purged >= 1);
    // Gone: a different request with its key, soon after, is no longer refused as a reuse.
    CHECK(value_of(repository->claim_idempotency(claim_request(tenant, "released", "t12", t0 + 30s, "third"))).state ==
          ClaimState::Claimed);
    CHECK(value_of(repository->claim_idempotency(claim_request(tenant, "kept", "t10", t0 + 2h))).state ==
          ClaimState::InProgress);
    CHECK(value_of(repository->claim_idempotency(claim_request(tenant, "expired", "t11", t0 + 25h, "other"))).state ==
          ClaimState::InProgress);
    // Not purged: the stranger's claim is still running for a retry of its request.
    CHECK(value_of(repository->claim_idempotency(claim_request(stranger, "released", "s2", t0 + 30s))).state ==
          ClaimState::InProgress);
}

TEST_CASE("20 concurrent identical requests with one key make exactly one effect", "[contract][idempotency]") {
    auto repository = make_repository();
    const auto tenant = random_tenant();
    constexpr int kRequests = 20;
    std::atomic<int> claimed{0}, waiting{0}, replayed{0}, failed{0};
    std::vector<std::thread> threads;
    std::atomic<bool> go{false};
    for (int i = 0; i < kRequests; ++i) {
        threads.emplace_back([&, i] {
            while (!go.load()) std::this_thread::yield();
            const auto claim = claim_request(tenant, "race", "token-" + std::to_string(i));
            auto outcome = repository->claim_idempotency(claim);
            if (!outcome) {
                ++failed;
                return;
            }
            if (outcome->state == ClaimState::Claimed) {
                ++claimed;
                // Each request would make its own lead (its own id); one may.
                const domain::Lead lead = new_lead(tenant, "acme", "race" + std::to_string(i) + "@example.com", now());
                const auto done = completion(record_of(claim));
                if (!repository->insert(lead, created_entry(lead), &done).ok()) ++failed;
            } else if (outcome->state == ClaimState::InProgress) {
                ++waiting;
            } else if (outcome->state == ClaimState::Replay) {
                ++replayed;
            } else {
                ++failed;
            }
        });
    }
    go = true;
    for (auto& thread : threads) thread.join();
    CHECK(failed == 0);
    CHECK(claimed == 1);
    CHECK(claimed + waiting + replayed == kRequests);
    CHECK(value_of(repository->list(filter_for(tenant, slug("acme")))).total == 1);
    CHECK(value_of(repository->claim_idempotency(claim_request(tenant, "race", "late"))).state == ClaimState::Replay);
}

}  // namespace
}  // namespace leads::tests::contract
