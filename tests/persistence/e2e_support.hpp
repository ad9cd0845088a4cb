#pragma once

#include <cstdlib>
#include <map>
#include <random>
#include <string>

// The leads-api binary against a real database (tests/e2e/process.hpp starts it).
namespace leads::tests::persistence {

inline const std::string kBinary = LEADS_API_BINARY;

// Every setting explicit; sanitizer options pass through.
inline std::map<std::string, std::string> service_env(const std::string& database_url) {
    std::map<std::string, std::string> env = {
        {"LEADS_LISTEN", "127.0.0.1:0"}, {"LEADS_DATABASE_URL", database_url}, {"LEADS_THREADS", "2"},
        {"LEADS_DB_POOL_SIZE", "3"},     {"LEADS_LOG_LEVEL", "info"},
    };
    for (const char* name : {"ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS", "PATH"}) {
        if (const char* value = std::getenv(name)) env[name] = value;
    }
    return env;
}

inline std::string e2e_tenant() {
    static std::mt19937_64 engine{std::random_device{}()};
    return "e2e-" + std::to_string(engine());
}

inline const std::string kJson = "application/json";

}  // namespace leads::tests::persistence
