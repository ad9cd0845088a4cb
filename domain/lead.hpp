#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "domain/attributes.hpp"
#include "domain/email.hpp"
#include "domain/ids.hpp"
#include "domain/lead_status.hpp"
#include "domain/result.hpp"
#include "domain/time.hpp"

namespace leads::domain {

inline constexpr std::size_t kMaxNameLength = 100;
inline constexpr std::size_t kMaxCompanyLength = 200;

struct Lead {
    LeadId id;
    TenantId tenant;
    WorkspaceSlug workspace;
    Email email;
    std::optional<std::string> first_name;
    std::optional<std::string> last_name;
    std::optional<std::string> company;
    LeadStatus status = LeadStatus::New;
    Attributes attributes;
    Timestamp created_at;
    Timestamp updated_at;
    // Incremented by every change of the lead's own fields; the HTTP adapter derives the ETag from it.
    std::int64_t version = 1;
    // Read-only (CONTRACT §9): whether the email is on the tenant's suppression list, as
    // the repository found it when it read the lead. Not one of the lead's own fields: it
    // never changes the version, and writes ignore it.
    bool do_not_contact = false;
};

// Unvalidated values as a client sent them (absent = nullopt).
struct LeadInput {
    std::string email;
    std::optional<std::string> first_name;
    std::optional<std::string> last_name;
    std::optional<std::string> company;
    std::optional<std::string> status;
    Attributes attributes;
};

// Unvalidated changes. For names and company the outer optional is presence and the
// inner one is JSON null (clear the field).
struct LeadChangesInput {
    std::optional<std::string> email;
    std::optional<std::optional<std::string>> first_name;
    std::optional<std::optional<std::string>> last_name;
    std::optional<std::optional<std::string>> company;
    std::optional<std::string> status;
    std::optional<AttributePatch> attributes;
};

// A validated LeadInput.
struct LeadDraft {
    Email email;
    std::optional<std::string> first_name;
    std::optional<std::string> last_name;
    std::optional<std::string> company;
    std::optional<LeadStatus> status;  // nullopt: not given (a new lead starts as new)
    Attributes attributes;
};

// Validated LeadChangesInput.
struct LeadChanges {
    std::optional<Email> email;
    std::optional<std::optional<std::string>> first_name;
    std::optional<std::optional<std::string>> last_name;
    std::optional<std::optional<std::string>> company;
    std::optional<LeadStatus> status;
    std::optional<AttributePatch> attributes;
};

// Every field is checked; the error lists every issue found, not just the first.
Result<LeadDraft> validate_lead(const LeadInput& input);
Result<LeadChanges> validate_changes(const LeadChangesInput& input);

Lead make_lead(LeadDraft draft, LeadId id, TenantId tenant, WorkspaceSlug workspace, Timestamp now);

// An existing lead overwritten by a later create body (bulk import with on_duplicate=update):
// given fields replace, absent fields stay, attributes merge.
LeadChanges changes_from_draft(const LeadDraft& draft);

struct StatusChange {
    LeadStatus from;
    LeadStatus to;
};

struct ChangeOutcome {
    bool changed = false;  // false: the lead is exactly as before (version not bumped)
    std::optional<StatusChange> status_change;
};

// Applies validated changes; when anything differs, bumps version and updated_at.
// Fails only when the merged attributes break their limits.
Result<ChangeOutcome> apply_changes(Lead& lead, const LeadChanges& changes, Timestamp now);

// Moves the lead to a new status (automatic moves); bumps version and updated_at.
StatusChange move_status(Lead& lead, LeadStatus to, Timestamp now);

// The text search matches: email, then "first last", case-folded and separated by a
// newline (which a search term can never contain), so a term matches within one of
// them or across first and last name, never across email and name.
std::string search_text(const Lead& lead);

}  // namespace leads::domain
