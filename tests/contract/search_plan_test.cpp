// Repository contract: search totals are exact at once after every kind of write, however
// a backend finds the rows (a walk of the list order or a trigram index, chosen by what it
// knows of the term) and however it keeps totals (SQL backends cache them per workspace
// version): the same search asked twice pages and counts the same.
#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <set>
#include <thread>

#include "domain/text.hpp"
#include "tests/contract/repository_factory.hpp"
#include "tests/contract/support.hpp"

namespace leads::tests::contract {
namespace {

using domain::Activity;
using domain::Lead;
using domain::Result;

ports::LeadFilter searching(const domain::TenantId& tenant, std::string_view term) {
    auto filter = filter_for(tenant, slug("acme"));
    filter.search = domain::fold_case(term);
    return filter;
}

// The emails a search finds, asked twice (the second time its total may come from a cache
// and its rows from another plan): both answers must agree, in order, with the total.
std::set<std::string> found(ports::LeadRepository& repository, const ports::LeadFilter& filter) {
    const auto first = value_of(repository.list(filter));
    const auto second = value_of(repository.list(filter));
    CHECK(emails(first) == emails(second));
    CHECK(first.total == second.total);
    CHECK(first.total == static_cast<std::int64_t>(first.items.size()));
    return email_set(second);
}

std::set<std::string> found(ports::LeadRepository& repository, const domain::TenantId& tenant, std::string_view term) {
    return found(repository, searching(tenant, term));
}

ports::LeadMutation renamed(std::string last_name) {
    return [last_name = std::move(last_name)](Lead& lead) -> Result<std::vector<Activity>> {
        lead.last_name = last_name;
        lead.version += 1;
        lead.updated_at += std::chrono::milliseconds{1};
        return std::vector<Activity>{};
    };
}

// Every page of the filter by cursor, limit at a time.
std::vector<std::string> walk(ports::LeadRepository& repository, ports::LeadFilter filter, std::int64_t limit) {
    filter.limit = limit;
    std::vector<std::string> seen;
    for (int pages = 0; pages < 1000; ++pages) {
        const auto page = value_of(repository.list(filter));
        for (const auto& lead : page.items) seen.push_back(lead.email.value());
        if (!page.more) break;
        REQUIRE_FALSE(page.items.empty());
        filter.after = ports::position_in(page.items.back(), filter.sort);
    }
    return seen;
}

// Every page of the filter by offset.
std::vector<std::string> offsets(ports::LeadRepository& repository, ports::LeadFilter filter, std::int64_t limit) {
    filter.limit = limit;
    std::vector<std::string> seen;
    for (filter.offset = 0;; filter.offset += limit) {
        const auto page = value_of(repository.list(filter));
        for (const auto& lead : page.items) seen.push_back(lead.email.value());
        if (!page.more) break;
    }
    return seen;
}

}  // namespace

TEST_CASE("a search's total follows every write at once, however often the same search ran before",
          "[contract][search]") {
    auto repository = make_repository();
    const auto tenant = random_tenant();
    const auto acme = slug("acme");
    const Lead a = add_lead(*repository, tenant, acme, {.email = "a@example.com", .last_name = "Smith"});
    add_lead(*repository, tenant, acme, {.email = "b@example.com", .last_name = "Smith"});
    const Lead j = add_lead(*repository, tenant, acme, {.email = "j@example.com", .last_name = "Jones"});
    add_lead(*repository, tenant, acme, {.email = "k@example.com", .last_name = "Jones"});

    // A term of three characters or more, one of two, one of one ("h" is only in Smith).
    const auto check = [&](const std::set<std::string>& expected) {
        CHECK(found(*repository, tenant, "smith") == expected);
        CHECK(found(*repository, tenant, "mi") == expected);
        CHECK(found(*repository, tenant, "H") == expected);
    };
    check({"a@example.com", "b@example.com"});

    const Lead c = add_lead(*repository, tenant, acme, {.email = "c@example.com", .last_name = "Smithers"});
    check({"a@example.com", "b@example.com", "c@example.com"});

    REQUIRE(repository->update(key_of(j), renamed("Smith")).ok());
    check({"a@example.com", "b@example.com", "c@example.com", "j@example.com"});

    REQUIRE(repository->update(key_of(a), renamed("Brown")).ok());
    check({"b@example.com", "c@example.com", "j@example.com"});

    REQUIRE(repository->remove(key_of(c), std::nullopt).ok());
    check({"b@example.com", "j@example.com"});

    // An import: one new lead, one taken email merged into a new name.
    const Lead fresh = make_lead(tenant, acme, {.email = "n@example.com", .last_name = "Smith"});
    const Lead again = make_lead(tenant, acme, {.email = "k@example.com", .last_name = "Jones"});
    const std::vector<ports::ImportItem> items{{fresh, created_entry(fresh), {}},
                                               {again, created_entry(again), renamed("Smithson")}};
    REQUIRE(repository->import(tenant, acme, items).ok());
    check({"b@example.com", "j@example.com", "k@example.com", "n@example.com"});

    // Writes elsewhere (another workspace, another tenant) leave this total alone.
    add_lead(*repository, tenant, slug("elsewhere"), {.email = "s@example.com", .last_name = "Smith"});
    add_lead(*repository, random_tenant(), acme, {.email = "t@example.com", .last_name = "Smith"});
    check({"b@example.com", "j@example.com", "k@example.com", "n@example.com"});

    // The suppression list flags leads without a lead write of their own.
    auto flagged = searching(tenant, "smith");
    flagged.do_not_contact = true;
    CHECK(found(*repository, flagged).empty());
    const auto added = value_of(repository->add_suppression(
        tenant, email("b@example.com"),
        {.id = domain::SuppressionId::generate(at(0), random_entropy()), .reason = {}, .created_at = at(0)}));
    CHECK(found(*repository, flagged) == std::set<std::string>{"b@example.com"});
    flagged.do_not_contact = false;
    CHECK(found(*repository, flagged) == std::set<std::string>{"j@example.com", "k@example.com", "n@example.com"});
    REQUIRE(repository->remove_suppression(tenant, added.entry.id).ok());
    CHECK(found(*repository, flagged) ==
          std::set<std::string>{"b@example.com", "j@example.com", "k@example.com", "n@example.com"});
}

TEST_CASE("common, rare, short and absent terms page the same whether their total was counted or known",
          "[contract][search]") {
    auto repository = make_repository();
    const auto tenant = random_tenant();
    std::vector<Lead> leads;
    for (int i = 0; i < 90; ++i) {
        // "hanson" in a third of the leads, each email its own rare term, every other lead
        // contacted; created one millisecond apart, updated in the reverse order.
        const std::string number = std::to_string(100 + i);
        Lead lead = make_lead(tenant, slug("acme"),
                              {.email = "p" + number + "@example.com",
                               .last_name = i % 3 == 0 ? "Hanson" : "Olsen",
                               .status = i % 2 == 0 ? "contacted" : "new"});
        lead.created_at = at(i);
        lead.updated_at = at(10'000 - i);
        require_ok(repository->insert(lead, created_entry(lead)));
        leads.push_back(lead);
    }
    auto expected = [&](std::string_view term, std::optional<domain::LeadStatus> status, bool ascending) {
        std::vector<std::string> out;
        for (const auto& lead : leads) {
            const std::string text = domain::fold_case(lead.email.value() + " " + lead.last_name.value_or(""));
            const bool matches = text.find(term) != std::string::npos;
            if (matches && (!status || lead.status == *status)) out.push_back(lead.email.value());
        }
        if (!ascending) std::reverse(out.begin(), out.end());
        return out;
    };

    for (const std::string term : {"hanson", "an", "n", "p142@", "ol", "nobody", "zq"}) {
        for (const auto status : {std::optional<domain::LeadStatus>{}, std::optional{domain::LeadStatus::Contacted}}) {
            INFO("term " << term << (status ? " contacted" : ""));
            auto filter = searching(tenant, term);
            filter.status = status;
            const auto newest_first = expected(term, status, false);
            // Twice each: a first walk may count, a second may know the total.
            for (int round = 0; round < 2; ++round) {
                CHECK(walk(*repository, filter, 7) == newest_first);
                CHECK(offsets(*repository, filter, 7) == newest_first);
                filter.limit = 5;
                filter.offset = 0;
                CHECK(value_of(repository->list(filter)).total == static_cast<std::int64_t>(newest_first.size()));
            }
            auto oldest_first = filter;
            oldest_first.sort = ports::LeadSort::CreatedAsc;
            CHECK(walk(*repository, oldest_first, 6) == expected(term, status, true));
            // updated_at runs the other way round.
            auto by_update = filter;
            by_update.sort = ports::LeadSort::UpdatedDesc;
            CHECK(walk(*repository, by_update, 6) == expected(term, status, true));
        }
    }
}

TEST_CASE("a long term matches only rows holding it whole, not rows holding each of its trigrams apart",
          "[contract][search]") {
    auto repository = make_repository();
    const auto tenant = random_tenant();
    // "hers.mither" holds mit, ith, the, her and ers — every trigram of "mithers" — but not
    // "mithers" itself; and every trigram is far more common than the term. The same for
    // "thers.mither".
    for (int i = 0; i < 30; ++i) {
        add_lead(*repository, tenant, slug("acme"), {.email = "hers.mither" + std::to_string(i) + "@example.com"});
    }
    add_lead(*repository, tenant, slug("acme"), {.email = "x@example.com", .last_name = "Mithers"});
    add_lead(*repository, tenant, slug("acme"), {.email = "mithers.y@example.com"});
    CHECK(found(*repository, tenant, "mithers") == std::set<std::string>{"mithers.y@example.com", "x@example.com"});
    CHECK(found(*repository, tenant, "s.mither2") ==
          std::set<std::string>{"hers.mither2@example.com", "hers.mither20@example.com", "hers.mither21@example.com",
                                "hers.mither22@example.com", "hers.mither23@example.com", "hers.mither24@example.com",
                                "hers.mither25@example.com", "hers.mither26@example.com", "hers.mither27@example.com",
                                "hers.mither28@example.com", "hers.mither29@example.com"});
    CHECK(found(*repository, tenant, "thers.mither").empty());
}

TEST_CASE("a search repeated while writers add matches never reports a stale total", "[contract][search]") {
    auto repository = make_repository();
    const auto tenant = random_tenant();
    constexpr int kWriters = 3;
    constexpr int kEach = 15;
    std::atomic<int> refused{0};
    std::vector<std::thread> writers;
    for (int w = 0; w < kWriters; ++w) {
        writers.emplace_back([&, w] {
            for (int i = 0; i < kEach; ++i) {
                const std::string address = "w" + std::to_string(w) + "x" + std::to_string(i) + "@example.com";
                const Lead lead = make_lead(tenant, slug("acme"), {.email = address, .last_name = "Smith"});
                if (!repository->insert(lead, created_entry(lead)).ok()) ++refused;
            }
        });
    }
    // What the reader sees while the writers run; checked once they are done.
    struct Seen {
        bool ok = true;
        std::int64_t total = 0, rows = 0;
    };
    std::vector<Seen> seen;
    std::atomic<bool> done{false};
    std::thread reader([&] {
        auto filter = searching(tenant, "smith");
        filter.limit = 200;
        while (!done) {
            const auto page = repository->list(filter);
            seen.push_back(page.ok() ? Seen{true, page->total, static_cast<std::int64_t>(page->items.size())}
                                     : Seen{false, 0, 0});
        }
    });
    for (auto& writer : writers) writer.join();
    done = true;
    reader.join();

    CHECK(refused == 0);
    std::int64_t last = 0;
    for (const Seen& s : seen) {
        REQUIRE(s.ok);
        CHECK(s.total == s.rows);  // each total is its own snapshot's
        CHECK(s.total >= last);    // and never behind an earlier one
        last = s.total;
    }
    CHECK(value_of(repository->list(searching(tenant, "smith"))).total == kWriters * kEach);
    CHECK(value_of(repository->list(searching(tenant, "mi"))).total == kWriters * kEach);
}

}  // namespace leads::tests::contract
