#pragma once

#include <soci/soci.h>

#include <optional>
#include <string>

#include "domain/activity.hpp"
#include "domain/lead.hpp"
#include "domain/result.hpp"
#include "domain/suppression.hpp"
#include "ports/events.hpp"
#include "ports/webhooks.hpp"

// Row mapping: leads and activity entries as the SQL adapters store them (column values as
// SOCI exchanges them), and back.
namespace leads::adapters::sql {

// Column values as SOCI exchanges them.
struct LeadRow {
    std::string id, tenant, workspace, email, first_name, last_name, company, status, attributes, search_text;
    std::string email_hash;  // written with the email; the suppression list's key
    soci::indicator first_name_ind = soci::i_null, last_name_ind = soci::i_null, company_ind = soci::i_null;
    long long created_at = 0, updated_at = 0, version = 0;
    int do_not_contact = 0;  // kept by the suppression list's writes (Steps::flag_leads)
};

struct ActivityRow {
    std::string id, lead_id, type, campaign_id, data;
    soci::indicator campaign_id_ind = soci::i_null;
    long long ts = 0;
};

// One events row (CONTRACT §8); data is the event's data as JSON text.
struct EventRow {
    std::string id, type, workspace, lead_id, data;
    long long sequence = 0, ts = 0;
};

// One webhooks row; event_types comma-separated.
struct WebhookRow {
    std::string tenant, id, url, event_types, description, secret, previous_secret;
    soci::indicator description_ind = soci::i_null, previous_secret_ind = soci::i_null,
                    previous_until_ind = soci::i_null;
    int enabled = 1;
    long long created_at = 0, updated_at = 0, previous_until = 0, position = 0;
};

// One webhook_deliveries row.
struct DeliveryRow {
    std::string tenant, webhook_id, event_id, state, last_error;
    soci::indicator next_attempt_at_ind = soci::i_null, last_status_code_ind = soci::i_null,
                    last_error_ind = soci::i_null;
    int attempts = 0, last_status_code = 0;
    long long sequence = 0, next_attempt_at = 0, claimed_until = 0, created_at = 0, updated_at = 0;
};

struct SuppressionRow {
    std::string id, tenant, email_hash, reason;
    long long created_at = 0;
};

std::optional<std::string> optional_text(const std::string& value, soci::indicator indicator);
void set_optional(std::string& value, soci::indicator& indicator, const std::optional<std::string>& source);
long long millis(domain::Timestamp at);
domain::Timestamp timestamp(long long ms);
domain::Result<LeadRow> to_row(const domain::Lead& lead);
domain::Result<domain::Lead> to_lead(const LeadRow& row);
domain::Result<ActivityRow> to_row(const domain::Activity& activity, const domain::LeadId& lead_id);
domain::Result<domain::Activity> to_activity(const ActivityRow& row);
domain::Result<domain::Suppression> to_suppression(const SuppressionRow& row);
domain::Result<ports::StoredEvent> to_event(const EventRow& row);
WebhookRow to_row(const ports::Webhook& webhook);
domain::Result<ports::Webhook> to_webhook(const WebhookRow& row);
domain::Result<ports::WebhookDelivery> to_delivery(const DeliveryRow& row);

}  // namespace leads::adapters::sql
