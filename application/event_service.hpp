#pragma once

#include <chrono>

#include "ports/clock.hpp"
#include "ports/events.hpp"

namespace leads::app {

// The tenant's change-event feed (CONTRACT §8). Stateless apart from its ports.
class EventService final : public ports::EventUseCases {
  public:
    // retention: how long events are kept (LEADS_EVENT_RETENTION_H).
    EventService(ports::EventRepository& repository, ports::Clock& clock, std::chrono::hours retention);

    domain::Result<ports::EventFeed> feed(const ports::EventFeedQuery& query) override;

  private:
    ports::EventRepository& repository_;
    ports::Clock& clock_;
    std::chrono::hours retention_;
};

}  // namespace leads::app
