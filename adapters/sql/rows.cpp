#include "adapters/sql/rows.hpp"

#include "adapters/crypto/email_hash.hpp"
#include "adapters/sql/json_codec.hpp"

namespace leads::adapters::sql {

using domain::Error;
using domain::Result;

std::optional<std::string> optional_text(const std::string& value, soci::indicator indicator) {
    if (indicator != soci::i_ok) return std::nullopt;
    return value;
}

void set_optional(std::string& value, soci::indicator& indicator, const std::optional<std::string>& source) {
    value = source.value_or(std::string());
    indicator = source ? soci::i_ok : soci::i_null;
}

long long millis(domain::Timestamp at) { return at.time_since_epoch().count(); }

domain::Timestamp timestamp(long long ms) { return domain::Timestamp{std::chrono::milliseconds{ms}}; }

Result<LeadRow> to_row(const domain::Lead& lead) {
    auto attributes = encode_attributes(lead.attributes);
    if (!attributes) return std::move(attributes).error();
    LeadRow row;
    row.id = lead.id.value();
    row.tenant = lead.tenant.value();
    row.workspace = lead.workspace.value();
    row.email = lead.email.value();
    set_optional(row.first_name, row.first_name_ind, lead.first_name);
    set_optional(row.last_name, row.last_name_ind, lead.last_name);
    set_optional(row.company, row.company_ind, lead.company);
    row.status = std::string(domain::to_string(lead.status));
    row.attributes = std::move(attributes).value();
    row.search_text = domain::search_text(lead);
    row.email_hash = crypto::email_hash(lead.email);
    row.created_at = millis(lead.created_at);
    row.updated_at = millis(lead.updated_at);
    row.version = lead.version;
    return row;
}

Result<domain::Lead> to_lead(const LeadRow& row) {
    auto id = domain::LeadId::parse(row.id);
    auto tenant = domain::TenantId::parse(row.tenant);
    auto workspace = domain::WorkspaceSlug::parse("workspace", row.workspace);
    auto email = domain::Email::parse(row.email);
    auto status = domain::parse_lead_status(row.status);
    if (!id || !tenant || !workspace || !email || !status) return Error::internal("stored lead is malformed");
    auto attributes = decode_attributes(row.attributes);
    if (!attributes) return std::move(attributes).error();
    return domain::Lead{
        .id = *id,
        .tenant = *tenant,
        .workspace = *workspace,
        .email = *email,
        .first_name = optional_text(row.first_name, row.first_name_ind),
        .last_name = optional_text(row.last_name, row.last_name_ind),
        .company = optional_text(row.company, row.company_ind),
        .status = *status,
        .attributes = std::move(attributes).value(),
        .created_at = timestamp(row.created_at),
        .updated_at = timestamp(row.updated_at),
        .version = row.version,
        .do_not_contact = row.do_not_contact != 0,
    };
}

Result<ActivityRow> to_row(const domain::Activity& activity, const domain::LeadId& lead_id) {
    auto data = encode_attributes(activity.data);
    if (!data) return std::move(data).error();
    ActivityRow row;
    row.id = activity.id.value();
    row.lead_id = lead_id.value();
    row.type = std::string(domain::to_string(activity.type));
    row.ts = millis(activity.timestamp);
    set_optional(row.campaign_id, row.campaign_id_ind, activity.campaign_id);
    row.data = std::move(data).value();
    return row;
}

Result<domain::Activity> to_activity(const ActivityRow& row) {
    auto id = domain::ActivityId::parse(row.id);
    auto lead_id = domain::LeadId::parse(row.lead_id);
    auto type = domain::parse_activity_type(row.type);
    if (!id || !lead_id || !type) return Error::internal("stored activity is malformed");
    auto data = decode_attributes(row.data);
    if (!data) return std::move(data).error();
    return domain::Activity{
        .id = *id,
        .lead_id = *lead_id,
        .type = *type,
        .timestamp = timestamp(row.ts),
        .campaign_id = optional_text(row.campaign_id, row.campaign_id_ind),
        .data = std::move(data).value(),
    };
}

Result<domain::Suppression> to_suppression(const SuppressionRow& row) {
    auto id = domain::SuppressionId::parse(row.id);
    auto tenant = domain::TenantId::parse(row.tenant);
    auto reason = domain::parse_suppression_reason(row.reason);
    if (!id || !tenant || !reason) return Error::internal("stored suppression is malformed");
    return domain::Suppression{.id = *id,
                               .tenant = *tenant,
                               .email_hash = row.email_hash,
                               .reason = *reason,
                               .created_at = timestamp(row.created_at)};
}

Result<ports::StoredEvent> to_event(const EventRow& row) {
    auto id = domain::EventId::parse(row.id);
    auto type = domain::parse_event_type(row.type);
    auto workspace = domain::WorkspaceSlug::parse("workspace", row.workspace);
    auto lead_id = domain::LeadId::parse(row.lead_id);
    if (!id || !type || !workspace || !lead_id) return Error::internal("stored event is malformed");
    return ports::StoredEvent{.id = std::move(*id),
                              .sequence = row.sequence,
                              .type = *type,
                              .timestamp = timestamp(row.ts),
                              .workspace = std::move(workspace).value(),
                              .lead_id = std::move(*lead_id),
                              .data = row.data};
}

}  // namespace leads::adapters::sql
