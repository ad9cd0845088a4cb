// Repository contract: insert, find, update, remove; tenant and workspace scoping.
#include <catch2/catch.hpp>
#include <limits>

#include "tests/contract/repository_factory.hpp"
#include "tests/contract/support.hpp"

namespace leads::tests::contract {
namespace {

using domain::Activity;
using domain::ActivityType;
using domain::Attributes;
using domain::Error;
using domain::ErrorKind;
using domain::Lead;
using domain::LeadStatus;
using domain::Result;

Result<std::vector<Activity>> bump(Lead& lead, std::string first_name) {
    lead.first_name = std::move(first_name);
    lead.version += 1;
    lead.updated_at += std::chrono::milliseconds{1};
    return std::vector<Activity>{};
}

std::vector<Activity> all_activities(ports::LeadRepository& repository, const Lead& lead) {
    return value_of(repository.activities(key_of(lead), 1000, 0)).items;
}

TEST_CASE("insert then find round-trips every field, Unicode and attribute kinds", "[contract][insert]") {
    auto repository = make_repository();
    const auto tenant = random_tenant();
    Lead lead = new_lead(tenant, "acme", "jose.nunez@example.com", at(123));
    lead.first_name = "Jos\xc3\xa9 \xf0\x9f\x98\x80";  // José 😀
    lead.last_name =
        "N\xc3\xba\xc3\xb1"
        "ez-\xe6\x9d\x8e \xd7\xa9\xd7\x9c";                        // Núñez-李 של
    lead.company = "O'Brien \"&\" Sons \\ 100% _real_ e\xcc\x81";  // quotes, backslash, %, _, combining accent
    lead.status = LeadStatus::Contacted;
    lead.version = 7;
    lead.updated_at = at(98'765);
    lead.attributes = Attributes{
        {"title", std::string("CEO")},
        {"empty", std::string()},
        {"unicode", std::string("\xce\xa9 \xe2\x82\xac \xf0\x9f\x9a\x80 \"quoted\" back\\slash\ttab")},
        {"numeric_text", std::string("12")},
        {"true_text", std::string("true")},
        {"count", std::int64_t{12}},
        {"zero", std::int64_t{0}},
        {"negative", std::int64_t{-7}},
        {"big", std::int64_t{9'007'199'254'740'993}},  // 2^53 + 1: not representable as a double
        {"max", std::numeric_limits<std::int64_t>::max()},
        {"min", std::numeric_limits<std::int64_t>::min()},
        {"whole_double", 12.0},  // stays a double, not the integer 12
        {"tenth", 0.1},
        {"tiny", -2.5e-10},
        {"huge", 1e300},
        {"yes", true},
        {"no", false},
        {"_Under_score9", std::int64_t{1}},
    };
    Activity created = created_entry(lead);
    require_ok(repository->insert(lead, created));

    check_same_lead(value_of(repository->find(key_of(lead))), lead);
    check_same_lead(value_of(repository->find(key_in(lead, "acme"))), lead);

    const auto page = value_of(repository->activities(key_of(lead), 50, 0));
    CHECK(page.total == 1);
    REQUIRE(page.items.size() == 1);
    check_same_activity(page.items[0], created);

    const auto listed = value_of(repository->list({tenant, slug("acme"), {}, {}, 50, 0}));
    REQUIRE(listed.items.size() == 1);
    check_same_lead(listed.items[0], lead);
}

TEST_CASE("a lead without optional fields round-trips as absent", "[contract][insert]") {
    auto repository = make_repository();
    const Lead lead = new_lead(random_tenant(), "acme", "bare@example.com");
    require_ok(repository->insert(lead, created_entry(lead)));
    const Lead found = value_of(repository->find(key_of(lead)));
    check_same_lead(found, lead);
    CHECK(found.attributes.empty());
}

TEST_CASE("activity entries round-trip campaign, data kinds and milliseconds", "[contract][insert]") {
    auto repository = make_repository();
    const Lead lead = new_lead(random_tenant(), "acme", "entries@example.com");
    require_ok(repository->insert(lead, created_entry(lead)));
    const Activity sent = entry(
        lead, ActivityType::EmailSent, at(1'001),
        Attributes{{"subject", std::string("H\xc3\xa9llo")}, {"opens", std::int64_t{3}}, {"score", 3.0}, {"ok", true}},
        "cmp_\xe2\x82\xac 123");
    const Activity note = entry(lead, ActivityType::Note, at(2'002));
    REQUIRE(value_of(repository->update(key_of(lead), [&](Lead&) -> Result<std::vector<Activity>> {
                return std::vector<Activity>{sent, note};
            })).version == lead.version);

    const auto page = value_of(repository->activities(key_of(lead), 50, 0));
    REQUIRE(page.items.size() == 3);
    check_same_activity(page.items[0], note);
    check_same_activity(page.items[1], sent);
    CHECK(page.items[2].type == ActivityType::LeadCreated);
}

TEST_CASE("another tenant cannot see or touch a lead", "[contract][tenancy]") {
    auto repository = make_repository();
    const auto owner = random_tenant();
    const auto stranger = random_tenant();
    const Lead lead = new_lead(owner, "acme", "private@example.com");
    require_ok(repository->insert(lead, created_entry(lead)));

    const ports::LeadKey foreign = key_for(stranger, lead);
    const ports::LeadKey foreign_in_workspace{stranger, lead.id, slug("acme")};
    CHECK(error_of(repository->find(foreign)).kind == ErrorKind::NotFound);
    CHECK(error_of(repository->find(foreign_in_workspace)).kind == ErrorKind::NotFound);
    bool ran = false;
    CHECK(error_of(repository->update(foreign, [&](Lead& l) {
              ran = true;
              return bump(l, "Mallory");
          })).kind == ErrorKind::NotFound);
    CHECK_FALSE(ran);
    CHECK(error_of(repository->activities(foreign, 50, 0)).kind == ErrorKind::NotFound);
    CHECK(error_of(repository->remove(foreign, std::nullopt)).kind == ErrorKind::NotFound);
    CHECK(value_of(repository->list({stranger, slug("acme"), {}, {}, 50, 0})).total == 0);

    check_same_lead(value_of(repository->find(key_of(lead))), lead);
    CHECK(all_activities(*repository, lead).size() == 1);
}

TEST_CASE("tenants are independent with the same workspace slug and email", "[contract][tenancy]") {
    auto repository = make_repository();
    const auto tenant_a = random_tenant();
    const auto tenant_b = random_tenant();
    Lead a = new_lead(tenant_a, "acme", "same@example.com");
    a.first_name = "A";
    Lead b = new_lead(tenant_b, "acme", "same@example.com");
    b.first_name = "B";
    require_ok(repository->insert(a, created_entry(a)));
    require_ok(repository->insert(b, created_entry(b)));

    const auto listed_a = value_of(repository->list({tenant_a, slug("acme"), {}, {}, 50, 0}));
    REQUIRE(listed_a.items.size() == 1);
    CHECK(listed_a.items[0].first_name == "A");
    const auto listed_b = value_of(repository->list({tenant_b, slug("acme"), {}, {}, 50, 0}));
    REQUIRE(listed_b.items.size() == 1);
    CHECK(listed_b.items[0].first_name == "B");

    // B's lead is unreachable through A's id space, and A's changes leave B alone.
    CHECK(error_of(repository->find(key_for(tenant_a, b))).kind == ErrorKind::NotFound);
    CHECK(value_of(repository->update(key_of(a), [](Lead& lead) { return bump(lead, "A2"); })).first_name == "A2");
    require_ok(repository->remove(key_of(a), std::nullopt));
    check_same_lead(value_of(repository->find(key_of(b))), b);

    // The email is now free for A again but still taken for B.
    const Lead again = new_lead(tenant_a, "acme", "same@example.com");
    require_ok(repository->insert(again, created_entry(again)));
    const Lead clash = new_lead(tenant_b, "acme", "same@example.com");
    const Error error = error_of(repository->insert(clash, created_entry(clash)));
    CHECK(error.kind == ErrorKind::Conflict);
    CHECK(error.existing_id == b.id.value());
}

TEST_CASE("a key with a workspace narrows the lookup to that workspace", "[contract][tenancy]") {
    auto repository = make_repository();
    const Lead lead = new_lead(random_tenant(), "acme", "ws@example.com");
    require_ok(repository->insert(lead, created_entry(lead)));

    CHECK(value_of(repository->find(key_in(lead, "acme"))).id == lead.id);
    const ports::LeadKey elsewhere = key_in(lead, "globex");
    CHECK(error_of(repository->find(elsewhere)).kind == ErrorKind::NotFound);
    CHECK(error_of(repository->update(elsewhere, [](Lead& l) { return bump(l, "X"); })).kind == ErrorKind::NotFound);
    CHECK(error_of(repository->activities(elsewhere, 50, 0)).kind == ErrorKind::NotFound);
    CHECK(error_of(repository->remove(elsewhere, std::nullopt)).kind == ErrorKind::NotFound);
    check_same_lead(value_of(repository->find(key_of(lead))), lead);

    CHECK(value_of(repository->update(key_in(lead, "acme"), [](Lead& l) { return bump(l, "Y"); })).first_name == "Y");
    require_ok(repository->remove(key_in(lead, "acme"), std::nullopt));
}

TEST_CASE("a missing lead is not found", "[contract]") {
    auto repository = make_repository();
    const Lead ghost = new_lead(random_tenant(), "acme", "ghost@example.com");
    CHECK(error_of(repository->find(key_of(ghost))).kind == ErrorKind::NotFound);
    CHECK(error_of(repository->update(key_of(ghost), no_change)).kind == ErrorKind::NotFound);
    CHECK(error_of(repository->activities(key_of(ghost), 50, 0)).kind == ErrorKind::NotFound);
    CHECK(error_of(repository->remove(key_of(ghost), std::nullopt)).kind == ErrorKind::NotFound);
}

TEST_CASE("a duplicate email in the workspace is a conflict naming the holder", "[contract][insert]") {
    auto repository = make_repository();
    const auto tenant = random_tenant();
    const Lead first = new_lead(tenant, "acme", "taken@example.com");
    require_ok(repository->insert(first, created_entry(first)));

    Lead second = new_lead(tenant, "acme", "taken@example.com", at(5));
    second.first_name = "Second";
    const Error error = error_of(repository->insert(second, created_entry(second)));
    CHECK(error.kind == ErrorKind::Conflict);
    CHECK(error.existing_id == first.id.value());

    // Nothing of the refused lead was stored.
    CHECK(error_of(repository->find(key_of(second))).kind == ErrorKind::NotFound);
    CHECK(value_of(repository->list({tenant, slug("acme"), {}, {}, 50, 0})).total == 1);
    CHECK(all_activities(*repository, first).size() == 1);
}

TEST_CASE("the same email is fine in another workspace or tenant", "[contract][insert]") {
    auto repository = make_repository();
    const auto tenant = random_tenant();
    const Lead acme = new_lead(tenant, "acme", "shared@example.com");
    const Lead globex = new_lead(tenant, "globex", "shared@example.com");
    const Lead other = new_lead(random_tenant(), "acme", "shared@example.com");
    require_ok(repository->insert(acme, created_entry(acme)));
    require_ok(repository->insert(globex, created_entry(globex)));
    require_ok(repository->insert(other, created_entry(other)));
    CHECK(value_of(repository->find(key_in(globex, "globex"))).workspace.value() == "globex");
    CHECK(value_of(repository->list({tenant, slug("acme"), {}, {}, 50, 0})).total == 1);
    CHECK(value_of(repository->list({tenant, slug("globex"), {}, {}, 50, 0})).total == 1);
}

TEST_CASE("update stores the mutated lead and the returned entries together", "[contract][update]") {
    auto repository = make_repository();
    const Lead lead = new_lead(random_tenant(), "acme", "before@example.com");
    require_ok(repository->insert(lead, created_entry(lead)));

    Lead expected = lead;
    expected.email = email("after@example.com");
    expected.first_name = "Zo\xc3\xab";
    expected.last_name = "Smith";
    expected.company = "Initech";
    expected.status = LeadStatus::Replied;
    expected.attributes = Attributes{{"score", 9.5}, {"seats", std::int64_t{40}}, {"vip", true}};
    expected.updated_at = at(60'000);
    expected.version = lead.version + 1;
    const Activity moved = entry(lead, ActivityType::StatusChanged, at(60'000),
                                 Attributes{{"from", std::string("new")}, {"to", std::string("replied")}});

    Lead seen_by_mutation = lead;
    const Lead stored = value_of(repository->update(key_of(lead), [&](Lead& current) -> Result<std::vector<Activity>> {
        seen_by_mutation = current;
        current = expected;
        return std::vector<Activity>{moved};
    }));
    check_same_lead(seen_by_mutation, lead);
    check_same_lead(stored, expected);
    check_same_lead(value_of(repository->find(key_of(lead))), expected);
    const auto entries = all_activities(*repository, lead);
    REQUIRE(entries.size() == 2);
    check_same_activity(entries[0], moved);

    // The old email is free again, the new one is taken.
    const Lead reuse = new_lead(lead.tenant, "acme", "before@example.com");
    require_ok(repository->insert(reuse, created_entry(reuse)));
    const Lead clash = new_lead(lead.tenant, "acme", "after@example.com");
    CHECK(error_of(repository->insert(clash, created_entry(clash))).existing_id == lead.id.value());

    // Clearing optional fields round-trips as absent.
    expected.first_name.reset();
    expected.last_name.reset();
    expected.company.reset();
    expected.attributes.clear();
    expected.version += 1;
    check_same_lead(value_of(repository->update(key_of(lead),
                                                [&](Lead& current) -> Result<std::vector<Activity>> {
                                                    current = expected;
                                                    return std::vector<Activity>{};
                                                })),
                    expected);
    check_same_lead(value_of(repository->find(key_of(lead))), expected);
}

TEST_CASE("a mutation's error is returned as is and changes nothing", "[contract][update]") {
    auto repository = make_repository();
    const Lead lead = new_lead(random_tenant(), "acme", "steady@example.com");
    require_ok(repository->insert(lead, created_entry(lead)));

    const Error error = error_of(repository->update(key_of(lead), [&](Lead& current) -> Result<std::vector<Activity>> {
        current.first_name = "Changed";
        current.email = email("moved@example.com");
        current.version += 1;
        return Error::validation("attributes.extra", "too many attributes");
    }));
    CHECK(error.kind == ErrorKind::Validation);
    REQUIRE(error.details.size() == 1);
    CHECK(error.details[0].field == "attributes.extra");
    CHECK(error.details[0].issue == "too many attributes");

    CHECK(error_of(repository->update(key_of(lead), [&](Lead& current) -> Result<std::vector<Activity>> {
              current.version += 1;
              return Error::precondition_failed();
          })).kind == ErrorKind::PreconditionFailed);

    check_same_lead(value_of(repository->find(key_of(lead))), lead);
    CHECK(all_activities(*repository, lead).size() == 1);
    // The email it tried to take is still free.
    const Lead other = new_lead(lead.tenant, "acme", "moved@example.com");
    require_ok(repository->insert(other, created_entry(other)));
}

TEST_CASE("update to an email taken in the workspace is a conflict and changes nothing", "[contract][update]") {
    auto repository = make_repository();
    const auto tenant = random_tenant();
    const Lead holder = new_lead(tenant, "acme", "holder@example.com");
    const Lead mover = new_lead(tenant, "acme", "mover@example.com", at(1));
    require_ok(repository->insert(holder, created_entry(holder)));
    require_ok(repository->insert(mover, created_entry(mover)));

    const Error error = error_of(repository->update(key_of(mover), [&](Lead& current) -> Result<std::vector<Activity>> {
        current.email = email("holder@example.com");
        current.first_name = "Mover";
        current.version += 1;
        return std::vector<Activity>{entry(current, ActivityType::Note, at(2))};
    }));
    CHECK(error.kind == ErrorKind::Conflict);
    CHECK(error.existing_id == holder.id.value());
    check_same_lead(value_of(repository->find(key_of(mover))), mover);
    check_same_lead(value_of(repository->find(key_of(holder))), holder);
    CHECK(all_activities(*repository, mover).size() == 1);

    // An email held in another workspace or tenant is free to take.
    const Lead elsewhere = new_lead(tenant, "globex", "elsewhere@example.com");
    const Lead foreign = new_lead(random_tenant(), "acme", "foreign@example.com");
    require_ok(repository->insert(elsewhere, created_entry(elsewhere)));
    require_ok(repository->insert(foreign, created_entry(foreign)));
    for (const char* address : {"elsewhere@example.com", "foreign@example.com"}) {
        INFO(address);
        CHECK(value_of(repository->update(key_of(mover), [&](Lead& current) -> Result<std::vector<Activity>> {
                  current.email = email(address);
                  current.version += 1;
                  return std::vector<Activity>{};
              })).email.value() == address);
    }
}

TEST_CASE("a lead whose version did not change is not rewritten, its entries are stored", "[contract][update]") {
    auto repository = make_repository();
    Lead lead = new_lead(random_tenant(), "acme", "same-version@example.com");
    lead.first_name = "Kept";
    require_ok(repository->insert(lead, created_entry(lead)));

    const Activity note = entry(lead, ActivityType::Note, at(10), Attributes{{"text", std::string("hi")}});
    const Lead stored = value_of(repository->update(key_of(lead), [&](Lead& current) -> Result<std::vector<Activity>> {
        current.first_name = "Not stored";  // without a version bump this must not be written
        current.updated_at = at(999);
        return std::vector<Activity>{note};
    }));
    check_same_lead(stored, lead);
    check_same_lead(value_of(repository->find(key_of(lead))), lead);
    const auto entries = all_activities(*repository, lead);
    REQUIRE(entries.size() == 2);
    check_same_activity(entries[0], note);

    // A no-op mutation is a successful update returning the lead as stored.
    check_same_lead(value_of(repository->update(key_of(lead), no_change)), lead);
}

TEST_CASE("remove erases the lead and its activity and frees the email", "[contract][remove]") {
    auto repository = make_repository();
    const auto tenant = random_tenant();
    const Lead lead = new_lead(tenant, "acme", "erase-me@example.com");
    const Lead neighbour = new_lead(tenant, "acme", "neighbour@example.com", at(1));
    require_ok(repository->insert(lead, created_entry(lead)));
    require_ok(repository->insert(neighbour, created_entry(neighbour)));
    REQUIRE(repository
                ->update(key_of(lead),
                         [&](Lead&) -> Result<std::vector<Activity>> {
                             return std::vector<Activity>{entry(lead, ActivityType::Note, at(5))};
                         })
                .ok());

    require_ok(repository->remove(key_of(lead), std::nullopt));
    CHECK(error_of(repository->find(key_of(lead))).kind == ErrorKind::NotFound);
    CHECK(error_of(repository->activities(key_of(lead), 50, 0)).kind == ErrorKind::NotFound);
    CHECK(error_of(repository->remove(key_of(lead), std::nullopt)).kind == ErrorKind::NotFound);
    const auto listed = value_of(repository->list({tenant, slug("acme"), {}, {}, 50, 0}));
    CHECK(listed.total == 1);
    CHECK(ids_of(listed.items) == std::vector<std::string>{neighbour.id.value()});
    CHECK(all_activities(*repository, neighbour).size() == 1);

    const Lead again = new_lead(tenant, "acme", "erase-me@example.com", at(2));
    require_ok(repository->insert(again, created_entry(again)));
    const auto entries = all_activities(*repository, again);
    REQUIRE(entries.size() == 1);
    CHECK(entries[0].lead_id == again.id);
}

TEST_CASE("ping answers", "[contract]") {
    auto repository = make_repository();
    require_ok(repository->ping());
}

}  // namespace
}  // namespace leads::tests::contract
