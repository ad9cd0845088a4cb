// Repository contract: bulk import in one transaction.
#include <algorithm>
#include <catch2/catch.hpp>
#include <map>
#include <set>

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
using ports::ImportItem;
using ports::ImportOutcomeKind;

ImportItem item(const Lead& lead, ports::LeadMutation merge = {}) {
    return ImportItem{lead, created_entry(lead), std::move(merge)};
}

std::vector<ImportOutcomeKind> kinds_of(const std::vector<ports::ImportOutcome>& outcomes) {
    std::vector<ImportOutcomeKind> kinds;
    for (const auto& outcome : outcomes) kinds.push_back(outcome.kind);
    return kinds;
}

std::size_t activity_count(ports::LeadRepository& repository, const Lead& lead) {
    return value_of(repository.activities(key_of(lead), 200, 0)).items.size();
}

TEST_CASE("import creates new emails, skips or merges taken ones, in order", "[contract][import]") {
    auto repository = make_repository();
    const auto tenant = random_tenant();
    Lead kept = new_lead(tenant, "acme", "kept@example.com");
    kept.first_name = "Kept";
    const Lead merged = new_lead(tenant, "acme", "merged@example.com");
    require_ok(repository->insert(kept, created_entry(kept)));
    require_ok(repository->insert(merged, created_entry(merged)));

    Lead fresh = new_lead(tenant, "acme", "fresh@example.com", at(10));
    fresh.first_name = "Fr\xc3\xa9sh";
    fresh.attributes = {{"source", std::string("csv")}, {"row", std::int64_t{1}}};
    const Lead kept_again = new_lead(tenant, "acme", "kept@example.com", at(10));
    const Lead merged_again = new_lead(tenant, "acme", "merged@example.com", at(10));
    const Lead fresh_two = new_lead(tenant, "acme", "fresh-two@example.com", at(10));
    const Activity moved = entry(merged, ActivityType::StatusChanged, at(10),
                                 {{"from", std::string("new")}, {"to", std::string("contacted")}});
    std::optional<Lead> seen;
    const auto merge = [&](Lead& lead) -> Result<std::vector<Activity>> {
        seen = lead;
        lead.first_name = "Merged";
        lead.status = domain::LeadStatus::Contacted;
        lead.version += 1;
        lead.updated_at = at(10);
        return std::vector<Activity>{moved};
    };
    const std::vector<ImportItem> items{item(fresh), item(kept_again), item(merged_again, merge), item(fresh_two)};

    const auto outcomes = value_of(repository->import(tenant, slug("acme"), items));
    CHECK(kinds_of(outcomes) == std::vector<ImportOutcomeKind>{ImportOutcomeKind::Created, ImportOutcomeKind::Skipped,
                                                               ImportOutcomeKind::Updated, ImportOutcomeKind::Created});
    for (const auto& outcome : outcomes) CHECK_FALSE(outcome.error.has_value());

    check_same_lead(value_of(repository->find(key_of(fresh))), fresh);
    const auto fresh_history = value_of(repository->activities(key_of(fresh), 50, 0));
    REQUIRE(fresh_history.items.size() == 1);
    check_same_activity(fresh_history.items[0], items[0].created);
    check_same_lead(value_of(repository->find(key_of(fresh_two))), fresh_two);

    check_same_lead(value_of(repository->find(key_of(kept))), kept);
    CHECK(error_of(repository->find(key_of(kept_again))).kind == ErrorKind::NotFound);
    CHECK(activity_count(*repository, kept) == 1);

    REQUIRE(seen.has_value());
    check_same_lead(*seen, merged);
    const Lead after = value_of(repository->find(key_of(merged)));
    CHECK(after.first_name == "Merged");
    CHECK(after.status == domain::LeadStatus::Contacted);
    CHECK(after.version == merged.version + 1);
    CHECK(error_of(repository->find(key_of(merged_again))).kind == ErrorKind::NotFound);
    const auto merged_history = value_of(repository->activities(key_of(merged), 50, 0));
    REQUIRE(merged_history.items.size() == 2);
    check_same_activity(merged_history.items[0], moved);

    CHECK(value_of(repository->list({tenant, slug("acme"), {}, {}, 50, 0})).total == 4);
}

