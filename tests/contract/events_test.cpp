// Repository contract: change events (CONTRACT §8) — recorded by each change in its own
// transaction, numbered per tenant in commit order, erased with their lead, kept for the
// retention window.
#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <map>
#include <numeric>
#include <thread>

#include "domain/event.hpp"
#include "tests/contract/repository_factory.hpp"
#include "tests/contract/support.hpp"

namespace leads::tests::contract {
namespace {

using domain::ErrorKind;
using domain::EventType;
using domain::Lead;

std::vector<ports::StoredEvent> all_events(ports::Repository& repository, const domain::TenantId& tenant) {
    auto page = value_of(repository.events(feed_of(tenant)));
    CHECK_FALSE(page.more);
    return page.items;
}

std::vector<EventType> types_of(const std::vector<ports::StoredEvent>& events) {
    std::vector<EventType> types;
    for (const auto& event : events) types.push_back(event.type);
    return types;
}

std::vector<std::int64_t> sequences_of(const std::vector<ports::StoredEvent>& events) {
    std::vector<std::int64_t> sequences;
    for (const auto& event : events) sequences.push_back(event.sequence);
    return sequences;
}

bool contains(const std::string& text, std::string_view part) { return text.find(part) != std::string::npos; }

// Moves the lead to the status (a PATCH of status alone).
ports::LeadMutation move_to(domain::LeadStatus status) {
    return [status](Lead& lead) -> domain::Result<std::vector<domain::Activity>> {
        if (lead.status == status) return std::vector<domain::Activity>{};
        const auto change = domain::move_status(lead, status, now());
        std::vector<domain::Activity> entries{entry(lead, domain::ActivityType::StatusChanged, now(),
                                                    domain::status_change_data(change.from, change.to))};
        return entries;
    };
}

ports::LeadMutation set_company(std::string company) {
    return [company](Lead& lead) -> domain::Result<std::vector<domain::Activity>> {
        if (lead.company == company) return std::vector<domain::Activity>{};
        lead.company = company;
        lead.version += 1;
        lead.updated_at = now();
        return std::vector<domain::Activity>{};
    };
}

}  // namespace

TEST_CASE("events: a new lead records lead.created, numbered 1 for its tenant, with the lead as stored",
          "[contract][events]") {
    auto repository = make_repository();
    const auto tenant = random_tenant();
    const Lead lead = add_lead(*repository, tenant, slug("acme"), {.email = "jane@example.com", .first_name = "Jane"});
    const auto events = all_events(*repository, tenant);
    REQUIRE(events.size() == 1);
    CHECK(events[0].type == EventType::LeadCreated);
    CHECK(events[0].sequence == 1);
    CHECK(events[0].lead_id == lead.id);
    CHECK(events[0].workspace == slug("acme"));
    CHECK(contains(events[0].data, R"("lead":{"id":")" + lead.id.value() + "\""));
    CHECK(contains(events[0].data, R"("first_name":"Jane")"));
    CHECK(contains(events[0].data, R"("status":"new")"));
    CHECK(events[0].id.value().starts_with("evt_"));
    // Another tenant's feed holds none of it.
    CHECK(all_events(*repository, random_tenant()).empty());
}

TEST_CASE("events: a change records lead.updated and lead.status_changed in order; a no-op and a refusal record none",
          "[contract][events]") {
    auto repository = make_repository();
    const auto tenant = random_tenant();
    const Lead lead = add_lead(*repository, tenant, slug("acme"), {.email = "jane@example.com"});
    value_of(repository->update(key_of(lead), move_to(domain::LeadStatus::Replied)));
    value_of(repository->update(key_of(lead), move_to(domain::LeadStatus::Replied)));  // no change
    CHECK(error_of(repository->update(key_of(lead), [](Lead&) -> domain::Result<std::vector<domain::Activity>> {
              return domain::Error::precondition_failed();
          })).kind == ErrorKind::PreconditionFailed);
    // A duplicate email refused: no event either.
    CHECK(error_of(
              repository->insert(make_lead(tenant, slug("acme"), {.email = "jane@example.com"}), created_entry(lead)))
              .kind == ErrorKind::Conflict);

    const auto events = all_events(*repository, tenant);
    REQUIRE(types_of(events) ==
            std::vector{EventType::LeadCreated, EventType::LeadUpdated, EventType::LeadStatusChanged});
    CHECK(sequences_of(events) == std::vector<std::int64_t>{1, 2, 3});
    CHECK(contains(events[1].data, R"("changed":["status"])"));
    CHECK(contains(events[2].data, R"("from":"new","to":"replied")"));
    CHECK(contains(events[2].data, R"("status":"replied")"));
}

