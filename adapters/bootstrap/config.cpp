#include "adapters/bootstrap/config.hpp"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <ostream>
#include <thread>
#include <tuple>

#include "adapters/bootstrap/storage.hpp"
#include "domain/webhook.hpp"

#ifndef LEADS_VERSION
#define LEADS_VERSION "0.0.0"
#endif

namespace leads::adapters::bootstrap {
namespace {

struct Setting {
    std::string_view variable;
    std::string_view flag;
    std::string_view type;      // CLI11's type label
    std::string_view allowed;   // shown after the type ("INT in [1 - 256]", "{jwt,gateway}"); checked by resolve_config
    std::string_view fallback;  // the default shown as "=VALUE"; empty: none or computed
    std::string_view help;
};

// One row per variable. --help shows each as CLI11 does ("--threads INT:INT in [1 - 256]
// (Env:LEADS_THREADS)"), which the deploy checks parse: keep that shape.
constexpr std::array<Setting, 27> kSettings = {{
    {"LEADS_LISTEN", "--listen", "TEXT", "", "127.0.0.1:8080", "Address to listen on: IPv4:port or [IPv6]:port"},
    {"LEADS_DATABASE_URL", "--database-url", "TEXT", "", "sqlite:leads.db",
     "Storage: sqlite:PATH, postgresql://... or memory:"},
    {"LEADS_THREADS", "--threads", "INT", "INT in [1 - 256]", "", "I/O threads (default: the number of CPUs)"},
    {"LEADS_DB_POOL_SIZE", "--db-pool-size", "INT", "INT in [1 - 1024]", "8",
     "Database connections; also the number of request worker threads"},
    {"LEADS_LOG_LEVEL", "--log-level", "TEXT", "{trace,debug,info,warn,error,off}", "info", "Log level"},
    {"LEADS_SHUTDOWN_GRACE_S", "--shutdown-grace-s", "INT", "INT in [0 - 3600]", "20",
     "Seconds in-flight requests get after SIGTERM"},
    {"LEADS_READ_TIMEOUT_S", "--read-timeout-s", "INT", "INT in [1 - 3600]", "30",
     "Seconds to receive a whole request"},
    {"LEADS_WRITE_TIMEOUT_S", "--write-timeout-s", "INT", "INT in [1 - 3600]", "30",
     "Seconds a client has to read a whole response"},
    {"LEADS_IDLE_TIMEOUT_S", "--idle-timeout-s", "INT", "INT in [1 - 3600]", "60",
     "Seconds a keep-alive connection may wait for its next request"},
    {"LEADS_TENANT_RATE", "--tenant-rate", "INT", "INT in [0 - 1000000]", "0",
     "Requests per second per tenant and replica; 0: no budget"},
    {"LEADS_TENANT_BURST", "--tenant-burst", "INT", "INT in [0 - 1000000]", "0",
     "Requests a tenant may send at once within its budget; 0: the rate"},
    {"LEADS_TENANT_MAX_SEARCHES", "--tenant-max-searches", "INT", "INT in [0 - 1024]", "",
     "Searches one tenant runs at once, 0: no cap (default: half of LEADS_DB_POOL_SIZE)"},
    {"LEADS_IDEMPOTENCY_TTL_H", "--idempotency-ttl-h", "INT", "INT in [1 - 8760]", "24",
     "Hours an Idempotency-Key and its answer are remembered"},
    {"LEADS_EVENT_RETENTION_H", "--event-retention-h", "INT", "INT in [1 - 87600]", "168",
     "Hours change events are kept for the feed (GET /events)"},
    {"LEADS_WEBHOOK_WORKER", "--webhook-worker", "BOOLEAN", "{true,false}", "true",
     "Deliver webhooks from this replica (false: others deliver)"},
    {"LEADS_WEBHOOK_TIMEOUT_S", "--webhook-timeout-s", "INT", "INT in [1 - 300]", "15",
     "Seconds one delivery attempt may take, DNS to response headers"},
    {"LEADS_WEBHOOK_RETRY_SCHEDULE", "--webhook-retry-schedule", "TEXT", "", "5s,5m,30m,2h,5h,10h,14h,20h,24h",
     "Delays before each retry (s, m, h; +-10% jitter); failed after the last"},
    {"LEADS_WEBHOOK_ALLOW_HTTP", "--webhook-allow-http", "BOOLEAN", "{true,false}", "false",
     "Also call http:// webhook URLs, not only https ones"},
    {"LEADS_WEBHOOK_ALLOW_PRIVATE", "--webhook-allow-private", "BOOLEAN", "{true,false}", "false",
     "Also connect to loopback, private, link-local addresses (tests only)"},
    {"LEADS_WEBHOOK_CONCURRENCY", "--webhook-concurrency", "INT", "INT in [1 - 256]", "8",
     "Delivery attempts in flight in this replica"},
    {"LEADS_WEBHOOK_PER_ENDPOINT", "--webhook-per-endpoint", "INT", "INT in [1 - 64]", "2",
     "Delivery attempts in flight to one webhook endpoint, per replica"},
    {"LEADS_WEBHOOK_CA_FILE", "--webhook-ca-file", "TEXT", "", "",
     "PEM of extra CAs trusted for https webhooks, besides the system store"},
    {"LEADS_AUTH_MODE", "--auth-mode", "TEXT", "{jwt,gateway}", "",
     "Default: jwt when a JWT key is set, else gateway (loopback addresses only)"},
    {"LEADS_JWT_SECRET", "--jwt-secret", "TEXT", "", "",
     "HS256 secret, at least 32 bytes (prefer the variable: flags show in ps)"},
    {"LEADS_JWT_PUBLIC_KEY_FILE", "--jwt-public-key-file", "TEXT", "", "", "PEM public key file (RS256 or ES256)"},
    {"LEADS_JWT_ISSUER", "--jwt-issuer", "TEXT", "", "", "Required iss claim, when set"},
    {"LEADS_JWT_AUDIENCE", "--jwt-audience", "TEXT", "", "", "Required aud claim, when set"},
}};

domain::Error invalid(std::string_view variable, std::string issue) {
    domain::Error error = domain::Error::validation(std::string(variable), std::move(issue));
    error.message = "invalid configuration";
    return error;
}

std::optional<std::string> get(const RawSettings& raw, std::string_view variable) {
    const auto it = raw.find(variable);
    if (it == raw.end() || it->second.empty()) return std::nullopt;
    return it->second;
}

std::string show_value(std::string_view value) {
    // Bounded, so a huge value does not flood the terminal.
    std::string shown(value.substr(0, 80));
    if (value.size() > 80) shown += "...";
    return "\"" + shown + "\"";
}

// An integer in [min, max], or the default when unset.
domain::Result<int> integer(const RawSettings& raw, std::string_view variable, int fallback, int min, int max) {
    const auto text = get(raw, variable);
    if (!text) return fallback;
    int value = 0;
    const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
    if (ec != std::errc{} || end != text->data() + text->size() || value < min || value > max) {
        return invalid(variable, "must be an integer from " + std::to_string(min) + " to " + std::to_string(max) +
                                     ", got " + show_value(*text));
    }
    return value;
}

std::string lower(std::string text) {
    for (auto& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return text;
}

domain::Result<bool> boolean(const RawSettings& raw, std::string_view variable, bool fallback) {
    const auto text = get(raw, variable);
    if (!text) return fallback;
    const auto normal = lower(*text);
    if (normal == "true") return true;
    if (normal == "false") return false;
    return invalid(variable, "must be true or false, got " + show_value(*text));
}

// The webhook delivery settings (CONTRACT §8).
domain::Result<void> resolve_webhooks(const RawSettings& raw, Config& config) {
    for (const auto& [name, fallback, field] :
         {std::tuple{"LEADS_WEBHOOK_WORKER", true, &Config::webhook_worker},
          std::tuple{"LEADS_WEBHOOK_ALLOW_HTTP", false, &Config::webhook_allow_http},
          std::tuple{"LEADS_WEBHOOK_ALLOW_PRIVATE", false, &Config::webhook_allow_private}}) {
        auto value = boolean(raw, name, fallback);
        if (!value) return std::move(value).error();
        config.*field = *value;
    }
    auto timeout = integer(raw, "LEADS_WEBHOOK_TIMEOUT_S", 15, 1, 300);
    if (!timeout) return std::move(timeout).error();
    config.webhook_timeout = std::chrono::seconds(*timeout);
    auto concurrency = integer(raw, "LEADS_WEBHOOK_CONCURRENCY", 8, 1, 256);
    if (!concurrency) return std::move(concurrency).error();
    config.webhook_concurrency = *concurrency;
    auto per_endpoint = integer(raw, "LEADS_WEBHOOK_PER_ENDPOINT", 2, 1, 64);
    if (!per_endpoint) return std::move(per_endpoint).error();
    config.webhook_per_endpoint = *per_endpoint;
    if (const auto schedule = get(raw, "LEADS_WEBHOOK_RETRY_SCHEDULE")) {
        auto parsed = domain::parse_retry_schedule(*schedule);
        if (!parsed) {
            return invalid("LEADS_WEBHOOK_RETRY_SCHEDULE",
                           "must be comma-separated delays like 5s,5m,2h, got " + show_value(*schedule));
        }
        config.webhook_retry_schedule = std::move(*parsed);
    }
    config.webhook_ca_file = get(raw, "LEADS_WEBHOOK_CA_FILE").value_or("");
    return {};
}

}  // namespace

std::string_view version() { return LEADS_VERSION; }

// The authentication settings (CONTRACT §1), once the listen address is known.
domain::Result<void> resolve_auth(const RawSettings& raw, Config& config) {
    config.jwt_secret = get(raw, "LEADS_JWT_SECRET").value_or("");
    config.jwt_public_key_file = get(raw, "LEADS_JWT_PUBLIC_KEY_FILE").value_or("");
    config.jwt_issuer = get(raw, "LEADS_JWT_ISSUER");
    config.jwt_audience = get(raw, "LEADS_JWT_AUDIENCE");
    const bool has_key = !config.jwt_secret.empty() || !config.jwt_public_key_file.empty();

    if (const auto mode = get(raw, "LEADS_AUTH_MODE")) {
        const auto normal = lower(*mode);
        if (normal == "jwt") {
            config.auth_mode = http::AuthMode::Jwt;
        } else if (normal == "gateway") {
            config.auth_mode = http::AuthMode::Gateway;
        } else {
            return invalid("LEADS_AUTH_MODE", "must be jwt or gateway, got " + show_value(*mode));
        }
        config.auth_mode_explicit = true;
    } else {
        config.auth_mode = has_key ? http::AuthMode::Jwt : http::AuthMode::Gateway;
    }

    if (config.auth_mode == http::AuthMode::Gateway && !config.auth_mode_explicit && !config.listen.is_loopback()) {
        // CONTRACT §1: the implicit gateway mode trusts X-Tenant-Id, so only on loopback.
        return invalid("LEADS_AUTH_MODE",
                       "is unset and no JWT key is configured, so the service would trust X-Tenant-Id headers "
                       "(gateway mode), which it does only on a loopback address, but LEADS_LISTEN is " +
                           config.listen.to_string() +
                           "; set LEADS_JWT_SECRET or LEADS_JWT_PUBLIC_KEY_FILE, or set LEADS_AUTH_MODE=gateway "
                           "explicitly when a trusted gateway is the only way in");
    }
    if (config.auth_mode == http::AuthMode::Jwt) {
        auto checked = http::check_jwt_keys(config.jwt_secret, !config.jwt_public_key_file.empty());
        if (!checked) return invalid(checked.error().details.at(0).field, checked.error().details.at(0).issue);
    }
    return {};
}

domain::Result<Config> resolve_config(const RawSettings& raw, unsigned hardware_threads) {
    Config config;

    if (const auto listen = get(raw, "LEADS_LISTEN")) {
        auto parsed = http::parse_listen_address(*listen);
        if (!parsed)
            return invalid("LEADS_LISTEN", parsed.error().details.at(0).issue + ", got " + show_value(*listen));
        config.listen = std::move(parsed.value());
    }

    if (const auto url = get(raw, "LEADS_DATABASE_URL")) {
        // Not quoted back: a mistyped URL may carry a password.
        if (!backend_of(*url)) return invalid("LEADS_DATABASE_URL", std::string(kDatabaseUrlForms));
        config.database_url = *url;
    }

    const int default_threads = static_cast<int>(std::clamp(hardware_threads, 1u, 256u));
    auto threads = integer(raw, "LEADS_THREADS", default_threads, 1, 256);
    if (!threads) return std::move(threads).error();
    config.threads = *threads;

    auto pool = integer(raw, "LEADS_DB_POOL_SIZE", 8, 1, 1024);
    if (!pool) return std::move(pool).error();
    config.db_pool_size = *pool;

    if (const auto level = get(raw, "LEADS_LOG_LEVEL")) {
        const auto normal = lower(*level);
        constexpr std::array<std::string_view, 6> kLevels = {"trace", "debug", "info", "warn", "error", "off"};
        if (std::find(kLevels.begin(), kLevels.end(), normal) == kLevels.end()) {
            return invalid("LEADS_LOG_LEVEL",
                           "must be one of trace, debug, info, warn, error, off, got " + show_value(*level));
        }
        config.log_level = normal;
    }

    for (const auto& [name, fallback, min, field] :
         {std::tuple{"LEADS_SHUTDOWN_GRACE_S", 20, 0, &Config::shutdown_grace},
          std::tuple{"LEADS_READ_TIMEOUT_S", 30, 1, &Config::read_timeout},
          std::tuple{"LEADS_WRITE_TIMEOUT_S", 30, 1, &Config::write_timeout},
          std::tuple{"LEADS_IDLE_TIMEOUT_S", 60, 1, &Config::idle_timeout}}) {
        auto seconds = integer(raw, name, fallback, min, 3600);
        if (!seconds) return std::move(seconds).error();
        config.*field = std::chrono::seconds(*seconds);
    }

    for (const auto& [name, fallback, max, field] :
         {std::tuple{"LEADS_TENANT_RATE", 0, 1'000'000, &Config::tenant_rate},
          std::tuple{"LEADS_TENANT_BURST", 0, 1'000'000, &Config::tenant_burst},
          std::tuple{"LEADS_TENANT_MAX_SEARCHES", std::max(1, config.db_pool_size / 2), 1024,
                     &Config::tenant_max_searches}}) {
        auto value = integer(raw, name, fallback, 0, max);
        if (!value) return std::move(value).error();
        config.*field = *value;
    }
    auto ttl = integer(raw, "LEADS_IDEMPOTENCY_TTL_H", 24, 1, 8760);
    if (!ttl) return std::move(ttl).error();
    config.idempotency_ttl = std::chrono::hours(*ttl);
    auto retention = integer(raw, "LEADS_EVENT_RETENTION_H", 168, 1, 87'600);
    if (!retention) return std::move(retention).error();
    config.event_retention = std::chrono::hours(*retention);
    if (auto webhooks = resolve_webhooks(raw, config); !webhooks) return std::move(webhooks).error();

    if (auto auth = resolve_auth(raw, config); !auth) return std::move(auth).error();
    return config;
}

std::string describe(const domain::Error& error) {
    if (!error.details.empty()) return error.details.front().field + ": " + error.details.front().issue;
    return error.message;
}

ParseOutcome parse_command_line(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
    CLI::App app{
        "Leads service: the HTTP API for leads (CONTRACT.md). Every option can also be set by the "
        "environment variable shown; a flag wins over its variable.",
        "leads-api"};
    app.set_version_flag("--version", std::string(version()));
    app.fallthrough();  // options also after the sub-command: leads-api migrate --database-url ...
    auto* migrate = app.add_subcommand("migrate", "Apply pending database migrations and exit (0: done, 1: failed)");

    std::map<std::string, std::string, std::less<>> values;
    for (const auto& setting : kSettings) {
        auto* option =
            app.add_option(std::string(setting.flag), values[std::string(setting.variable)], std::string(setting.help))
                ->envname(std::string(setting.variable))
                ->type_name(std::string(setting.type));
        // Shown, not applied: resolve_config supplies defaults and checks values, so every
        // error names the variable (CLI11's own checks would name the flag).
        if (!setting.fallback.empty()) option->default_str(std::string(setting.fallback));
        if (setting.variable == "LEADS_THREADS") {
            // Computed: this machine's number of CPUs.
            option->default_str(std::to_string(std::clamp(std::thread::hardware_concurrency(), 1u, 256u)));
        }
        if (setting.variable == "LEADS_TENANT_MAX_SEARCHES") {
            // Computed: half the workers, here with the default pool size.
            option->default_str(std::to_string(std::max(1, kDefaultDbPoolSize / 2)));
        }
        if (!setting.allowed.empty()) {
            option->check(CLI::Validator([](std::string&) { return std::string(); }, std::string(setting.allowed)));
        }
    }

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        if (e.get_exit_code() == 0) {
            app.exit(e, out, err);  // --help, --version
            return {std::nullopt, 0};
        }
        err << "leads-api: " << e.what() << "\nRun with --help for the options.\n";
        return {std::nullopt, 2};
    }

    RawSettings raw(values.begin(), values.end());
    auto config = resolve_config(raw, std::thread::hardware_concurrency());
    if (!config) {
        err << "leads-api: invalid configuration: " << describe(config.error()) << "\n";
        return {std::nullopt, 2};
    }
    config->command = *migrate ? Command::Migrate : Command::Serve;
    return {std::move(config.value()), 0};
}

}  // namespace leads::adapters::bootstrap
