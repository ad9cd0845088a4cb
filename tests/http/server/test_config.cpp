// Configuration: every variable checked, with a message naming it.
#include <catch2/catch.hpp>

#include "adapters/bootstrap/config.hpp"

namespace bootstrap = leads::adapters::bootstrap;
using leads::adapters::http::AuthMode;

namespace {

std::string failure(const bootstrap::RawSettings& raw) {
    const auto config = bootstrap::resolve_config(raw, 4);
    if (config) return "(accepted)";
    return bootstrap::describe(config.error());
}

}  // namespace

TEST_CASE("Config: defaults", "[config]") {
    const auto config = bootstrap::resolve_config({}, 6);
    REQUIRE(config);
    CHECK(config->listen.to_string() == "127.0.0.1:8080");
    CHECK(config->database_url == "sqlite:leads.db");
    CHECK(config->threads == 6);
    CHECK(config->db_pool_size == 8);
    CHECK(config->log_level == "info");
    CHECK(config->shutdown_grace == std::chrono::seconds(20));
    CHECK(config->read_timeout == std::chrono::seconds(30));
    CHECK(config->write_timeout == std::chrono::seconds(30));
    CHECK(config->tenant_rate == 0);  // no budget unless set
    CHECK(config->tenant_max_searches == config->db_pool_size / 2);
    CHECK(config->idle_timeout == std::chrono::seconds(60));
    CHECK(config->auth_mode == AuthMode::Gateway);
    CHECK_FALSE(config->auth_mode_explicit);
    CHECK(bootstrap::resolve_config({}, 0)->threads == 1);
    CHECK(bootstrap::resolve_config({}, 1000)->threads == 256);
    // Empty values count as unset.
    CHECK(bootstrap::resolve_config({{"LEADS_THREADS", ""}, {"LEADS_LISTEN", ""}}, 2)->threads == 2);
}

TEST_CASE("Config: values are parsed", "[config]") {
    const auto config = bootstrap::resolve_config({{"LEADS_LISTEN", "[::1]:9000"},
                                                   {"LEADS_DATABASE_URL", "postgresql://u:p@db/leads"},
                                                   {"LEADS_THREADS", "256"},
                                                   {"LEADS_DB_POOL_SIZE", "1024"},
                                                   {"LEADS_LOG_LEVEL", "WARN"},
                                                   {"LEADS_SHUTDOWN_GRACE_S", "0"},
                                                   {"LEADS_READ_TIMEOUT_S", "5"},
                                                   {"LEADS_WRITE_TIMEOUT_S", "6"},
                                                   {"LEADS_IDLE_TIMEOUT_S", "7"},
                                                   {"LEADS_JWT_SECRET", std::string(32, 's')},
                                                   {"LEADS_JWT_ISSUER", "iss"},
                                                   {"LEADS_JWT_AUDIENCE", "aud"}},
                                                  4);
    REQUIRE(config);
    CHECK(config->listen.ipv6);
    CHECK(config->listen.port == 9000);
    CHECK(config->threads == 256);
    CHECK(config->db_pool_size == 1024);
    CHECK(config->log_level == "warn");
    CHECK(config->shutdown_grace == std::chrono::seconds(0));
    CHECK(config->read_timeout == std::chrono::seconds(5));
    CHECK(config->write_timeout == std::chrono::seconds(6));
    CHECK(config->idle_timeout == std::chrono::seconds(7));
    CHECK(config->auth_mode == AuthMode::Jwt);  // a key is configured
    CHECK(config->jwt_issuer == "iss");
    CHECK(config->jwt_audience == "aud");
    CHECK(bootstrap::resolve_config({{"LEADS_DATABASE_URL", "memory:"}}, 1));
    CHECK(bootstrap::resolve_config({{"LEADS_DATABASE_URL", "sqlite:/var/lib/leads.db"}}, 1));
}

TEST_CASE("Config: change events and webhook delivery", "[config]") {
    const auto defaults = bootstrap::resolve_config({}, 2);
    REQUIRE(defaults);
    CHECK(defaults->event_retention == std::chrono::hours(168));
    CHECK(defaults->webhook_worker);
    CHECK_FALSE(defaults->webhook_allow_http);
    CHECK_FALSE(defaults->webhook_allow_private);
    CHECK(defaults->webhook_timeout == std::chrono::seconds(15));
    CHECK(defaults->webhook_retry_schedule.size() == 9);
    CHECK(defaults->webhook_retry_schedule.back() == std::chrono::hours(24));
    CHECK(defaults->webhook_concurrency == 8);
    CHECK(defaults->webhook_per_endpoint == 2);

    const auto config = bootstrap::resolve_config({{"LEADS_EVENT_RETENTION_H", "24"},
                                                   {"LEADS_WEBHOOK_WORKER", "FALSE"},
                                                   {"LEADS_WEBHOOK_ALLOW_HTTP", "true"},
                                                   {"LEADS_WEBHOOK_ALLOW_PRIVATE", "true"},
                                                   {"LEADS_WEBHOOK_TIMEOUT_S", "3"},
                                                   {"LEADS_WEBHOOK_RETRY_SCHEDULE", "1s,2m,3h"},
                                                   {"LEADS_WEBHOOK_CONCURRENCY", "16"},
                                                   {"LEADS_WEBHOOK_PER_ENDPOINT", "4"},
                                                   {"LEADS_WEBHOOK_CA_FILE", "/etc/ca.pem"}},
                                                  2);
    REQUIRE(config);
    CHECK(config->event_retention == std::chrono::hours(24));
    CHECK_FALSE(config->webhook_worker);
    CHECK(config->webhook_allow_http);
    CHECK(config->webhook_allow_private);
    CHECK(config->webhook_timeout == std::chrono::seconds(3));
    CHECK(config->webhook_retry_schedule ==
          std::vector<std::chrono::seconds>{std::chrono::seconds(1), std::chrono::minutes(2), std::chrono::hours(3)});
    CHECK(config->webhook_concurrency == 16);
    CHECK(config->webhook_per_endpoint == 4);
    CHECK(config->webhook_ca_file == "/etc/ca.pem");
}