TEST_CASE("events: an activity a client recorded makes activity.recorded with the entry; automatic entries make none",
          "[contract][events]") {
    auto repository = make_repository();
    const auto tenant = random_tenant();
    const Lead lead = add_lead(*repository, tenant, slug("acme"), {.email = "jane@example.com"});
    const domain::Activity note = entry(lead, domain::ActivityType::Note, now(), {{"text", std::string("hi")}});
    value_of(repository->update(key_of(lead), [&](Lead&) -> domain::Result<std::vector<domain::Activity>> {
        return std::vector<domain::Activity>{note};
    }));
    const auto events = all_events(*repository, tenant);
    REQUIRE(types_of(events) == std::vector{EventType::LeadCreated, EventType::ActivityRecorded});
    CHECK(contains(events[1].data, R"("activity":{"id":")" + note.id.value() + R"(","type":"note")"));
    CHECK(contains(events[1].data, R"("data":{"text":"hi"})"));
}

TEST_CASE("events: an import records each created or updated row's events in request order, none for skipped rows",
          "[contract][events]") {
    auto repository = make_repository();
    const auto tenant = random_tenant();
    const Lead taken = add_lead(*repository, tenant, slug("acme"), {.email = "b@example.com"});
    const Lead first = make_lead(tenant, slug("acme"), {.email = "z@example.com"});
    const Lead second = make_lead(tenant, slug("acme"), {.email = "b@example.com"});
    const Lead third = make_lead(tenant, slug("acme"), {.email = "a@example.com"});
    const Lead repeat = make_lead(tenant, slug("acme"), {.email = "a@example.com"});
    std::vector<ports::ImportItem> items{{first, created_entry(first), {}},
                                         {second, created_entry(second), set_company("Acme")},
                                         {third, created_entry(third), {}},
                                         {repeat, created_entry(repeat), {}}};
    const auto outcomes = value_of(repository->import(tenant, slug("acme"), items));
    REQUIRE(outcomes[1].kind == ports::ImportOutcomeKind::Updated);
    REQUIRE(outcomes[3].kind == ports::ImportOutcomeKind::Skipped);
    const auto events = all_events(*repository, tenant);
    REQUIRE(types_of(events) == std::vector{EventType::LeadCreated, EventType::LeadCreated, EventType::LeadUpdated,
                                            EventType::LeadCreated});
    CHECK(events[1].lead_id == first.id);
    CHECK(events[2].lead_id == taken.id);
    CHECK(contains(events[2].data, R"("changed":["company"])"));
    CHECK(events[3].lead_id == third.id);
    CHECK(sequences_of(events) == std::vector<std::int64_t>{1, 2, 3, 4});
}

TEST_CASE("events: deleting a lead erases the data of its kept events and records lead.deleted", "[contract][events]") {
    auto repository = make_repository();
    const auto tenant = random_tenant();
    const Lead jane = add_lead(*repository, tenant, slug("acme"), {.email = "jane@example.com"});
    const Lead john = add_lead(*repository, tenant, slug("acme"), {.email = "john@example.com"});
    value_of(repository->update(key_of(jane), set_company("Acme")));
    const auto before = all_events(*repository, tenant);
    require_ok(repository->remove(key_of(jane), std::nullopt));

    const auto after = all_events(*repository, tenant);
    REQUIRE(after.size() == before.size() + 1);
    for (std::size_t i = 0; i < before.size(); ++i) {
        CHECK(after[i].id == before[i].id);
        CHECK(after[i].sequence == before[i].sequence);
        CHECK(after[i].type == before[i].type);
        CHECK(after[i].timestamp == before[i].timestamp);
        CHECK(after[i].lead_id == before[i].lead_id);
        if (after[i].lead_id == jane.id) {
            CHECK(after[i].data == ports::kErasedEventData);
        } else {
            CHECK(after[i].data == before[i].data);  // John's stay
            CHECK(contains(after[i].data, "john@example.com"));
        }
    }
    CHECK(after.back().type == EventType::LeadDeleted);
    CHECK(after.back().lead_id == jane.id);
    CHECK(after.back().data == "{}");  // it carries no lead, and is not itself "erased"
    (void)john;
}

