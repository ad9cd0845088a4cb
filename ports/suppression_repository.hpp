#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "domain/email.hpp"
#include "domain/ids.hpp"
#include "domain/result.hpp"
#include "domain/suppression.hpp"

namespace leads::ports {

template <class Outcome>
struct Completion;

// Where a newest-first walk of the list stopped: the last entry returned.
struct SuppressionPosition {
    domain::Timestamp created_at;
    domain::SuppressionId id;
};

struct SuppressionPage {
    std::vector<domain::Suppression> items;  // newest first: created_at desc, then id desc
    std::int64_t total = 0;                  // entries of the tenant in all
    bool more = false;                       // entries follow the last item
};

struct SuppressionAdded {
    domain::Suppression entry;  // the entry on the list
    bool created = false;       // false: the email was already listed (entry is the old one)
};

// The tenant's suppression list (CONTRACT §9). Stored by the same backend as the leads, so
// that a lead's erasure and its suppression share a transaction and every lead read sees
// the list as of that read. The backend hashes the email (Suppression::email_hash); the
// email itself is never stored. NotFound, Unavailable and Internal as LeadRepository.
class SuppressionRepository {
  public:
    virtual ~SuppressionRepository() = default;

    // Adds the email unless the tenant already lists it.
    virtual domain::Result<SuppressionAdded> add_suppression(
        const domain::TenantId& tenant, const domain::Email& email, const domain::SuppressionDraft& draft,
        const Completion<SuppressionAdded>* completion = nullptr) = 0;
    virtual domain::Result<domain::Suppression> find_suppression(const domain::TenantId& tenant,
                                                                 const domain::Email& email) = 0;
    virtual domain::Result<domain::Suppression> find_suppression(const domain::TenantId& tenant,
                                                                 const domain::SuppressionId& id) = 0;
    // Entries after the position (from the newest without one), at most limit of them.
    virtual domain::Result<SuppressionPage> list_suppressions(const domain::TenantId& tenant, std::int64_t limit,
                                                              const std::optional<SuppressionPosition>& after) = 0;
    virtual domain::Result<void> remove_suppression(const domain::TenantId& tenant,
                                                    const domain::SuppressionId& id) = 0;
};

}  // namespace leads::ports
