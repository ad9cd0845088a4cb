#pragma once

#include <catch2/catch.hpp>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "domain/activity.hpp"
#include "domain/lead.hpp"
#include "ports/events.hpp"
#include "ports/idempotency.hpp"
#include "ports/lead_repository.hpp"
#include "tests/support/random.hpp"  // random_tenant()

// Builders and checks shared by the repository contract suite. Tenants come from
// tests::random_tenant() (tests/support), fresh for every test.
namespace leads::tests::contract {

domain::WorkspaceSlug slug(std::string_view text);
domain::Email email(std::string_view text);

// A fixed instant plus an offset, so that tests can order things explicitly.
domain::Timestamp at(std::int64_t millis_after_base);

// Random ids (80 random bits) carrying the given time, so that ids made for later
// instants sort after earlier ones.
domain::LeadId lead_id(domain::Timestamp time = at(0));
domain::ActivityId activity_id(domain::Timestamp time = at(0));

// A valid new lead with nothing optional set.
domain::Lead new_lead(const domain::TenantId& tenant, std::string_view workspace, std::string_view address,
                      domain::Timestamp created_at = at(0));

// The current instant, to the millisecond (what the service stores).
domain::Timestamp now();

// A feed query far from retention: the tenant's events after `after` (none: from the
// first), at most limit.
ports::EventQuery feed_of(const domain::TenantId& tenant, std::optional<std::int64_t> after = std::nullopt,
                          std::int64_t limit = 1000);

// A claim of an Idempotency-Key made at `when`, kept a day, abandoned after a minute.
ports::IdempotencyRequest claim_request(const domain::TenantId& tenant, const std::string& key,
                                        const std::string& token, domain::Timestamp when = now(),
                                        const std::string& fingerprint = "fp");

// A lead as a client would describe it: validated and normalised by the domain's rules.
struct LeadSpec {
    std::string email{};
    std::optional<std::string> first_name{};
    std::optional<std::string> last_name{};
    std::optional<std::string> company{};
    std::optional<std::string> status{};
    domain::Attributes attributes{};
};

// A new lead made from spec by the domain (created now), not yet stored.
domain::Lead make_lead(const domain::TenantId& tenant, const domain::WorkspaceSlug& workspace, const LeadSpec& spec);

// Makes and inserts one, failing the test (REQUIRE) when the repository refuses.
domain::Lead add_lead(ports::LeadRepository& repository, const domain::TenantId& tenant,
                      const domain::WorkspaceSlug& workspace, const LeadSpec& spec);

// Emails of a page, in page order, and as a set.
std::vector<std::string> emails(const ports::LeadPage& page);
std::set<std::string> email_set(const ports::LeadPage& page);

// Every lead of the workspace, up to 200.
ports::LeadFilter filter_for(const domain::TenantId& tenant, const domain::WorkspaceSlug& workspace);

// The workspace's leads matching term, folded as the application folds it.
ports::LeadPage search(ports::LeadRepository& repository, const domain::TenantId& tenant,
                       const domain::WorkspaceSlug& workspace, std::string_view term);

// Its lead_created entry.
domain::Activity created_entry(const domain::Lead& lead);

domain::Activity entry(const domain::Lead& lead, domain::ActivityType type, domain::Timestamp time,
                       domain::Attributes data = {}, std::optional<std::string> campaign_id = std::nullopt);

ports::LeadKey key_of(const domain::Lead& lead);
ports::LeadKey key_in(const domain::Lead& lead, std::string_view workspace);
ports::LeadKey key_for(const domain::TenantId& tenant, const domain::Lead& lead);

// Human-readable forms for failure messages (Catch cannot print variants).
std::string describe(const domain::Attributes& attributes);
std::string describe(const domain::Error& error);

// Field-by-field equality, reported with Catch CHECKs.
void check_same_lead(const domain::Lead& actual, const domain::Lead& expected);
void check_same_activity(const domain::Activity& actual, const domain::Activity& expected);

std::vector<std::string> ids_of(const std::vector<domain::Lead>& leads);
std::vector<std::string> ids_of(const std::vector<domain::Activity>& activities);

template <class T>
T value_of(domain::Result<T> result) {
    if (!result.ok()) FAIL("unexpected error: " << describe(result.error()));
    return std::move(result).value();
}

inline void require_ok(const domain::Result<void>& result) {
    if (!result.ok()) FAIL("unexpected error: " << describe(result.error()));
}

template <class T>
domain::Error error_of(const domain::Result<T>& result) {
    if (result.ok()) FAIL("expected an error, got success");
    return result.error();
}

// A mutation that changes nothing and appends nothing.
domain::Result<std::vector<domain::Activity>> no_change(domain::Lead& lead);

}  // namespace leads::tests::contract
