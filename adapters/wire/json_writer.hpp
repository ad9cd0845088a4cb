#pragma once

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/activity.hpp"
#include "domain/event.hpp"
#include "domain/lead.hpp"
#include "ports/events.hpp"
#include "ports/id_generator.hpp"

// The contract's JSON forms of domain values, written with RapidJSON's Writer. Included
// by the few .cpp files that write JSON, never by a header.
namespace leads::adapters::wire {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

void string(Writer& w, std::string_view text);
void key(Writer& w, std::string_view name);
void optional_string(Writer& w, const std::optional<std::string>& text);
void attributes(Writer& w, const domain::Attributes& values);
// The members of a lead (CONTRACT §3, with attributes), inside an object the caller opened.
void lead_members(Writer& w, const domain::Lead& lead);
// An activity entry: {"id", "type", "timestamp", "campaign_id", "data"}.
void activity_entry(Writer& w, const domain::Activity& entry);

// An event's "data" (CONTRACT §8) as JSON text: {"lead"} for lead.created; {"activity",
// "lead"}; {"changed", "lead"}; {"from", "to", "lead"}; {} for lead.deleted.
std::string event_data(const domain::ChangeEvent& event);
// An event as the feed lists it and a delivery sends it: {"id", "sequence", "type",
// "timestamp", "workspace_slug", "lead_id", "data"}.
void event_object(Writer& w, const ports::StoredEvent& event);
std::string event_json(const ports::StoredEvent& event);

// A change's events with their data rendered, not yet stamped (no id, no timestamp): an
// import renders its rows' lead.created beside the database's work.
std::vector<ports::StoredEvent> rendered_events(const std::vector<domain::ChangeEvent>& events);
// Stamps rendered events in their order: at, and a fresh (increasing) id each.
void stamp_events(std::vector<ports::StoredEvent>& events, domain::Timestamp at, ports::IdGenerator& ids);

// A change's events stamped (at, a fresh id each) and their data rendered, for storage to
// number (sequence 0 until then) and record in the change's transaction.
std::vector<ports::StoredEvent> stored_events(const std::vector<domain::ChangeEvent>& events, domain::Timestamp at,
                                              ports::IdGenerator& ids);

}  // namespace leads::adapters::wire
