#pragma once

#include <cstdlib>
#include <map>
#include <string>

// How the end-to-end tests start the real leads-api binary (tests/e2e/process.hpp runs it).
namespace leads::tests::e2e {

inline const std::string kBinary = LEADS_API_BINARY;
inline const std::string kJson = "application/json";

// Every setting explicit, on a free loopback port; extra settings win; sanitizer options
// and PATH pass through.
inline std::map<std::string, std::string> service_env(const std::string& database_url,
                                                      const std::map<std::string, std::string>& extra = {}) {
    std::map<std::string, std::string> env = {
        {"LEADS_LISTEN", "127.0.0.1:0"}, {"LEADS_DATABASE_URL", database_url}, {"LEADS_THREADS", "2"},
        {"LEADS_DB_POOL_SIZE", "3"},     {"LEADS_LOG_LEVEL", "info"},
    };
    for (const char* name : {"ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS", "PATH"}) {
        if (const char* value = std::getenv(name)) env[name] = value;
    }
    for (const auto& [name, value] : extra) env[name] = value;
    return env;
}

}  // namespace leads::tests::e2e
