#pragma once

#include <string>

#include "domain/activity.hpp"
#include "ports/lead_use_cases.hpp"

// Results → success envelopes {"success": true, "data": ..., "pagination": ...}, written
// with RapidJSON's Writer (in .cpp only).
namespace leads::adapters::http::encode {

// data = the lead (CONTRACT §3) + "activity" (newest first) + "activity_total".
std::string lead_details(const ports::LeadDetails& details);
// data = [lead, ...] (with attributes), + pagination.
std::string lead_list(const ports::LeadList& list);
// data = one activity entry.
std::string activity(const domain::Activity& entry);
// data = [entry, ...], + pagination.
std::string activity_list(const ports::ActivityList& list);
// data = {"created", "updated", "skipped", "errors": [{"index", "field", "issue"}]}.
std::string import_summary(const ports::ImportSummary& summary);

}  // namespace leads::adapters::http::encode
