// Repository contract: the list filters of CONTRACT §7 (email, instant ranges, attributes),
// alone and combined with status, search and each other; totals stay exact.
#include <catch2/catch.hpp>

#include "tests/contract/repository_factory.hpp"
#include "tests/contract/support.hpp"

namespace leads::tests::contract {
namespace {

using domain::Lead;

Lead insert(ports::LeadRepository& repository, Lead lead) {
    require_ok(repository.insert(lead, created_entry(lead)));
    return lead;
}

Lead with_attributes(Lead lead, domain::Attributes attributes) {
    lead.attributes = std::move(attributes);
    return lead;
}

ports::LeadFilter base(const domain::TenantId& tenant) { return filter_for(tenant, slug("acme")); }

ports::LeadFilter with_attribute(ports::LeadFilter filter, std::string key, std::string text) {
    filter.attributes.push_back(ports::AttributeEquals{std::move(key), std::move(text)});
    return filter;
}

TEST_CASE("email finds the workspace's one lead holding that normalised address", "[contract][list][filters]") {
    auto repository = make_repository();
    const auto tenant = random_tenant();
    const Lead jane = insert(*repository, new_lead(tenant, "acme", "jane@example.com", at(0)));
    insert(*repository, new_lead(tenant, "acme", "janet@example.com", at(1)));
    insert(*repository, new_lead(tenant, "globex", "jane@example.com", at(2)));
    insert(*repository, new_lead(random_tenant(), "acme", "jane@example.com", at(3)));

    auto filter = base(tenant);
    filter.email = "jane@example.com";
    const auto page = value_of(repository->list(filter));
    CHECK(ids_of(page.items) == std::vector<std::string>{jane.id.value()});
    CHECK(page.total == 1);

    filter.email = "nobody@example.com";
    const auto none = value_of(repository->list(filter));
    CHECK(none.items.empty());
    CHECK(none.total == 0);
}

TEST_CASE("instant ranges are strict, on created_at and updated_at", "[contract][list][filters]") {
    auto repository = make_repository();
    const auto tenant = random_tenant();
    std::vector<Lead> leads;
    for (int i = 0; i < 5; ++i) {
        Lead lead = new_lead(tenant, "acme", "r" + std::to_string(i) + "@example.com", at(i * 1'000));
        lead.updated_at = at(10'000 - i * 1'000);  // the reverse order
        leads.push_back(insert(*repository, lead));
    }
    auto filter = base(tenant);
    filter.created_after = at(1'000);   // r2, r3, r4 (r1 is not strictly later)
    filter.created_before = at(4'000);  // r2, r3
    auto page = value_of(repository->list(filter));
    CHECK(emails(page) == std::vector<std::string>{"r3@example.com", "r2@example.com"});
    CHECK(page.total == 2);

    filter = base(tenant);
    filter.updated_after = at(6'000);   // updated 10000, 9000, 8000, 7000: r0..r3
    filter.updated_before = at(9'000);  // 8000, 7000: r2, r3
    page = value_of(repository->list(filter));
    CHECK(emails(page) == std::vector<std::string>{"r3@example.com", "r2@example.com"});
    CHECK(page.total == 2);
}

TEST_CASE("attributes.<key> matches the value written as text, for every value type", "[contract][list][filters]") {
    auto repository = make_repository();
    const auto tenant = random_tenant();
    insert(*repository, with_attributes(new_lead(tenant, "acme", "s@example.com", at(0)),
                                        {{"title", std::string("CEO")}, {"tier", std::string("10")}}));
    insert(*repository, with_attributes(new_lead(tenant, "acme", "i@example.com", at(1)),
                                        {{"title", std::string("CTO")}, {"tier", std::int64_t{10}}}));
    insert(*repository,
           with_attributes(new_lead(tenant, "acme", "d@example.com", at(2)), {{"score", 0.5}, {"tier", 10.0}}));
    insert(*repository, with_attributes(new_lead(tenant, "acme", "b@example.com", at(3)),
                                        {{"vip", true}, {"title", std::string("true")}}));
    insert(*repository, with_attributes(new_lead(tenant, "acme", "f@example.com", at(4)), {{"vip", false}}));
    insert(*repository, new_lead(tenant, "acme", "none@example.com", at(5)));
    insert(*repository, with_attributes(new_lead(tenant, "acme", "e@example.com", at(6)),
                                        {{"score", 1.5e30}, {"ratio", 0.30000000000000004}, {"tiny", 1e-7}}));

    const auto matching = [&](std::string key, std::string text) {
        return email_set(value_of(repository->list(with_attribute(base(tenant), std::move(key), std::move(text)))));
    };
    using Set = std::set<std::string>;
    CHECK(matching("title", "CEO") == Set{"s@example.com"});
    CHECK(matching("title", "ceo").empty());  // exact, case-sensitive
    // A string "10" and an integer 10 are both written 10; the double 10.0 is written 10.0.
    CHECK(matching("tier", "10") == Set{"s@example.com", "i@example.com"});
    CHECK(matching("tier", "10.0") == Set{"d@example.com"});
    CHECK(matching("score", "0.5") == Set{"d@example.com"});
    CHECK(matching("score", ".5").empty());
    // Doubles in their shortest round-trip text, exponent forms included.
    CHECK(matching("score", "1.5e30") == Set{"e@example.com"});
    CHECK(matching("score", "1500000000000000000000000000000").empty());
    CHECK(matching("ratio", "0.30000000000000004") == Set{"e@example.com"});
    CHECK(matching("ratio", "0.3").empty());
    CHECK(matching("tiny", "1e-7") == Set{"e@example.com"});
    CHECK(matching("tiny", "1e-07").empty());
    // The boolean true and the string "true".
    CHECK(matching("vip", "true") == Set{"b@example.com"});
    CHECK(matching("title", "true") == Set{"b@example.com"});
    CHECK(matching("vip", "false") == Set{"f@example.com"});
    CHECK(matching("missing", "x").empty());

    // All filters must hold; the total counts the matches.
    auto both = with_attribute(with_attribute(base(tenant), "tier", "10"), "title", "CTO");
    const auto page = value_of(repository->list(both));
    CHECK(emails(page) == std::vector<std::string>{"i@example.com"});
    CHECK(page.total == 1);
}

TEST_CASE("every filter combines with status, search and the others; the total stays exact",
          "[contract][list][filters]") {
    auto repository = make_repository();
    const auto tenant = random_tenant();
    for (int i = 0; i < 30; ++i) {
        Lead lead = new_lead(tenant, "acme", (i % 2 == 0 ? "smith" : "jones") + std::to_string(i) + "@example.com",
                             at(i * 1'000));
        lead.status = i % 3 == 0 ? domain::LeadStatus::Contacted : domain::LeadStatus::New;
        lead.attributes = {{"tier", std::int64_t{i % 5}}};
        insert(*repository, lead);
    }
    // smith: even i; contacted: i % 3 == 0; tier 0: i % 5 == 0. Only i = 0 is all three.
    auto filter = base(tenant);
    filter.search = "smith";
    filter.status = domain::LeadStatus::Contacted;
    filter.attributes = {ports::AttributeEquals{"tier", "0"}};
    filter.created_after = at(-1);
    auto page = value_of(repository->list(filter));
    CHECK(emails(page) == std::vector<std::string>{"smith0@example.com"});
    CHECK(page.total == 1);

    // smith + contacted: i in {0, 6, 12, 18, 24}; after at(5000): 6..24 (4); limit 2 pages them.
    filter = base(tenant);
    filter.search = "smith";
    filter.status = domain::LeadStatus::Contacted;
    filter.created_after = at(5'000);
    filter.limit = 2;
    page = value_of(repository->list(filter));
    CHECK(emails(page) == std::vector<std::string>{"smith24@example.com", "smith18@example.com"});
    CHECK(page.total == 4);
    CHECK(page.more);
    filter.offset = 2;
    page = value_of(repository->list(filter));
    CHECK(emails(page) == std::vector<std::string>{"smith12@example.com", "smith6@example.com"});
    CHECK(page.total == 4);
    CHECK_FALSE(page.more);

    // An email lookup that another filter rules out.
    filter = base(tenant);
    filter.email = "smith0@example.com";
    filter.status = domain::LeadStatus::New;
    page = value_of(repository->list(filter));
    CHECK(page.items.empty());
    CHECK(page.total == 0);
}

}  // namespace
}  // namespace leads::tests::contract
