// Which events a change of a lead makes, and in which order (CONTRACT §8).
#include "domain/event.hpp"

#include <catch2/catch.hpp>

using namespace leads::domain;

namespace {

Lead sample() {
    return make_lead(LeadDraft{.email = Email::parse("jane@example.com").value(),
                               .first_name = "Jane",
                               .last_name = std::nullopt,
                               .company = std::nullopt,
                               .status = std::nullopt,
                               .attributes = {}},
                     LeadId::generate(Timestamp{}, Entropy{1}), *TenantId::parse("t1"),
                     WorkspaceSlug::parse("ws", "acme").value(), Timestamp{});
}

Activity entry_of(ActivityType type) {
    return Activity{.id = ActivityId::generate(Timestamp{}, Entropy{2}),
                    .lead_id = sample().id,
                    .type = type,
                    .timestamp = Timestamp{},
                    .campaign_id = std::nullopt,
                    .data = {}};
}

std::vector<EventType> types_of(const std::vector<ChangeEvent>& events) {
    std::vector<EventType> types;
    for (const auto& event : events) types.push_back(event.type);
    return types;
}

}  // namespace

TEST_CASE("a new lead makes lead.created only, with the lead, whatever its initial status") {
    Lead lead = sample();
    lead.status = LeadStatus::Contacted;
    const Activity created = entry_of(ActivityType::LeadCreated);
    const auto events = change_events(nullptr, &lead, std::span(&created, 1));
    REQUIRE(types_of(events) == std::vector{EventType::LeadCreated});
    CHECK(events[0].lead_id == lead.id);
    CHECK(events[0].workspace == lead.workspace);
    REQUIRE(events[0].lead);
    CHECK(events[0].lead->status == LeadStatus::Contacted);
}

TEST_CASE("a change makes activity.recorded, lead.updated, lead.status_changed in that order, each with the new lead") {
    const Lead before = sample();
    Lead after = before;
    after.status = LeadStatus::Replied;
    after.version += 1;
    const std::vector<Activity> entries{entry_of(ActivityType::EmailReplied), entry_of(ActivityType::StatusChanged)};
    const auto events = change_events(&before, &after, entries);
    REQUIRE(types_of(events) ==
            std::vector{EventType::ActivityRecorded, EventType::LeadUpdated, EventType::LeadStatusChanged});
    REQUIRE(events[0].activity);
    CHECK(events[0].activity->type == ActivityType::EmailReplied);
    CHECK(events[1].changed == std::vector<std::string_view>{"status"});
    CHECK(events[2].from == LeadStatus::New);
    CHECK(events[2].to == LeadStatus::Replied);
    for (const auto& event : events) {
        REQUIRE(event.lead);
        CHECK(event.lead->status == LeadStatus::Replied);
    }
}

TEST_CASE("a field change without a status move makes lead.updated alone") {
    const Lead before = sample();
    Lead after = before;
    after.company = "Acme";
    after.attributes = {{"score", std::int64_t{3}}};
    const auto events = change_events(&before, &after, {});
    REQUIRE(types_of(events) == std::vector{EventType::LeadUpdated});
    CHECK(events[0].changed == std::vector<std::string_view>{"company", "attributes"});
}

TEST_CASE("a change that changes nothing, and automatic entries alone, make no event") {
    const Lead lead = sample();
    Lead touched = lead;
    touched.updated_at += std::chrono::seconds(5);
    touched.do_not_contact = true;
    CHECK(change_events(&lead, &touched, {}).empty());
    const Activity automatic = entry_of(ActivityType::StatusChanged);
    CHECK(change_events(&lead, &lead, std::span(&automatic, 1)).empty());
}

TEST_CASE("an activity without a status move makes activity.recorded alone") {
    const Lead lead = sample();
    const Activity note = entry_of(ActivityType::Note);
    REQUIRE(types_of(change_events(&lead, &lead, std::span(&note, 1))) == std::vector{EventType::ActivityRecorded});
}

TEST_CASE("a deletion makes lead.deleted without a lead") {
    const Lead lead = sample();
    const auto events = change_events(&lead, nullptr, {});
    REQUIRE(types_of(events) == std::vector{EventType::LeadDeleted});
    CHECK_FALSE(events[0].lead);
    CHECK(events[0].lead_id == lead.id);
    CHECK(change_events(nullptr, nullptr, {}).empty());
}
