#pragma once

#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "domain/attributes.hpp"
#include "domain/result.hpp"
#include "ports/events.hpp"

// The JSON text the SQL adapters store attributes and activity data as. RapidJSON stays
// inside json_codec.cpp.
namespace leads::adapters::sql {

struct LeadRow;
struct ActivityRow;

// A flat JSON object; integers stay integers and doubles keep a fraction or exponent, so
// the two round-trip apart. Internal for a non-finite number (the domain never has one).
domain::Result<std::string> encode_attributes(const domain::Attributes& attributes);

// The inverse of encode_attributes. Internal for anything that is not a flat object of
// strings, numbers and booleans (the database was edited by hand, or is corrupt).
domain::Result<domain::Attributes> decode_attributes(std::string_view json);

// A transaction's events as one JSON array of objects, for Dialect::insert_events: "n"
// their position, id, type, ts, workspace, lead_id, data (the event's data, as text).
std::string encode_event_rows(std::span<const ports::StoredEvent> events);

// A JSON array of strings (Dialect::claim_due's :skip).
std::string encode_strings(const std::vector<std::string>& values);

}  // namespace leads::adapters::sql
