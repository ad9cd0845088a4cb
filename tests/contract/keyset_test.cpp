// Repository contract: the list's sort orders and keyset pages (CONTRACT §7), and keyset
// pages of an activity history.
#include <algorithm>
#include <catch2/catch.hpp>
#include <map>
#include <set>

#include "tests/contract/repository_factory.hpp"
#include "tests/contract/support.hpp"

namespace leads::tests::contract {
namespace {

using domain::Lead;
using ports::LeadSort;

Lead insert(ports::LeadRepository& repository, Lead lead) {
    require_ok(repository.insert(lead, created_entry(lead)));
    return lead;
}

ports::LeadFilter sorted(const domain::TenantId& tenant, LeadSort sort, std::int64_t limit) {
    ports::LeadFilter filter = filter_for(tenant, slug("acme"));
    filter.sort = sort;
    filter.limit = limit;
    return filter;
}

// Sets updated_at (and bumps the version, so the repository stores it).
ports::LeadMutation touch_at(domain::Timestamp updated_at) {
    return [updated_at](Lead& lead) -> domain::Result<std::vector<domain::Activity>> {
        lead.first_name = "Touched";
        lead.updated_at = updated_at;
        ++lead.version;
        return std::vector<domain::Activity>{};
    };
}

// Walks the whole filter by keyset pages, running between(page number) after each page.
std::vector<Lead> walk(ports::LeadRepository& repository, ports::LeadFilter filter,
                       const std::function<void(int)>& between = {}) {
    std::vector<Lead> seen;
    for (int page_number = 0; page_number < 100; ++page_number) {
        const auto page = value_of(repository.list(filter));
        seen.insert(seen.end(), page.items.begin(), page.items.end());
        if (!page.more) return seen;
        REQUIRE_FALSE(page.items.empty());
        filter.after = ports::position_in(page.items.back(), filter.sort);
        if (between) between(page_number);
    }
    FAIL("the walk did not end");
    return seen;
}

TEST_CASE("each sort orders by its instant, ties broken by id in the same direction", "[contract][list][sort]") {
    auto repository = make_repository();
    const auto tenant = random_tenant();
    // created_at: a < b = c (tie) < d; updated_at reverses that order.
    Lead a = new_lead(tenant, "acme", "a@example.com", at(0));
    Lead b = new_lead(tenant, "acme", "b@example.com", at(1'000));
    Lead c = new_lead(tenant, "acme", "c@example.com", at(1'000));
    Lead d = new_lead(tenant, "acme", "d@example.com", at(2'000));
    b.id = lead_id(at(10));
    c.id = lead_id(at(20));
    for (Lead* lead : {&a, &b, &c, &d}) insert(*repository, *lead);
    REQUIRE(b.id < c.id);
    REQUIRE(repository->update(key_of(a), touch_at(at(9'000))).ok());
    REQUIRE(repository->update(key_of(b), touch_at(at(8'000))).ok());
    REQUIRE(repository->update(key_of(c), touch_at(at(8'000))).ok());
    REQUIRE(repository->update(key_of(d), touch_at(at(7'000))).ok());

    const std::map<LeadSort, std::vector<std::string>> expected{
        {LeadSort::CreatedDesc, {"d", "c", "b", "a"}},
        {LeadSort::CreatedAsc, {"a", "b", "c", "d"}},
        {LeadSort::UpdatedDesc, {"a", "c", "b", "d"}},
        {LeadSort::UpdatedAsc, {"d", "b", "c", "a"}},
    };
    for (const auto& [sort, names] : expected) {
        std::vector<std::string> want;
        for (const auto& name : names) want.push_back(name + "@example.com");
        CAPTURE(static_cast<int>(sort));
        CHECK(emails(value_of(repository->list(sorted(tenant, sort, 200)))) == want);
        // The same order page by page (two per page), by keyset position.
        std::vector<std::string> walked;
        for (const Lead& lead : walk(*repository, sorted(tenant, sort, 2))) walked.push_back(lead.email.value());
        CHECK(walked == want);
    }
}

TEST_CASE("a keyset page reports the whole filter's total and whether more follow", "[contract][list][cursor]") {
    auto repository = make_repository();
    const auto tenant = random_tenant();
    std::vector<Lead> leads;
    for (int i = 0; i < 5; ++i) {
        leads.push_back(
            insert(*repository, new_lead(tenant, "acme", "k" + std::to_string(i) + "@example.com", at(i * 1'000))));
    }
    insert(*repository, new_lead(tenant, "globex", "other@example.com", at(500)));

    auto filter = sorted(tenant, LeadSort::CreatedDesc, 2);
    filter.after = ports::position_in(leads[3], filter.sort);  // after k3: k2, k1 | k0
    const auto page = value_of(repository->list(filter));
    CHECK(ids_of(page.items) == std::vector<std::string>{leads[2].id.value(), leads[1].id.value()});
    CHECK(page.total == 5);
    CHECK(page.more);

    filter.after = ports::position_in(leads[1], filter.sort);  // k0 only: the end
    const auto last = value_of(repository->list(filter));
    CHECK(ids_of(last.items) == std::vector<std::string>{leads[0].id.value()});
    CHECK_FALSE(last.more);
    CHECK(last.total == 5);

    // A position past the end: an empty page, still the whole total.
    filter.after = ports::position_in(leads[0], filter.sort);
    const auto past = value_of(repository->list(filter));
    CHECK(past.items.empty());
    CHECK_FALSE(past.more);
    CHECK(past.total == 5);

    // The same with a filter the counters cannot answer (a search): exact total too.
    filter.search = "k";
    filter.after = ports::position_in(leads[3], filter.sort);
    const auto searched = value_of(repository->list(filter));
    CHECK(searched.items.size() == 2);
    CHECK(searched.total == 5);
    CHECK(searched.more);
}

TEST_CASE("a created_at keyset walk returns every lead that exists throughout exactly once, whatever changes meanwhile",
          "[contract][list][cursor]") {
    auto repository = make_repository();
    const auto tenant = random_tenant();
    std::vector<Lead> leads;
    for (int i = 0; i < 40; ++i) {
        // Pairs share a millisecond: the id decides inside a pair.
        leads.push_back(insert(
            *repository, new_lead(tenant, "acme", "w" + std::to_string(i) + "@example.com", at((i / 2) * 1'000))));
    }
    int created = 0;
    for (const LeadSort sort : {LeadSort::CreatedDesc, LeadSort::CreatedAsc}) {
        CAPTURE(static_cast<int>(sort));
        std::set<std::string> deleted;
        // Between pages: delete one lead, create two (one at each end of the order and one
        // inside it), change one (its updated_at and name; created_at is fixed).
        const auto churn = [&](int page_number) {
            const Lead& victim = leads[static_cast<std::size_t>((page_number * 7 + 3) % leads.size())];
            if (!deleted.contains(victim.id.value()) && repository->remove(key_of(victim), std::nullopt).ok()) {
                deleted.insert(victim.id.value());
            }
            for (const std::int64_t when : {-5'000, 50'000, 7'500}) {
                insert(*repository,
                       new_lead(tenant, "acme", "new" + std::to_string(created++) + "@example.com", at(when)));
            }
            const Lead& changed = leads[static_cast<std::size_t>((page_number * 5 + 1) % leads.size())];
            if (!deleted.contains(changed.id.value())) {
                CHECK(repository->update(key_of(changed), touch_at(now())).ok());
            }
        };
        const auto seen = walk(*repository, sorted(tenant, sort, 6), churn);

        std::map<std::string, int> times;
        for (const Lead& lead : seen) ++times[lead.id.value()];
        for (const Lead& lead : leads) {
            if (deleted.contains(lead.id.value())) continue;
            CHECK(times[lead.id.value()] == 1);
        }
        for (const auto& [id, count] : times) CHECK(count == 1);
        // In order, no step backwards.
        for (std::size_t i = 1; i < seen.size(); ++i) {
            const auto previous = ports::position_in(seen[i - 1], sort);
            const auto current = ports::position_in(seen[i], sort);
            const auto key = [](const ports::LeadPosition& p) { return std::pair{p.at, p.id.value()}; };
            if (sort == LeadSort::CreatedDesc) {
                CHECK(key(current) < key(previous));
            } else {
                CHECK(key(previous) < key(current));
            }
        }
        // The next walk starts from what is left.
        std::erase_if(leads, [&](const Lead& lead) { return deleted.contains(lead.id.value()); });
    }
}

TEST_CASE("an updated_at walk returns each unchanged lead once, and a lead changed meanwhile at its new place",
          "[contract][list][cursor]") {
    auto repository = make_repository();
    const auto tenant = random_tenant();
    std::vector<Lead> leads;
    for (int i = 0; i < 12; ++i) {
        leads.push_back(
            insert(*repository, new_lead(tenant, "acme", "u" + std::to_string(i) + "@example.com", at(i * 1'000))));
    }
    // After the first page (u0..u3), u1 (seen) and u8 (not yet) change: both now sort last.
    const auto seen = walk(*repository, sorted(tenant, LeadSort::UpdatedAsc, 4), [&](int page_number) {
        if (page_number != 0) return;
        CHECK(repository->update(key_of(leads[1]), touch_at(at(100'000))).ok());
        CHECK(repository->update(key_of(leads[8]), touch_at(at(100'001))).ok());
    });
    std::vector<std::string> names;
    for (const Lead& lead : seen) names.push_back(lead.email.value());
    const std::vector<std::string> expected{"u0@example.com", "u1@example.com",  "u2@example.com",  "u3@example.com",
                                            "u4@example.com", "u5@example.com",  "u6@example.com",  "u7@example.com",
                                            "u9@example.com", "u10@example.com", "u11@example.com", "u1@example.com",
                                            "u8@example.com"};
    CHECK(names == expected);
}

TEST_CASE("an activity history pages by keyset, newest first, exactly once while entries are added",
          "[contract][activity][cursor]") {
    auto repository = make_repository();
    const auto tenant = random_tenant();
    const Lead lead = new_lead(tenant, "acme", "history@example.com", at(0));
    const domain::Activity created = created_entry(lead);
    require_ok(repository->insert(lead, created));
    std::vector<domain::Activity> entries;
    for (int i = 1; i <= 9; ++i) {
        entries.push_back(entry(lead, domain::ActivityType::Note, at(i * 1'000)));
    }
    REQUIRE(repository
                ->update(key_of(lead), [&](Lead&) -> domain::Result<std::vector<domain::Activity>> { return entries; })
                .ok());

    std::vector<std::string> seen;
    std::optional<ports::ActivityPosition> after;
    for (int page_number = 0; page_number < 20; ++page_number) {
        const auto page = value_of(repository->activities(key_of(lead), 4, 0, after));
        CHECK(page.total == 10 + page_number);  // one more entry after each page
        for (const auto& item : page.items) seen.push_back(item.id.value());
        if (!page.more) break;
        after = ports::ActivityPosition{page.items.back().timestamp, page.items.back().id};
        // A newer entry: it belongs before the walk's position, so this walk skips it.
        const auto newer = entry(lead, domain::ActivityType::Note, now());
        REQUIRE(repository
                    ->update(key_of(lead),
                             [&](Lead&) -> domain::Result<std::vector<domain::Activity>> {
                                 return std::vector<domain::Activity>{newer};
                             })
                    .ok());
    }
    // The entries that existed when the walk began, newest first, each once.
    std::vector<std::string> expected;
    for (auto it = entries.rbegin(); it != entries.rend(); ++it) expected.push_back(it->id.value());
    expected.push_back(created.id.value());
    CHECK(seen == expected);
}

}  // namespace
}  // namespace leads::tests::contract
