#include "domain/lead.hpp"

#include <utility>
#include <vector>

#include "domain/attribute_rules.hpp"
#include "domain/text.hpp"

namespace leads::domain {

namespace {

constexpr std::string_view kStatusIssue = "must be one of new, contacted, replied, converted";

void add_issues(std::vector<FieldIssue>& issues, const Error& error) {
    issues.insert(issues.end(), error.details.begin(), error.details.end());
}

std::optional<Email> check_email(std::string_view raw, std::vector<FieldIssue>& issues) {
    auto email = Email::parse(raw);
    if (!email) {
        add_issues(issues, email.error());
        return std::nullopt;
    }
    return std::move(email).value();
}

std::optional<std::string> check_text(std::string_view field, std::string_view raw, std::size_t max,
                                      std::vector<FieldIssue>& issues) {
    auto text = parse_optional_text(field, raw, max);
    if (!text) {
        add_issues(issues, text.error());
        return std::nullopt;
    }
    return std::move(text).value();
}

std::optional<LeadStatus> check_status(std::string_view raw, std::vector<FieldIssue>& issues) {
    auto status = parse_lead_status(raw);
    if (!status) issues.push_back({"status", std::string(kStatusIssue)});
    return status;
}

// Presence-aware text: absent stays absent, null clears, a value is validated (and an
// empty value, like null, clears).
std::optional<std::optional<std::string>> check_change(std::string_view field,
                                                       const std::optional<std::optional<std::string>>& raw,
                                                       std::size_t max, std::vector<FieldIssue>& issues) {
    if (!raw) return std::nullopt;
    if (!*raw) return std::optional<std::string>{};
    return check_text(field, **raw, max, issues);
}

}  // namespace

Result<LeadDraft> validate_lead(const LeadInput& input) {
    std::vector<FieldIssue> issues;
    auto email = check_email(input.email, issues);
    auto first_name =
        input.first_name ? check_text("first_name", *input.first_name, kMaxNameLength, issues) : std::nullopt;
    auto last_name = input.last_name ? check_text("last_name", *input.last_name, kMaxNameLength, issues) : std::nullopt;
    auto company = input.company ? check_text("company", *input.company, kMaxCompanyLength, issues) : std::nullopt;
    std::optional<LeadStatus> status;
    if (input.status) status = check_status(*input.status, issues);
    auto attributes = validate_attributes("attributes", input.attributes);
    if (!attributes) add_issues(issues, attributes.error());
    if (!issues.empty()) return Error::validation(std::move(issues));
    return LeadDraft{std::move(*email),
                     std::move(first_name),
                     std::move(last_name),
                     std::move(company),
                     status,
                     std::move(attributes).value()};
}

Result<LeadChanges> validate_changes(const LeadChangesInput& input) {
    std::vector<FieldIssue> issues;
    LeadChanges changes;
    if (input.email) changes.email = check_email(*input.email, issues);
    changes.first_name = check_change("first_name", input.first_name, kMaxNameLength, issues);
    changes.last_name = check_change("last_name", input.last_name, kMaxNameLength, issues);
    changes.company = check_change("company", input.company, kMaxCompanyLength, issues);
    if (input.status) changes.status = check_status(*input.status, issues);
    if (input.attributes) {
        // The key count is checked after merging: a patch may remove as many keys as it adds.
        for (const auto& [key, value] : *input.attributes) {
            if (detail::check_attribute_key("attributes", key, issues) && value) {
                detail::check_attribute_value("attributes", key, *value, issues);
            }
        }
        changes.attributes = input.attributes;
    }
    if (!issues.empty()) return Error::validation(std::move(issues));
    return changes;
}

Lead make_lead(LeadDraft draft, LeadId id, TenantId tenant, WorkspaceSlug workspace, Timestamp now) {
    return Lead{std::move(id),
                std::move(tenant),
                std::move(workspace),
                std::move(draft.email),
                std::move(draft.first_name),
                std::move(draft.last_name),
                std::move(draft.company),
                draft.status.value_or(LeadStatus::New),
                std::move(draft.attributes),
                now,
                now,
                1};
}

LeadChanges changes_from_draft(const LeadDraft& draft) {
    LeadChanges changes;
    if (draft.first_name) changes.first_name = draft.first_name;
    if (draft.last_name) changes.last_name = draft.last_name;
    if (draft.company) changes.company = draft.company;
    changes.status = draft.status;
    if (!draft.attributes.empty()) {
        AttributePatch patch;
        for (const auto& [key, value] : draft.attributes) patch.emplace(key, value);
        changes.attributes = std::move(patch);
    }
    return changes;
}

Result<ChangeOutcome> apply_changes(Lead& lead, const LeadChanges& changes, Timestamp now) {
    Lead next = lead;
    if (changes.email) next.email = *changes.email;
    if (changes.first_name) next.first_name = *changes.first_name;
    if (changes.last_name) next.last_name = *changes.last_name;
    if (changes.company) next.company = *changes.company;
    if (changes.status) next.status = *changes.status;
    if (changes.attributes) {
        auto merged = merge_attributes("attributes", lead.attributes, *changes.attributes);
        if (!merged) return std::move(merged).error();
        next.attributes = std::move(merged).value();
    }
    const bool changed = next.email != lead.email || next.first_name != lead.first_name ||
                         next.last_name != lead.last_name || next.company != lead.company ||
                         next.status != lead.status || next.attributes != lead.attributes;
    ChangeOutcome outcome;
    if (!changed) return outcome;
    outcome.changed = true;
    if (next.status != lead.status) outcome.status_change = StatusChange{lead.status, next.status};
    next.version = lead.version + 1;
    next.updated_at = now;
    lead = std::move(next);
    return outcome;
}

StatusChange move_status(Lead& lead, LeadStatus to, Timestamp now) {
    const StatusChange change{lead.status, to};
    lead.status = to;
    lead.version += 1;
    lead.updated_at = now;
    return change;
}

std::string search_text(const Lead& lead) {
    std::string names;
    for (const auto* part : {&lead.first_name, &lead.last_name}) {
        if (!*part) continue;
        if (!names.empty()) names += ' ';
        names += **part;
    }
    return fold_case(lead.email.value()) + "\n" + fold_case(names);
}

}  // namespace leads::domain