TEST_CASE("Config: bad values name their variable", "[config]") {
    struct Case {
        const char* variable;
        const char* value;
    };
    for (const auto& [variable, value] : std::initializer_list<Case>{
             {"LEADS_LISTEN", "nope"},
             {"LEADS_LISTEN", "1.2.3.4"},
             {"LEADS_LISTEN", "[::1]"},
             {"LEADS_DATABASE_URL", "mysql://x"},
             {"LEADS_DATABASE_URL", "sqlite:"},
             {"LEADS_THREADS", "0"},
             {"LEADS_THREADS", "257"},
             {"LEADS_THREADS", "2x"},
             {"LEADS_THREADS", " 2"},
             {"LEADS_DB_POOL_SIZE", "0"},
             {"LEADS_DB_POOL_SIZE", "1025"},
             {"LEADS_LOG_LEVEL", "verbose"},
             {"LEADS_SHUTDOWN_GRACE_S", "-1"},
             {"LEADS_SHUTDOWN_GRACE_S", "3601"},
             {"LEADS_READ_TIMEOUT_S", "0"},
             {"LEADS_WRITE_TIMEOUT_S", "0"},
             {"LEADS_TENANT_RATE", "-1"},
             {"LEADS_TENANT_MAX_SEARCHES", "many"},
             {"LEADS_IDLE_TIMEOUT_S", "99999999999999"},
             {"LEADS_AUTH_MODE", "none"},
             {"LEADS_EVENT_RETENTION_H", "0"},
             {"LEADS_WEBHOOK_WORKER", "yes"},
             {"LEADS_WEBHOOK_ALLOW_HTTP", "1"},
             {"LEADS_WEBHOOK_TIMEOUT_S", "301"},
             {"LEADS_WEBHOOK_RETRY_SCHEDULE", "5s,,5m"},
             {"LEADS_WEBHOOK_RETRY_SCHEDULE", "5 minutes"},
             {"LEADS_WEBHOOK_CONCURRENCY", "0"},
             {"LEADS_WEBHOOK_PER_ENDPOINT", "65"},
             {"LEADS_JWT_SECRET", "31-bytes-31-bytes-31-bytes-31-b"},
         }) {
        INFO(variable << "=" << value);
        const auto message = failure({{variable, value}});
        CHECK(message.rfind(std::string(variable) + ": ", 0) == 0);
    }
}

TEST_CASE("Config: authentication mode", "[config]") {
    SECTION("implicit gateway only on loopback") {
        CHECK(failure({{"LEADS_LISTEN", "127.0.0.1:80"}}) == "(accepted)");
        CHECK(failure({{"LEADS_LISTEN", "[::1]:80"}}) == "(accepted)");
        for (const auto* address : {"0.0.0.0:8080", "[::]:8080", "10.1.2.3:8080"}) {
            const auto message = failure({{"LEADS_LISTEN", address}});
            CHECK(message.rfind("LEADS_AUTH_MODE: ", 0) == 0);
            CHECK(message.find(address) != std::string::npos);
        }
    }
    SECTION("explicit gateway anywhere") {
        const auto config =
            bootstrap::resolve_config({{"LEADS_LISTEN", "0.0.0.0:8080"}, {"LEADS_AUTH_MODE", "gateway"}}, 1);
        REQUIRE(config);
        CHECK(config->auth_mode == AuthMode::Gateway);
        CHECK(config->auth_mode_explicit);
    }
    SECTION("a JWT key makes jwt the default, also on a public address") {
        const auto config = bootstrap::resolve_config(
            {{"LEADS_LISTEN", "0.0.0.0:8080"}, {"LEADS_JWT_PUBLIC_KEY_FILE", "/etc/leads/key.pem"}}, 1);
        REQUIRE(config);
        CHECK(config->auth_mode == AuthMode::Jwt);
    }
    SECTION("jwt needs exactly one key") {
        CHECK(failure({{"LEADS_AUTH_MODE", "jwt"}}).rfind("LEADS_AUTH_MODE: ", 0) == 0);
        CHECK(failure({{"LEADS_JWT_SECRET", std::string(40, 'x')}, {"LEADS_JWT_PUBLIC_KEY_FILE", "/k.pem"}})
                  .rfind("LEADS_JWT_SECRET: ", 0) == 0);
    }
    SECTION("the secret is never echoed") {
        const auto message = failure({{"LEADS_JWT_SECRET", "hunter2"}});
        CHECK(message.find("hunter2") == std::string::npos);
    }
}
