#pragma once

#include <string_view>

namespace leads::adapters::logging {

// The process logs one JSON object per line on stdout, at this level
// (trace|debug|info|warn|error|off), flushed per line so nothing is lost at exit.
void setup_logging(std::string_view level);

}  // namespace leads::adapters::logging
