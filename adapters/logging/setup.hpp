#pragma once

#include <memory>
#include <string_view>

namespace spdlog::sinks {
class sink;
}

namespace leads::adapters::logging {

// The process logs one JSON object per line on stdout, at this level
// (trace|debug|info|warn|error|off): within 10 ms of being logged, a warning or an error
// (with every line before it) at once.
void setup_logging(std::string_view level);

// The sink setup_logging uses, on any file descriptor: JSON lines (make_json_formatter),
// gathered and written in batches (every 10 ms, at 64 KiB, on flush() and when the sink is
// destroyed), in order, each line whole, waiting on a full non-blocking descriptor (poll).
std::shared_ptr<spdlog::sinks::sink> make_line_sink(int fd);

}  // namespace leads::adapters::logging
