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

WebhookRow to_row(const ports::Webhook& webhook) {
    WebhookRow row;
    row.tenant = webhook.tenant.value();
    row.id = webhook.id.value();
    row.url = webhook.url;
    for (const auto type : webhook.event_types) {
        if (!row.event_types.empty()) row.event_types += ',';
        row.event_types += domain::to_string(type);
    }
    set_optional(row.description, row.description_ind, webhook.description);
    row.enabled = webhook.enabled ? 1 : 0;
    row.secret = webhook.secret;
    set_optional(row.previous_secret, row.previous_secret_ind, webhook.previous_secret);
    row.previous_until_ind = webhook.previous_until ? soci::i_ok : soci::i_null;
    row.previous_until = webhook.previous_until ? millis(*webhook.previous_until) : 0;
    row.created_at = millis(webhook.created_at);
    row.updated_at = millis(webhook.updated_at);
    return row;
}

Result<ports::Webhook> to_webhook(const WebhookRow& row) {
    auto id = domain::WebhookId::parse(row.id);
    auto tenant = domain::TenantId::parse(row.tenant);
    if (!id || !tenant) return Error::internal("stored webhook is malformed");
    ports::Webhook webhook{.id = std::move(*id),
                           .tenant = std::move(*tenant),
                           .url = row.url,
                           .event_types = {},
                           .description = optional_text(row.description, row.description_ind),
                           .enabled = row.enabled != 0,
                           .created_at = timestamp(row.created_at),
                           .updated_at = timestamp(row.updated_at),
                           .secret = row.secret,
                           .previous_secret = optional_text(row.previous_secret, row.previous_secret_ind),
                           .previous_until = std::nullopt};
    if (row.previous_until_ind == soci::i_ok) webhook.previous_until = timestamp(row.previous_until);
    std::string_view rest = row.event_types;
    while (!rest.empty()) {
        const std::size_t comma = rest.find(',');
        const auto type = domain::parse_event_type(rest.substr(0, comma));
        if (!type) return Error::internal("stored webhook is malformed");
        webhook.event_types.push_back(*type);
        if (comma == std::string_view::npos) break;
        rest.remove_prefix(comma + 1);
    }
    return webhook;
}

Result<ports::WebhookDelivery> to_delivery(const DeliveryRow& row) {
    auto webhook_id = domain::WebhookId::parse(row.webhook_id);
    auto event_id = domain::EventId::parse(row.event_id);
    std::optional<domain::DeliveryState> state;
    for (const auto candidate :
         {domain::DeliveryState::Pending, domain::DeliveryState::Succeeded, domain::DeliveryState::Failed}) {
        if (domain::to_string(candidate) == row.state) state = candidate;
    }
    if (!webhook_id || !event_id || !state) return Error::internal("stored delivery is malformed");
    ports::WebhookDelivery delivery{.webhook_id = std::move(*webhook_id),
                                    .event_id = std::move(*event_id),
                                    .sequence = row.sequence,
                                    .state = *state,
                                    .attempts = row.attempts,
                                    .last_status_code = std::nullopt,
                                    .last_error = optional_text(row.last_error, row.last_error_ind),
                                    .next_attempt_at = std::nullopt,
                                    .created_at = timestamp(row.created_at),
                                    .updated_at = timestamp(row.updated_at)};
    if (row.last_status_code_ind == soci::i_ok) delivery.last_status_code = row.last_status_code;
    if (row.next_attempt_at_ind == soci::i_ok) delivery.next_attempt_at = timestamp(row.next_attempt_at);
    return delivery;
}

}  // namespace leads::adapters::sql