TEST_CASE("events: the feed pages by sequence and filters by type and workspace", "[contract][events]") {
    auto repository = make_repository();
    const auto tenant = random_tenant();
    for (int i = 0; i < 5; ++i) {
        const Lead lead = add_lead(*repository, tenant, slug(i % 2 == 0 ? "acme" : "beta"),
                                   {.email = "lead" + std::to_string(i) + "@example.com"});
        value_of(repository->update(key_of(lead), set_company("Acme")));
    }
    auto page = value_of(repository->events(feed_of(tenant, std::nullopt, 4)));
    CHECK(sequences_of(page.items) == std::vector<std::int64_t>{1, 2, 3, 4});
    CHECK(page.more);
    page = value_of(repository->events(feed_of(tenant, 8, 4)));
    CHECK(sequences_of(page.items) == std::vector<std::int64_t>{9, 10});
    CHECK_FALSE(page.more);
    page = value_of(repository->events(feed_of(tenant, 10, 4)));
    CHECK(page.items.empty());
    CHECK_FALSE(page.expired);

    auto query = feed_of(tenant);
    query.types = {EventType::LeadUpdated};
    query.workspace = slug("beta");
    page = value_of(repository->events(query));
    REQUIRE(page.items.size() == 2);
    for (const auto& event : page.items) {
        CHECK(event.type == EventType::LeadUpdated);
        CHECK(event.workspace == slug("beta"));
    }
}

TEST_CASE("events: retention drops the oldest; an after below the oldest kept is expired, at or above it is not",
          "[contract][events]") {
    auto repository = make_repository();
    const auto tenant = random_tenant();
    const Lead lead = add_lead(*repository, tenant, slug("acme"), {.email = "jane@example.com"});
    value_of(repository->update(key_of(lead), set_company("Acme")));
    CHECK_FALSE(value_of(repository->events(feed_of(tenant, 0))).expired);

    // Everything recorded so far is older than a cut-off in the future: dropped.
    auto dropping = feed_of(tenant, 2);
    dropping.drop_before = now() + std::chrono::hours(1);
    auto page = value_of(repository->events(dropping));
    CHECK_FALSE(page.expired);  // after = the last sequence given: nothing was missed
    CHECK(page.items.empty());
    CHECK(value_of(repository->events(feed_of(tenant, 1))).expired);
    CHECK(value_of(repository->events(feed_of(tenant, 0))).expired);

    // Later events are kept; the consumer that saw 2 reads on.
    value_of(repository->update(key_of(lead), set_company("Beta")));
    page = value_of(repository->events(feed_of(tenant, 2)));
    CHECK(sequences_of(page.items) == std::vector<std::int64_t>{3});
    CHECK(value_of(repository->events(feed_of(tenant, 1))).expired);
    CHECK(sequences_of(value_of(repository->events(feed_of(tenant))).items) == std::vector<std::int64_t>{3});
}

TEST_CASE("events: under concurrent writers a reader paging with after sees every event once, in sequence order",
          "[contract][events][concurrency]") {
    auto repository = make_repository();
    const auto tenant = random_tenant();
    constexpr int kWriters = 4;
    constexpr int kLeadsPerWriter = 25;
    std::atomic<int> writers_done{0};
    std::vector<ports::StoredEvent> seen;
    std::thread reader([&] {
        std::int64_t after = 0;
        while (true) {
            const bool finished = writers_done.load() == kWriters;
            auto page = repository->events(feed_of(tenant, after, 7));
            if (!page) continue;  // busy: read again
            for (auto& event : page->items) {
                after = event.sequence;
                seen.push_back(std::move(event));
            }
            if (finished && !page->more && page->items.empty()) break;
        }
    });
    std::vector<std::thread> writers;
    for (int w = 0; w < kWriters; ++w) {
        writers.emplace_back([&, w] {
            for (int i = 0; i < kLeadsPerWriter; ++i) {
                const Lead lead =
                    make_lead(tenant, slug("acme"),
                              {.email = "w" + std::to_string(w) + "-" + std::to_string(i) + "@example.com"});
                for (int attempt = 0; attempt < 20 && !repository->insert(lead, created_entry(lead)); ++attempt) {
                }
                for (int attempt = 0; attempt < 20 && !repository->update(key_of(lead), set_company("Acme"));
                     ++attempt) {
                }
            }
            ++writers_done;
        });
    }
    for (auto& writer : writers) writer.join();
    reader.join();

    const auto all = all_events(*repository, tenant);
    REQUIRE(all.size() == static_cast<std::size_t>(2 * kWriters * kLeadsPerWriter));
    std::vector<std::int64_t> expected(all.size());
    std::iota(expected.begin(), expected.end(), 1);
    CHECK(sequences_of(all) == expected);
    // The reader saw exactly the same events, each once, in the same order.
    CHECK(sequences_of(seen) == expected);
    for (std::size_t i = 0; i < std::min(seen.size(), all.size()); ++i) {
        if (!(seen[i].id == all[i].id)) FAIL("event " << i << " differs between the live reader and the final feed");
    }
    // Each lead's created comes before its updated.
    std::map<std::string, std::int64_t> created_at;
    for (const auto& event : all) {
        if (event.type == EventType::LeadCreated) created_at[event.lead_id.value()] = event.sequence;
        if (event.type == EventType::LeadUpdated) CHECK(created_at.contains(event.lead_id.value()));
    }
}

}  // namespace leads::tests::contract
