#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "adapters/system/random_id_generator.hpp"
#include "adapters/system/system_clock.hpp"

namespace leads {
namespace {

using namespace std::chrono_literals;

TEST_CASE("the system clock tells UTC time in whole milliseconds", "[system]") {
    adapters::system::SystemClock clock;
    const auto before = std::chrono::system_clock::now();
    const domain::Timestamp now = clock.now();
    const auto after = std::chrono::system_clock::now();
    CHECK(now <= after);
    CHECK(now + 1ms > before);
    CHECK(clock.now() >= now);
}

TEST_CASE("random ids are well-formed, unique and increasing", "[system]") {
    adapters::system::RandomIdGenerator ids;
    std::vector<std::string> generated;
    for (int i = 0; i < 5000; ++i) {
        generated.push_back(ids.new_lead_id().value());
        generated.push_back(ids.new_activity_id().value());
    }
    for (std::size_t i = 0; i < generated.size(); ++i) {
        const std::string& id = generated[i];
        if (i % 2 == 0) {
            REQUIRE(domain::LeadId::parse(id).has_value());
        } else {
            REQUIRE(domain::ActivityId::parse(id).has_value());
        }
    }
    // Lead and activity ids share one sequence: compare the parts after the prefixes.
    std::vector<std::string> bodies;
    for (const std::string& id : generated) bodies.push_back(id.substr(id.find('_') + 1));
    CHECK(std::adjacent_find(bodies.begin(), bodies.end(), std::greater_equal<>()) == bodies.end());
    CHECK(std::set<std::string>(bodies.begin(), bodies.end()).size() == bodies.size());
}

// The milliseconds in the first 10 characters after the prefix (ULID layout).
std::int64_t millis_of(const std::string& id) {
    constexpr std::string_view kAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    std::int64_t value = 0;
    for (char c : id.substr(id.find('_') + 1, 10)) value = value * 32 + static_cast<std::int64_t>(kAlphabet.find(c));
    return value;
}

TEST_CASE("ids carry the current time", "[system]") {
    adapters::system::RandomIdGenerator ids;
    const auto millis_now = [] {
        return std::chrono::floor<std::chrono::milliseconds>(std::chrono::system_clock::now())
            .time_since_epoch()
            .count();
    };
    const std::int64_t before = millis_now();
    const std::string first = ids.new_lead_id().value();
    std::this_thread::sleep_for(3ms);
    const std::string second = ids.new_activity_id().value();
    const std::int64_t after = millis_now();
    CHECK(millis_of(first) >= before);
    CHECK(millis_of(first) <= after);
    CHECK(millis_of(second) >= millis_of(first) + 3);
    CHECK(millis_of(second) <= after);
}

TEST_CASE("ids from many threads never repeat", "[system]") {
    adapters::system::RandomIdGenerator ids;
    constexpr int kThreads = 8;
    constexpr int kEach = 2000;
    std::vector<std::vector<std::string>> per_thread(kThreads);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < kEach; ++i)
                per_thread[static_cast<std::size_t>(t)].push_back(ids.new_activity_id().value());
        });
    }
    for (auto& thread : threads) thread.join();
    std::set<std::string> all;
    for (const auto& list : per_thread) {
        CHECK(std::is_sorted(list.begin(), list.end()));
        all.insert(list.begin(), list.end());
    }
    CHECK(all.size() == static_cast<std::size_t>(kThreads * kEach));
}

TEST_CASE("a child process after fork() draws its own randomness, not its parent's", "[system]") {
    adapters::system::RandomIdGenerator parent_ids;
    (void)parent_ids.new_lead_id();  // the parent's thread now holds drawn bytes
    int pipe_fds[2];
    REQUIRE(::pipe(pipe_fds) == 0);
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        adapters::system::RandomIdGenerator child_ids;
        const std::string id = child_ids.new_activity_id().value();
        const bool written = ::write(pipe_fds[1], id.data(), id.size()) == static_cast<ssize_t>(id.size());
        ::_exit(written ? 0 : 1);
    }
    ::close(pipe_fds[1]);
    adapters::system::RandomIdGenerator ids;
    const std::string mine = ids.new_activity_id().value();
    std::string theirs(mine.size(), '\0');
    const ssize_t got = ::read(pipe_fds[0], theirs.data(), theirs.size());
    ::close(pipe_fds[0]);
    int status = 0;
    ::waitpid(child, &status, 0);
    REQUIRE(got == static_cast<ssize_t>(mine.size()));
    // The 16 characters after the time (80 random bits) differ.
    CHECK(theirs.substr(theirs.size() - 16) != mine.substr(mine.size() - 16));
}

}  // namespace
}  // namespace leads
