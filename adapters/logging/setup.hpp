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
// each one written whole and alone: a line up to PIPE_BUF by one write(2) beside other
// short lines; a longer one holds the sink to itself (writers are preferred, so it is not
// starved) until every part is out, waiting on a full non-blocking descriptor (poll).
std::shared_ptr<spdlog::sinks::sink> make_line_sink(int fd);

}  // namespace leads::adapters::logging
