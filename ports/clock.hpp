#pragma once

#include "domain/time.hpp"

namespace leads::ports {

class Clock {
  public:
    virtual ~Clock() = default;
    // The current UTC time, truncated to milliseconds.
    virtual domain::Timestamp now() = 0;
};

}  // namespace leads::ports
