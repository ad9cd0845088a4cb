#include "domain/event.hpp"

namespace leads::domain {

std::vector<ChangeEvent> change_events(const Lead* before, const Lead* after, std::span<const Activity> entries) {
    std::vector<ChangeEvent> events;
    if (after == nullptr) {
        if (before != nullptr) {
            events.push_back(
                ChangeEvent{.type = EventType::LeadDeleted, .lead_id = before->id, .workspace = before->workspace});
        }
        return events;
    }
    const auto event = [&](EventType type) {
        return ChangeEvent{.type = type, .lead_id = after->id, .workspace = after->workspace, .lead = *after};
    };
    if (before == nullptr) {
        events.push_back(event(EventType::LeadCreated));
        return events;
    }
    for (const Activity& entry : entries) {
        if (!is_client_recordable(entry.type)) continue;
        ChangeEvent recorded = event(EventType::ActivityRecorded);
        recorded.activity = entry;
        events.push_back(std::move(recorded));
    }
    auto changed = changed_fields(*before, *after);
    if (!changed.empty()) {
        ChangeEvent updated = event(EventType::LeadUpdated);
        updated.changed = std::move(changed);
        events.push_back(std::move(updated));
    }
    if (before->status != after->status) {
        ChangeEvent moved = event(EventType::LeadStatusChanged);
        moved.from = before->status;
        moved.to = after->status;
        events.push_back(std::move(moved));
    }
    return events;
}

}  // namespace leads::domain
