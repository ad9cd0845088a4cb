#include "domain/activity.hpp"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

using namespace leads::domain;

namespace {

const std::vector<ActivityType> kTypes{
    ActivityType::LeadCreated,  ActivityType::StatusChanged, ActivityType::EmailSent,    ActivityType::EmailOpened,
    ActivityType::EmailClicked, ActivityType::EmailReplied,  ActivityType::EmailBounced, ActivityType::Note};
const std::vector<LeadStatus> kStatuses{LeadStatus::New, LeadStatus::Contacted, LeadStatus::Replied,
                                        LeadStatus::Converted};

}  // namespace

TEST_CASE("activity types have their contract names") {
    const std::vector<std::string_view> names{"lead_created",  "status_changed", "email_sent",    "email_opened",
                                              "email_clicked", "email_replied",  "email_bounced", "note"};
    for (std::size_t i = 0; i < kTypes.size(); ++i) {
        CHECK(to_string(kTypes[i]) == names[i]);
        CHECK(parse_activity_type(names[i]) == kTypes[i]);
    }
    for (std::string_view bad : {"", "Note", "NOTE", "email sent", "emailsent", "note ", "unknown"}) {
        CHECK_FALSE(parse_activity_type(bad).has_value());
    }
}

TEST_CASE("lead statuses have their contract names") {
    const std::vector<std::string_view> names{"new", "contacted", "replied", "converted"};
    for (std::size_t i = 0; i < kStatuses.size(); ++i) {
        CHECK(to_string(kStatuses[i]) == names[i]);
        CHECK(parse_lead_status(names[i]) == kStatuses[i]);
    }
    for (std::string_view bad : {"", "New", "NEW", " new", "lost", "converted\n"}) {
        CHECK_FALSE(parse_lead_status(bad).has_value());
    }
}

TEST_CASE("only the service records lead_created and status_changed") {
    for (auto type : kTypes) {
        const bool own = type == ActivityType::LeadCreated || type == ActivityType::StatusChanged;
        CHECK(is_client_recordable(type) == !own);
    }
}

TEST_CASE("automatic status moves: every status against every type") {
    // Expected outcome per (status, type); everything not listed moves nowhere.
    auto expected = [](LeadStatus status, ActivityType type) -> std::optional<LeadStatus> {
        if (status == LeadStatus::New && type == ActivityType::EmailSent) return LeadStatus::Contacted;
        if (status == LeadStatus::New && type == ActivityType::EmailReplied) return LeadStatus::Replied;
        if (status == LeadStatus::Contacted && type == ActivityType::EmailReplied) return LeadStatus::Replied;
        return std::nullopt;
    };
    int moves = 0;
    for (auto status : kStatuses) {
        for (auto type : kTypes) {
            INFO(to_string(status) << " + " << to_string(type));
            const auto move = automatic_status_move(status, type);
            CHECK(move == expected(status, type));
            if (move) ++moves;
            if (status == LeadStatus::Converted) CHECK_FALSE(move.has_value());
        }
    }
    CHECK(moves == 3);
}

TEST_CASE("status_change_data") {
    const auto data = status_change_data(LeadStatus::New, LeadStatus::Contacted);
    CHECK(data == Attributes{{"from", std::string("new")}, {"to", std::string("contacted")}});
    CHECK(status_change_data(LeadStatus::Replied, LeadStatus::Converted) ==
          Attributes{{"from", std::string("replied")}, {"to", std::string("converted")}});
}
