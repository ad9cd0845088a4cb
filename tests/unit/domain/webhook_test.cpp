// Change events and webhooks' pure rules (CONTRACT §8): event type names, endpoint URLs,
// the retry schedule and its jitter.
#include "domain/webhook.hpp"

#include <catch2/catch.hpp>

using namespace leads::domain;
using std::chrono::milliseconds;
using std::chrono::seconds;

TEST_CASE("event types are named as the contract names them, and nothing else parses") {
    for (const EventType type : kEventTypes) CHECK(parse_event_type(to_string(type)) == type);
    CHECK(to_string(EventType::LeadStatusChanged) == "lead.status_changed");
    CHECK(to_string(EventType::ActivityRecorded) == "activity.recorded");
    CHECK_FALSE(parse_event_type("lead.Created"));
    CHECK_FALSE(parse_event_type("lead"));
    CHECK_FALSE(parse_event_type(""));
}

TEST_CASE("a webhook URL is http or https with a host, at most 2048 characters, without user info") {
    const auto ok = [](std::string_view text) { return WebhookUrl::parse("url", text).value(); };
    const auto issue = [](std::string_view text) {
        auto parsed = WebhookUrl::parse("url", text);
        REQUIRE_FALSE(parsed.ok());
        REQUIRE(parsed.error().details.size() == 1);
        CHECK(parsed.error().details[0].field == "url");
        return parsed.error().details[0].issue;
    };
    const auto https = ok("https://Hooks.Example.com/leads?x=1#f");
    CHECK(https.https());
    CHECK(https.host() == "hooks.example.com");
    CHECK(https.port() == 443);
    CHECK(https.value() == "https://Hooks.Example.com/leads?x=1#f");
    const auto http = ok("HTTP://receiver:8080");
    CHECK_FALSE(http.https());
    CHECK(http.port() == 8080);
    CHECK(http.value() == "http://receiver:8080");
    CHECK(ok("https://[2001:db8::1]:8443/x").host() == "[2001:db8::1]");
    CHECK(ok("https://[2001:db8::1]:8443/x").port() == 8443);
    CHECK(ok("http://10.0.0.1/").port() == 80);  // refused at connect time, not here

    const std::string longest = "https://example.com/" + std::string(kMaxWebhookUrlLength - 20, 'a');
    CHECK(ok(longest).value().size() == kMaxWebhookUrlLength);
    CHECK(issue(longest + "a") == "must be at most 2048 characters");
    CHECK(issue("") == "must be an http or https URL");
    CHECK(issue("ftp://example.com/") == "must be an http or https URL");
    CHECK(issue("example.com/hook") == "must be an http or https URL");
    CHECK(issue("https://user:pw@example.com/") == "must not contain user info");
    CHECK(issue("https://@example.com/") == "must not contain user info");
    CHECK(issue("https:///path") == "must name a host");
    CHECK(issue("https://:443/") == "must name a host");
    CHECK(issue("https://example.com:0/") == "has a port that is not a number from 1 to 65535");
    CHECK(issue("https://example.com:65536/") == "has a port that is not a number from 1 to 65535");
    CHECK(issue("https://example.com:/") == "has a port that is not a number from 1 to 65535");
    CHECK(issue("https://example.com:8x/") == "has a port that is not a number from 1 to 65535");
    CHECK(issue("https://exa mple.com/") == "must not contain spaces or control characters");
    CHECK(issue("https://example.com/\n") == "must not contain spaces or control characters");
    CHECK(issue("https://[2001:db8::1/") == "has an unterminated IPv6 address");
    CHECK(issue("https://[::1]x/") == "has text after its IPv6 address");
    CHECK(issue("https://2001:db8::1/") == "must write an IPv6 address in brackets");
}

TEST_CASE("the retry schedule is positive whole seconds, minutes or hours, comma-separated") {
    const auto schedule = parse_retry_schedule("5s,5m,30m,2h,5h,10h,14h,20h,24h");
    REQUIRE(schedule.has_value());
    CHECK(*schedule == std::vector<seconds>{seconds(5), seconds(300), seconds(1800), seconds(7200), seconds(18000),
                                            seconds(36000), seconds(50400), seconds(72000), seconds(86400)});
    CHECK(parse_retry_schedule(" 1s , 2m ") == std::vector<seconds>{seconds(1), seconds(120)});
    for (const char* bad : {"", ",", "5", "5x", "0s", "-5s", "5s,", "s", "1.5h", "5 s", "169h", "99999999999h"}) {
        INFO(bad);
        CHECK_FALSE(parse_retry_schedule(bad));
    }
}

