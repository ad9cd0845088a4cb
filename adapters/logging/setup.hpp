#pragma once

#include <memory>
#include <string_view>

namespace spdlog::sinks {
class sink;
}

namespace leads::adapters::logging {

// The process logs one JSON object per line on stdout, at this level
// (trace|debug|info|warn|error|off), each line written as soon as it is logged.
void setup_logging(std::string_view level);

// The sink setup_logging uses, on any file descriptor: JSON lines (make_json_formatter),
// each one written whole by one write(2) of its own.
std::shared_ptr<spdlog::sinks::sink> make_line_sink(int fd);

}  // namespace leads::adapters::logging