TEST_CASE("import treats a repeated email as a duplicate of its first occurrence", "[contract][import]") {
    auto repository = make_repository();
    const auto tenant = random_tenant();
    Lead first = new_lead(tenant, "acme", "twice@example.com", at(1));
    first.first_name = "First";
    Lead second = new_lead(tenant, "acme", "twice@example.com", at(1));
    second.first_name = "Second";

    SECTION("skipped") {
        const auto outcomes = value_of(repository->import(tenant, slug("acme"), {item(first), item(second)}));
        CHECK(kinds_of(outcomes) ==
              std::vector<ImportOutcomeKind>{ImportOutcomeKind::Created, ImportOutcomeKind::Skipped});
        check_same_lead(value_of(repository->find(key_of(first))), first);
        CHECK(error_of(repository->find(key_of(second))).kind == ErrorKind::NotFound);
    }
    SECTION("merged, each merge seeing the earlier rows") {
        std::vector<std::string> seen_names;
        const auto append_name = [&](std::string suffix) {
            return [&seen_names, suffix](Lead& lead) -> Result<std::vector<Activity>> {
                seen_names.push_back(lead.first_name.value_or(""));
                lead.first_name = lead.first_name.value_or("") + suffix;
                lead.version += 1;
                return std::vector<Activity>{entry(lead, ActivityType::Note, at(2))};
            };
        };
        const Lead third = new_lead(tenant, "acme", "twice@example.com", at(1));
        const auto outcomes = value_of(repository->import(
            tenant, slug("acme"),
            {item(first, append_name("+2")), item(second, append_name("+2")), item(third, append_name("+3"))}));
        CHECK(kinds_of(outcomes) == std::vector<ImportOutcomeKind>{ImportOutcomeKind::Created,
                                                                   ImportOutcomeKind::Updated,
                                                                   ImportOutcomeKind::Updated});
        CHECK(seen_names == std::vector<std::string>{"First", "First+2"});
        const Lead stored = value_of(repository->find(key_of(first)));
        CHECK(stored.first_name == "First+2+3");
        CHECK(stored.version == first.version + 2);
        CHECK(activity_count(*repository, first) == 3);
        CHECK(error_of(repository->find(key_of(second))).kind == ErrorKind::NotFound);
    }
    CHECK(value_of(repository->list({tenant, slug("acme"), {}, {}, 50, 0})).total == 1);
}

TEST_CASE("an import row whose merge fails is reported and does not abort the others", "[contract][import]") {
    auto repository = make_repository();
    const auto tenant = random_tenant();
    const Lead existing = new_lead(tenant, "acme", "existing@example.com");
    require_ok(repository->insert(existing, created_entry(existing)));

    const Lead before = new_lead(tenant, "acme", "before@example.com", at(1));
    const Lead refused = new_lead(tenant, "acme", "existing@example.com", at(1));
    const Lead after = new_lead(tenant, "acme", "after@example.com", at(1));
    const auto failing = [&](Lead& lead) -> Result<std::vector<Activity>> {
        lead.first_name = "Should not stick";
        lead.version += 1;
        return Error::validation("attributes", "must have at most 64 keys");
    };
    const auto outcomes =
        value_of(repository->import(tenant, slug("acme"), {item(before), item(refused, failing), item(after)}));
    REQUIRE(outcomes.size() == 3);
    CHECK(kinds_of(outcomes) == std::vector<ImportOutcomeKind>{ImportOutcomeKind::Created, ImportOutcomeKind::Failed,
                                                               ImportOutcomeKind::Created});
    REQUIRE(outcomes[1].error.has_value());
    CHECK(outcomes[1].error->kind == ErrorKind::Validation);
    REQUIRE(outcomes[1].error->details.size() == 1);
    CHECK(outcomes[1].error->details[0].field == "attributes");

    check_same_lead(value_of(repository->find(key_of(existing))), existing);
    CHECK(activity_count(*repository, existing) == 1);
    check_same_lead(value_of(repository->find(key_of(before))), before);
    check_same_lead(value_of(repository->find(key_of(after))), after);
}

TEST_CASE("a successful merge is Updated even when it changes nothing", "[contract][import]") {
    // The outcome says the row met an existing lead and was merged into it; whether any
    // field differed is not reported (the version tells, and it is unchanged here).
    auto repository = make_repository();
    const auto tenant = random_tenant();
    const Lead existing = new_lead(tenant, "acme", "unchanged@example.com");
    require_ok(repository->insert(existing, created_entry(existing)));
    const Lead row = new_lead(tenant, "acme", "unchanged@example.com", at(1));
    const auto outcomes = value_of(repository->import(tenant, slug("acme"), {item(row, no_change)}));
    CHECK(kinds_of(outcomes) == std::vector<ImportOutcomeKind>{ImportOutcomeKind::Updated});
    check_same_lead(value_of(repository->find(key_of(existing))), existing);
}

