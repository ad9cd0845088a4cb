#include "application/lead_service.hpp"

#include <algorithm>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "application/completion.hpp"
#include "application/issues.hpp"
#include "domain/email.hpp"
#include "domain/text.hpp"
#include "domain/time.hpp"

namespace leads::app {

using domain::Activity;
using domain::ActivityType;
using domain::Error;
using domain::FieldIssue;
using domain::Lead;
using domain::Result;
using domain::Timestamp;
using domain::WorkspaceSlug;

namespace {

constexpr std::size_t kMaxSearchLength = 200;

// The lead an import row left stored: its item's own when created, the merged one when
// updated; none otherwise.
const Lead* stored_lead(const ports::ImportOutcome& outcome, const ports::ImportItem& item) {
    if (outcome.kind == ports::ImportOutcomeKind::Created) return &item.lead;
    if (outcome.kind == ports::ImportOutcomeKind::Updated && outcome.lead) return &*outcome.lead;
    return nullptr;
}

struct Paging {
    std::int64_t limit = kDefaultLimit;
    std::int64_t offset = 0;
};

Paging check_paging(std::optional<std::int64_t> limit, std::optional<std::int64_t> offset, Issues& issues) {
    Paging paging;
    paging.limit = check_limit(limit, issues);
    if (offset) {
        if (*offset < 0) issues.add("offset", "must be at least 0");
        paging.offset = *offset;
    }
    return paging;
}

ports::Page page_of(Paging paging, std::size_t count, std::int64_t total) {
    return ports::Page{.total = total,
                       .limit = paging.limit,
                       .offset = paging.offset,
                       .has_more = paging.offset + static_cast<std::int64_t>(count) < total};
}

std::optional<std::string> check_search(const std::string& raw, Issues& issues) {
    if (!domain::is_valid_utf8(raw)) {
        issues.add("search", "must be valid UTF-8");
        return std::nullopt;
    }
    if (domain::has_control_characters(raw)) {
        issues.add("search", "must not contain control characters");
        return std::nullopt;
    }
    const std::size_t length = domain::code_point_count(raw);
    if (length < 1 || length > kMaxSearchLength) {
        issues.add("search", "must be between 1 and 200 characters");
        return std::nullopt;
    }
    return domain::fold_case(raw);
}

ports::LeadSort check_sort(const std::optional<std::string>& raw, Issues& issues) {
    using ports::LeadSort;
    if (!raw || *raw == "-created_at") return LeadSort::CreatedDesc;
    if (*raw == "created_at") return LeadSort::CreatedAsc;
    if (*raw == "-updated_at") return LeadSort::UpdatedDesc;
    if (*raw == "updated_at") return LeadSort::UpdatedAsc;
    issues.add("sort", "must be one of -created_at, created_at, -updated_at, updated_at");
    return LeadSort::CreatedDesc;
}

std::optional<Timestamp> check_instant(const std::optional<std::string>& raw, const char* field, Issues& issues) {
    if (!raw) return std::nullopt;
    auto at = domain::parse_rfc3339(*raw);
    if (!at) issues.add(field, "must be an RFC 3339 date-time, e.g. 2025-11-01T10:00:00Z");
    return at;
}

std::vector<ports::AttributeEquals> check_attribute_filters(const std::vector<std::pair<std::string, std::string>>& raw,
                                                            Issues& issues) {
    std::vector<ports::AttributeEquals> filters;
    if (raw.size() > ports::kMaxAttributeFilters) {
        issues.add("attributes", "at most 5 attribute filters may be given");
        return filters;
    }
    for (const auto& [key, value] : raw) {
        if (auto valid = domain::validate_attribute_key("attributes", key); !valid) {
            issues.add(valid.error());
            continue;
        }
        if (domain::code_point_count(value) > domain::kMaxAttributeStringLength) {
            issues.add("attributes." + key, "must be at most 1024 characters");
            continue;
        }
        filters.push_back(ports::AttributeEquals{key, value});
    }
    return filters;
}

// A cursor names where the page starts; an offset would name it a second time.
void check_cursor_form(bool by_cursor, std::optional<std::int64_t> offset, Issues& issues) {
    if (by_cursor && offset) issues.add("cursor", "cannot be combined with offset");
}

// The optional workspace of a LeadRef: a given one must be a valid slug.
std::optional<WorkspaceSlug> check_ref_workspace(const ports::LeadRef& ref, Issues& issues) {
    if (!ref.workspace) return std::nullopt;
    return issues.take(WorkspaceSlug::parse("workspace", *ref.workspace));
}

// A malformed id names no lead, so it is NotFound like any other unknown id: whether an
// id is well-formed tells the client nothing about which leads exist.
Result<ports::LeadKey> key_of(const ports::LeadRef& ref, std::optional<WorkspaceSlug> workspace) {
    auto id = domain::LeadId::parse(ref.lead_id);
    if (!id) return Error::not_found();
    return ports::LeadKey{.tenant = ref.tenant, .id = std::move(*id), .workspace = std::move(workspace)};
}

// A create body (POST and PUT /leads) checked: its workspace and the validated lead.
Result<std::pair<WorkspaceSlug, domain::LeadDraft>> check_create(const ports::CreateLeadCommand& command) {
    Issues issues;
    auto workspace = issues.take(WorkspaceSlug::parse("workspace_slug", command.workspace_slug));
    auto draft = issues.take(domain::validate_lead(command.lead));
    if (!issues.empty()) return std::move(issues).error();
    return std::pair{std::move(*workspace), std::move(*draft)};
}

// A row's first kMaxRowErrors issues, or (when it has none) the message that explains it.
void add_row_errors(ports::ImportSummary& summary, std::size_t index, const std::vector<FieldIssue>& issues,
                    std::string_view message) {
    const std::size_t listed = std::min(issues.size(), ports::kMaxRowErrors);
    for (std::size_t i = 0; i < listed; ++i) summary.errors.push_back({index, issues[i].field, issues[i].issue});
    if (issues.empty()) summary.errors.push_back({index, "", std::string(message)});
}

void sort_by_index(std::vector<ports::ImportRowError>& errors) {
    std::stable_sort(errors.begin(), errors.end(),
                     [](const ports::ImportRowError& a, const ports::ImportRowError& b) { return a.index < b.index; });
}

}  // namespace

LeadService::LeadService(ports::LeadRepository& repository, ports::Clock& clock, ports::IdGenerator& ids)
    : repository_(repository), clock_(clock), ids_(ids) {}

Result<ports::LeadList> LeadService::list(const ports::ListLeadsQuery& query) {
    Issues issues;
    auto workspace = issues.take(WorkspaceSlug::parse("workspace", query.workspace));
    std::optional<domain::LeadStatus> status;
    if (query.status) {
        status = domain::parse_lead_status(*query.status);
        if (!status) issues.add("status", "must be one of new, contacted, replied, converted");
    }
    std::optional<std::string> search;
    if (query.search) search = check_search(*query.search, issues);
    const std::optional<bool> do_not_contact = check_flag(query.do_not_contact, "do_not_contact", issues);
    const Paging paging = check_paging(query.limit, query.offset, issues);
    const ports::LeadSort sort = check_sort(query.sort, issues);
    std::optional<std::string> email;
    if (query.email) {
        if (auto parsed = issues.take(domain::Email::parse(*query.email))) email = parsed->value();
    }
    const auto created_after = check_instant(query.created_after, "created_after", issues);
    const auto created_before = check_instant(query.created_before, "created_before", issues);
    const auto updated_after = check_instant(query.updated_after, "updated_after", issues);
    const auto updated_before = check_instant(query.updated_before, "updated_before", issues);
    auto attributes = check_attribute_filters(query.attributes, issues);
    check_cursor_form(query.after.has_value(), query.offset, issues);
    if (!issues.empty()) return std::move(issues).error();

    auto page = repository_.list(ports::LeadFilter{.tenant = query.tenant,
                                                   .workspace = std::move(*workspace),
                                                   .status = status,
                                                   .search = std::move(search),
                                                   .limit = paging.limit,
                                                   .offset = paging.offset,
                                                   .do_not_contact = do_not_contact,
                                                   .sort = sort,
                                                   .email = std::move(email),
                                                   .created_after = created_after,
                                                   .created_before = created_before,
                                                   .updated_after = updated_after,
                                                   .updated_before = updated_before,
                                                   .attributes = std::move(attributes),
                                                   .after = query.after});
    if (!page) return std::move(page).error();
    ports::LeadList list{.items = std::move(page->items), .page = {}, .next = std::nullopt, .sort = sort};
    list.page = page_of(paging, list.items.size(), page->total);
    if (query.after) {
        list.page.by_cursor = true;
        list.page.has_more = page->more;
    }
    if (list.page.has_more && !list.items.empty()) list.next = ports::position_in(list.items.back(), sort);
    return list;
}

Result<ports::LeadDetails> LeadService::create(const ports::CreateLeadCommand& command,
                                               const ports::Idempotency<ports::LeadDetails>* idempotency) {
    auto checked = check_create(command);
    if (!checked) return std::move(checked).error();
    auto& [workspace, draft] = *checked;

    const Timestamp now = clock_.now();
    Lead lead = domain::make_lead(std::move(draft), ids_.new_lead_id(), command.tenant, std::move(workspace), now);
    Activity created = entry(lead.id, ActivityType::LeadCreated, now);
    const auto completion = completion_for<Lead>(idempotency, [&](const Lead& stored, ports::TransactionReader&) {
        return Result<std::optional<ports::LeadDetails>>(
            ports::LeadDetails{.lead = stored, .activity = {created}, .activity_total = 1});
    });
    if (auto stored = repository_.insert(lead, created, pointer_to(completion)); !stored) {
        return std::move(stored).error();
    }
    return ports::LeadDetails{.lead = std::move(lead), .activity = {std::move(created)}, .activity_total = 1};
}

Result<ports::UpsertedLead> LeadService::upsert(const ports::CreateLeadCommand& command,
                                                const ports::Idempotency<ports::UpsertedLead>* idempotency) {
    auto checked = check_create(command);
    if (!checked) return std::move(checked).error();
    auto& [workspace, draft] = *checked;

    // One import row with on_duplicate=update: the same rules, the same transaction.
    const Timestamp now = clock_.now();
    ports::LeadMutation merge = [this, changes = domain::changes_from_draft(draft), now](Lead& lead) {
        return apply_changes(lead, changes, now);
    };
    Lead lead = domain::make_lead(std::move(draft), ids_.new_lead_id(), command.tenant, workspace, now);
    Activity created = entry(lead.id, ActivityType::LeadCreated, now);
    std::vector<ports::ImportItem> items;
    items.push_back(
        ports::ImportItem{.lead = std::move(lead), .created = std::move(created), .merge = std::move(merge)});
    // Recorded with the write when it stored the lead; a refused row is recorded afterwards.
    std::optional<ports::UpsertedLead> answered;
    const auto completion = completion_for<std::vector<ports::ImportOutcome>>(
        idempotency,
        [&](const std::vector<ports::ImportOutcome>& outcomes,
            ports::TransactionReader& reads) -> Result<std::optional<ports::UpsertedLead>> {
            if (outcomes.size() != 1) return std::optional<ports::UpsertedLead>{};
            const Lead* stored = stored_lead(outcomes.front(), items.front());
            if (stored == nullptr) return std::optional<ports::UpsertedLead>{};
            const ports::ImportOutcome& outcome = outcomes.front();
            const ports::LeadKey key{.tenant = command.tenant, .id = stored->id, .workspace = std::nullopt};
            auto details = LeadService::details(key, *stored, reads);
            if (!details) return std::move(details).error();
            return std::optional<ports::UpsertedLead>{ports::UpsertedLead{
                .details = std::move(details).value(), .created = outcome.kind == ports::ImportOutcomeKind::Created}};
        },
        &answered);
    auto outcomes = repository_.import(command.tenant, workspace, items, pointer_to(completion));
    if (!outcomes) return std::move(outcomes).error();
    if (answered) return std::move(*answered);
    if (outcomes->size() != 1) return Error::internal("the repository reported a wrong number of outcomes");
    ports::ImportOutcome& outcome = outcomes->front();
    if (outcome.kind == ports::ImportOutcomeKind::Failed) {
        return outcome.error.value_or(Error::internal("the upsert could not be merged"));
    }
    const Lead* stored = stored_lead(outcome, items.front());
    if (stored == nullptr) return Error::internal("the repository did not return the upserted lead");
    const ports::LeadKey key{.tenant = command.tenant, .id = stored->id, .workspace = std::nullopt};
    auto details = this->details(key, *stored);
    if (!details) return std::move(details).error();
    return ports::UpsertedLead{.details = std::move(details).value(),
                               .created = outcome.kind == ports::ImportOutcomeKind::Created};
}

Result<ports::LeadDetails> LeadService::get(const ports::LeadRef& ref) {
    Issues issues;
    auto workspace = check_ref_workspace(ref, issues);
    if (!issues.empty()) return std::move(issues).error();
    auto key = key_of(ref, std::move(workspace));
    if (!key) return std::move(key).error();

    auto found = repository_.find_with_activity(*key, ports::kRecentActivityCount);
    if (!found) return std::move(found).error();
    return ports::LeadDetails{.lead = std::move(found->lead),
                              .activity = std::move(found->activity.items),
                              .activity_total = found->activity.total};
}

Result<ports::LeadDetails> LeadService::update(const ports::UpdateLeadCommand& command,
                                               const ports::Idempotency<ports::LeadDetails>* idempotency) {
    Issues issues;
    auto workspace = check_ref_workspace(command.ref, issues);
    auto changes = issues.take(domain::validate_changes(command.changes));
    if (!issues.empty()) return std::move(issues).error();
    auto key = key_of(command.ref, std::move(workspace));
    if (!key) return std::move(key).error();

    const Timestamp now = clock_.now();
    std::optional<ports::LeadDetails> answered;
    const auto completion = completion_for<Lead>(
        idempotency,
        [&](const Lead& stored, ports::TransactionReader& reads) {
            auto details = LeadService::details(*key, stored, reads);
            if (!details) return Result<std::optional<ports::LeadDetails>>(std::move(details).error());
            return Result<std::optional<ports::LeadDetails>>(std::move(details).value());
        },
        &answered);
    auto stored = repository_.update(
        *key,
        [&](Lead& lead) -> Result<std::vector<Activity>> {
            if (command.expected_version && !command.expected_version->accepts(lead.version)) {
                return Error::precondition_failed();
            }
            return apply_changes(lead, *changes, now);
        },
        pointer_to(completion));
    if (!stored) return std::move(stored).error();
    if (answered) return std::move(*answered);  // read inside the write's transaction already
    return details(*key, std::move(stored).value());
}

Result<void> LeadService::remove(const ports::RemoveLeadCommand& command) {
    Issues issues;
    auto workspace = check_ref_workspace(command.ref, issues);
    const bool suppress = check_flag(command.suppress, "suppress", issues).value_or(false);
    if (!issues.empty()) return std::move(issues).error();
    auto key = key_of(command.ref, std::move(workspace));
    if (!key) return std::move(key).error();

    std::optional<domain::SuppressionDraft> suppression;
    if (suppress) {
        suppression = domain::SuppressionDraft{
            .id = ids_.new_suppression_id(), .reason = domain::SuppressionReason::Erased, .created_at = clock_.now()};
    }
    return repository_.remove(*key, suppression);
}

Result<Activity> LeadService::record_activity(const ports::RecordActivityCommand& command,
                                              const ports::Idempotency<domain::Activity>* idempotency) {
    Issues issues;
    auto workspace = check_ref_workspace(command.ref, issues);
    auto type = domain::parse_activity_type(command.type);
    if (!type || !domain::is_client_recordable(*type)) {
        issues.add("type",
                   "must be one of email_sent, email_opened, email_clicked, email_replied, email_bounced, note");
    }
    std::optional<std::optional<std::string>> campaign_id{std::in_place};
    if (command.campaign_id) {
        campaign_id =
            issues.take(domain::parse_optional_text("campaign_id", *command.campaign_id, domain::kMaxCampaignIdLength));
    }
    std::optional<Timestamp> at;
    if (command.timestamp) {
        at = domain::parse_rfc3339(*command.timestamp);
        if (!at) issues.add("timestamp", "must be an RFC 3339 date-time, e.g. 2025-11-01T10:00:00Z");
    }
    auto data = issues.take(domain::validate_attributes("data", command.data));
    if (!issues.empty()) return std::move(issues).error();
    auto key = key_of(command.ref, std::move(workspace));
    if (!key) return std::move(key).error();

    const Timestamp now = clock_.now();
    if (!at) at = now;
    std::optional<Activity> recorded;
    const auto completion = completion_for<Lead>(idempotency, [&](const Lead&, ports::TransactionReader&) {
        if (!recorded) return Result<std::optional<Activity>>(Error::internal("the activity mutation did not run"));
        return Result<std::optional<Activity>>(*recorded);
    });
    auto stored = repository_.update(
        *key,
        [&](Lead& lead) -> Result<std::vector<Activity>> {
            Activity entry{.id = ids_.new_activity_id(),
                           .lead_id = lead.id,
                           .type = *type,
                           .timestamp = *at,
                           .campaign_id = *campaign_id,
                           .data = *data};
            std::vector<Activity> entries{entry};
            if (auto to = domain::automatic_status_move(lead.status, *type)) {
                // Same instant as the entry that caused it; its id is generated later, so it
                // sorts just above the entry in the newest-first history.
                const domain::StatusChange change = domain::move_status(lead, *to, now);
                entries.push_back(status_changed_entry(lead.id, change, *at));
            }
            recorded = std::move(entry);
            return entries;
        },
        pointer_to(completion));
    if (!stored) return std::move(stored).error();
    if (!recorded) return Error::internal("the repository did not run the activity mutation");
    return std::move(*recorded);
}

Result<ports::ActivityList> LeadService::activity_history(const ports::ActivityHistoryQuery& query) {
    Issues issues;
    auto workspace = check_ref_workspace(query.ref, issues);
    const Paging paging = check_paging(query.limit, query.offset, issues);
    check_cursor_form(query.after.has_value(), query.offset, issues);
    if (!issues.empty()) return std::move(issues).error();
    auto key = key_of(query.ref, std::move(workspace));
    if (!key) return std::move(key).error();

    auto page = repository_.activities(*key, paging.limit, paging.offset, query.after);
    if (!page) return std::move(page).error();
    ports::ActivityList list{.items = std::move(page->items), .page = {}, .next = std::nullopt};
    list.page = page_of(paging, list.items.size(), page->total);
    if (query.after) {
        list.page.by_cursor = true;
        list.page.has_more = page->more;
    }
    if (list.page.has_more && !list.items.empty()) {
        list.next = ports::ActivityPosition{list.items.back().timestamp, list.items.back().id};
    }
    return list;
}

Result<ports::ImportSummary> LeadService::import_leads(const ports::ImportCommand& command,
                                                       const ports::Idempotency<ports::ImportSummary>* idempotency) {
    Issues issues;
    auto workspace = issues.take(WorkspaceSlug::parse("workspace_slug", command.workspace_slug));
    bool update_duplicates = false;
    if (command.on_duplicate) {
        if (*command.on_duplicate == "update") {
            update_duplicates = true;
        } else if (*command.on_duplicate != "skip") {
            issues.add("on_duplicate", "must be one of skip, update");
        }
    }
    if (command.rows.size() > ports::kMaxImportRows) {
        issues.add("leads", "must contain at most " + std::to_string(ports::kMaxImportRows) + " leads");
    }
    if (!issues.empty()) return std::move(issues).error();

    ports::ImportSummary summary;
    PreparedImport prepared = prepare_import(command, *workspace, update_duplicates, summary);
    // The summary: the rows refused before storage, and the repository's outcomes.
    const auto summarise = [&](const std::vector<ports::ImportOutcome>& outcomes) -> Result<ports::ImportSummary> {
        if (outcomes.size() != prepared.items.size()) {
            return Error::internal("the repository reported a wrong number of outcomes");
        }
        ports::ImportSummary counted = summary;
        tally(outcomes, prepared.rows, counted);
        sort_by_index(counted.errors);
        return counted;
    };
    if (prepared.items.empty() && idempotency == nullptr) return summarise({});
    // An idempotent import goes through the repository even with no valid row: its answer
    // is recorded there like any other.
    std::optional<ports::ImportSummary> answered;
    const auto completion = completion_for<std::vector<ports::ImportOutcome>>(
        idempotency,
        [&](const std::vector<ports::ImportOutcome>& outcomes, ports::TransactionReader&) {
            auto counted = summarise(outcomes);
            if (!counted) return Result<std::optional<ports::ImportSummary>>(std::move(counted).error());
            return Result<std::optional<ports::ImportSummary>>(std::move(counted).value());
        },
        &answered);
    auto outcomes = repository_.import(command.tenant, *workspace, prepared.items, pointer_to(completion));
    if (!outcomes) return std::move(outcomes).error();
    if (answered) return std::move(*answered);
    return summarise(*outcomes);
}

LeadService::PreparedImport LeadService::prepare_import(const ports::ImportCommand& command,
                                                        const WorkspaceSlug& workspace, bool update_duplicates,
                                                        ports::ImportSummary& summary) {
    PreparedImport prepared;
    prepared.items.reserve(command.rows.size());
    prepared.rows.reserve(command.rows.size());
    const Timestamp now = clock_.now();
    for (std::size_t index = 0; index < command.rows.size(); ++index) {
        const ports::ImportRow& row = command.rows[index];
        if (!row.decode_issues.empty()) {
            add_row_errors(summary, index, row.decode_issues, {});
            continue;
        }
        auto draft = domain::validate_lead(row.lead);
        if (!draft) {
            add_row_errors(summary, index, draft.error().details, draft.error().message);
            continue;
        }
        ports::LeadMutation merge;
        if (update_duplicates) {
            merge = [this, changes = domain::changes_from_draft(*draft), now](Lead& lead) {
                return apply_changes(lead, changes, now);
            };
        }
        Lead lead = domain::make_lead(std::move(draft).value(), ids_.new_lead_id(), command.tenant, workspace, now);
        Activity created = entry(lead.id, ActivityType::LeadCreated, now);
        prepared.items.push_back(
            ports::ImportItem{.lead = std::move(lead), .created = std::move(created), .merge = std::move(merge)});
        prepared.rows.push_back(index);
    }
    return prepared;
}

void LeadService::tally(const std::vector<ports::ImportOutcome>& outcomes, const std::vector<std::size_t>& rows,
                        ports::ImportSummary& summary) {
    for (std::size_t i = 0; i < outcomes.size(); ++i) {
        const ports::ImportOutcome& outcome = outcomes[i];
        switch (outcome.kind) {
            case ports::ImportOutcomeKind::Created:
                ++summary.created;
                break;
            case ports::ImportOutcomeKind::Updated:
                ++summary.updated;
                break;
            case ports::ImportOutcomeKind::Skipped:
                ++summary.skipped;
                break;
            case ports::ImportOutcomeKind::Failed: {
                const Error error = outcome.error.value_or(Error::internal("the row could not be merged"));
                add_row_errors(summary, rows[i], error.details, error.message);
                break;
            }
        }
    }
}

Result<void> LeadService::check_ready() { return repository_.ping(); }

Result<ports::LeadDetails> LeadService::details(const ports::LeadKey& key, Lead lead) {
    auto recent = repository_.activities(key, ports::kRecentActivityCount, 0);
    if (!recent) return std::move(recent).error();
    return ports::LeadDetails{
        .lead = std::move(lead), .activity = std::move(recent->items), .activity_total = recent->total};
}

Result<ports::LeadDetails> LeadService::details(const ports::LeadKey& key, Lead lead, ports::TransactionReader& reads) {
    auto recent = reads.recent_activity(key, ports::kRecentActivityCount);
    if (!recent) return std::move(recent).error();
    return ports::LeadDetails{
        .lead = std::move(lead), .activity = std::move(recent->items), .activity_total = recent->total};
}

Activity LeadService::entry(const domain::LeadId& lead_id, ActivityType type, Timestamp at, domain::Attributes data) {
    return Activity{.id = ids_.new_activity_id(),
                    .lead_id = lead_id,
                    .type = type,
                    .timestamp = at,
                    .campaign_id = std::nullopt,
                    .data = std::move(data)};
}

Activity LeadService::status_changed_entry(const domain::LeadId& lead_id, domain::StatusChange change, Timestamp at) {
    return entry(lead_id, ActivityType::StatusChanged, at, domain::status_change_data(change.from, change.to));
}

Result<std::vector<Activity>> LeadService::apply_changes(Lead& lead, const domain::LeadChanges& changes,
                                                         Timestamp now) {
    auto outcome = domain::apply_changes(lead, changes, now);
    if (!outcome) return std::move(outcome).error();
    std::vector<Activity> entries;
    if (outcome->status_change) entries.push_back(status_changed_entry(lead.id, *outcome->status_change, now));
    return entries;
}

}  // namespace leads::app
