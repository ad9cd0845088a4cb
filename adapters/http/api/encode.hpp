#pragma once

#include <string>

#include "domain/activity.hpp"
#include "ports/events.hpp"
#include "ports/lead_use_cases.hpp"
#include "ports/suppression_use_cases.hpp"
#include "ports/webhook_use_cases.hpp"

// Results → success envelopes {"success": true, "data": ..., "pagination": ...}, written
// with RapidJSON's Writer (in .cpp only).
namespace leads::adapters::http::encode {

// data = the lead (CONTRACT §3) + "activity" (newest first) + "activity_total".
std::string lead_details(const ports::LeadDetails& details);
// data = [lead, ...] (with attributes), + pagination.
std::string lead_list(const ports::LeadList& list, const std::optional<std::string>& next_cursor);
// data = one activity entry.
std::string activity(const domain::Activity& entry);
// data = [entry, ...], + pagination.
std::string activity_list(const ports::ActivityList& list, const std::optional<std::string>& next_cursor);
// data = {"created", "updated", "skipped", "errors": [{"index", "field", "issue"}]}.
std::string import_summary(const ports::ImportSummary& summary);

// data = {"id", "email_hash", "reason", "created_at"}.
std::string suppression(const domain::Suppression& entry);
// data = [entry, ...], + pagination {"total", "limit", "has_more", "next_cursor"}.
std::string suppression_list(const ports::SuppressionList& list, const std::optional<std::string>& next_cursor);

// data = a webhook endpoint (CONTRACT §8): {"id", "url", "event_types", "description",
// "enabled", "created_at", "updated_at"}, + "secret" when with_secret (creation, rotation).
std::string webhook(const ports::Webhook& webhook, bool with_secret);
std::string webhook_list(const std::vector<ports::Webhook>& webhooks);
// data = [{"event_id", "sequence", "state", "attempts", "last_status_code", "last_error",
// "next_attempt_at", "created_at", "updated_at"}], + pagination {"limit", "has_more", "next_cursor"}.
std::string delivery_list(const ports::DeliveryList& list, const std::optional<std::string>& next_cursor);

// data = [event, ...] (CONTRACT §8), + pagination {"next_after", "has_more"}.
std::string event_feed(const ports::EventFeed& feed);

}  // namespace leads::adapters::http::encode
