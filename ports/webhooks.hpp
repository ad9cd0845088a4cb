#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "domain/ids.hpp"
#include "domain/result.hpp"
#include "domain/time.hpp"
#include "domain/webhook.hpp"
#include "ports/events.hpp"

// Webhook endpoints and their deliveries (CONTRACT §8), as stored.
namespace leads::ports {

struct Webhook {
    domain::WebhookId id;
    domain::TenantId tenant;
    std::string url;                             // valid domain::WebhookUrl text
    std::vector<domain::EventType> event_types;  // the types it receives (all of them when created without)
    std::optional<std::string> description;
    bool enabled = true;
    domain::Timestamp created_at;
    domain::Timestamp updated_at;
    std::string secret;                               // "whsec_…": never logged, shown only at creation and rotation
    std::optional<std::string> previous_secret = {};  // after a rotation, also signs until previous_until
    std::optional<domain::Timestamp> previous_until = {};
};

// The secrets that sign a delivery made at now: the current one, and the previous one
// while it is still valid.
inline std::vector<std::string> signing_secrets(const Webhook& webhook, domain::Timestamp now) {
    std::vector<std::string> secrets{webhook.secret};
    if (webhook.previous_secret && webhook.previous_until && now < *webhook.previous_until) {
        secrets.push_back(*webhook.previous_secret);
    }
    return secrets;
}

inline bool receives(const Webhook& webhook, domain::EventType type) {
    for (const auto wanted : webhook.event_types) {
        if (wanted == type) return true;
    }
    return false;
}

struct WebhookDelivery {
    domain::WebhookId webhook_id;
    domain::EventId event_id;
    std::int64_t sequence = 0;  // the event's
    domain::DeliveryState state = domain::DeliveryState::Pending;
    int attempts = 0;
    std::optional<int> last_status_code = {};
    std::optional<std::string> last_error = {};
    std::optional<domain::Timestamp> next_attempt_at = {};  // while pending
    domain::Timestamp created_at;
    domain::Timestamp updated_at;
};

struct DeliveryPage {
    std::vector<WebhookDelivery> items;  // newest first (sequence descending)
    bool more = false;
};

// A pending delivery a worker claimed: what one attempt needs.
struct ClaimedDelivery {
    Webhook webhook;
    StoredEvent event;                     // as stored now: its data erased once the lead is deleted
    int attempts = 0;                      // made before this one
    domain::Timestamp claimed_until = {};  // the claim's end: names this claim in its outcome
};

// What an attempt decided (domain::next_delivery_step), for finish_delivery.
struct DeliveryOutcome {
    domain::TenantId tenant;
    domain::WebhookId webhook_id;
    std::int64_t sequence = 0;
    domain::DeliveryState state = domain::DeliveryState::Pending;
    int attempts = 0;  // including this one
    std::optional<int> status_code;
    std::optional<std::string> error;
    std::optional<domain::Timestamp> next_attempt_at;  // Pending: when to try again
    bool disable_webhook = false;                      // the receiver answered 410
    domain::Timestamp at;
    // The claim it answers (ClaimedDelivery::claimed_until): an outcome whose claim expired
    // and was taken by another worker is not recorded (that worker's attempt will be).
    domain::Timestamp claimed_until = {};
};

// What a worker asks claim_deliveries for.
struct ClaimRequest {
    domain::Timestamp now;
    domain::Timestamp claim_until;
    std::int64_t limit = 0;
    // At most this many deliveries of one endpoint per claim (0: no bound), so that one
    // endpoint's backlog cannot fill a claim while the others wait.
    std::int64_t per_webhook = 0;
    // Endpoints the worker has no room for now: none of their deliveries is claimed.
    std::vector<domain::WebhookId> skip = {};
};

// What one sweep removed.
struct Swept {
    std::int64_t events = 0;
    std::int64_t deliveries = 0;
    // Deleted leads whose kept events' data was rewritten to kErasedEventData by this sweep
    // (a repository that rewrites them in the delete itself reports none).
    std::int64_t erased = 0;
};

// Tenants, and finished deliveries, one sweep handles at most (the next sweep goes on).
inline constexpr std::int64_t kSweepTenants = 100;
inline constexpr std::int64_t kSweepDeliveries = 10'000;

struct DeliveryBacklog {
    std::int64_t pending = 0;
    std::optional<domain::Timestamp> oldest_pending;  // created_at of the oldest pending delivery
};

using WebhookChange = std::function<domain::Result<void>(Webhook&)>;

// last_error of the pending deliveries failed when their endpoint answered 410.
inline constexpr std::string_view kEndpointGone = "the endpoint answered 410 Gone and was disabled";

class WebhookRepository {
  public:
    virtual ~WebhookRepository() = default;

