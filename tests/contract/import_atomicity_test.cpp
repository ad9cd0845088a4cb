// Repository contract: an import is one transaction, and its rows see each other.
#include <catch2/catch.hpp>
#include <set>
#include <stdexcept>

#include "domain/text.hpp"
#include "tests/contract/repository_factory.hpp"
#include "tests/contract/support.hpp"

namespace leads::tests::contract {
namespace {

using domain::ErrorKind;

}  // namespace

TEST_CASE("an import that fails part-way leaves nothing behind") {
    auto repository = make_repository();
    auto tenant = random_tenant();
    auto workspace = slug("import");
    auto existing = add_lead(*repository, tenant, workspace, {.email = "existing@example.com", .company = "Before"});

    auto item_for = [&](const std::string& email) {
        auto lead = make_lead(tenant, workspace, {.email = email, .status = "contacted"});
        return ports::ImportItem{lead, created_entry(lead), {}};
    };
    std::vector<ports::ImportItem> items{item_for("new-a@example.com"), item_for("new-b@example.com")};
    auto merge_changes = [](domain::Lead& lead) -> domain::Result<std::vector<domain::Activity>> {
        lead.company = "After";
        lead.version += 1;
        return std::vector<domain::Activity>{};
    };
    auto duplicate = item_for("existing@example.com");
    duplicate.merge = merge_changes;
    items.push_back(duplicate);

    SECTION("a merge that throws") {
        auto failing = item_for("existing@example.com");
        failing.merge = [](domain::Lead& lead) -> domain::Result<std::vector<domain::Activity>> {
            lead.company = "Half-way";
            throw std::runtime_error("simulated failure mid-import");
        };
        items.push_back(failing);
    }
    SECTION("a merge that fails with a non-row error") {
        auto failing = item_for("existing@example.com");
        failing.merge = [](domain::Lead&) -> domain::Result<std::vector<domain::Activity>> {
            return domain::Error::internal("simulated internal error");
        };
        items.push_back(failing);
    }
    items.push_back(item_for("new-c@example.com"));

    auto result = repository->import(tenant, workspace, items);
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().kind == ErrorKind::Internal);

    auto page = repository->list(filter_for(tenant, workspace));
    REQUIRE(page.ok());
    CHECK(emails(*page) == std::vector<std::string>{"existing@example.com"});
    CHECK(page->total == 1);
    for (const char* status : {"new", "contacted"}) {
        auto by_status = filter_for(tenant, workspace);
        by_status.status = domain::parse_lead_status(status);
        auto counted = repository->list(by_status);
        REQUIRE(counted.ok());
        CHECK(counted->total == (std::string(status) == "new" ? 1 : 0));
    }
    CHECK(search(*repository, tenant, workspace, "new-").items.empty());
    auto unchanged = repository->find(key_of(existing));
    REQUIRE(unchanged.ok());
    CHECK(unchanged->company == std::optional<std::string>("Before"));
    CHECK(unchanged->version == existing.version);
    auto history = repository->activities(key_of(existing), 100, 0);
    REQUIRE(history.ok());
    CHECK(history->total == 1);

    // The same import without the failing row goes through, in one piece.
    items.erase(items.begin() + 3);
    auto retried = repository->import(tenant, workspace, items);
    REQUIRE(retried.ok());
    REQUIRE(retried->size() == 4);
    CHECK((*retried)[2].kind == ports::ImportOutcomeKind::Updated);
    auto after = repository->list(filter_for(tenant, workspace));
    REQUIRE(after.ok());
    CHECK(after->total == 4);
}

TEST_CASE("an import sees its own earlier rows and keeps the counts right") {
    auto repository = make_repository();
    auto tenant = random_tenant();
    auto workspace = slug("import");
    auto item_for = [&](const std::string& email, const std::string& status) {
        auto lead = make_lead(tenant, workspace, {.email = email, .status = status});
        return ports::ImportItem{lead, created_entry(lead), {}};
    };
    auto to_converted = [](domain::Lead& lead) -> domain::Result<std::vector<domain::Activity>> {
        lead.status = domain::LeadStatus::Converted;
        lead.version += 1;
        return std::vector<domain::Activity>{};
    };
    auto refused = [](domain::Lead&) -> domain::Result<std::vector<domain::Activity>> {
        return domain::Error::validation("attributes", "too many keys");
    };
    std::vector<ports::ImportItem> items{item_for("a@example.com", "new"), item_for("b@example.com", "new"),
                                         item_for("a@example.com", "new"), item_for("b@example.com", "new"),
                                         item_for("b@example.com", "new")};
    items[3].merge = to_converted;
    items[4].merge = refused;
    auto result = repository->import(tenant, workspace, items);
    REQUIRE(result.ok());
    using Kind = ports::ImportOutcomeKind;
    std::vector<Kind> kinds;
    for (const auto& outcome : *result) kinds.push_back(outcome.kind);
    CHECK(kinds == std::vector<Kind>{Kind::Created, Kind::Created, Kind::Skipped, Kind::Updated, Kind::Failed});
    REQUIRE((*result)[4].error.has_value());
    CHECK((*result)[4].error->kind == ErrorKind::Validation);

    auto count = [&](std::optional<domain::LeadStatus> status) {
        auto filter = filter_for(tenant, workspace);
        filter.status = status;
        auto page = repository->list(filter);
        REQUIRE(page.ok());
        CHECK(page->total == static_cast<std::int64_t>(page->items.size()));
        return page->total;
    };
    CHECK(count(std::nullopt) == 2);
    CHECK(count(domain::LeadStatus::New) == 1);
    CHECK(count(domain::LeadStatus::Converted) == 1);
}

}  // namespace leads::tests::contract
