// Repository contract: concurrent calls on one repository from many threads.
#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <latch>
#include <map>
#include <mutex>
#include <thread>

#include "domain/event.hpp"
#include "ports/idempotency.hpp"
#include "tests/contract/repository_factory.hpp"
#include "tests/contract/support.hpp"

namespace leads::tests::contract {
namespace {

using domain::Activity;
using domain::ActivityType;
using domain::Error;
using domain::ErrorKind;
using domain::Lead;
using domain::Result;

constexpr int kThreads = 20;

// A mutation that wins only against the version it expects, as If-Match does.
ports::LeadMutation set_company_if_version(std::int64_t expected, std::string company) {
    return
        [expected, company = std::move(company)](domain::Lead& lead) -> domain::Result<std::vector<domain::Activity>> {
            if (lead.version != expected) return domain::Error::precondition_failed();
            lead.company = company;
            lead.version += 1;
            lead.updated_at = now();
            return std::vector<domain::Activity>{};
        };
}

// Runs body(i) on kThreads threads released together; Catch assertions stay on this thread.
template <class Body>
void run_together(Body body) {
    std::latch start(kThreads);
    std::vector<std::thread> threads;
    threads.reserve(kThreads);
    for (int i = 0; i < kThreads; ++i) {
        threads.emplace_back([&, i] {
            start.arrive_and_wait();
            body(i);
        });
    }
    for (auto& thread : threads) thread.join();
}

TEST_CASE("concurrent updates are serialised: one version check wins", "[contract][concurrency]") {
    auto repository = make_repository();
    const Lead lead = new_lead(random_tenant(), "acme", "contended@example.com");
    require_ok(repository->insert(lead, created_entry(lead)));
    const std::int64_t v0 = lead.version;

    std::vector<std::optional<Error>> errors(kThreads);
    run_together([&](int i) {
        auto result = repository->update(key_of(lead), [&, i](Lead& current) -> Result<std::vector<Activity>> {
            if (current.version != v0) return Error::precondition_failed();
            current.version += 1;
            current.first_name = "winner " + std::to_string(i);
            return std::vector<Activity>{entry(current, ActivityType::Note, at(i))};
        });
        if (!result) errors[static_cast<std::size_t>(i)] = result.error();
    });

    int succeeded = 0;
    int winner = -1;
    for (int i = 0; i < kThreads; ++i) {
        const auto& error = errors[static_cast<std::size_t>(i)];
        if (!error) {
            ++succeeded;
            winner = i;
        } else {
            INFO(describe(*error));
            CHECK(error->kind == ErrorKind::PreconditionFailed);
        }
    }
    REQUIRE(succeeded == 1);
    const Lead stored = value_of(repository->find(key_of(lead)));
    CHECK(stored.version == v0 + 1);
    CHECK(stored.first_name == "winner " + std::to_string(winner));
    CHECK(value_of(repository->activities(key_of(lead), 50, 0)).total == 2);
}

TEST_CASE("concurrent read-modify-write updates lose nothing", "[contract][concurrency]") {
    auto repository = make_repository();
    Lead lead = new_lead(random_tenant(), "acme", "counter@example.com");
    lead.attributes = {{"count", std::int64_t{0}}};
    require_ok(repository->insert(lead, created_entry(lead)));

    std::atomic<int> failures{0};
    std::vector<std::string> messages(kThreads);
    run_together([&](int i) {
        auto result = repository->update(key_of(lead), [&](Lead& current) -> Result<std::vector<Activity>> {
            current.attributes["count"] = std::get<std::int64_t>(current.attributes["count"]) + 1;
            current.version += 1;
            return std::vector<Activity>{entry(current, ActivityType::Note, at(i))};
        });
        if (!result) {
            ++failures;
            messages[static_cast<std::size_t>(i)] = describe(result.error());
        }
    });
    for (const auto& message : messages) CHECK(message.empty());
    REQUIRE(failures == 0);
    const Lead stored = value_of(repository->find(key_of(lead)));
    CHECK(stored.version == lead.version + kThreads);
    CHECK(std::get<std::int64_t>(stored.attributes.at("count")) == kThreads);
    CHECK(value_of(repository->activities(key_of(lead), 200, 0)).total == kThreads + 1);
}

TEST_CASE("concurrent inserts of one email: exactly one wins, the others learn its id", "[contract][concurrency]") {
    auto repository = make_repository();
    const auto tenant = random_tenant();
    std::vector<Lead> leads;
    for (int i = 0; i < kThreads; ++i) leads.push_back(new_lead(tenant, "acme", "race@example.com", at(i)));

    std::vector<std::optional<Error>> errors(kThreads);
    run_together([&](int i) {
        const Lead& lead = leads[static_cast<std::size_t>(i)];
        auto result = repository->insert(lead, created_entry(lead));
        if (!result) errors[static_cast<std::size_t>(i)] = result.error();
    });

    std::vector<std::string> winners;
    for (int i = 0; i < kThreads; ++i) {
        if (!errors[static_cast<std::size_t>(i)]) winners.push_back(leads[static_cast<std::size_t>(i)].id.value());
    }
    REQUIRE(winners.size() == 1);
    for (const auto& error : errors) {
        if (!error) continue;
        INFO(describe(*error));
        CHECK(error->kind == ErrorKind::Conflict);
        CHECK(error->existing_id == winners[0]);
    }
    const auto page = value_of(repository->list({tenant, slug("acme"), {}, {}, 50, 0}));
    CHECK(page.total == 1);
    CHECK(ids_of(page.items) == winners);
}

// An answer to record for a create under the claim: the stored lead's email.
ports::Completion<Lead> answering(const domain::TenantId& tenant, const std::string& key, const std::string& token) {
    return ports::Completion<Lead>{
        ports::IdempotencyRecord{tenant, key, token},
        [](const Lead& lead, ports::TransactionReader&) -> Result<std::optional<ports::IdempotentAnswer>> {
            return std::optional<ports::IdempotentAnswer>{
                ports::IdempotentAnswer{.status = 201, .body = lead.email.value(), .location = {}, .etag = {}}};
        }};
}

}  // namespace

TEST_CASE(
    "creates at the same moment succeed or fail each on its own: a taken or listed email and a claim taken over "
    "change nothing, the others are stored with one event each, numbered without gaps",
    "[contract][concurrency]") {
    auto repository = make_repository();
    const auto tenant = random_tenant();
    const Lead taken = add_lead(*repository, tenant, slug("acme"), {.email = "taken@example.com"});
    REQUIRE(value_of(repository->add_suppression(
                         tenant, email("listed@example.com"),
                         domain::SuppressionDraft{.id = domain::SuppressionId::generate(now(), random_entropy()),
                                                  .reason = domain::SuppressionReason::Manual,
                                                  .created_at = now()}))
                .created);
    REQUIRE(value_of(repository->claim_idempotency(claim_request(tenant, "stolen", "mine"))).state ==
            ports::ClaimState::Claimed);
    REQUIRE(value_of(repository->claim_idempotency(claim_request(tenant, "kept", "mine"))).state ==
            ports::ClaimState::Claimed);
    // 0: a taken email; 1: a listed one; 2: a claim another request took over; 3: an
    // answer recorded; the others: plain creates. (An answer that refuses: sql_suite.cpp.)
    const auto stolen = answering(tenant, "stolen", "someone-else");
    const auto kept = answering(tenant, "kept", "mine");
    const std::map<int, const ports::Completion<Lead>*> completions{{2, &stolen}, {3, &kept}};
    std::vector<Lead> leads;
    for (int i = 0; i < kThreads; ++i) {
        const std::string address = i == 0   ? "taken@example.com"
                                    : i == 1 ? "listed@example.com"
                                             : "new" + std::to_string(i) + "@example.com";
        leads.push_back(new_lead(tenant, "acme", address, at(i)));
    }

    std::vector<Result<void>> results(kThreads, Result<void>{});
    run_together([&](int i) {
        const auto index = static_cast<std::size_t>(i);
        const auto found = completions.find(i);
        results[index] = repository->insert(leads[index], created_entry(leads[index]),
                                            found == completions.end() ? nullptr : found->second);
    });

    REQUIRE_FALSE(results[0].ok());
    CHECK(results[0].error().kind == ErrorKind::Conflict);
    CHECK(results[0].error().existing_id == taken.id.value());
    REQUIRE_FALSE(results[1].ok());
    CHECK(results[1].error().kind == ErrorKind::Suppressed);
    REQUIRE_FALSE(results[2].ok());
    CHECK(results[2].error().kind == ErrorKind::Unavailable);
    std::vector<std::string> stored{taken.id.value()};
    for (std::size_t i = 1; i < leads.size(); ++i) {
        INFO("create " << i);
        if (i <= 2) {
            CHECK(error_of(repository->find(key_of(leads[i]))).kind == ErrorKind::NotFound);
            continue;
        }
        CHECK(results[i].ok());
        CHECK(value_of(repository->find(key_of(leads[i]))).email == leads[i].email);
        stored.push_back(leads[i].id.value());
    }
    CHECK(value_of(repository->list({tenant, slug("acme"), {}, {}, 50, 0})).total ==
          static_cast<std::int64_t>(stored.size()));
    const auto replay = value_of(repository->claim_idempotency(claim_request(tenant, "kept", "later")));
    CHECK(replay.state == ports::ClaimState::Replay);
    CHECK((replay.answer && replay.answer->body == "new3@example.com"));

    const auto events = value_of(repository->events(feed_of(tenant, std::nullopt, 100)));
    std::vector<std::string> created;
    for (std::size_t i = 0; i < events.items.size(); ++i) {
        CHECK(events.items[i].type == domain::EventType::LeadCreated);
        CHECK(events.items[i].sequence == static_cast<std::int64_t>(i) + 1);
        created.push_back(events.items[i].lead_id.value());
    }
    std::sort(created.begin(), created.end());
    std::sort(stored.begin(), stored.end());
    CHECK(created == stored);
}

TEST_CASE("threads racing to update the latest version each win one version, none twice") {
    auto repository = make_repository();
    auto tenant = random_tenant();
    auto lead = add_lead(*repository, tenant, slug("race"), {.email = "chain@example.com"});
    constexpr int kAttempts = 10;
    std::mutex mutex;
    std::map<std::int64_t, int> winners_per_version;
    std::atomic<int> failures{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < kThreads; ++i) {
        threads.emplace_back([&] {
            for (int attempt = 0; attempt < kAttempts; ++attempt) {
                auto current = repository->find(key_of(lead));
                if (!current) {
                    ++failures;
                    continue;
                }
                auto result = repository->update(key_of(lead), set_company_if_version(current->version, "x"));
                if (result.ok()) {
                    std::lock_guard lock(mutex);
                    ++winners_per_version[current->version];
                } else if (result.error().kind != ErrorKind::PreconditionFailed) {
                    ++failures;
                }
            }
        });
    }
    for (auto& thread : threads) thread.join();
    CHECK(failures == 0);
    auto final_lead = repository->find(key_of(lead));
    REQUIRE(final_lead.ok());
    // Versions 1 .. final-1 were each won exactly once.
    CHECK(static_cast<std::int64_t>(winners_per_version.size()) == final_lead->version - 1);
    for (const auto& [version, winners] : winners_per_version) {
        INFO("version " << version);
        CHECK(winners == 1);
    }
}

TEST_CASE("two imports of the same emails in opposite orders both succeed", "[contract][concurrency][import]") {
    auto repository = make_repository();
    const auto tenant = random_tenant();
    constexpr int kRounds = 5;
    constexpr int kRows = 150;
    for (int round = 0; round < kRounds; ++round) {
        const auto workspace = slug("overlap-" + std::to_string(round));
        std::vector<ports::ImportItem> forward;
        std::vector<ports::ImportItem> backward;
        for (int i = 0; i < kRows; ++i) {
            const std::string address = "p" + std::to_string(i) + "@example.com";
            for (auto* items : {&forward, &backward}) {
                auto lead = make_lead(tenant, workspace, {.email = address});
                items->push_back(ports::ImportItem{lead, created_entry(lead), {}});
            }
        }
        std::reverse(backward.begin(), backward.end());
        std::vector<domain::Result<std::vector<ports::ImportOutcome>>> results(2, std::vector<ports::ImportOutcome>{});
        std::latch start(2);
        std::thread first([&] {
            start.arrive_and_wait();
            results[0] = repository->import(tenant, workspace, forward);
        });
        std::thread second([&] {
            start.arrive_and_wait();
            results[1] = repository->import(tenant, workspace, backward);
        });
        first.join();
        second.join();
        int created = 0;
        for (const auto& result : results) {
            if (!result.ok()) FAIL("an import failed: " << describe(result.error()));
            REQUIRE(result->size() == static_cast<std::size_t>(kRows));
            for (const auto& outcome : *result) created += outcome.kind == ports::ImportOutcomeKind::Created ? 1 : 0;
        }
        CHECK(created == kRows);  // each email created once, skipped by the other import
        auto page = repository->list(filter_for(tenant, workspace));
        REQUIRE(page.ok());
        CHECK(page->total == kRows);
    }
}

}  // namespace leads::tests::contract
