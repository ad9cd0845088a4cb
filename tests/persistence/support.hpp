#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "domain/activity.hpp"
#include "domain/ids.hpp"
#include "domain/lead.hpp"
#include "domain/result.hpp"
#include "ports/lead_repository.hpp"

// Builders shared by the persistence tests. Every test works in a fresh random tenant, so
// tests never see each other's rows and need no clean-up.
namespace leads::tests::persistence {

domain::TenantId random_tenant();
// A forked child starts with its parent's generator: it must reseed before making ids.
void reseed_random();
domain::WorkspaceSlug slug(const std::string& text);
domain::Timestamp now();
domain::LeadId new_lead_id();
domain::ActivityId new_activity_id();

struct LeadSpec {
    std::string email{};
    std::optional<std::string> first_name{};
    std::optional<std::string> last_name{};
    std::optional<std::string> company{};
    std::optional<std::string> status{};
    domain::Attributes attributes{};
};

domain::Lead make_lead(const domain::TenantId& tenant, const domain::WorkspaceSlug& workspace, const LeadSpec& spec);
domain::Activity created_entry(const domain::Lead& lead);

// Inserts, failing the test (REQUIRE) when the repository refuses.
domain::Lead add_lead(ports::LeadRepository& repository, const domain::TenantId& tenant,
                      const domain::WorkspaceSlug& workspace, const LeadSpec& spec);

ports::LeadKey key_of(const domain::Lead& lead);

// Emails of a page, in page order.
std::vector<std::string> emails(const ports::LeadPage& page);

// What a backend under test supplies (one executable per backend).
class TestBackend {
  public:
    virtual ~TestBackend() = default;
    // A repository over the database every test shares.
    virtual std::shared_ptr<ports::LeadRepository> repository() = 0;
    // A new, empty database; returns what open() and migrate() take.
    virtual std::string fresh_database() = 0;
    virtual domain::Result<std::shared_ptr<ports::LeadRepository>> open(
        const std::string& database, std::size_t pool_size,
        // Generous: the load tests assert "no errors", and a busy CI machine running
        // sanitizer builds in parallel must not turn a slow lease into one.
        std::chrono::milliseconds acquire_timeout = std::chrono::milliseconds(10000)) = 0;
    virtual domain::Result<std::vector<long long>> migrate(const std::string& database) = 0;
    // Rows of schema_migrations, read directly.
    virtual std::vector<long long> recorded_migrations(const std::string& database) = 0;
};

// Defined by each executable. Exits with 77 (skipped) when its database is not configured.
TestBackend& backend();

}  // namespace leads::tests::persistence