    // Stores a new endpoint. It receives the tenant's events committed after this call:
    // none recorded before it (its position starts at the tenant's last sequence).
    virtual domain::Result<void> insert_webhook(const Webhook& webhook) = 0;
    // NotFound (for another tenant's too).
    virtual domain::Result<Webhook> find_webhook(const domain::TenantId& tenant, const domain::WebhookId& id) = 0;
    virtual domain::Result<std::vector<Webhook>> list_webhooks(const domain::TenantId& tenant) = 0;  // oldest first
    // Runs change on the stored endpoint and stores the result, atomically. NotFound.
    virtual domain::Result<Webhook> update_webhook(const domain::TenantId& tenant, const domain::WebhookId& id,
                                                   const WebhookChange& change) = 0;
    // Removes the endpoint and its deliveries. NotFound.
    virtual domain::Result<void> remove_webhook(const domain::TenantId& tenant, const domain::WebhookId& id) = 0;
    // The endpoint's deliveries, newest first, those with a sequence below before_sequence
    // when given. NotFound when the endpoint is not the tenant's.
    virtual domain::Result<DeliveryPage> list_deliveries(const domain::TenantId& tenant, const domain::WebhookId& id,
                                                         std::int64_t limit,
                                                         std::optional<std::int64_t> before_sequence) = 0;

    // --- The delivery worker's side: every tenant's endpoints -------------------------

    // Makes a pending delivery, due at now, of each event an enabled endpoint receives and
    // has not been given yet (at most limit events per endpoint), and moves the endpoint's
    // position past them, in one transaction. How many deliveries it made.
    virtual domain::Result<std::int64_t> fan_out(domain::Timestamp now, std::int64_t limit) = 0;
    // Up to limit pending deliveries due at now (of enabled endpoints not in skip, at most
    // per_webhook of each), none claimed by another worker unless that claim expired, oldest
    // due first; each claimed until claim_until, so that one attempt is made by one worker.
    virtual domain::Result<std::vector<ClaimedDelivery>> claim_deliveries(const ClaimRequest& request) = 0;
    // The event of a delivery as stored right now (its data erased once the lead is
    // deleted); nullopt when it is no longer kept. Read just before each attempt, so an
    // erasure after the claim still reaches it.
    virtual domain::Result<std::optional<StoredEvent>> delivery_event(const domain::TenantId& tenant,
                                                                      std::int64_t sequence) = 0;
    // Records an attempt's outcome and releases the claim, unless the claim is no longer the
    // outcome's; on 410 disables the endpoint and fails its other pending deliveries.
    virtual domain::Result<void> finish_delivery(const DeliveryOutcome& outcome) = 0;
    // Gives back a claimed delivery no attempt was made for (a stopping worker), due as it
    // was: claimable again at once. Nothing when the claim is no longer this one.
    virtual domain::Result<void> release_claim(const ClaimedDelivery& claimed) = 0;
    virtual domain::Result<DeliveryBacklog> delivery_backlog() = 0;
    // Retention without a reader (CONTRACT §8): of up to kSweepTenants tenants, the events
    // recorded before events_before are dropped as a feed read drops them (a prefix, the
    // sequence keeps counting them); up to kSweepDeliveries finished deliveries last
    // updated before deliveries_before are removed. Pending deliveries stay. And erasure's
    // second half, where a delete only masks its lead's events: their rows rewritten.
    virtual domain::Result<Swept> sweep(domain::Timestamp events_before, domain::Timestamp deliveries_before) = 0;
};

}  // namespace leads::ports
