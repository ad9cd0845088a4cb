#include "adapters/system/system_clock.hpp"

#include <chrono>

namespace leads::adapters::system {

domain::Timestamp SystemClock::now() {
    return std::chrono::floor<std::chrono::milliseconds>(std::chrono::system_clock::now());
}

}  // namespace leads::adapters::system
