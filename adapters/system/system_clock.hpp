#pragma once

#include "ports/clock.hpp"

namespace leads::adapters::system {

// The system's UTC wall clock, floored to milliseconds.
class SystemClock final : public ports::Clock {
  public:
    domain::Timestamp now() override;
};

}  // namespace leads::adapters::system
