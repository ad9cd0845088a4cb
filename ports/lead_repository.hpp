#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "domain/activity.hpp"
#include "domain/ids.hpp"
#include "domain/lead.hpp"
#include "domain/result.hpp"
#include "domain/suppression.hpp"

namespace leads::ports {

// An idempotent write's answer, recorded in the write's transaction (ports/idempotency.hpp).
template <class Outcome>
struct Completion;

// Names one lead for one tenant. A lead of another tenant, or (when workspace is set) of
// another workspace, is indistinguishable from one that does not exist.
struct LeadKey {
    domain::TenantId tenant;
    domain::LeadId id;
    std::optional<domain::WorkspaceSlug> workspace;
};

// The list orders of CONTRACT §7; ties are broken by id in the same direction.
enum class LeadSort { CreatedDesc, CreatedAsc, UpdatedDesc, UpdatedAsc };

inline bool sorts_by_update(LeadSort sort) { return sort == LeadSort::UpdatedDesc || sort == LeadSort::UpdatedAsc; }
inline bool sorts_ascending(LeadSort sort) { return sort == LeadSort::CreatedAsc || sort == LeadSort::UpdatedAsc; }

// Where a keyset walk stopped: the last lead's sort instant (created_at or updated_at, as
// the sort says) and id. The next page holds the leads after it in the sort order.
struct LeadPosition {
    domain::Timestamp at;
    domain::LeadId id;
};

// The lead's place in the sort order.
inline LeadPosition position_in(const domain::Lead& lead, LeadSort sort) {
    return LeadPosition{sorts_by_update(sort) ? lead.updated_at : lead.created_at, lead.id};
}

// attributes.<key>=<text>: the lead has the key and its value, written as text
// (domain::attribute_text), equals text.
struct AttributeEquals {
    std::string key;
    std::string text;
};

inline constexpr std::size_t kMaxAttributeFilters = 5;

struct LeadFilter {
    domain::TenantId tenant;
    domain::WorkspaceSlug workspace;
    std::optional<domain::LeadStatus> status;
    // Already case-folded (domain::fold_case); matched as a literal substring of
    // domain::search_text(lead): "%", "_" and "\" are ordinary characters.
    std::optional<std::string> search;
    std::int64_t limit = 50;
    std::int64_t offset = 0;
    // Only leads whose email is (true) or is not (false) on the tenant's suppression list.
    std::optional<bool> do_not_contact = {};
    LeadSort sort = LeadSort::CreatedDesc;
    std::optional<std::string> email = {};  // normalised; exact match
    // Strictly later / strictly earlier than the instant.
    std::optional<domain::Timestamp> created_after = {}, created_before = {}, updated_after = {}, updated_before = {};
    std::vector<AttributeEquals> attributes = {};  // all must hold; at most kMaxAttributeFilters
    // Keyset form: only leads after this position (offset is then 0). The total still
    // counts every match of the filter.
    std::optional<LeadPosition> after = {};
};

struct LeadPage {
    std::vector<domain::Lead> items;  // in the filter's sort order
    std::int64_t total = 0;           // every match, regardless of limit, offset and position
    bool more = false;                // matches follow the last item (beyond limit)
};

// Where a walk of an activity history stopped: the last entry's timestamp and id.
struct ActivityPosition {
    domain::Timestamp at;
    domain::ActivityId id;
};

struct ActivityPage {
    std::vector<domain::Activity> items;  // newest first: timestamp desc, then id desc
    std::int64_t total = 0;
    bool more = false;  // entries follow the last item
};

// A lead with the first page of its activity.
struct LeadWithActivity {
    domain::Lead lead;
    ActivityPage activity;
};

// Changes a lead inside the repository's transaction and returns the activity entries to
// append with it. An error aborts the transaction and is returned as is.
using LeadMutation = std::function<domain::Result<std::vector<domain::Activity>>(domain::Lead&)>;

struct ImportItem {
    domain::Lead lead;         // inserted when its email is new in the workspace
    domain::Activity created;  // its lead_created entry
    // Applied to the existing lead when the email is taken; empty = skip duplicates.
    LeadMutation merge;
};

enum class ImportOutcomeKind { Created, Updated, Skipped, Failed };

struct ImportOutcome {
    ImportOutcomeKind kind = ImportOutcomeKind::Skipped;
    std::optional<domain::Error> error;  // set for Failed (the merge refused the row, or the email is suppressed)
    // Set for Updated: the lead as stored. A Created row was stored as its item's lead,
    // which the caller holds (not copied: an import creates up to 10,000).
    std::optional<domain::Lead> lead;
};

// The driven port every storage backend implements. Every call is scoped to the tenant
// it names; nothing reaches another tenant's rows. Errors: NotFound, Conflict (duplicate
// email, with the holder's id), Suppressed (the email is on the tenant's suppression
// list), PreconditionFailed (returned by a mutation), Unavailable (the database cannot be
// reached in time), Internal. Every lead read carries do_not_contact as it is at that read.
class LeadRepository {
  public:
    virtual ~LeadRepository() = default;

    // Stores a new lead and its lead_created entry atomically. Conflict when the email is
    // already taken in (tenant, workspace); Suppressed when it is on the tenant's list.
    // With a completion, each write also records its answer in its transaction.
    virtual domain::Result<void> insert(const domain::Lead& lead, const domain::Activity& created,
                                        const Completion<domain::Lead>* completion = nullptr) = 0;

    virtual domain::Result<domain::Lead> find(const LeadKey& key) = 0;

    // The lead and its newest `limit` activity entries (and their total), read in one
    // snapshot: GET /leads/{id}'s answer in one transaction. NotFound when absent.
    virtual domain::Result<LeadWithActivity> find_with_activity(const LeadKey& key, std::int64_t limit) = 0;

    // Loads the lead, runs mutate on it and stores the result and the returned entries in
    // one transaction; concurrent updates of one lead are serialised, so a version check
    // inside mutate is reliable. The lead is rewritten only when its version changed.
    // Conflict when the new email is taken, Suppressed when it is on the tenant's list.
    // Returns the stored lead.
    virtual domain::Result<domain::Lead> update(const LeadKey& key, const LeadMutation& mutate,
                                                const Completion<domain::Lead>* completion = nullptr) = 0;

    // Erases the lead and all its activity; with suppress, adds its email to the tenant's
    // suppression list in the same transaction (kept as it is when already there).
    // NotFound when absent.
    virtual domain::Result<void> remove(const LeadKey& key,
                                        const std::optional<domain::SuppressionDraft>& suppress) = 0;

    virtual domain::Result<LeadPage> list(const LeadFilter& filter) = 0;

    // A page of the lead's activity, from offset or (when after is set) after that entry.
    // NotFound when the lead is absent.
    virtual domain::Result<ActivityPage> activities(const LeadKey& key, std::int64_t limit, std::int64_t offset,
                                                    const std::optional<ActivityPosition>& after = {}) = 0;

    // Processes the items in order in one transaction: each one's email is looked up in
    // the workspace (including leads inserted by earlier items); a new email is
    // inserted, a taken one skipped or merged; a suppressed one fails its row (Suppressed)
    // whether or not a lead holds it. Any non-row error rolls everything back.
    virtual domain::Result<std::vector<ImportOutcome>> import(
        const domain::TenantId& tenant, const domain::WorkspaceSlug& workspace, const std::vector<ImportItem>& items,
        const Completion<std::vector<ImportOutcome>>* completion = nullptr) = 0;

    // Succeeds when the storage answers (readiness).
    virtual domain::Result<void> ping() = 0;
};

}  // namespace leads::ports
