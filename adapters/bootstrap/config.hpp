#pragma once

#include <chrono>
#include <iosfwd>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "adapters/http/api/auth.hpp"
#include "adapters/http/server/listen_address.hpp"
#include "domain/result.hpp"

// The service's configuration: every LEADS_* variable, each with a matching flag.
namespace leads::adapters::bootstrap {

enum class Command { Serve, Migrate };

inline constexpr int kDefaultDbPoolSize = 8;

struct Config {
    Command command = Command::Serve;
    http::ListenAddress listen{"127.0.0.1", 8080, false};  // LEADS_LISTEN
    std::string database_url = "sqlite:leads.db";          // LEADS_DATABASE_URL
    int threads = 1;                                       // LEADS_THREADS (I/O threads)
    int tenant_rate = 0;                                   // LEADS_TENANT_RATE (0: no budget)
    int tenant_burst = 0;                                  // LEADS_TENANT_BURST (0: the rate)
    int tenant_max_searches = 4;              // LEADS_TENANT_MAX_SEARCHES (default half the workers; 0: no cap)
    int db_pool_size = kDefaultDbPoolSize;    // LEADS_DB_POOL_SIZE (also the worker pool)
    std::string log_level = "info";           // LEADS_LOG_LEVEL
    std::chrono::hours idempotency_ttl{24};   // LEADS_IDEMPOTENCY_TTL_H
    std::chrono::hours event_retention{168};  // LEADS_EVENT_RETENTION_H
    // Webhook delivery (CONTRACT §8): LEADS_WEBHOOK_*.
    bool webhook_worker = true;
    bool webhook_allow_http = false;
    bool webhook_allow_private = false;
    std::chrono::seconds webhook_timeout{15};
    int webhook_concurrency = 8;
    int webhook_per_endpoint = 2;
    std::vector<std::chrono::seconds> webhook_retry_schedule{
        std::chrono::seconds{5}, std::chrono::minutes{5}, std::chrono::minutes{30},
        std::chrono::hours{2},   std::chrono::hours{5},   std::chrono::hours{10},
        std::chrono::hours{14},  std::chrono::hours{20},  std::chrono::hours{24}};
    std::string webhook_ca_file;
    std::chrono::milliseconds shutdown_grace{std::chrono::seconds(20)};  // LEADS_SHUTDOWN_GRACE_S
    std::chrono::milliseconds read_timeout{std::chrono::seconds(30)};    // LEADS_READ_TIMEOUT_S
    std::chrono::milliseconds write_timeout{std::chrono::seconds(30)};   // LEADS_WRITE_TIMEOUT_S
    std::chrono::milliseconds idle_timeout{std::chrono::seconds(60)};    // LEADS_IDLE_TIMEOUT_S
    http::AuthMode auth_mode = http::AuthMode::Gateway;                  // LEADS_AUTH_MODE
    bool auth_mode_explicit = false;
    std::string jwt_secret;           // LEADS_JWT_SECRET
    std::string jwt_public_key_file;  // LEADS_JWT_PUBLIC_KEY_FILE
    std::optional<std::string> jwt_issuer;
    std::optional<std::string> jwt_audience;
};

// Variable name → value as given (flag or environment). Empty values count as unset.
using RawSettings = std::map<std::string, std::string, std::less<>>;

// Checks and converts every setting; the error's single detail names the variable
// (field) and says what is wrong (issue). Secrets are never echoed.
domain::Result<Config> resolve_config(const RawSettings& raw, unsigned hardware_threads);

// "LEADS_THREADS: must be ..." — the one line printed for a configuration error.
std::string describe(const domain::Error& error);

struct ParseOutcome {
    std::optional<Config> config;  // set: run it
    int exit_code = 0;             // otherwise: exit with this (0 after --help/--version, 2 on errors)
};

// Reads the environment and argv (a flag wins over its variable), prints --help and
// --version to out and errors to err.
ParseOutcome parse_command_line(int argc, const char* const* argv, std::ostream& out, std::ostream& err);

std::string_view version();

}  // namespace leads::adapters::bootstrap