TEST_CASE("import sees only its own tenant and workspace", "[contract][import][tenancy]") {
    auto repository = make_repository();
    const auto tenant = random_tenant();
    const auto other_tenant = random_tenant();
    const Lead foreign = new_lead(other_tenant, "acme", "everywhere@example.com");
    const Lead other_workspace = new_lead(tenant, "globex", "everywhere@example.com");
    require_ok(repository->insert(foreign, created_entry(foreign)));
    require_ok(repository->insert(other_workspace, created_entry(other_workspace)));

    const Lead mine = new_lead(tenant, "acme", "everywhere@example.com", at(1));
    bool merged = false;
    const auto outcomes = value_of(repository->import(tenant, slug("acme"), {item(mine, [&](Lead& lead) {
                                                          merged = true;
                                                          return no_change(lead);
                                                      })}));
    CHECK(kinds_of(outcomes) == std::vector<ImportOutcomeKind>{ImportOutcomeKind::Created});
    CHECK_FALSE(merged);
    check_same_lead(value_of(repository->find(key_of(mine))), mine);
    check_same_lead(value_of(repository->find(key_of(foreign))), foreign);
    check_same_lead(value_of(repository->find(key_of(other_workspace))), other_workspace);
}

TEST_CASE("an empty import succeeds with no outcomes", "[contract][import]") {
    auto repository = make_repository();
    CHECK(value_of(repository->import(random_tenant(), slug("acme"), {})).empty());
}

TEST_CASE("a large import is written completely", "[contract][import]") {
    auto repository = make_repository();
    const auto tenant = random_tenant();
    std::vector<ImportItem> items;
    for (int i = 0; i < 500; ++i) {
        items.push_back(item(new_lead(tenant, "acme", "bulk" + std::to_string(i) + "@example.com", at(i))));
    }
    const auto outcomes = value_of(repository->import(tenant, slug("acme"), items));
    REQUIRE(outcomes.size() == items.size());
    for (const auto& outcome : outcomes) CHECK(outcome.kind == ImportOutcomeKind::Created);
    const auto page = value_of(repository->list({tenant, slug("acme"), {}, {}, 1, 0}));
    CHECK(page.total == 500);
    REQUIRE(page.items.size() == 1);
    CHECK(page.items[0].email.value() == "bulk499@example.com");
}

