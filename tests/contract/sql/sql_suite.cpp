// What the SQL backends guarantee beyond the repository contract: migrations, transactions
// that leave nothing behind on a throw, connection-pool limits, and many threads and
// processes writing one database. Compiled once, linked into each SQL backend's contract
// executable (sql_backend() supplies the database).
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <latch>
#include <mutex>
#include <optional>
#include <set>
#include <stdexcept>
#include <thread>
#include <vector>

#include "adapters/sql/pool_stats.hpp"
#include "domain/event.hpp"
#include "ports/idempotency.hpp"
#include "tests/contract/sql/sql_backend.hpp"
#include "tests/contract/support.hpp"

namespace leads::tests::contract {

namespace {

using domain::ErrorKind;

}  // namespace

TEST_CASE("migrations applied twice change nothing the second time") {
    auto& b = sql_backend();
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

TEST_CASE("migration 3 hashes the emails of leads stored before it, so old leads are matched by the suppression list") {
    auto& b = sql_backend();
    const auto database = b.fresh_database();
    const auto tenant = random_tenant();
    const domain::Lead lead = [&] {
        auto repository = b.open(database, 2);
        REQUIRE(repository.ok());
        return add_lead(**repository, tenant, slug("acme"), {.email = "jane@example.com"});
    }();
    // Back to the schema before migration 3, with the lead still stored.
    b.execute(database, {"DROP INDEX leads_email_hash", "ALTER TABLE leads DROP COLUMN email_hash",
                         "ALTER TABLE leads DROP COLUMN do_not_contact", "ALTER TABLE lead_counts DROP COLUMN listed",
                         "DROP TABLE suppressions", "DELETE FROM schema_migrations WHERE version = 3"});
    const auto applied = b.migrate(database);
    REQUIRE(applied.ok());
    CHECK(*applied == std::vector<long long>{3});

    auto repository = b.open(database, 2);
    REQUIRE(repository.ok());
    CHECK_FALSE(value_of((*repository)->find(key_of(lead))).do_not_contact);
    const auto added =
        (*repository)
            ->add_suppression(
                tenant, email("jane@example.com"),
                {.id = domain::SuppressionId::generate(at(0), random_entropy()), .reason = {}, .created_at = at(0)});
    REQUIRE(added.ok());
    CHECK(value_of((*repository)->find(key_of(lead))).do_not_contact);
    auto filter = filter_for(tenant, slug("acme"));
    filter.do_not_contact = true;
    CHECK(value_of((*repository)->list(filter)).total == 1);
}

TEST_CASE("migrations run by several threads at once are applied exactly once") {
    auto& b = sql_backend();
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
    auto& b = sql_backend();
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

TEST_CASE("a mutation that throws rolls its update back and frees the connection") {
    auto& b = sql_backend();
    auto opened = b.open(b.fresh_database(), 1, std::chrono::milliseconds(500));
    REQUIRE(opened.ok());
    auto repository = opened.value();
    auto tenant = random_tenant();
    auto lead = add_lead(*repository, tenant, slug("throws"), {.email = "throws@example.com"});
    auto note = [&] {
        return std::vector<domain::Activity>{domain::Activity{
            .id = activity_id(now()),
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

TEST_CASE(
    "creates arriving while one is written: one whose answer refuses or throws changes nothing, the others "
    "are kept, with one event each numbered without gaps") {
    // Without throws, the creates that queued are written together (where the backend
    // groups them), a refusal undone alone; a throw fails the group's transaction, and each
    // create is then written on its own.
    const bool with_throws = GENERATE(false, true);
    auto fresh = fresh_repository(4);
    auto& repository = *fresh.repository;
    const auto stats = adapters::sql::pool_stats_reader(repository);
    const bool groups = sql_backend().groups_creates();
    const auto tenant = random_tenant();
    constexpr std::size_t kCreates = 10;
    std::latch first_inside(1);
    std::mutex mutex;
    std::set<std::thread::id> writers;  // the threads that made the answers of creates 1..9
    std::atomic<int> foreign{0};        // answers made on another create's thread: written for it
    // 0 holds its transaction (SQLite: the write lock) until the others are queued; 2
    // refuses; with_throws: 3 throws a std::exception, 4 anything else.
    const auto answer_for = [&](std::size_t i) {
        return ports::Completion<domain::Lead>{
            ports::IdempotencyRecord{tenant, "key" + std::to_string(i), "token"},
            [&, i, own = std::this_thread::get_id()](const domain::Lead&, ports::TransactionReader&)
                -> domain::Result<std::optional<ports::IdempotentAnswer>> {
                if (std::this_thread::get_id() != own) ++foreign;
                if (i > 0) {
                    const std::lock_guard guard(mutex);
                    writers.insert(std::this_thread::get_id());
                }
                if (i == 0) {
                    first_inside.count_down();
                    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
                    while (groups && stats().queued_creates < kCreates - 1 &&
                           std::chrono::steady_clock::now() < give_up) {
                        std::this_thread::sleep_for(std::chrono::milliseconds(2));
                    }
                }
                if (i == 2) return domain::Error::validation("company", "refused by the answer");
                if (with_throws && i == 3) throw std::runtime_error("the answer failed");
                if (with_throws && i == 4) throw 42;
                return std::optional<ports::IdempotentAnswer>{};  // nothing to record: no claim needed
            }};
    };
    std::vector<domain::Lead> leads;
    for (std::size_t i = 0; i < kCreates; ++i) {
        leads.push_back(new_lead(tenant, "acme", "create" + std::to_string(i) + "@example.com", at(0)));
    }
    std::vector<std::optional<domain::Error>> errors(kCreates);
    const auto create = [&](std::size_t i) {
        const auto answer = answer_for(i);
        auto result = repository.insert(leads[i], created_entry(leads[i]), &answer);
        if (!result) errors[i] = result.error();
    };
    std::vector<std::thread> threads;
    threads.emplace_back(create, 0);
    first_inside.wait();
    for (std::size_t i = 1; i < kCreates; ++i) threads.emplace_back(create, i);
    for (auto& thread : threads) thread.join();

    const std::set<std::size_t> failing = with_throws ? std::set<std::size_t>{2, 3, 4} : std::set<std::size_t>{2};
    std::set<std::string> stored;
    for (std::size_t i = 0; i < kCreates; ++i) {
        INFO("create " << i);
        if (!failing.contains(i)) {
            CHECK_FALSE(errors[i]);
            CHECK(repository.find(key_of(leads[i])).ok());
            stored.insert(leads[i].id.value());
            continue;
        }
        REQUIRE(errors[i]);
        CHECK(errors[i]->kind == (i == 2 ? ErrorKind::Validation : ErrorKind::Internal));
        CHECK(error_of(repository.find(key_of(leads[i]))).kind == ErrorKind::NotFound);
    }
    CHECK(value_of(repository.list({tenant, slug("acme"), {}, {}, 50, 0})).total ==
          static_cast<std::int64_t>(stored.size()));
    const auto events = value_of(repository.events(feed_of(tenant, std::nullopt, 100)));
    std::set<std::string> evented;
    for (std::size_t i = 0; i < events.items.size(); ++i) {
        CHECK(events.items[i].type == domain::EventType::LeadCreated);
        CHECK(events.items[i].sequence == static_cast<std::int64_t>(i) + 1);
        evented.insert(events.items[i].lead_id.value());
    }
    CHECK(evented == stored);
    if (groups) {  // one group of the nine, written by one of their threads
        CHECK(writers.size() == 1);
        CHECK(foreign >= static_cast<int>(kCreates) - 2);
        CHECK(stats().queued_creates == 0);
    }
}

TEST_CASE("many readers and writers at once: no 'database is locked', no lost write") {
    auto& b = sql_backend();
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
    auto& b = sql_backend();
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

TEST_CASE("a call that cannot get a connection in time fails with Unavailable") {
    auto& b = sql_backend();
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

}  // namespace leads::tests::contract

namespace leads::tests::contract {

TEST_CASE("erasure: a deleted lead's events read erased at once, and the next sweep rewrites the rows themselves",
          "[sweep]") {
    auto& b = sql_backend();
    const auto [fresh, tenant, jane, john] = jane_and_john();
    const std::string& database = fresh.database;
    auto& repository = *fresh.repository;
    require_ok(repository.remove(key_of(jane), std::nullopt));

    const auto feed = [&] { return value_of(repository.events(feed_of(tenant, std::nullopt, 100))).items; };
    const auto erased_in_feed = [&] {
        for (const auto& event : feed()) {
            if (event.lead_id == jane.id && event.type == domain::EventType::LeadCreated &&
                event.data != ports::kErasedEventData) {
                return false;
            }
        }
        return true;
    };
    // Read directly, by tenant (as every statement on a tenant table must be).
    const std::string of_tenant = " WHERE tenant_id = '" + tenant.value() + "'";
    const std::string stored_jane = "SELECT COUNT(*) FROM events" + of_tenant + " AND data LIKE '%jane@example.com%'";
    CHECK(erased_in_feed());
    CHECK(b.count(database, stored_jane) == 1);  // masked, not yet rewritten

    const auto swept = value_of(repository.sweep(at(-86'400'000), at(-86'400'000)));
    CHECK(swept.erased == 1);
    CHECK(b.count(database, stored_jane) == 0);
    CHECK(b.count(database, "SELECT COUNT(*) FROM erased_leads" + of_tenant) == 0);
    CHECK(erased_in_feed());
    // The other lead's events are untouched.
    CHECK(b.count(database, "SELECT COUNT(*) FROM events" + of_tenant + " AND data LIKE '%john@example.com%'") == 1);
    CHECK(value_of(repository.sweep(at(-86'400'000), at(-86'400'000))).erased == 0);
    (void)john;
}

TEST_CASE("a deleted lead leaves none of its activity rows behind, even with entries added while it is deleted",
          "[activities]") {
    auto& b = sql_backend();
    const auto fresh = fresh_repository(4);
    const std::string& database = fresh.database;
    auto& repository = *fresh.repository;
    const auto tenant = random_tenant();
    constexpr int kLeads = 30;
    std::vector<domain::Lead> leads;
    for (int i = 0; i < kLeads; ++i) {
        leads.push_back(
            add_lead(repository, tenant, slug("acme"), {.email = "gone" + std::to_string(i) + "@example.com"}));
    }
    // Entries keep arriving for every lead (NotFound once it is gone) while the leads are
    // deleted one by one.
    std::atomic<bool> deleted{false};
    std::atomic<int> appended{0};
    std::thread writer([&] {
        while (!deleted) {
            for (const auto& lead : leads) {
                const auto added = repository.update(key_of(lead), [](domain::Lead& l) {
                    return domain::Result<std::vector<domain::Activity>>(
                        std::vector<domain::Activity>{entry(l, domain::ActivityType::EmailSent, now())});
                });
                if (added.ok()) ++appended;
            }
        }
    });
    int removed = 0;
    for (const auto& lead : leads) {
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
        if (repository.remove(key_of(lead), std::nullopt).ok()) ++removed;
    }
    deleted = true;
    writer.join();

    CHECK(removed == kLeads);
    CHECK(appended > 0);
    const std::string of_tenant = " WHERE tenant_id = '" + tenant.value() + "'";
    CHECK(b.count(database, "SELECT COUNT(*) FROM leads" + of_tenant) == 0);
    CHECK(b.count(database, "SELECT COUNT(*) FROM activities" + of_tenant) == 0);
}

}  // namespace leads::tests::contract
