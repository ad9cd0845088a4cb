// Use-case tests of SuppressionService and of what the suppression list does to LeadService:
// validation, normalisation, erase-and-suppress, the do_not_contact filter, upsert.
#include <catch2/catch.hpp>

#include "tests/unit/application/service_fixture.hpp"

namespace leads::service_tests {

namespace {

ports::AddSuppressionCommand add_of(const TenantId& tenant, std::string email,
                                    std::optional<std::string> reason = std::nullopt) {
    return ports::AddSuppressionCommand{tenant, std::move(email), std::move(reason)};
}

// A create body: the email and the optional fields set by fill.
template <class Fill = void (*)(domain::LeadInput&)>
domain::LeadInput body(
    std::string email, Fill fill = [](domain::LeadInput&) {}) {
    domain::LeadInput input;
    input.email = std::move(email);
    fill(input);
    return input;
}

ports::CreateLeadCommand upsert_of(const TenantId& tenant, std::string email, domain::LeadInput input = {}) {
    input.email = std::move(email);
    return ports::CreateLeadCommand{tenant, "acme", std::move(input)};
}

}  // namespace

TEST_CASE("suppression: the email is validated and normalised; the reason defaults to manual", "[suppression]") {
    Fixture f;
    require_validation(error_of(f.suppressions.add(add_of(f.tenant, "not an email"))), {"email"});
    require_validation(error_of(f.suppressions.add(add_of(f.tenant, "a@example.com", "spam"))), {"reason"});
    require_validation(error_of(f.suppressions.find(f.tenant, "nope")), {"email"});

    const auto added = f.suppressions.add(add_of(f.tenant, "  Jane@Example.COM "));
    REQUIRE(added.ok());
    CHECK(added->created);
    CHECK(added->entry.reason == domain::SuppressionReason::Manual);
    CHECK(added->entry.created_at == f.clock.now());
    // The same person however the client writes the address.
    const auto found = f.suppressions.find(f.tenant, "JANE@example.com");
    REQUIRE(found.ok());
    CHECK(found->id == added->entry.id);
    const auto again = f.suppressions.add(add_of(f.tenant, "jane@example.com", "bounced"));
    REQUIRE(again.ok());
    CHECK_FALSE(again->created);
    CHECK(again->entry.reason == domain::SuppressionReason::Manual);
}

TEST_CASE("suppression: a malformed or foreign id is not found; remove then get is not found", "[suppression]") {
    Fixture f;
    CHECK(error_of(f.suppressions.get({f.tenant, "garbage"})).kind == ErrorKind::NotFound);
    CHECK(error_of(f.suppressions.remove({f.tenant, "lead_01JD7X5R8Q3V9KZ2M4N6P8T0WB"})).kind == ErrorKind::NotFound);
    const auto added = f.suppressions.add(add_of(f.tenant, "jane@example.com", "complained"));
    REQUIRE(added.ok());
    const std::string id = added->entry.id.value();
    CHECK(error_of(f.suppressions.get({f.other_tenant, id})).kind == ErrorKind::NotFound);
    CHECK(error_of(f.suppressions.remove({f.other_tenant, id})).kind == ErrorKind::NotFound);
    REQUIRE(f.suppressions.get({f.tenant, id}).ok());
    REQUIRE(f.suppressions.remove({f.tenant, id}).ok());
    CHECK(error_of(f.suppressions.get({f.tenant, id})).kind == ErrorKind::NotFound);
}

TEST_CASE("suppression: pages say where the next one starts, only while more follow", "[suppression]") {
    Fixture f;
    require_validation(error_of(f.suppressions.list({f.tenant, 0, std::nullopt})), {"limit"});
    require_validation(error_of(f.suppressions.list({f.tenant, 201, std::nullopt})), {"limit"});
    for (int i = 0; i < 3; ++i) {
        f.clock.advance(1s);
        REQUIRE(f.suppressions.add(add_of(f.tenant, "p" + std::to_string(i) + "@example.com")).ok());
    }
    const auto first = f.suppressions.list({f.tenant, 2, std::nullopt});
    REQUIRE(first.ok());
    CHECK(first->total == 3);
    CHECK(first->limit == 2);
    CHECK(first->has_more);
    REQUIRE(first->next);
    CHECK(first->next->id == first->items.back().id);
    const auto second = f.suppressions.list({f.tenant, 2, first->next});
    REQUIRE(second.ok());
    REQUIRE(second->items.size() == 1);
    CHECK_FALSE(second->has_more);
    CHECK_FALSE(second->next);
    const auto default_page = f.suppressions.list({f.tenant, std::nullopt, std::nullopt});
    REQUIRE(default_page.ok());
    CHECK(default_page->limit == 50);
}

TEST_CASE("suppression: remove with suppress=true erases and lists the email as erased, now", "[suppression]") {
    Fixture f;
    const auto created = f.create("jane@example.com");
    require_validation(error_of(f.service.remove({f.ref(created.lead), "yes"})), {"suppress"});
    REQUIRE(f.service.get(f.ref(created.lead)).ok());  // a refused request changed nothing

    f.clock.advance(3s);
    REQUIRE(f.service.remove({f.ref(created.lead), "true"}).ok());
    CHECK(error_of(f.service.get(f.ref(created.lead))).kind == ErrorKind::NotFound);
    const auto entry = f.suppressions.find(f.tenant, "jane@example.com");
    REQUIRE(entry.ok());
    CHECK(entry->reason == domain::SuppressionReason::Erased);
    CHECK(entry->created_at == f.clock.now());
    CHECK(error_of(f.service.create({f.tenant, "globex", body("jane@example.com")})).kind == ErrorKind::Suppressed);

    // suppress=false (and no suppress) erases only.
    const auto other = f.create("john@example.com");
    REQUIRE(f.service.remove({f.ref(other.lead), "false"}).ok());
    CHECK(error_of(f.suppressions.find(f.tenant, "john@example.com")).kind == ErrorKind::NotFound);
}

TEST_CASE("suppression: the list filter takes true or false and says do_not_contact on each lead", "[suppression]") {
    Fixture f;
    f.create("jane@example.com");
    f.create("john@example.com");
    REQUIRE(f.suppressions.add(add_of(f.tenant, "jane@example.com")).ok());
    ports::ListLeadsQuery query{f.tenant, "acme", {}, {}, {}, {}, "maybe"};
    require_validation(error_of(f.service.list(query)), {"do_not_contact"});
    query.do_not_contact = "true";
    auto listed = f.service.list(query);
    REQUIRE(listed.ok());
    CHECK(listed->page.total == 1);
    REQUIRE(listed->items.size() == 1);
    CHECK(listed->items[0].email.value() == "jane@example.com");
    CHECK(listed->items[0].do_not_contact);
    query.do_not_contact = "false";
    listed = f.service.list(query);
    REQUIRE(listed.ok());
    REQUIRE(listed->items.size() == 1);
    CHECK_FALSE(listed->items[0].do_not_contact);
}

TEST_CASE("upsert creates a new email, and applies the body to the lead holding it", "[upsert]") {
    Fixture f;
    require_validation(error_of(f.service.upsert(upsert_of(f.tenant, "bad"))), {"email"});
    require_validation(error_of(f.service.upsert({f.tenant, "Acme", body("a@example.com")})), {"workspace_slug"});

    auto created =
        f.service.upsert(upsert_of(f.tenant, "Jane@Example.com", body("", [](auto& b) { b.first_name = "Jane"; })));
    REQUIRE(created.ok());
    CHECK(created->created);
    CHECK(created->details.lead.email.value() == "jane@example.com");
    CHECK(created->details.activity_total == 1);

    f.clock.advance(2s);
    auto updated = f.service.upsert(upsert_of(f.tenant, "jane@example.com", body("", [](auto& b) {
                                                  b.company = "Tech Corp";
                                                  b.status = "replied";
                                              })));
    REQUIRE(updated.ok());
    CHECK_FALSE(updated->created);
    const Lead& lead = updated->details.lead;
    CHECK(lead.id == created->details.lead.id);
    CHECK(lead.first_name == "Jane");  // absent fields stay
    CHECK(lead.company == "Tech Corp");
    CHECK(lead.status == LeadStatus::Replied);
    CHECK(lead.version == created->details.lead.version + 1);
    CHECK(lead.updated_at == f.clock.now());
    REQUIRE(updated->details.activity_total == 2);
    CHECK(updated->details.activity[0].type == ActivityType::StatusChanged);

    // A body that changes nothing changes nothing.
    f.clock.advance(2s);
    auto same =
        f.service.upsert(upsert_of(f.tenant, "jane@example.com", body("", [](auto& b) { b.company = "Tech Corp"; })));
    REQUIRE(same.ok());
    CHECK_FALSE(same->created);
    CHECK(same->details.lead.version == lead.version);
    CHECK(same->details.lead.updated_at == lead.updated_at);
    CHECK(same->details.activity_total == 2);
}

TEST_CASE("upsert of a suppressed email is refused, whether or not a lead holds it", "[upsert][suppression]") {
    Fixture f;
    const auto held = f.create("jane@example.com");
    REQUIRE(f.suppressions.add(add_of(f.tenant, "jane@example.com")).ok());
    REQUIRE(f.suppressions.add(add_of(f.tenant, "new@example.com")).ok());
    CHECK(
        error_of(f.service.upsert(upsert_of(f.tenant, "jane@example.com", body("", [](auto& b) { b.company = "X"; }))))
            .kind == ErrorKind::Suppressed);
    CHECK(error_of(f.service.upsert(upsert_of(f.tenant, "new@example.com"))).kind == ErrorKind::Suppressed);
    CHECK(f.stored(held.lead).company == std::nullopt);
    // Another tenant is unaffected.
    CHECK(f.service.upsert(upsert_of(f.other_tenant, "jane@example.com")).ok());
}

}  // namespace leads::service_tests
