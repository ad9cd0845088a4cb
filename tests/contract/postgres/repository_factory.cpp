// The contract suite's PostgreSQL repository, on the database LEADS_TEST_POSTGRES_URL
// names. Without it the executable exits with 77, which ctest reports as skipped.
#include "tests/contract/repository_factory.hpp"

#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>

#include "adapters/postgres/postgres_repository.hpp"

namespace leads::tests {

namespace {

std::string test_url() {
    const char* url = std::getenv("LEADS_TEST_POSTGRES_URL");
    if (url == nullptr || *url == '\0') {
        std::fputs("LEADS_TEST_POSTGRES_URL is not set (run under scripts/with-postgres.sh): skipped\n", stderr);
        std::exit(77);
    }
    return url;
}

// Before Catch2 runs anything.
[[maybe_unused]] const std::string kUrl = test_url();

}  // namespace

std::shared_ptr<ports::LeadRepository> make_repository() {
    static std::mutex mutex;
    static std::shared_ptr<ports::LeadRepository> repository;
    std::lock_guard lock(mutex);
    if (!repository) {
        auto opened = adapters::postgres::open_postgres({.url = kUrl, .acquire_timeout = std::chrono::seconds(10)});
        if (!opened) {
            std::fprintf(stderr, "cannot open the PostgreSQL database: %s\n", opened.error().message.c_str());
            std::abort();
        }
        repository = opened.value();
    }
    return repository;
}

}  // namespace leads::tests
