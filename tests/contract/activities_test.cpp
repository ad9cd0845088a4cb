// Repository contract: the activity history of a lead.
#include <algorithm>
#include <catch2/catch.hpp>

#include "tests/contract/repository_factory.hpp"
#include "tests/contract/support.hpp"

namespace leads::tests::contract {
namespace {

using domain::Activity;
using domain::ActivityType;
using domain::Lead;
using domain::Result;

void append(ports::LeadRepository& repository, const Lead& lead, std::vector<Activity> entries) {
    REQUIRE(repository.update(key_of(lead), [&](Lead&) -> Result<std::vector<Activity>> { return entries; }).ok());
}

TEST_CASE("activities are newest first, ties broken by id, and page", "[contract][activities]") {
    auto repository = make_repository();
    const Lead lead = new_lead(random_tenant(), "acme", "history@example.com", at(0));
    const Activity created = created_entry(lead);
    require_ok(repository->insert(lead, created));

    // Out of order in time, across two updates; three entries share one instant.
    const Activity late = entry(lead, ActivityType::EmailReplied, at(9'000));
    const Activity early = entry(lead, ActivityType::EmailSent, at(1'000), {}, "cmp_1");
    Activity tie_a = entry(lead, ActivityType::EmailOpened, at(5'000));
    Activity tie_b = entry(lead, ActivityType::EmailClicked, at(5'000));
    Activity tie_c = entry(lead, ActivityType::StatusChanged, at(5'000));
    tie_a.id = activity_id(at(1));
    tie_b.id = activity_id(at(2));
    tie_c.id = activity_id(at(3));
    append(*repository, lead, {late, tie_b});
    append(*repository, lead, {tie_c, early, tie_a});

    const std::vector<std::string> expected{late.id.value(),  tie_c.id.value(), tie_b.id.value(),
                                            tie_a.id.value(), early.id.value(), created.id.value()};
    const auto all = value_of(repository->activities(key_of(lead), 50, 0));
    CHECK(all.total == 6);
    CHECK(ids_of(all.items) == expected);
    REQUIRE(all.items.size() == 6);
    check_same_activity(all.items[4], early);

    std::vector<std::string> paged;
    for (std::int64_t offset = 0; offset < 6; offset += 4) {
        const auto page = value_of(repository->activities(key_of(lead), 4, offset));
        CHECK(page.total == 6);
        for (const auto& id : ids_of(page.items)) paged.push_back(id);
    }
    CHECK(paged == expected);

    const auto middle = value_of(repository->activities(key_of(lead), 2, 1));
    CHECK(ids_of(middle.items) == std::vector<std::string>{tie_c.id.value(), tie_b.id.value()});
    const auto past = value_of(repository->activities(key_of(lead), 50, 6));
    CHECK(past.items.empty());
    CHECK(past.total == 6);
    const auto far = value_of(repository->activities(key_of(lead), 50, 1'000'000));
    CHECK(far.items.empty());
    CHECK(far.total == 6);
}

TEST_CASE("activities of one lead never include another's", "[contract][activities]") {
    auto repository = make_repository();
    const auto tenant = random_tenant();
    const Lead first = new_lead(tenant, "acme", "first@example.com");
    const Lead second = new_lead(tenant, "acme", "second@example.com");
    require_ok(repository->insert(first, created_entry(first)));
    require_ok(repository->insert(second, created_entry(second)));
    append(*repository, first, {entry(first, ActivityType::Note, at(1)), entry(first, ActivityType::Note, at(2))});

    const auto of_second = value_of(repository->activities(key_of(second), 50, 0));
    CHECK(of_second.total == 1);
    REQUIRE(of_second.items.size() == 1);
    CHECK(of_second.items[0].lead_id == second.id);
    const auto of_first = value_of(repository->activities(key_of(first), 50, 0));
    CHECK(of_first.total == 3);
    for (const Activity& activity : of_first.items) CHECK(activity.lead_id == first.id);
}

TEST_CASE("activities can be read through the lead's workspace only", "[contract][activities][tenancy]") {
    auto repository = make_repository();
    const Lead lead = new_lead(random_tenant(), "acme", "scoped@example.com");
    require_ok(repository->insert(lead, created_entry(lead)));
    CHECK(value_of(repository->activities(key_in(lead, "acme"), 50, 0)).total == 1);
    CHECK(error_of(repository->activities(key_in(lead, "globex"), 50, 0)).kind == domain::ErrorKind::NotFound);
    CHECK(error_of(repository->activities(key_for(random_tenant(), lead), 50, 0)).kind == domain::ErrorKind::NotFound);
}

TEST_CASE("a lead is read with its newest activity and the exact total, at every page fill", "[contract][activities]") {
    auto repository = make_repository();
    const auto tenant = random_tenant();
    const Lead lead = new_lead(tenant, "acme", "details@example.com", at(0));
    const Activity created = created_entry(lead);
    require_ok(repository->insert(lead, created));
    constexpr std::int64_t kLimit = 3;

    // Fewer entries than the page, exactly a page, one more, many more.
    std::vector<std::string> newest_first{created.id.value()};
    for (const std::int64_t wanted : {std::int64_t{1}, kLimit, kLimit + 1, 10 * kLimit}) {
        while (static_cast<std::int64_t>(newest_first.size()) < wanted) {
            const Activity note =
                entry(lead, ActivityType::Note, at(static_cast<std::int64_t>(newest_first.size()) * 1'000));
            append(*repository, lead, {note});
            newest_first.insert(newest_first.begin(), note.id.value());
        }
        const auto found = value_of(repository->find_with_activity(key_of(lead), kLimit));
        check_same_lead(found.lead, value_of(repository->find(key_of(lead))));
        CHECK(found.activity.total == wanted);
        CHECK(found.activity.more == (wanted > kLimit));
        const std::vector<std::string> expected(
            newest_first.begin(), newest_first.begin() + static_cast<std::ptrdiff_t>(std::min(wanted, kLimit)));
        CHECK(ids_of(found.activity.items) == expected);
    }
    CHECK(value_of(repository->find_with_activity(key_in(lead, "acme"), kLimit)).activity.total == 10 * kLimit);
    CHECK(error_of(repository->find_with_activity(key_in(lead, "globex"), kLimit)).kind == domain::ErrorKind::NotFound);
    CHECK(error_of(repository->find_with_activity(key_for(random_tenant(), lead), kLimit)).kind ==
          domain::ErrorKind::NotFound);
}

}  // namespace
}  // namespace leads::tests::contract
