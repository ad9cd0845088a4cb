#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/lead.hpp"
#include "domain/result.hpp"

// Change events and webhooks (CONTRACT §8): the event types, an endpoint's URL rules and
// the delivery retry schedule. Pure rules; the delivery itself is an adapter.
namespace leads::domain {

enum class EventType { LeadCreated, ActivityRecorded, LeadUpdated, LeadStatusChanged, LeadDeleted };

inline constexpr EventType kEventTypes[] = {EventType::LeadCreated, EventType::ActivityRecorded, EventType::LeadUpdated,
                                            EventType::LeadStatusChanged, EventType::LeadDeleted};

std::string_view to_string(EventType type);  // "lead.created", …
std::optional<EventType> parse_event_type(std::string_view text);

// A lead.updated event's data.changed: the names (as CONTRACT §3 writes them) of the lead's
// own fields that differ between two states of it, in the contract's field order:
// email, first_name, last_name, company, status, attributes. Bookkeeping that changes with
// any of them (updated_at, version) and the read-only do_not_contact are not listed.
std::vector<std::string_view> changed_fields(const Lead& before, const Lead& after);

// A webhook endpoint's URL: http or https (scheme in any case, kept lower-case), a host,
// an optional port 1–65535, no user info, no whitespace or control characters, at most
// 2048 characters. Whether http may actually be called is the delivery's setting
// (LEADS_WEBHOOK_ALLOW_HTTP).
class WebhookUrl {
  public:
    static Result<WebhookUrl> parse(std::string_view field, std::string_view text);
    const std::string& value() const { return value_; }
    bool https() const { return https_; }
    const std::string& host() const { return host_; }
    unsigned port() const { return port_; }  // the scheme's default when none is written

  private:
    std::string value_, host_;
    bool https_ = true;
    unsigned port_ = 443;
};

inline constexpr std::size_t kMaxWebhookUrlLength = 2048;

// LEADS_WEBHOOK_RETRY_SCHEDULE: comma-separated delays, each a positive whole number of
// s, m or h ("5s,5m,30m,2h,5h,10h,14h,20h,24h"); nullopt when any is not.
std::optional<std::vector<std::chrono::seconds>> parse_retry_schedule(std::string_view text);

// The delay before a retry: the scheduled one moved by jitter (a fraction in [-1, 1] of
// ±10%), and never shorter than a Retry-After the receiver sent.
std::chrono::milliseconds retry_delay(std::chrono::seconds scheduled, double jitter,
                                      std::optional<std::chrono::seconds> retry_after);

enum class DeliveryState { Pending, Succeeded, Failed };
std::string_view to_string(DeliveryState state);  // "pending", "succeeded", "failed"

// What one attempt of a delivery decides (CONTRACT §8): a 2xx succeeds; 410 fails the
// delivery and disables the endpoint; anything else (another status, or no answer) is
// retried after the schedule's next delay (retry_delay) until the schedule is used up,
// then fails. attempts counts this one; jitter is a fraction in [-1, 1].
struct DeliveryStep {
    DeliveryState state = DeliveryState::Pending;
    bool disable_endpoint = false;
    std::optional<std::chrono::milliseconds> retry_in;  // Pending: when to try again
};

DeliveryStep next_delivery_step(std::optional<int> status, std::optional<std::chrono::seconds> retry_after,
                                int attempts, const std::vector<std::chrono::seconds>& schedule, double jitter);

}  // namespace leads::domain
