#include "adapters/bootstrap/logging.hpp"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "adapters/http/server/json_log.hpp"

namespace leads::adapters::bootstrap {

void setup_logging(std::string_view level) {
    auto sink = std::make_shared<spdlog::sinks::stdout_sink_mt>();
    sink->set_formatter(http::log::make_json_formatter());
    auto logger = std::make_shared<spdlog::logger>("leads", std::move(sink));
    logger->set_level(spdlog::level::from_str(std::string(level)));
    logger->flush_on(spdlog::level::trace);
    spdlog::set_default_logger(std::move(logger));
}

}  // namespace leads::adapters::bootstrap
