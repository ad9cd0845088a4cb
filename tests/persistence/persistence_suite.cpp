// What the SQL backends must guarantee beyond the repository contract: migrations,
// serialised updates, atomic imports, literal search, byte-exact text, concurrent load.
// Compiled once, linked into one executable per backend (backend() supplies it).
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <cstdio>
#include <map>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>
#include <vector>

#include "adapters/sql/pool_stats.hpp"
#include "domain/text.hpp"
#include "tests/persistence/support.hpp"

namespace leads::tests::persistence {

namespace {

using domain::ErrorKind;

ports::LeadFilter filter_for(const domain::TenantId& tenant, const domain::WorkspaceSlug& workspace) {
    return ports::LeadFilter{tenant, workspace, std::nullopt, std::nullopt, 200, 0};
}

ports::LeadPage search(ports::LeadRepository& repository, const domain::TenantId& tenant,
                       const domain::WorkspaceSlug& workspace, const std::string& term) {
    auto filter = filter_for(tenant, workspace);
    filter.search = domain::fold_case(term);
    auto page = repository.list(filter);
    REQUIRE(page.ok());
    return std::move(page).value();
}

std::set<std::string> email_set(const ports::LeadPage& page) {
    auto list = emails(page);
    return {list.begin(), list.end()};
}

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

}  // namespace

TEST_CASE("migrations applied twice change nothing the second time") {
    auto& b = backend();
    auto database = b.fresh_database();
    auto first = b.migrate(database);
    REQUIRE(first.ok());
    CHECK_FALSE(first->empty());
    auto second = b.migrate(database);
    REQUIRE(second.ok());
    CHECK(second->empty());
    auto recorded = b.recorded_migrations(database);
    CHECK(recorded == *first);

    // Opening runs the migrations too, and finds nothing left to do.
    auto repository = b.open(database, 2);
    REQUIRE(repository.ok());
    CHECK(b.recorded_migrations(database) == *first);
}

TEST_CASE("migrations run by several threads at once are applied exactly once") {
    auto& b = backend();
    auto database = b.fresh_database();
    constexpr int kThreads = 6;
    std::vector<domain::Result<std::vector<long long>>> results(kThreads, std::vector<long long>{});
    std::atomic<bool> go{false};
    std::vector<std::thread> threads;
    for (int i = 0; i < kThreads; ++i) {
        threads.emplace_back([&, i] {
            while (!go) std::this_thread::yield();
            results[static_cast<std::size_t>(i)] = b.migrate(database);
        });
    }
    go = true;
    for (auto& thread : threads) thread.join();

    std::multiset<long long> applied;
    for (const auto& result : results) {
        INFO((result.ok() ? std::string() : result.error().message));
        REQUIRE(result.ok());
        applied.insert(result->begin(), result->end());
    }
    auto recorded = b.recorded_migrations(database);
    REQUIRE_FALSE(recorded.empty());
    CHECK(applied == std::multiset<long long>(recorded.begin(), recorded.end()));
}

TEST_CASE("migrations run by several processes at once are applied exactly once") {
    auto& b = backend();
    auto database = b.fresh_database();
    constexpr int kProcesses = 4;
    // Each child reports through its exit code: 0 when it applied nothing, 10 + n when it
    // applied n migrations, 1 on error.
    std::vector<pid_t> children;
    for (int i = 0; i < kProcesses; ++i) {
        pid_t pid = fork();
        REQUIRE(pid >= 0);
        if (pid == 0) {
            auto result = b.migrate(database);
            _exit(result.ok() ? (result->empty() ? 0 : 10 + static_cast<int>(result->size())) : 1);
        }
        children.push_back(pid);
    }
    int appliers = 0;
    for (pid_t child : children) {
        int status = 0;
        REQUIRE(waitpid(child, &status, 0) == child);
        REQUIRE(WIFEXITED(status));
        int code = WEXITSTATUS(status);
        CHECK(code != 1);
        if (code >= 10) ++appliers;
    }
    CHECK(appliers == 1);
    CHECK_FALSE(b.recorded_migrations(database).empty());
}

TEST_CASE("concurrent updates of one lead: exactly one wins per version") {
    auto repository = backend().repository();
    auto tenant = random_tenant();
    auto lead = add_lead(*repository, tenant, slug("race"), {.email = "race@example.com"});
    constexpr int kThreads = 20;
    constexpr int kRounds = 5;

    for (int round = 0; round < kRounds; ++round) {
        auto current = repository->find(key_of(lead));
        REQUIRE(current.ok());
        const auto expected = current->version;
        std::atomic<int> wins{0}, refused{0}, other{0};
        std::atomic<bool> go{false};
        std::vector<std::thread> threads;
        for (int i = 0; i < kThreads; ++i) {
            threads.emplace_back([&, i] {
                while (!go) std::this_thread::yield();
                auto result =
                    repository->update(key_of(lead), set_company_if_version(expected, "winner " + std::to_string(i)));
                if (result.ok()) {
                    ++wins;
                } else if (result.error().kind == ErrorKind::PreconditionFailed) {
                    ++refused;
                } else {
                    ++other;
                }
            });
        }
        go = true;
        for (auto& thread : threads) thread.join();
        CHECK(wins == 1);
        CHECK(refused == kThreads - 1);
        CHECK(other == 0);
        auto after = repository->find(key_of(lead));
        REQUIRE(after.ok());
        CHECK(after->version == expected + 1);
    }
}

TEST_CASE("threads racing to update the latest version each win one version, none twice") {
    auto repository = backend().repository();
    auto tenant = random_tenant();
    auto lead = add_lead(*repository, tenant, slug("race"), {.email = "chain@example.com"});
    constexpr int kThreads = 20;
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

TEST_CASE("concurrent inserts of one email: one lead, the rest conflict naming it") {
    auto repository = backend().repository();
    auto tenant = random_tenant();
    auto workspace = slug("dupes");
    constexpr int kThreads = 10;
    std::vector<domain::Lead> leads;
    for (int i = 0; i < kThreads; ++i) leads.push_back(make_lead(tenant, workspace, {.email = "same@example.com"}));
    std::vector<domain::Result<void>> results(kThreads);
    std::atomic<bool> go{false};
    std::vector<std::thread> threads;
    for (int i = 0; i < kThreads; ++i) {
        threads.emplace_back([&, i] {
            while (!go) std::this_thread::yield();
            const auto& lead = leads[static_cast<std::size_t>(i)];
            results[static_cast<std::size_t>(i)] = repository->insert(lead, created_entry(lead));
        });
    }
    go = true;
    for (auto& thread : threads) thread.join();

    std::optional<std::string> winner;
    int conflicts = 0;
    for (int i = 0; i < kThreads; ++i) {
        const auto& result = results[static_cast<std::size_t>(i)];
        if (result.ok()) {
            CHECK_FALSE(winner.has_value());
            winner = leads[static_cast<std::size_t>(i)].id.value();
        } else {
            CHECK(result.error().kind == ErrorKind::Conflict);
            ++conflicts;
        }
    }
    REQUIRE(winner.has_value());
    CHECK(conflicts == kThreads - 1);
    for (const auto& result : results) {
        if (!result.ok()) CHECK(result.error().existing_id == *winner);
    }
    auto page = repository->list(filter_for(tenant, workspace));
    REQUIRE(page.ok());
    CHECK(page->total == 1);
}

TEST_CASE("an import that fails part-way leaves nothing behind") {
    auto repository = backend().repository();
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
    auto repository = backend().repository();
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

TEST_CASE("totals follow inserts, status changes and deletes") {
    auto repository = backend().repository();
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
    REQUIRE(repository->remove(key_of(leads[1])).ok());
    REQUIRE(repository->remove(key_of(leads[2])).ok());
    CHECK(repository->remove(key_of(leads[2])).error().kind == ErrorKind::NotFound);

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

TEST_CASE("search treats %, _ and backslash as ordinary characters") {
    auto repository = backend().repository();
    auto tenant = random_tenant();
    auto workspace = slug("like");
    add_lead(*repository, tenant, workspace, {.email = "percent@example.com", .first_name = "100% sure"});
    add_lead(*repository, tenant, workspace, {.email = "hundred@example.com", .first_name = "100x sure"});
    add_lead(*repository, tenant, workspace, {.email = "under@example.com", .first_name = "a_b"});
    add_lead(*repository, tenant, workspace, {.email = "axb@example.com", .first_name = "axb"});
    add_lead(*repository, tenant, workspace, {.email = "slash@example.com", .first_name = "back\\slash"});
    add_lead(*repository, tenant, workspace, {.email = "noslash@example.com", .first_name = "backslash"});

    using Set = std::set<std::string>;
    // Short terms (LIKE alone) and long ones (the trigram index on SQLite, pg_trgm on PostgreSQL).
    CHECK(email_set(search(*repository, tenant, workspace, "%")) == Set{"percent@example.com"});
    CHECK(email_set(search(*repository, tenant, workspace, "0%")) == Set{"percent@example.com"});
    CHECK(email_set(search(*repository, tenant, workspace, "100% s")) == Set{"percent@example.com"});
    CHECK(email_set(search(*repository, tenant, workspace, "_")) == Set{"under@example.com"});
    CHECK(email_set(search(*repository, tenant, workspace, "a_b")) == Set{"under@example.com"});
    CHECK(email_set(search(*repository, tenant, workspace, "\\")) == Set{"slash@example.com"});
    CHECK(email_set(search(*repository, tenant, workspace, "k\\s")) == Set{"slash@example.com"});
    CHECK(email_set(search(*repository, tenant, workspace, "back\\slash")) == Set{"slash@example.com"});
    CHECK(email_set(search(*repository, tenant, workspace, "backslash")) == Set{"noslash@example.com"});
    CHECK(email_set(search(*repository, tenant, workspace, "\"")).empty());
    CHECK(email_set(search(*repository, tenant, workspace, "a\"b\"")).empty());
    // A term never spans the email and the name.
    CHECK(email_set(search(*repository, tenant, workspace, "example.comaxb")).empty());
    CHECK(email_set(search(*repository, tenant, workspace, "sure")) ==
          Set{"percent@example.com", "hundred@example.com"});
    auto counted = repository->list([&] {
        auto filter = filter_for(tenant, workspace);
        filter.search = "sure";
        filter.limit = 1;
        return filter;
    }());
    REQUIRE(counted.ok());
    CHECK(counted->total == 2);
    CHECK(counted->items.size() == 1);
}

TEST_CASE("search is case-insensitive through the domain's folding, also beyond ASCII") {
    auto repository = backend().repository();
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

TEST_CASE("text round-trips byte for byte") {
    auto repository = backend().repository();
    auto tenant = random_tenant();
    auto workspace = slug("unicode");
    domain::Attributes attributes{
        {"emoji", std::string("🚀 launch 👩‍💻")},
        {"cjk", std::string("東京都 渋谷区")},
        {"rtl", std::string("שלום עולם مرحبا")},
        {"combining", std::string("e\xcc\x81 vs \xc3\xa9")},
        {"quotes", std::string("\"quoted\" \\ back / slash")},
        {"whitespace", std::string("tab\tnewline\ncr\r")},
        {"integer", std::int64_t{12}},
        {"big", std::int64_t{9007199254740993}},
        {"negative", std::int64_t{-42}},
        {"double", 12.0},
        {"fraction", 0.1},
        {"huge", 1e300},
        {"tiny", 5e-324},
        {"flag", true},
        {"off", false},
    };
    auto lead = add_lead(*repository, tenant, workspace,
                         {.email = "unicode@example.com",
                          .first_name = "Zoë 🙂",
                          .last_name = "Ñandú-Ørsted",
                          .company = "株式会社 テスト — “Ω”",
                          .attributes = attributes});
    auto found = repository->find(key_of(lead));
    REQUIRE(found.ok());
    CHECK(found->first_name == lead.first_name);
    CHECK(found->last_name == lead.last_name);
    CHECK(found->company == lead.company);
    CHECK(found->attributes == lead.attributes);
    REQUIRE(std::holds_alternative<double>(found->attributes.at("double")));
    REQUIRE(std::holds_alternative<std::int64_t>(found->attributes.at("integer")));
    CHECK(found->created_at == lead.created_at);
    CHECK(found->updated_at == lead.updated_at);

    auto listed = search(*repository, tenant, workspace, "zoë 🙂");
    REQUIRE(listed.items.size() == 1);
    CHECK(listed.items[0].attributes == lead.attributes);

    // Activity data and campaign ids too.
    domain::Activity note{
        .id = new_activity_id(),
        .lead_id = lead.id,
        .type = domain::ActivityType::Note,
        .timestamp = now(),
        .campaign_id = std::string("cmp_ünï"),
        .data = {{"text", std::string("called — no answer ☎")}, {"n", 1.5}},
    };
    auto updated =
        repository->update(key_of(lead), [&](domain::Lead&) -> domain::Result<std::vector<domain::Activity>> {
            return std::vector<domain::Activity>{note};
        });
    REQUIRE(updated.ok());
    CHECK(updated->version == lead.version);  // an activity alone does not rewrite the lead
    auto history = repository->activities(key_of(lead), 10, 0);
    REQUIRE(history.ok());
    REQUIRE(history->total == 2);
    CHECK(history->items[0].id == note.id);
    CHECK(history->items[0].campaign_id == note.campaign_id);
    CHECK(history->items[0].data == note.data);
    CHECK(history->items[0].timestamp == note.timestamp);
    CHECK(history->items[1].type == domain::ActivityType::LeadCreated);
    CHECK_FALSE(history->items[1].campaign_id.has_value());
}

TEST_CASE("a mutation that throws rolls its update back and frees the connection") {
    auto& b = backend();
    auto opened = b.open(b.fresh_database(), 1, std::chrono::milliseconds(500));
    REQUIRE(opened.ok());
    auto repository = opened.value();
    auto tenant = random_tenant();
    auto lead = add_lead(*repository, tenant, slug("throws"), {.email = "throws@example.com"});
    auto note = [&] {
        return std::vector<domain::Activity>{domain::Activity{
            .id = new_activity_id(),
            .lead_id = lead.id,
            .type = domain::ActivityType::Note,
            .timestamp = now(),
            .campaign_id = std::nullopt,
            .data = {},
        }};
    };
    for (int round = 0; round < 3; ++round) {  // a leaked transaction or lease would show on the next round
        auto std_exception =
            repository->update(key_of(lead), [&](domain::Lead& l) -> domain::Result<std::vector<domain::Activity>> {
                l.company = "half-way";
                l.version += 1;
                throw std::runtime_error("boom");
            });
        REQUIRE_FALSE(std_exception.ok());
        CHECK(std_exception.error().kind == ErrorKind::Internal);
        auto anything = repository->update(
            key_of(lead), [&](domain::Lead&) -> domain::Result<std::vector<domain::Activity>> { throw 42; });
        REQUIRE_FALSE(anything.ok());
        CHECK(anything.error().kind == ErrorKind::Internal);
        auto refused =
            repository->update(key_of(lead), [&](domain::Lead& l) -> domain::Result<std::vector<domain::Activity>> {
                l.company = "refused";
                l.version += 1;
                return domain::Error::precondition_failed();
            });
        REQUIRE_FALSE(refused.ok());
        CHECK(refused.error().kind == ErrorKind::PreconditionFailed);
    }
    auto unchanged = repository->find(key_of(lead));
    REQUIRE(unchanged.ok());
    CHECK_FALSE(unchanged->company.has_value());
    CHECK(unchanged->version == lead.version);
    auto history = repository->activities(key_of(lead), 10, 0);
    REQUIRE(history.ok());
    CHECK(history->total == 1);
    auto noted = repository->update(
        key_of(lead), [&](domain::Lead&) -> domain::Result<std::vector<domain::Activity>> { return note(); });
    CHECK(noted.ok());
}

TEST_CASE("an email change onto a taken email conflicts and changes nothing") {
    auto repository = backend().repository();
    auto tenant = random_tenant();
    auto workspace = slug("emails");
    auto first = add_lead(*repository, tenant, workspace, {.email = "first@example.com"});
    auto second = add_lead(*repository, tenant, workspace, {.email = "second@example.com"});
    auto taken = domain::Email::parse("first@example.com").value();
    auto result =
        repository->update(key_of(second), [&](domain::Lead& lead) -> domain::Result<std::vector<domain::Activity>> {
            lead.email = taken;
            lead.version += 1;
            return std::vector<domain::Activity>{};
        });
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().kind == ErrorKind::Conflict);
    CHECK(result.error().existing_id == first.id.value());
    auto unchanged = repository->find(key_of(second));
    REQUIRE(unchanged.ok());
    CHECK(unchanged->email.value() == "second@example.com");
    CHECK(unchanged->version == second.version);
    // The same email in another workspace is free.
    auto moved = make_lead(tenant, slug("emails-2"), {.email = "first@example.com"});
    auto elsewhere = repository->insert(moved, created_entry(moved));
    CHECK(elsewhere.ok());
}

TEST_CASE("many readers and writers at once: no 'database is locked', no lost write") {
    auto& b = backend();
    auto opened = b.open(b.fresh_database(), 6);
    REQUIRE(opened.ok());
    auto repository = opened.value();
    auto tenant = random_tenant();
    auto workspace = slug("load");
    auto counter_lead = add_lead(*repository, tenant, workspace, {.email = "counter@example.com"});
    constexpr int kWriters = 6;
    constexpr int kReaders = 6;
    constexpr int kOperations = 40;
    std::atomic<int> errors{0};
    std::mutex error_mutex;
    std::string first_error;
    auto record = [&](const domain::Error& error) {
        std::lock_guard lock(error_mutex);
        if (errors++ == 0) first_error = error.message;
    };
    auto increment = [](domain::Lead& lead) -> domain::Result<std::vector<domain::Activity>> {
        std::int64_t n = 0;
        if (auto found = lead.attributes.find("n"); found != lead.attributes.end())
            n = std::get<std::int64_t>(found->second);
        lead.attributes["n"] = n + 1;
        lead.version += 1;
        return std::vector<domain::Activity>{};
    };
    std::vector<std::thread> threads;
    for (int w = 0; w < kWriters; ++w) {
        threads.emplace_back([&, w] {
            for (int i = 0; i < kOperations; ++i) {
                auto lead = make_lead(tenant, workspace,
                                      {.email = "w" + std::to_string(w) + "-" + std::to_string(i) + "@example.com"});
                if (auto r = repository->insert(lead, created_entry(lead)); !r) record(r.error());
                if (auto r = repository->update(key_of(counter_lead), increment); !r) record(r.error());
            }
        });
    }
    for (int r = 0; r < kReaders; ++r) {
        threads.emplace_back([&] {
            for (int i = 0; i < kOperations; ++i) {
                auto filter = filter_for(tenant, workspace);
                filter.limit = 20;
                if (auto page = repository->list(filter); !page) record(page.error());
                filter.search = "example";
                if (auto page = repository->list(filter); !page) record(page.error());
                if (auto found = repository->find(key_of(counter_lead)); !found) record(found.error());
            }
        });
    }
    for (auto& thread : threads) thread.join();
    INFO(first_error);
    CHECK(errors == 0);
    auto page = repository->list(filter_for(tenant, workspace));
    REQUIRE(page.ok());
    CHECK(page->total == 1 + kWriters * kOperations);
    auto counter = repository->find(key_of(counter_lead));
    REQUIRE(counter.ok());
    CHECK(counter->attributes.at("n") == domain::AttributeValue{std::int64_t{kWriters * kOperations}});
}

TEST_CASE("writers in several processes at once all succeed") {
    auto& b = backend();
    auto database = b.fresh_database();
    REQUIRE(b.migrate(database).ok());
    auto tenant = random_tenant();
    auto workspace = slug("processes");
    auto counter = [&] {
        auto opened = b.open(database, 2);
        REQUIRE(opened.ok());
        return add_lead(**opened, tenant, workspace, {.email = "counter@example.com"});
    }();
    constexpr int kProcesses = 3;
    constexpr int kWrites = 30;
    std::vector<pid_t> children;
    for (int p = 0; p < kProcesses; ++p) {
        pid_t pid = fork();
        REQUIRE(pid >= 0);
        if (pid == 0) {
            // Exit code: the number of failed calls (0 = all went through).
            reseed_random();
            int failed = 0;
            auto opened = b.open(database, 2);
            if (!opened) _exit(100);
            auto repository = opened.value();
            for (int i = 0; i < kWrites; ++i) {
                auto lead = make_lead(tenant, workspace,
                                      {.email = "p" + std::to_string(p) + "-" + std::to_string(i) + "@example.com"});
                if (auto r = repository->insert(lead, created_entry(lead)); !r) {
                    std::fprintf(stderr, "insert failed: %s\n", r.error().message.c_str());
                    ++failed;
                }
                auto bumped = repository->update(key_of(counter),
                                                 [](domain::Lead& l) -> domain::Result<std::vector<domain::Activity>> {
                                                     l.version += 1;
                                                     return std::vector<domain::Activity>{};
                                                 });
                if (!bumped) {
                    std::fprintf(stderr, "update failed: %s\n", bumped.error().message.c_str());
                    ++failed;
                }
            }
            _exit(failed);
        }
        children.push_back(pid);
    }
    for (pid_t child : children) {
        int status = 0;
        REQUIRE(waitpid(child, &status, 0) == child);
        REQUIRE(WIFEXITED(status));
        CHECK(WEXITSTATUS(status) == 0);
    }
    auto opened = b.open(database, 2);
    REQUIRE(opened.ok());
    auto page = (*opened)->list(filter_for(tenant, workspace));
    REQUIRE(page.ok());
    CHECK(page->total == 1 + kProcesses * kWrites);
    auto final_counter = (*opened)->find(key_of(counter));
    REQUIRE(final_counter.ok());
    CHECK(final_counter->version == counter.version + kProcesses * kWrites);
}

TEST_CASE("list pages are stable and ordered newest first, ties broken by id") {
    auto repository = backend().repository();
    auto tenant = random_tenant();
    auto workspace = slug("order");
    auto at = now();
    std::vector<domain::Lead> leads;
    for (int i = 0; i < 7; ++i) {
        auto lead = make_lead(tenant, workspace, {.email = "o" + std::to_string(i) + "@example.com"});
        // Three share one instant: the id decides among them.
        lead.created_at = lead.updated_at = at - std::chrono::milliseconds(i < 3 ? 0 : i);
        REQUIRE(repository->insert(lead, created_entry(lead)).ok());
        leads.push_back(lead);
    }
    std::sort(leads.begin(), leads.end(),
              [](const auto& a, const auto& b) { return std::tie(a.created_at, a.id) > std::tie(b.created_at, b.id); });
    std::vector<std::string> expected, seen;
    for (const auto& lead : leads) expected.push_back(lead.id.value());
    for (std::int64_t offset = 0; offset < 9; offset += 3) {
        auto filter = filter_for(tenant, workspace);
        filter.limit = 3;
        filter.offset = offset;
        auto page = repository->list(filter);
        REQUIRE(page.ok());
        CHECK(page->total == 7);
        for (const auto& lead : page->items) seen.push_back(lead.id.value());
    }
    CHECK(seen == expected);
}

TEST_CASE("a call that cannot get a connection in time fails with Unavailable") {
    auto& b = backend();
    auto opened = b.open(b.fresh_database(), 1, std::chrono::milliseconds(200));
    REQUIRE(opened.ok());
    auto repository = opened.value();
    auto tenant = random_tenant();
    auto lead = add_lead(*repository, tenant, slug("pool"), {.email = "pool@example.com"});

    std::atomic<bool> holding{false};
    std::atomic<bool> release{false};
    std::thread holder([&] {
        auto result =
            repository->update(key_of(lead), [&](domain::Lead&) -> domain::Result<std::vector<domain::Activity>> {
                holding = true;
                while (!release) std::this_thread::sleep_for(std::chrono::milliseconds(5));
                return std::vector<domain::Activity>{};
            });
        CHECK(result.ok());
    });
    while (!holding) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    auto stats = adapters::sql::pool_stats_reader(*repository);
    REQUIRE(stats);
    CHECK(stats().size == 1);
    CHECK(stats().in_use == 1);
    CHECK(stats().connected == 1);
    auto started = std::chrono::steady_clock::now();
    auto blocked = repository->find(key_of(lead));
    auto waited = std::chrono::steady_clock::now() - started;
    release = true;
    holder.join();
    REQUIRE_FALSE(blocked.ok());
    CHECK(blocked.error().kind == ErrorKind::Unavailable);
    CHECK(waited >= std::chrono::milliseconds(150));
    CHECK(waited < std::chrono::seconds(3));
    // Given back: the next call gets the connection.
    CHECK(stats().in_use == 0);
    CHECK(repository->find(key_of(lead)).ok());
}

}  // namespace leads::tests::persistence
