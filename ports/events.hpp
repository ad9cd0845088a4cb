#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "domain/ids.hpp"
#include "domain/result.hpp"
#include "domain/time.hpp"
#include "domain/webhook.hpp"

// Change events as stored and read back (CONTRACT §8): the outbox every write fills in its
// own transaction (LeadRepository), and the tenant's feed.
namespace leads::ports {

// An event as recorded: numbered in commit order per tenant, stamped, and its data
// rendered once, when the change committed, as the JSON text of the event's "data"
// (CONTRACT §8) — so the feed and every delivery send the lead as it was then. Once the
// lead is deleted, data is kErasedEventData.
struct StoredEvent {
    domain::EventId id;
    std::int64_t sequence = 0;
    domain::EventType type = domain::EventType::LeadUpdated;
    domain::Timestamp timestamp;
    domain::WorkspaceSlug workspace;
    domain::LeadId lead_id;
    std::string data;
};

inline constexpr std::string_view kErasedEventData = R"({"erased":true})";

inline constexpr std::int64_t kDefaultEventLimit = 100;
inline constexpr std::int64_t kMaxEventLimit = 1000;
// Events dropped by retention per feed read, at most (the next read drops more).
inline constexpr std::size_t kEventDropBatch = 1000;

struct EventQuery {
    domain::TenantId tenant;
    std::optional<std::int64_t> after;  // none: from the oldest kept event
    std::int64_t limit = kDefaultEventLimit;
    std::vector<domain::EventType> types;  // empty: every type
    std::optional<domain::WorkspaceSlug> workspace;
    // Retention: the tenant's events older than this are dropped (a bounded batch per read)
    // before the page is read.
    domain::Timestamp drop_before;
};

struct EventPage {
    std::vector<StoredEvent> items;  // ascending sequence
    bool more = false;               // matching events follow the last item
    // after names an event no longer kept: after < (oldest kept sequence) - 1, or, with none
    // kept, after < the last sequence the tenant was given.
    bool expired = false;
};

class EventRepository {
  public:
    virtual ~EventRepository() = default;
    virtual domain::Result<EventPage> events(const EventQuery& query) = 0;
};

// The driving port: GET /api/v1/tenant/events. Fields as the client sent them.
struct EventFeedQuery {
    domain::TenantId tenant;
    std::optional<std::int64_t> after;
    std::optional<std::int64_t> limit;  // 1..1000, default 100
    std::optional<std::string> types;   // comma-separated type names
    std::optional<std::string> workspace;
};

struct EventFeed {
    std::vector<StoredEvent> items;
    std::int64_t next_after = 0;  // the last sequence returned, or after (0 without one)
    bool has_more = false;
};

class EventUseCases {
  public:
    virtual ~EventUseCases() = default;
    // Validation errors; Gone (events_expired) when after names an event no longer kept.
    virtual domain::Result<EventFeed> feed(const EventFeedQuery& query) = 0;
};

}  // namespace leads::ports
