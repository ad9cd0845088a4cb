#include "adapters/logging/setup.hpp"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "adapters/logging/json_log.hpp"

namespace leads::adapters::logging {

void setup_logging(std::string_view level) {
    auto sink = std::make_shared<spdlog::sinks::stdout_sink_mt>();
    sink->set_formatter(make_json_formatter());
    auto logger = std::make_shared<spdlog::logger>("leads", std::move(sink));
    logger->set_level(spdlog::level::from_str(std::string(level)));
    logger->flush_on(spdlog::level::trace);
    spdlog::set_default_logger(std::move(logger));
}

}  // namespace leads::adapters::logging
