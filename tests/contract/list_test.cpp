// Repository contract: list ordering, paging, totals, status filter and search.
#include <algorithm>
#include <catch2/catch.hpp>

#include "domain/text.hpp"
#include "tests/contract/repository_factory.hpp"
#include "tests/contract/support.hpp"

namespace leads::tests::contract {
namespace {

using domain::Lead;
using domain::LeadStatus;

ports::LeadFilter filter(const domain::TenantId& tenant, std::string_view workspace = "acme", std::int64_t limit = 200,
                         std::int64_t offset = 0) {
    return ports::LeadFilter{tenant, slug(workspace), std::nullopt, std::nullopt, limit, offset};
}

// What the application hands the repository: the term case-folded.
ports::LeadFilter search_for(const domain::TenantId& tenant, std::string_view term) {
    ports::LeadFilter result = filter(tenant);
    result.search = domain::fold_case(term);
    return result;
}

Lead insert(ports::LeadRepository& repository, Lead lead) {
    require_ok(repository.insert(lead, created_entry(lead)));
    return lead;
}

TEST_CASE("list orders newest first, ties broken by id, stable across pages", "[contract][list]") {
    auto repository = make_repository();
    const auto tenant = random_tenant();

    std::vector<Lead> leads;
    for (const std::int64_t created : {0, 3'000, 1'000, 4'000, 2'000}) {
        leads.push_back(
            insert(*repository, new_lead(tenant, "acme", "l" + std::to_string(created) + "@example.com", at(created))));
    }
    // Three leads created in the same millisecond; their ids decide (inserted out of order).
    std::vector<Lead> tied;
    for (const std::int64_t id_time : {10, 20, 30}) {
        Lead lead = new_lead(tenant, "acme", "tie" + std::to_string(id_time) + "@example.com", at(500));
        lead.id = lead_id(at(id_time));
        tied.push_back(lead);
    }
    REQUIRE(tied[0].id < tied[1].id);
    REQUIRE(tied[1].id < tied[2].id);
    insert(*repository, tied[1]);
    insert(*repository, tied[2]);
    insert(*repository, tied[0]);
    // Noise the list must not show: another workspace and another tenant.
    insert(*repository, new_lead(tenant, "globex", "noise@example.com", at(9'000)));
    insert(*repository, new_lead(random_tenant(), "acme", "noise@example.com", at(9'000)));

    const std::vector<std::string> expected{leads[3].id.value(), leads[1].id.value(), leads[4].id.value(),
                                            leads[2].id.value(), tied[2].id.value(),  tied[1].id.value(),
                                            tied[0].id.value(),  leads[0].id.value()};
    const auto all = value_of(repository->list(filter(tenant)));
    CHECK(all.total == 8);
    CHECK(ids_of(all.items) == expected);

    std::vector<std::string> paged;
    for (std::int64_t offset = 0; offset < 8; offset += 3) {
        const auto page = value_of(repository->list(filter(tenant, "acme", 3, offset)));
        CHECK(page.total == 8);
        CHECK(page.items.size() == static_cast<std::size_t>(std::min<std::int64_t>(3, 8 - offset)));
        for (const auto& id : ids_of(page.items)) paged.push_back(id);
    }
    CHECK(paged == expected);

    const auto past = value_of(repository->list(filter(tenant, "acme", 3, 8)));
    CHECK(past.items.empty());
    CHECK(past.total == 8);
    const auto far = value_of(repository->list(filter(tenant, "acme", 200, 1'000'000)));
    CHECK(far.items.empty());
    CHECK(far.total == 8);
    const auto one = value_of(repository->list(filter(tenant, "acme", 1, 7)));
    CHECK(ids_of(one.items) == std::vector<std::string>{leads[0].id.value()});
}

TEST_CASE("list of an empty workspace is empty", "[contract][list]") {
    auto repository = make_repository();
    const auto page = value_of(repository->list(filter(random_tenant(), "nothing-here")));
    CHECK(page.items.empty());
    CHECK(page.total == 0);
}

TEST_CASE("list filters by status with totals", "[contract][list]") {
    auto repository = make_repository();
    const auto tenant = random_tenant();
    const LeadStatus statuses[] = {LeadStatus::New,     LeadStatus::Contacted, LeadStatus::Contacted,
                                   LeadStatus::Replied, LeadStatus::Contacted, LeadStatus::Converted};
    std::int64_t created = 0;
    for (const LeadStatus status : statuses) {
        Lead lead = new_lead(tenant, "acme", "s" + std::to_string(created) + "@example.com", at(created));
        lead.status = status;
        insert(*repository, lead);
        ++created;
    }
    const auto count = [&](LeadStatus status, std::int64_t limit = 200, std::int64_t offset = 0) {
        ports::LeadFilter by_status = filter(tenant, "acme", limit, offset);
        by_status.status = status;
        return value_of(repository->list(by_status));
    };
    CHECK(count(LeadStatus::New).total == 1);
    CHECK(count(LeadStatus::Replied).total == 1);
    CHECK(count(LeadStatus::Converted).total == 1);
    const auto contacted = count(LeadStatus::Contacted);
    CHECK(contacted.total == 3);
    REQUIRE(contacted.items.size() == 3);
    for (const Lead& lead : contacted.items) CHECK(lead.status == LeadStatus::Contacted);
    CHECK(contacted.items[0].email.value() == "s4@example.com");

    const auto page = count(LeadStatus::Contacted, 2, 2);
    CHECK(page.total == 3);
    REQUIRE(page.items.size() == 1);
    CHECK(page.items[0].email.value() == "s1@example.com");
}

TEST_CASE("search matches email, first, last and \"first last\" case-insensitively", "[contract][list][search]") {
    auto repository = make_repository();
    const auto tenant = random_tenant();
    Lead ana = new_lead(tenant, "acme", "ana.perez@example.com", at(1));
    ana.first_name = "Ana";
    ana.last_name = "P\xc3\xa9rez";  // Pérez
    ana.status = LeadStatus::Contacted;
    Lead bob = new_lead(tenant, "acme", "bob@builder.io", at(2));
    bob.first_name = "Robert";
    bob.last_name = "Smith";
    Lead ivan = new_lead(tenant, "acme", "ivan@example.ru", at(3));
    ivan.first_name = "\xd0\x98\xd0\xb2\xd0\xb0\xd0\xbd";         // Иван
    ivan.last_name = "\xce\xa9\xce\xbc\xce\xad\xce\xb3\xce\xb1";  // Ωμέγα
    Lead nameless = new_lead(tenant, "acme", "eve@example.com", at(4));
    Lead last_only = new_lead(tenant, "acme", "zed@example.net", at(5));
    last_only.last_name = "Zedd";
    for (const Lead& lead : {ana, bob, ivan, nameless, last_only}) insert(*repository, lead);
    insert(*repository, [&] {
        Lead other = new_lead(random_tenant(), "acme", "ana.perez@example.com", at(6));
        other.first_name = "Ana";
        return other;
    }());

    const auto found = [&](std::string_view term) {
        INFO("search " << term);
        auto page = value_of(repository->list(search_for(tenant, term)));
        CHECK(page.total == static_cast<std::int64_t>(page.items.size()));
        auto emails = std::vector<std::string>{};
        for (const Lead& lead : page.items) emails.push_back(lead.email.value());
        std::sort(emails.begin(), emails.end());
        return emails;
    };
    using Emails = std::vector<std::string>;
    CHECK(found("bob") == Emails{"bob@builder.io"});
    CHECK(found("BUILDER.IO") == Emails{"bob@builder.io"});
    CHECK(found("robert") == Emails{"bob@builder.io"});
    CHECK(found("SMITH") == Emails{"bob@builder.io"});
    CHECK(found("Robert Smith") == Emails{"bob@builder.io"});
    CHECK(found("rt sm") == Emails{"bob@builder.io"});
    CHECK(found("smith robert").empty());
    CHECK(found("P\xc3\x89REZ") == Emails{"ana.perez@example.com"});  // PÉREZ
    CHECK(found("ana p\xc3\xa9rez") == Emails{"ana.perez@example.com"});
    CHECK(found("perez") == Emails{"ana.perez@example.com"});                       // via the email only
    CHECK(found("\xd0\x98\xd0\x92\xd0\x90\xd0\x9d") == Emails{"ivan@example.ru"});  // ИВАН
    CHECK(found("\xd0\xb8\xd0\xb2\xd0\xb0\xd0\xbd \xce\xa9\xce\x9c") == Emails{"ivan@example.ru"});  // иван ΩΜ
    CHECK(found("zedd") == Emails{"zed@example.net"});
    CHECK(found("example") ==
          (Emails{"ana.perez@example.com", "eve@example.com", "ivan@example.ru", "zed@example.net"}));
    CHECK(found("@") ==
          (Emails{"ana.perez@example.com", "bob@builder.io", "eve@example.com", "ivan@example.ru", "zed@example.net"}));
    CHECK(found("nobody").empty());

    ports::LeadFilter combined = search_for(tenant, "example");
    combined.status = LeadStatus::Contacted;
    const auto contacted = value_of(repository->list(combined));
    CHECK(contacted.total == 1);
    REQUIRE(contacted.items.size() == 1);
    CHECK(contacted.items[0].id == ana.id);
}

TEST_CASE("search never matches across the email and the name", "[contract][list][search]") {
    auto repository = make_repository();
    const auto tenant = random_tenant();
    Lead bob = new_lead(tenant, "acme", "bob@builder.io");
    bob.first_name = "Robert";
    bob.last_name = "Smith";
    insert(*repository, bob);
    for (const char* term : {"iorobert", "io robert", "io\trobert", "builder.io robert", "smithbob", "smith bob"}) {
        INFO(term);
        const auto page = value_of(repository->list(search_for(tenant, term)));
        CHECK(page.total == 0);
        CHECK(page.items.empty());
    }
    CHECK(value_of(repository->list(search_for(tenant, "io"))).total == 1);
}

TEST_CASE("search treats %, _ and \\ as ordinary characters", "[contract][list][search]") {
    auto repository = make_repository();
    const auto tenant = random_tenant();
    Lead special = new_lead(tenant, "acme", "carla@example.org", at(1));
    special.first_name = "50%";
    special.last_name = "off_road\\x";
    Lead plain = new_lead(tenant, "acme", "dan@example.net", at(2));
    plain.first_name = "axb";
    plain.last_name = "Offroad";
    Lead backslash_free = new_lead(tenant, "acme", "fifty@example.com", at(3));
    backslash_free.first_name = "500";
    backslash_free.last_name = "offxroad";
    for (const Lead& lead : {special, plain, backslash_free}) insert(*repository, lead);

    const auto ids = [&](std::string_view term) {
        INFO("search " << term);
        const auto page = value_of(repository->list(search_for(tenant, term)));
        CHECK(page.total == static_cast<std::int64_t>(page.items.size()));
        return ids_of(page.items);
    };
    const std::vector<std::string> only_special{special.id.value()};
    CHECK(ids("%") == only_special);
    CHECK(ids("_") == only_special);
    CHECK(ids("\\") == only_special);
    CHECK(ids("50%") == only_special);
    CHECK(ids("% off_road\\x") == only_special);
    CHECK(ids("off_road") == only_special);
    CHECK(ids("d\\x") == only_special);
    CHECK(ids("%%").empty());
    CHECK(ids("a_b").empty());  // would match "axb" as a LIKE pattern
    CHECK(ids("5%0").empty());  // would match "500" as a LIKE pattern
    CHECK(ids("off_").size() == 1);
    CHECK(ids("\\\\").empty());  // an escaped backslash is two characters here
    CHECK(ids("\\%").empty());
    CHECK(ids("\\_").empty());
    CHECK(ids("'").empty());
    CHECK(ids("\"").empty());
}

TEST_CASE("search totals and pages", "[contract][list][search]") {
    auto repository = make_repository();
    const auto tenant = random_tenant();
    for (int i = 0; i < 7; ++i) {
        insert(*repository, new_lead(tenant, "acme", "match" + std::to_string(i) + "@example.com", at(i)));
    }
    for (int i = 0; i < 3; ++i) {
        insert(*repository, new_lead(tenant, "acme", "other" + std::to_string(i) + "@example.com", at(100 + i)));
    }
    ports::LeadFilter search = search_for(tenant, "match");
    search.limit = 3;
    search.offset = 0;
    const auto first = value_of(repository->list(search));
    CHECK(first.total == 7);
    REQUIRE(first.items.size() == 3);
    CHECK(first.items[0].email.value() == "match6@example.com");
    search.offset = 6;
    const auto last = value_of(repository->list(search));
    CHECK(last.total == 7);
    REQUIRE(last.items.size() == 1);
    CHECK(last.items[0].email.value() == "match0@example.com");
    search.offset = 7;
    const auto past = value_of(repository->list(search));
    CHECK(past.total == 7);
    CHECK(past.items.empty());
    search.offset = 20;
    CHECK(value_of(repository->list(search)).total == 7);

    // A page shorter than the limit, an empty page, and no page at all.
    search.offset = 0;
    search.limit = 10;
    const auto whole = value_of(repository->list(search));
    CHECK(whole.total == 7);
    CHECK(whole.items.size() == 7);
    search.limit = 0;
    const auto counted = value_of(repository->list(search));
    CHECK(counted.total == 7);
    CHECK(counted.items.empty());
    auto nothing = search_for(tenant, "absent");
    nothing.limit = 10;
    const auto none = value_of(repository->list(nothing));
    CHECK(none.total == 0);
    CHECK(none.items.empty());
}

}  // namespace
}  // namespace leads::tests::contract
