// Repository contract: the tenant's suppression list (CONTRACT §9) and what it does to leads.
#include <catch2/catch.hpp>
#include <thread>

#include "tests/contract/repository_factory.hpp"
#include "tests/contract/support.hpp"

namespace leads::tests::contract {
namespace {

using domain::Error;
using domain::ErrorKind;
using domain::Lead;
using domain::Suppression;
using domain::SuppressionReason;

// SHA-256 of "jane@example.com", computed with coreutils' sha256sum.
constexpr std::string_view kJaneHash = "8c87b489ce35cf2e2f39f80e282cb2e804932a56a213983eeeb428407d43b52d";

domain::SuppressionId suppression_id(domain::Timestamp time = at(0)) {
    return domain::SuppressionId::generate(time, random_entropy());
}

domain::SuppressionDraft draft(SuppressionReason reason = SuppressionReason::Manual, domain::Timestamp time = at(0)) {
    return domain::SuppressionDraft{.id = suppression_id(time), .reason = reason, .created_at = time};
}

Suppression suppress(ports::Repository& repository, const domain::TenantId& tenant, std::string_view address,
                     domain::Timestamp time = at(0)) {
    auto added = value_of(repository.add_suppression(tenant, email(address), draft(SuppressionReason::Manual, time)));
    REQUIRE(added.created);
    return added.entry;
}

bool listed(ports::Repository& repository, const domain::TenantId& tenant, std::string_view address) {
    return repository.find_suppression(tenant, email(address)).ok();
}

ports::ImportItem import_item(const Lead& lead, ports::LeadMutation merge = {}) {
    return ports::ImportItem{lead, created_entry(lead), std::move(merge)};
}

TEST_CASE("suppression: an entry keeps the email's SHA-256, not the email; adding it again keeps the first",
          "[contract][suppression]") {
    auto repository = make_repository();
    const auto tenant = random_tenant();
    const auto first = draft(SuppressionReason::Unsubscribed, at(5));
    const auto added = value_of(repository->add_suppression(tenant, email("jane@example.com"), first));
    CHECK(added.created);
    CHECK(added.entry.id == first.id);
    CHECK(added.entry.tenant == tenant);
    CHECK(added.entry.email_hash == kJaneHash);
    CHECK(added.entry.reason == SuppressionReason::Unsubscribed);
    CHECK(added.entry.created_at == at(5));

    const auto again = value_of(repository->add_suppression(tenant, email("jane@example.com"), draft()));
    CHECK_FALSE(again.created);
    CHECK(again.entry.id == first.id);
    CHECK(again.entry.reason == SuppressionReason::Unsubscribed);

    CHECK(value_of(repository->find_suppression(tenant, email("jane@example.com"))).id == first.id);
    CHECK(value_of(repository->find_suppression(tenant, first.id)).email_hash == kJaneHash);
    CHECK(error_of(repository->find_suppression(tenant, email("john@example.com"))).kind == ErrorKind::NotFound);
}

TEST_CASE("suppression: another tenant neither sees, lists nor removes the entry", "[contract][suppression]") {
    auto repository = make_repository();
    const auto tenant = random_tenant();
    const auto other = random_tenant();
    const Suppression entry = suppress(*repository, tenant, "jane@example.com");

    CHECK(error_of(repository->find_suppression(other, email("jane@example.com"))).kind == ErrorKind::NotFound);
    CHECK(error_of(repository->find_suppression(other, entry.id)).kind == ErrorKind::NotFound);
    CHECK(value_of(repository->list_suppressions(other, 50, std::nullopt)).total == 0);
    CHECK(error_of(repository->remove_suppression(other, entry.id)).kind == ErrorKind::NotFound);
    CHECK(listed(*repository, tenant, "jane@example.com"));

    // The other tenant creates the lead freely and lists it as contactable.
    const Lead lead = add_lead(*repository, other, slug("acme"), {.email = "jane@example.com"});
    CHECK_FALSE(value_of(repository->find(key_of(lead))).do_not_contact);
}

TEST_CASE("suppression: the list pages newest first by position, with an exact total", "[contract][suppression]") {
    auto repository = make_repository();
    const auto tenant = random_tenant();
    std::vector<std::string> expected;  // newest first
    for (int i = 0; i < 5; ++i) {
        // Two entries share each instant: the id breaks the tie.
        const auto entry = suppress(*repository, tenant, "p" + std::to_string(i) + "@example.com", at(i / 2));
        expected.insert(expected.begin(), entry.id.value());
    }
    std::sort(expected.begin(), expected.end(), std::greater<>());  // same instant order as created_at desc, id desc
    std::vector<std::string> walked;
    std::optional<ports::SuppressionPosition> after;
    int pages = 0;
    for (;;) {
        const auto page = value_of(repository->list_suppressions(tenant, 2, after));
        CHECK(page.total == 5);
        for (const auto& entry : page.items) walked.push_back(entry.id.value());
        ++pages;
        if (!page.more) break;
        REQUIRE(page.items.size() == 2);
        after = ports::SuppressionPosition{page.items.back().created_at, page.items.back().id};
        REQUIRE(pages < 10);
    }
    CHECK(pages == 3);
    // created_at desc, then id desc: ids are time-ordered, so the id order is that order.
    CHECK(walked == expected);
}

TEST_CASE("suppression: removing an entry frees the email and is NotFound the second time", "[contract][suppression]") {
    auto repository = make_repository();
    const auto tenant = random_tenant();
    const Suppression entry = suppress(*repository, tenant, "jane@example.com");
    require_ok(repository->remove_suppression(tenant, entry.id));
    CHECK(error_of(repository->remove_suppression(tenant, entry.id)).kind == ErrorKind::NotFound);
    CHECK_FALSE(listed(*repository, tenant, "jane@example.com"));
    add_lead(*repository, tenant, slug("acme"), {.email = "jane@example.com"});
}

TEST_CASE("suppression: a suppressed email cannot be inserted in any workspace of the tenant",
          "[contract][suppression]") {
    auto repository = make_repository();
    const auto tenant = random_tenant();
    suppress(*repository, tenant, "jane@example.com");
    for (const char* workspace : {"acme", "globex"}) {
        const Lead lead = new_lead(tenant, workspace, "jane@example.com");
        CHECK(error_of(repository->insert(lead, created_entry(lead))).kind == ErrorKind::Suppressed);
        CHECK(error_of(repository->find(key_of(lead))).kind == ErrorKind::NotFound);
        CHECK(value_of(repository->list(filter_for(tenant, slug(workspace)))).total == 0);
    }
}

TEST_CASE("suppression: a create of an email both taken and suppressed is refused as suppressed",
          "[contract][suppression]") {
    auto repository = make_repository();
    const auto tenant = random_tenant();
    add_lead(*repository, tenant, slug("acme"), {.email = "jane@example.com"});
    suppress(*repository, tenant, "jane@example.com");
    const Lead again = new_lead(tenant, "acme", "jane@example.com");
    CHECK(error_of(repository->insert(again, created_entry(again))).kind == ErrorKind::Suppressed);
}

TEST_CASE("suppression: existing leads stay, read as do_not_contact, with version and updated_at unchanged",
          "[contract][suppression]") {
    auto repository = make_repository();
    const auto tenant = random_tenant();
    const Lead lead = add_lead(*repository, tenant, slug("acme"), {.email = "jane@example.com"});
    const Lead elsewhere = add_lead(*repository, tenant, slug("globex"), {.email = "jane@example.com"});
    const Lead other = add_lead(*repository, tenant, slug("acme"), {.email = "john@example.com"});
    CHECK_FALSE(value_of(repository->find(key_of(lead))).do_not_contact);

    const Suppression entry = suppress(*repository, tenant, "jane@example.com");
    for (const Lead& suppressed : {lead, elsewhere}) {
        const Lead found = value_of(repository->find(key_of(suppressed)));
        CHECK(found.do_not_contact);
        CHECK(found.version == suppressed.version);
        CHECK(found.updated_at == suppressed.updated_at);
    }
    CHECK_FALSE(value_of(repository->find(key_of(other))).do_not_contact);
    const auto page = value_of(repository->list(filter_for(tenant, slug("acme"))));
    REQUIRE(page.items.size() == 2);
    for (const Lead& item : page.items) CHECK(item.do_not_contact == (item.id == lead.id));

    // A change of the lead's own fields is still allowed; its answer says do_not_contact.
    const Lead changed =
        value_of(repository->update(key_of(lead), [](Lead& l) -> domain::Result<std::vector<domain::Activity>> {
            l.company = "Tech Corp";
            ++l.version;
            return std::vector<domain::Activity>{};
        }));
    CHECK(changed.do_not_contact);

    require_ok(repository->remove_suppression(tenant, entry.id));
    CHECK_FALSE(value_of(repository->find(key_of(lead))).do_not_contact);
}

TEST_CASE("suppression: an email change to a suppressed address is refused and changes nothing",
          "[contract][suppression]") {
    auto repository = make_repository();
    const auto tenant = random_tenant();
    const Lead lead = add_lead(*repository, tenant, slug("acme"), {.email = "john@example.com"});
    suppress(*repository, tenant, "jane@example.com");
    const auto refused = repository->update(key_of(lead), [](Lead& l) -> domain::Result<std::vector<domain::Activity>> {
        l.email = email("jane@example.com");
        ++l.version;
        return std::vector<domain::Activity>{};
    });
    CHECK(error_of(refused).kind == ErrorKind::Suppressed);
    const Lead stored = value_of(repository->find(key_of(lead)));
    CHECK(stored.email.value() == "john@example.com");
    CHECK(stored.version == lead.version);
}

TEST_CASE("suppression: an import reports suppressed rows and writes the others", "[contract][suppression]") {
    auto repository = make_repository();
    const auto tenant = random_tenant();
    const Lead existing = add_lead(*repository, tenant, slug("acme"), {.email = "jane@example.com"});
    suppress(*repository, tenant, "jane@example.com");
    suppress(*repository, tenant, "john@example.com");

    const Lead fresh = new_lead(tenant, "acme", "fresh@example.com");
    const Lead john = new_lead(tenant, "acme", "john@example.com");
    const Lead jane = new_lead(tenant, "acme", "jane@example.com");
    const ports::LeadMutation merge = [](Lead& l) -> domain::Result<std::vector<domain::Activity>> {
        l.company = "Merged";
        ++l.version;
        return std::vector<domain::Activity>{};
    };
    const auto outcomes = value_of(
        repository->import(tenant, slug("acme"), {import_item(john), import_item(fresh), import_item(jane, merge)}));
    REQUIRE(outcomes.size() == 3);
    CHECK(outcomes[0].kind == ports::ImportOutcomeKind::Failed);
    REQUIRE(outcomes[0].error);
    CHECK(outcomes[0].error->kind == ErrorKind::Suppressed);
    CHECK(outcomes[1].kind == ports::ImportOutcomeKind::Created);
    CHECK(value_of(repository->find(key_of(fresh))).id == fresh.id);
    // A lead that holds a suppressed email is not updated by an import either.
    CHECK(outcomes[2].kind == ports::ImportOutcomeKind::Failed);
    CHECK(value_of(repository->find(key_of(existing))).company == std::nullopt);
    CHECK(error_of(repository->find(key_of(john))).kind == ErrorKind::NotFound);
    CHECK(value_of(repository->list(filter_for(tenant, slug("acme")))).total == 2);
}

TEST_CASE("import outcomes carry the stored lead of every updated row; a created row was stored as its item",
          "[contract][import]") {
    auto repository = make_repository();
    const auto tenant = random_tenant();
    const Lead existing = add_lead(*repository, tenant, slug("acme"), {.email = "jane@example.com"});
    const Lead fresh = new_lead(tenant, "acme", "fresh@example.com");
    const ports::LeadMutation merge = [](Lead& l) -> domain::Result<std::vector<domain::Activity>> {
        l.company = "Merged";
        ++l.version;
        return std::vector<domain::Activity>{};
    };
    const auto outcomes = value_of(repository->import(
        tenant, slug("acme"),
        {import_item(fresh, merge), import_item(new_lead(tenant, "acme", "jane@example.com"), merge)}));
    REQUIRE(outcomes.size() == 2);
    REQUIRE(outcomes[0].kind == ports::ImportOutcomeKind::Created);
    CHECK_FALSE(outcomes[0].lead);  // not copied: the caller holds it
    check_same_lead(value_of(repository->find(key_of(fresh))), fresh);
    REQUIRE(outcomes[1].kind == ports::ImportOutcomeKind::Updated);
    REQUIRE(outcomes[1].lead);
    CHECK(outcomes[1].lead->id == existing.id);
    CHECK(outcomes[1].lead->company == "Merged");
    CHECK(outcomes[1].lead->version == existing.version + 1);
}

TEST_CASE("suppression: remove with suppress erases the lead and lists its email in one step",
          "[contract][suppression]") {
    auto repository = make_repository();
    const auto tenant = random_tenant();
    const Lead lead = add_lead(*repository, tenant, slug("acme"), {.email = "jane@example.com"});
    const auto erased = draft(SuppressionReason::Erased, at(7));
    require_ok(repository->remove(key_of(lead), erased));
    CHECK(error_of(repository->find(key_of(lead))).kind == ErrorKind::NotFound);
    const Suppression entry = value_of(repository->find_suppression(tenant, email("jane@example.com")));
    CHECK(entry.id == erased.id);
    CHECK(entry.reason == SuppressionReason::Erased);
    CHECK(entry.email_hash == kJaneHash);

    // The person cannot come back, in this workspace or another.
    const Lead again = new_lead(tenant, "globex", "jane@example.com");
    CHECK(error_of(repository->insert(again, created_entry(again))).kind == ErrorKind::Suppressed);

    // A missing lead suppresses nothing.
    const Lead ghost = new_lead(tenant, "acme", "ghost@example.com");
    CHECK(error_of(repository->remove(key_of(ghost), draft(SuppressionReason::Erased))).kind == ErrorKind::NotFound);
    CHECK_FALSE(listed(*repository, tenant, "ghost@example.com"));
}

TEST_CASE("suppression: erasing a lead whose email is already listed keeps the existing entry",
          "[contract][suppression]") {
    auto repository = make_repository();
    const auto tenant = random_tenant();
    const Lead lead = add_lead(*repository, tenant, slug("acme"), {.email = "jane@example.com"});
    const auto first = value_of(
        repository->add_suppression(tenant, email("jane@example.com"), draft(SuppressionReason::Bounced, at(1))));
    require_ok(repository->remove(key_of(lead), draft(SuppressionReason::Erased, at(2))));
    const Suppression entry = value_of(repository->find_suppression(tenant, email("jane@example.com")));
    CHECK(entry.id == first.entry.id);
    CHECK(entry.reason == SuppressionReason::Bounced);
    CHECK(value_of(repository->list_suppressions(tenant, 50, std::nullopt)).total == 1);
}

TEST_CASE("suppression: do_not_contact filters a list with an exact total, alone or with status and search",
          "[contract][suppression][list]") {
    auto repository = make_repository();
    const auto tenant = random_tenant();
    const auto acme = slug("acme");
    for (int i = 0; i < 12; ++i) {
        add_lead(*repository, tenant, acme,
                 {.email = "smith" + std::to_string(i) + "@example.com",
                  .status = i % 2 == 0 ? std::optional<std::string>("new") : std::optional<std::string>("contacted")});
    }
    for (int i = 0; i < 12; i += 3) suppress(*repository, tenant, "smith" + std::to_string(i) + "@example.com");
    // Suppressed: 0, 3, 6, 9 (new: 0, 6; contacted: 3, 9).
    auto filter = filter_for(tenant, acme);
    filter.do_not_contact = true;
    auto page = value_of(repository->list(filter));
    CHECK(page.total == 4);
    CHECK(email_set(page) == std::set<std::string>{"smith0@example.com", "smith3@example.com", "smith6@example.com",
                                                   "smith9@example.com"});
    for (const Lead& lead : page.items) CHECK(lead.do_not_contact);

    filter.do_not_contact = false;
    filter.limit = 3;
    page = value_of(repository->list(filter));
    CHECK(page.total == 8);
    CHECK(page.items.size() == 3);
    for (const Lead& lead : page.items) CHECK_FALSE(lead.do_not_contact);

    filter.limit = 50;
    filter.status = domain::LeadStatus::New;
    filter.do_not_contact = true;
    CHECK(email_set(value_of(repository->list(filter))) ==
          std::set<std::string>{"smith0@example.com", "smith6@example.com"});
    filter.status.reset();
    filter.search = "smith1";  // smith1, smith10, smith11: none suppressed
    CHECK(value_of(repository->list(filter)).total == 0);
    filter.do_not_contact = false;
    CHECK(value_of(repository->list(filter)).total == 3);
    filter.search = "th9";
    filter.do_not_contact = true;
    CHECK(emails(value_of(repository->list(filter))) == std::vector<std::string>{"smith9@example.com"});
}

TEST_CASE("suppression: a lead that moves away from a suppressed email is contactable again",
          "[contract][suppression]") {
    auto repository = make_repository();
    const auto tenant = random_tenant();
    const Lead lead = add_lead(*repository, tenant, slug("acme"), {.email = "jane@example.com"});
    suppress(*repository, tenant, "jane@example.com");
    const Lead moved =
        value_of(repository->update(key_of(lead), [](Lead& l) -> domain::Result<std::vector<domain::Activity>> {
            l.email = email("jane.smith@example.com");
            ++l.version;
            return std::vector<domain::Activity>{};
        }));
    CHECK_FALSE(moved.do_not_contact);
    CHECK_FALSE(value_of(repository->find(key_of(lead))).do_not_contact);
    auto filter = filter_for(tenant, slug("acme"));
    filter.do_not_contact = false;
    CHECK(value_of(repository->list(filter)).total == 1);
}

TEST_CASE("suppression: erasing with suppress flags the same person's leads in other workspaces",
          "[contract][suppression]") {
    auto repository = make_repository();
    const auto tenant = random_tenant();
    const Lead erased = add_lead(*repository, tenant, slug("acme"), {.email = "jane@example.com"});
    const Lead twin = add_lead(*repository, tenant, slug("globex"), {.email = "jane@example.com"});
    require_ok(repository->remove(key_of(erased), draft(SuppressionReason::Erased)));
    CHECK(value_of(repository->find(key_of(twin))).do_not_contact);
    auto filter = filter_for(tenant, slug("globex"));
    filter.do_not_contact = true;
    CHECK(ids_of(value_of(repository->list(filter)).items) == std::vector<std::string>{twin.id.value()});
}

TEST_CASE("suppression: the do_not_contact totals follow status moves, email changes, erasures and un-listing",
          "[contract][suppression][list]") {
    auto repository = make_repository();
    const auto tenant = random_tenant();
    const auto acme = slug("acme");
    const Lead jane = add_lead(*repository, tenant, acme, {.email = "jane@example.com"});
    const Lead john = add_lead(*repository, tenant, acme, {.email = "john@example.com"});
    add_lead(*repository, tenant, acme, {.email = "ann@example.com"});
    add_lead(*repository, tenant, slug("globex"), {.email = "jane@example.com"});
    const Suppression jane_entry = suppress(*repository, tenant, "jane@example.com");
    suppress(*repository, tenant, "john@example.com");

    const auto totals = [&](std::optional<domain::LeadStatus> status) {
        auto filter = filter_for(tenant, acme);
        filter.status = status;
        filter.do_not_contact = true;
        const auto listed = value_of(repository->list(filter)).total;
        filter.do_not_contact = false;
        const auto contactable = value_of(repository->list(filter)).total;
        return std::pair{listed, contactable};
    };
    CHECK(totals(std::nullopt) == std::pair<std::int64_t, std::int64_t>{2, 1});
    CHECK(totals(domain::LeadStatus::New) == std::pair<std::int64_t, std::int64_t>{2, 1});

    // A flagged lead changes status: its flag moves with it.
    value_of(repository->update(key_of(jane), [](Lead& l) -> domain::Result<std::vector<domain::Activity>> {
        l.status = domain::LeadStatus::Replied;
        ++l.version;
        return std::vector<domain::Activity>{};
    }));
    CHECK(totals(domain::LeadStatus::New) == std::pair<std::int64_t, std::int64_t>{1, 1});
    CHECK(totals(domain::LeadStatus::Replied) == std::pair<std::int64_t, std::int64_t>{1, 0});
    // A flagged lead moves to an email nobody listed: contactable.
    value_of(repository->update(key_of(john), [](Lead& l) -> domain::Result<std::vector<domain::Activity>> {
        l.email = email("john.new@example.com");
        ++l.version;
        return std::vector<domain::Activity>{};
    }));
    CHECK(totals(std::nullopt) == std::pair<std::int64_t, std::int64_t>{1, 2});
    // Un-listing clears the flag of every lead with the email (both workspaces).
    require_ok(repository->remove_suppression(tenant, jane_entry.id));
    CHECK(totals(std::nullopt) == std::pair<std::int64_t, std::int64_t>{0, 3});
    // Erasing with suppress: gone from this workspace, flagged in the other.
    require_ok(repository->remove(key_of(jane), draft(SuppressionReason::Erased)));
    CHECK(totals(std::nullopt) == std::pair<std::int64_t, std::int64_t>{0, 2});
    auto globex = filter_for(tenant, slug("globex"));
    globex.do_not_contact = true;
    CHECK(value_of(repository->list(globex)).total == 1);
    // And erasing a flagged lead takes it out of the flagged total.
    const Lead other = value_of(repository->list(globex)).items.at(0);
    require_ok(repository->remove(key_of(other), std::nullopt));
    CHECK(value_of(repository->list(globex)).total == 0);
    globex.do_not_contact = false;
    CHECK(value_of(repository->list(globex)).total == 0);
}

TEST_CASE("suppression: creates racing suppressions of the same emails never leave a listed email contactable",
          "[contract][suppression][concurrency]") {
    auto repository = make_repository();
    const auto tenant = random_tenant();
    constexpr int kRounds = 40;
    for (int round = 0; round < kRounds; ++round) {
        const std::string address = "race" + std::to_string(round) + "@example.com";
        const Lead lead = new_lead(tenant, "acme", address);
        std::optional<domain::Result<void>> inserted;
        std::thread creator([&] { inserted = repository->insert(lead, created_entry(lead)); });
        bool listed_ok = false;  // Catch's assertions are not thread-safe: checked after the join
        const domain::Email listed_email = email(address);
        const domain::SuppressionDraft entry = draft();
        std::thread suppressor([&] { listed_ok = repository->add_suppression(tenant, listed_email, entry).ok(); });
        creator.join();
        suppressor.join();
        REQUIRE(inserted);
        REQUIRE(listed_ok);
        if (inserted->ok()) {
            // Stored before the entry: it must read as suppressed now.
            CHECK(value_of(repository->find(key_of(lead))).do_not_contact);
        } else {
            CHECK(inserted->error().kind == ErrorKind::Suppressed);
        }
    }
    auto filter = filter_for(tenant, slug("acme"));
    filter.do_not_contact = false;
    CHECK(value_of(repository->list(filter)).total == 0);
}

}  // namespace
}  // namespace leads::tests::contract
