#pragma once

#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "domain/activity.hpp"
#include "domain/lead.hpp"
#include "domain/webhook.hpp"

// What a committed change tells the outside (CONTRACT §8), before storage numbers it.
namespace leads::domain {

struct ChangeEvent {
    EventType type = EventType::LeadUpdated;
    LeadId lead_id;
    WorkspaceSlug workspace;
    std::optional<Lead> lead = {};                 // data.lead, as right after the change; none for lead.deleted
    std::vector<std::string_view> changed = {};    // lead.updated: data.changed (changed_fields)
    std::optional<LeadStatus> from = {}, to = {};  // lead.status_changed
    std::optional<Activity> activity = {};         // activity.recorded: data.activity
};

// The events of one change of one lead, in the contract's order: lead.created;
// activity.recorded (one per entry a client recorded, not the automatic lead_created and
// status_changed entries); lead.updated (when a field changed); lead.status_changed;
// lead.deleted. before is null for a new lead, after null for a deleted one; entries are
// those the change appends. A change that changes nothing makes none.
std::vector<ChangeEvent> change_events(const Lead* before, const Lead* after, std::span<const Activity> entries);

}  // namespace leads::domain
