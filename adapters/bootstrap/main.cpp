// leads-api: reads the configuration once, sets up logging, and runs the service until
// SIGTERM/SIGINT (or runs the migrations with `leads-api migrate`).
#include <malloc.h>
#include <spdlog/spdlog.h>

#include <csignal>
#include <cstdlib>
#include <exception>
#include <iostream>

#include "adapters/bootstrap/bootstrap.hpp"
#include "adapters/bootstrap/config.hpp"
#include "adapters/bootstrap/storage.hpp"
#include "adapters/http/server/server.hpp"
#include "adapters/logging/json_log.hpp"
#include "adapters/logging/setup.hpp"

namespace {

using namespace leads::adapters;

// The URL's scheme only: the rest may carry credentials.
// For the log: the backend, never the URL (it may carry a password).
std::string_view storage_kind(std::string_view url) {
    const auto backend = bootstrap::backend_of(url);
    return backend ? bootstrap::backend_name(*backend) : "unknown";
}

int exit_code_for(const leads::domain::Error& error) {
    return error.kind == leads::domain::ErrorKind::Validation ? 2 : 1;
}

int run(int argc, char** argv) {
    const auto parsed = bootstrap::parse_command_line(argc, argv, std::cout, std::cerr);
    if (!parsed.config) return parsed.exit_code;
    const auto& config = *parsed.config;
    logging::setup_logging(config.log_level);

    if (config.command == bootstrap::Command::Migrate) {
        const auto migrated = bootstrap::migrate_storage(bootstrap::storage_options(config));
        if (!migrated) {
            std::cerr << "leads-api: migration failed: " << bootstrap::describe(migrated.error()) << "\n";
            spdlog::error(
                logging::Fields("migration failed").add("error", bootstrap::describe(migrated.error())).str());
            return 1;
        }
        spdlog::info(logging::Fields("migrations applied").add("storage", storage_kind(config.database_url)).str());
        return 0;
    }

    // Said before "listening", so whoever waits for that line has seen the warning too.
    if (config.auth_mode == http::AuthMode::Gateway && !config.listen.is_loopback()) {
        spdlog::warn(
            "gateway mode on a non-loopback address: X-Tenant-Id is trusted from every client that can "
            "reach this port");
    }

    bootstrap::Overrides overrides;
    overrides.handle_signals = true;
    auto application = bootstrap::bootstrap(config, std::move(overrides));
    if (!application) {
        const auto& error = application.error();
        std::cerr << "leads-api: cannot start: " << bootstrap::describe(error) << "\n";
        spdlog::error(logging::Fields("cannot start").add("error", bootstrap::describe(error)).str());
        return exit_code_for(error);
    }
    auto& service = *application.value();
    spdlog::info(logging::Fields("listening")
                     .add("address", config.listen.host)
                     .add("port", static_cast<std::int64_t>(service.port()))
                     .add("version", bootstrap::version())
                     .add("storage", storage_kind(config.database_url))
                     .add("auth_mode", config.auth_mode == http::AuthMode::Jwt ? "jwt" : "gateway")
                     .add("threads", static_cast<std::int64_t>(config.threads))
                     .add("db_pool_size", static_cast<std::int64_t>(config.db_pool_size))
                     .str());
    service.wait();
    spdlog::info("exiting");
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    // glibc gives each thread that allocates concurrently an arena of its own (up to 8 per
    // CPU) and keeps what an arena freed: an import's ~60 MiB of request, parse tree and
    // rows stayed resident once per thread that had served one (peak RSS 204 MiB after
    // 100,000 imported leads; 71 MiB with two arenas, at the same speed). An operator's
    // MALLOC_ARENA_MAX still wins.
    if (std::getenv("MALLOC_ARENA_MAX") == nullptr) mallopt(M_ARENA_MAX, 2);
    // A closed stdout (log pipe) must not kill the process with SIGPIPE.
    std::signal(SIGPIPE, SIG_IGN);
    int code = 1;
    try {
        code = run(argc, argv);
    } catch (const std::exception& e) {
        std::cerr << "leads-api: fatal: " << e.what() << "\n";
    } catch (...) {
        std::cerr << "leads-api: fatal: unknown error\n";
    }
    // The log sink writes in batches: what is still gathered goes out now.
    spdlog::default_logger_raw()->flush();
    return code;
}