TEST_CASE("a retry waits the scheduled delay ±10%, and never less than the receiver's Retry-After") {
    CHECK(retry_delay(seconds(300), 0.0, std::nullopt) == milliseconds(300'000));
    CHECK(retry_delay(seconds(300), 1.0, std::nullopt) == milliseconds(330'000));
    CHECK(retry_delay(seconds(300), -1.0, std::nullopt) == milliseconds(270'000));
    CHECK(retry_delay(seconds(300), 7.0, std::nullopt) == milliseconds(330'000));  // clamped
    CHECK(retry_delay(seconds(300), 0.5, seconds(10)) == milliseconds(315'000));
    CHECK(retry_delay(seconds(5), 0.0, seconds(3600)) == milliseconds(3'600'000));
}

TEST_CASE("an update's changed fields are the lead's own fields that differ, in the contract's order") {
    LeadDraft draft{.email = Email::parse("jane@example.com").value(),
                    .first_name = "Jane",
                    .last_name = std::nullopt,
                    .company = "Acme",
                    .status = std::nullopt,
                    .attributes = {{"score", std::int64_t{1}}}};
    const Lead before = make_lead(draft, LeadId::generate(Timestamp{}, {}), TenantId::parse("t").value(),
                                  WorkspaceSlug::parse("ws", "acme").value(), Timestamp{});
    Lead after = before;
    CHECK(changed_fields(before, after).empty());
    after.version += 1;
    after.updated_at += std::chrono::seconds(1);
    after.do_not_contact = true;
    CHECK(changed_fields(before, after).empty());
    after.attributes = {{"score", 1.0}};  // another type is another value
    after.status = LeadStatus::Contacted;
    after.last_name = "Doe";
    after.email = Email::parse("jane.doe@example.com").value();
    CHECK(changed_fields(before, after) == std::vector<std::string_view>{"email", "last_name", "status", "attributes"});
    after.first_name.reset();
    after.company = "Acme Inc";
    CHECK(changed_fields(before, after) ==
          std::vector<std::string_view>{"email", "first_name", "last_name", "company", "status", "attributes"});
}

TEST_CASE("a delivery succeeds on 2xx, fails and disables on 410, retries anything else until the schedule ends") {
    const std::vector<seconds> schedule{seconds(5), seconds(300)};
    for (const int status : {200, 202, 204, 299}) {
        const auto step = next_delivery_step(status, std::nullopt, 1, schedule, 0.0);
        CHECK(step.state == DeliveryState::Succeeded);
        CHECK_FALSE(step.disable_endpoint);
        CHECK_FALSE(step.retry_in);
    }
    const auto gone = next_delivery_step(410, std::nullopt, 1, schedule, 0.0);
    CHECK(gone.state == DeliveryState::Failed);
    CHECK(gone.disable_endpoint);
    for (const std::optional<int> status : {std::optional<int>(500), std::optional<int>(302), std::optional<int>(199),
                                            std::optional<int>(300), std::optional<int>(404), std::optional<int>()}) {
        const auto first = next_delivery_step(status, std::nullopt, 1, schedule, 0.0);
        CHECK(first.state == DeliveryState::Pending);
        CHECK(first.retry_in == milliseconds(5'000));
        const auto second = next_delivery_step(status, seconds(900), 2, schedule, -1.0);
        CHECK(second.retry_in == milliseconds(900'000));  // Retry-After beats 270 s
        const auto last = next_delivery_step(status, std::nullopt, 3, schedule, 0.0);
        CHECK(last.state == DeliveryState::Failed);
        CHECK_FALSE(last.disable_endpoint);
    }
    CHECK(to_string(DeliveryState::Pending) == "pending");
    CHECK(to_string(DeliveryState::Succeeded) == "succeeded");
    CHECK(to_string(DeliveryState::Failed) == "failed");
}
