#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "domain/activity.hpp"
#include "domain/ids.hpp"
#include "domain/lead.hpp"
#include "domain/result.hpp"
#include "ports/idempotency.hpp"
#include "ports/lead_repository.hpp"

namespace leads::ports {

// The driving port: one call per endpoint of the contract. The tenant is always the
// caller's verified identity; every other field is as the client sent it and is
// validated by the use case (Validation errors name the field).

struct Page {
    std::int64_t total = 0;
    std::int64_t limit = 0;
    std::int64_t offset = 0;
    bool has_more = false;   // offset + items on this page < total; by cursor: items follow
    bool by_cursor = false;  // the page was asked for by cursor: offset means nothing
};

struct ListLeadsQuery {
    domain::TenantId tenant;
    std::string workspace;
    std::optional<std::string> status;
    std::optional<std::string> search;
    std::optional<std::int64_t> limit;               // default 50, 1..200
    std::optional<std::int64_t> offset;              // default 0, >= 0
    std::optional<std::string> do_not_contact = {};  // "true" or "false"
    // CONTRACT §7. sort: -created_at (default), created_at, -updated_at, updated_at.
    std::optional<std::string> sort = {};
    std::optional<std::string> email = {};
    std::optional<std::string> created_after = {}, created_before = {}, updated_after = {}, updated_before = {};
    // attributes.<key>=<value> as given: (key, value).
    std::vector<std::pair<std::string, std::string>> attributes = {};
    // The decoded cursor: the page after this position. May not come with offset.
    std::optional<LeadPosition> after = {};
};

struct LeadList {
    std::vector<domain::Lead> items;
    Page page;
    // Where the next page starts, when there is one (has_more): the last item's position.
    std::optional<LeadPosition> next = {};
    LeadSort sort = LeadSort::CreatedDesc;
};

// Names a lead by id; an optional workspace narrows it further.
struct LeadRef {
    domain::TenantId tenant;
    std::string lead_id;
    std::optional<std::string> workspace;
};

struct CreateLeadCommand {
    domain::TenantId tenant;
    std::string workspace_slug;
    domain::LeadInput lead;
};

// Which versions of a lead an update may apply to: any existing one, or one of those
// listed (none listed: no version qualifies). The HTTP adapter makes it from If-Match.
struct VersionCondition {
    bool any = false;
    std::vector<std::int64_t> versions;

    bool accepts(std::int64_t version) const {
        return any || std::find(versions.begin(), versions.end(), version) != versions.end();
    }
};

struct RemoveLeadCommand {
    LeadRef ref;
    // "true": also put the lead's email on the tenant's suppression list (reason erased),
    // in the same transaction. Default "false".
    std::optional<std::string> suppress = {};
};

struct UpdateLeadCommand {
    LeadRef ref;
    std::optional<VersionCondition> expected_version;  // absent: any version
    domain::LeadChangesInput changes;
};

inline constexpr std::int64_t kRecentActivityCount = 100;

// A lead with its most recent activity (newest first) and the number of entries in all.
struct LeadDetails {
    domain::Lead lead;
    std::vector<domain::Activity> activity;
    std::int64_t activity_total = 0;
};

// PUT /leads (CONTRACT §7): the lead as created (created) or as updated (!created).
struct UpsertedLead {
    LeadDetails details;
    bool created = false;
};

struct RecordActivityCommand {
    LeadRef ref;
    std::string type;
    std::optional<std::string> campaign_id;
    std::optional<std::string> timestamp;  // RFC 3339; default now
    domain::Attributes data;
};

struct ActivityHistoryQuery {
    LeadRef ref;
    std::optional<std::int64_t> limit;
    std::optional<std::int64_t> offset;
    std::optional<ActivityPosition> after = {};  // the decoded cursor; not with offset
};

struct ActivityList {
    std::vector<domain::Activity> items;
    Page page;
    std::optional<ActivityPosition> next = {};  // the last item's, when has_more
};

inline constexpr std::size_t kMaxImportRows = 10'000;
// An import row lists at most this many of its problems (the first ones found), so that
// the summary stays proportionate to the request however broken its rows are.
inline constexpr std::size_t kMaxRowErrors = 10;

struct ImportRow {
    domain::LeadInput lead;
    // Problems the adapter found while decoding this row (wrong JSON type, unknown field):
    // the row is reported with them and not written.
    std::vector<domain::FieldIssue> decode_issues;
};

struct ImportCommand {
    domain::TenantId tenant;
    std::string workspace_slug;
    std::optional<std::string> on_duplicate;  // "skip" (default) or "update"
    std::vector<ImportRow> rows;
};

struct ImportRowError {
    std::size_t index = 0;
    std::string field;
    std::string issue;
};

struct ImportSummary {
    std::int64_t created = 0;
    std::int64_t updated = 0;
    std::int64_t skipped = 0;
    std::vector<ImportRowError> errors;
};

class LeadUseCases {
  public:
    virtual ~LeadUseCases() = default;

    virtual domain::Result<LeadList> list(const ListLeadsQuery& query) = 0;
    // Conflict (duplicate email, with the holder's id); Suppressed.
    // Each write takes an optional Idempotency-Key claim: its answer is then recorded in the
    // write's transaction (CONTRACT §6).
    virtual domain::Result<LeadDetails> create(const CreateLeadCommand& command,
                                               const Idempotency<LeadDetails>* idempotency = nullptr) = 0;
    // Creates the lead, or applies the body to the workspace's lead holding the email as an
    // import row with on_duplicate=update does. Suppressed.
    virtual domain::Result<UpsertedLead> upsert(const CreateLeadCommand& command,
                                                const Idempotency<UpsertedLead>* idempotency = nullptr) = 0;
    // NotFound for a malformed id, another tenant's lead or another workspace's lead.
    virtual domain::Result<LeadDetails> get(const LeadRef& ref) = 0;
    // PreconditionFailed when expected_version is given and does not accept the lead's version.
    virtual domain::Result<LeadDetails> update(const UpdateLeadCommand& command,
                                               const Idempotency<LeadDetails>* idempotency = nullptr) = 0;
    virtual domain::Result<void> remove(const RemoveLeadCommand& command) = 0;
    virtual domain::Result<domain::Activity> record_activity(
        const RecordActivityCommand& command, const Idempotency<domain::Activity>* idempotency = nullptr) = 0;
    virtual domain::Result<ActivityList> activity_history(const ActivityHistoryQuery& query) = 0;
    // Validation only for the request as a whole (workspace, on_duplicate, row count);
    // row problems are reported in the summary.
    virtual domain::Result<ImportSummary> import_leads(const ImportCommand& command,
                                                       const Idempotency<ImportSummary>* idempotency = nullptr) = 0;
    // Succeeds when the service can serve (its storage answers).
    virtual domain::Result<void> check_ready() = 0;
};

}  // namespace leads::ports
