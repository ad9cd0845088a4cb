// Repository contract: exact totals under every kind of write, and search through the
// domain's case folding.
#include <catch2/catch.hpp>
#include <set>

#include "domain/text.hpp"
#include "tests/contract/repository_factory.hpp"
#include "tests/contract/support.hpp"

namespace leads::tests::contract {
namespace {

using domain::ErrorKind;

}  // namespace

TEST_CASE("totals follow inserts, status changes and deletes") {
    auto repository = make_repository();
    auto tenant = random_tenant();
    auto workspace = slug("counts");
    auto other = slug("counts-other");
    std::vector<domain::Lead> leads;
    for (int i = 0; i < 5; ++i) {
        leads.push_back(add_lead(*repository, tenant, workspace, {.email = "c" + std::to_string(i) + "@example.com"}));
    }
    add_lead(*repository, tenant, other, {.email = "c0@example.com"});
    auto to_replied = [](domain::Lead& lead) -> domain::Result<std::vector<domain::Activity>> {
        lead.status = domain::LeadStatus::Replied;
        lead.version += 1;
        return std::vector<domain::Activity>{};
    };
    REQUIRE(repository->update(key_of(leads[0]), to_replied).ok());
    REQUIRE(repository->update(key_of(leads[1]), to_replied).ok());
    REQUIRE(repository->remove(key_of(leads[1]), std::nullopt).ok());
    REQUIRE(repository->remove(key_of(leads[2]), std::nullopt).ok());
    CHECK(repository->remove(key_of(leads[2]), std::nullopt).error().kind == ErrorKind::NotFound);

    auto total = [&](const domain::WorkspaceSlug& ws, std::optional<domain::LeadStatus> status) {
        auto filter = filter_for(tenant, ws);
        filter.status = status;
        auto page = repository->list(filter);
        REQUIRE(page.ok());
        return page->total;
    };
    CHECK(total(workspace, std::nullopt) == 3);
    CHECK(total(workspace, domain::LeadStatus::New) == 2);
    CHECK(total(workspace, domain::LeadStatus::Replied) == 1);
    CHECK(total(workspace, domain::LeadStatus::Contacted) == 0);
    CHECK(total(other, std::nullopt) == 1);
    CHECK(total(slug("nothing-here"), std::nullopt) == 0);
    // Another tenant's workspace of the same name is unrelated.
    auto stranger = filter_for(random_tenant(), workspace);
    auto page = repository->list(stranger);
    REQUIRE(page.ok());
    CHECK(page->total == 0);
}

TEST_CASE("search is case-insensitive through the domain's folding, also beyond ASCII") {
    auto repository = make_repository();
    auto tenant = random_tenant();
    auto workspace = slug("fold");
    add_lead(*repository, tenant, workspace, {.email = "greek@example.com", .first_name = "ΣΩΚΡΆΤΗΣ"});
    add_lead(*repository, tenant, workspace,
             {.email = "cyr@example.com", .first_name = "Дмитрий", .last_name = "Шостакович"});
    add_lead(*repository, tenant, workspace, {.email = "jose@example.com", .first_name = "JOSÉ", .last_name = "Núñez"});

    using Set = std::set<std::string>;
    CHECK(email_set(search(*repository, tenant, workspace, "σωκ")) == Set{"greek@example.com"});
    CHECK(email_set(search(*repository, tenant, workspace, "ΣΩ")) == Set{"greek@example.com"});
    CHECK(email_set(search(*repository, tenant, workspace, "ДМИТРИЙ ШОСТ")) == Set{"cyr@example.com"});
    CHECK(email_set(search(*repository, tenant, workspace, "josé núñez")) == Set{"jose@example.com"});
    CHECK(email_set(search(*repository, tenant, workspace, "é")) == Set{"jose@example.com"});
    CHECK(email_set(search(*repository, tenant, workspace, "jose ")).empty());
}

}  // namespace leads::tests::contract