// PostgreSQL inserts an import's new leads 1,000 per statement: rows of every kind in
// every batch, and repeats across batches' boundaries, must come out as they do one by one.
TEST_CASE("an import of several statements' worth of rows keeps every row and every duplicate rule",
          "[contract][import]") {
    auto repository = make_repository();
    const auto tenant = random_tenant();
    constexpr int kRows = 2'500;
    const auto address = [](int i) { return "big" + std::to_string(i) + "@example.com"; };
    // Taken before the import: every 400th email (skipped, or merged every 800th).
    std::map<int, Lead> existing;
    for (int i = 5; i < kRows; i += 400) {
        existing.emplace(i, add_lead(*repository, tenant, slug("acme"), {.email = address(i)}));
    }
    // Suppressed: every 700th.
    std::set<int> suppressed;
    for (int i = 11; i < kRows; i += 700) {
        value_of(repository->add_suppression(
            tenant, email(address(i)),
            domain::SuppressionDraft{.id = domain::SuppressionId::generate(at(0), random_entropy()),
                                     .reason = domain::SuppressionReason::Manual,
                                     .created_at = at(0)}));
        suppressed.insert(i);
    }
    const auto merge = [](Lead& lead) -> Result<std::vector<Activity>> {
        lead.company = "Merged Co";
        ++lead.version;
        return std::vector<Activity>{};
    };
    std::vector<ImportItem> items;
    std::vector<ImportOutcomeKind> expected;
    std::map<std::string, int> statuses;
    for (int i = 0; i < kRows; ++i) {
        Lead lead = new_lead(tenant, "acme", address(i), at(i));
        lead.status = i % 3 == 0 ? domain::LeadStatus::Contacted : domain::LeadStatus::New;
        lead.first_name = i % 2 == 0 ? std::optional<std::string>("First " + std::to_string(i)) : std::nullopt;
        lead.attributes = {{"row", std::int64_t{i}}};
        const bool merged = existing.contains(i) && (i - 5) % 800 == 0;
        items.push_back(merged ? item(lead, merge) : item(lead));
        if (suppressed.contains(i)) {
            expected.push_back(ImportOutcomeKind::Failed);
        } else if (existing.contains(i)) {
            expected.push_back(merged ? ImportOutcomeKind::Updated : ImportOutcomeKind::Skipped);
        } else {
            expected.push_back(ImportOutcomeKind::Created);
            ++statuses[std::string(domain::to_string(lead.status))];
        }
    }
    // Repeats of rows from other batches: skipped, or merged into the row just created.
    for (const int i : {3, 1'999, 1'001}) {
        items.push_back(item(new_lead(tenant, "acme", address(i), at(kRows)), merge));
        expected.push_back(ImportOutcomeKind::Updated);
    }
    items.push_back(item(new_lead(tenant, "acme", address(1'500), at(kRows))));
    expected.push_back(ImportOutcomeKind::Skipped);

    const auto outcomes = value_of(repository->import(tenant, slug("acme"), items));
    REQUIRE(outcomes.size() == items.size());
    CHECK(kinds_of(outcomes) == expected);
    for (std::size_t i = 0; i < outcomes.size(); ++i) {
        if (expected[i] == ImportOutcomeKind::Failed) CHECK(outcomes[i].error->kind == ErrorKind::Suppressed);
    }

    const int created = static_cast<int>(std::count(expected.begin(), expected.end(), ImportOutcomeKind::Created));
    CHECK(value_of(repository->list({tenant, slug("acme"), {}, {}, 1, 0})).total ==
          created + static_cast<int>(existing.size()));
    for (const auto& [status, count] : statuses) {
        ports::LeadFilter filter = filter_for(tenant, slug("acme"));
        filter.status = domain::parse_lead_status(status).value();
        filter.limit = 1;
        CHECK(value_of(repository->list(filter)).total ==
              count + (status == "new" ? static_cast<int>(existing.size()) : 0));
    }
    // A created row of each batch, with its own fields and its one entry.
    for (const int i : {0, 999, 1'000, 2'000, 2'499}) {
        const Lead stored = value_of(repository->find(key_of(items[static_cast<std::size_t>(i)].lead)));
        check_same_lead(stored, items[static_cast<std::size_t>(i)].lead);
        CHECK(activity_count(*repository, stored) == 1);
    }
    // Merged: the lead that was there, and the one this import created from a repeat.
    CHECK(value_of(repository->find(key_of(existing.at(5)))).company == std::optional<std::string>("Merged Co"));
    CHECK(error_of(repository->find(key_of(items[5].lead))).kind == ErrorKind::NotFound);
    CHECK(value_of(repository->find(key_of(items[1'999].lead))).company == std::optional<std::string>("Merged Co"));
    CHECK(value_of(repository->find(key_of(items[1'500].lead))).company == items[1'500].lead.company);
}

TEST_CASE("search finds what an import wrote, by its final text", "[contract][import][search]") {
    auto repository = make_repository();
    const auto tenant = random_tenant();
    Lead older = new_lead(tenant, "acme", "older@example.com", at(1));
    older.first_name = "Quillfeather";
    require_ok(repository->insert(older, created_entry(older)));

    Lead created = new_lead(tenant, "acme", "created@example.com", at(2));
    created.first_name = "Marchbanks";
    Lead twice = new_lead(tenant, "acme", "twice@example.com", at(3));
    twice.first_name = "Oldenshaw";
    Lead twice_again = new_lead(tenant, "acme", "twice@example.com", at(4));
    Lead older_again = new_lead(tenant, "acme", "older@example.com", at(5));
    const auto rename = [](std::string name) {
        return [name](Lead& lead) -> Result<std::vector<Activity>> {
            lead.first_name = name;
            ++lead.version;
            return std::vector<Activity>{};
        };
    };
    const std::vector<ImportItem> items{item(created), item(twice), item(twice_again, rename("Newenshaw")),
                                        item(older_again, rename("Brightquill"))};
    CHECK(kinds_of(value_of(repository->import(tenant, slug("acme"), items))) ==
          std::vector<ImportOutcomeKind>{ImportOutcomeKind::Created, ImportOutcomeKind::Created,
                                         ImportOutcomeKind::Updated, ImportOutcomeKind::Updated});

    const auto found = [&](const std::string& term) {
        std::vector<std::string> emails;
        for (const auto& lead : value_of(repository->list({tenant, slug("acme"), {}, term, 50, 0})).items) {
            emails.push_back(lead.email.value());
        }
        return emails;
    };
    CHECK(found("marchbanks") == std::vector<std::string>{"created@example.com"});
    CHECK(found("newenshaw") == std::vector<std::string>{"twice@example.com"});
    CHECK(found("oldenshaw").empty());
    CHECK(found("brightquill") == std::vector<std::string>{"older@example.com"});
    CHECK(found("quillfeather").empty());
    CHECK(found("example.com").size() == 3);

    // Later single writes still keep the index: the imported rows are ordinary rows now.
    const auto renamed = value_of(repository->update(key_of(created), rename("Afterwards")));
    CHECK(renamed.first_name == std::optional<std::string>("Afterwards"));
    CHECK(found("afterwards") == std::vector<std::string>{"created@example.com"});
    CHECK(found("marchbanks").empty());
    require_ok(repository->remove(key_of(twice), std::nullopt));
    CHECK(found("newenshaw").empty());
}

}  // namespace
}  // namespace leads::tests::contract
