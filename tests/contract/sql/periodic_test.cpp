// The thread that runs the SQL backends' maintenance (PostgreSQL's index merges): it runs,
// says when it starts failing and when it works again (not every run), and stops with its
// owner.
#include "adapters/sql/periodic.hpp"

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace leads::tests::contract {
namespace {

TEST_CASE("maintenance runs again and again, and reports only when its outcome changes", "[unit][periodic]") {
    std::atomic<int> runs{0};
    std::mutex mutex;
    std::vector<std::string> heard;
    {
        adapters::sql::Periodic periodic(
            std::chrono::milliseconds(2),
            [&]() -> std::string {
                const int run = ++runs;
                if (run <= 3) return "disk full";
                if (run <= 5) throw std::runtime_error("thrown");
                return "";
            },
            [&](const std::string& failure) {
                std::lock_guard lock(mutex);
                heard.push_back(failure);
            });
        const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        while (runs < 8 && std::chrono::steady_clock::now() < give_up) {
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
    }
    const int after_stop = runs;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    CHECK(runs >= 8);
    CHECK(runs == after_stop);  // stopped with its owner
    std::lock_guard lock(mutex);
    CHECK(heard == std::vector<std::string>{"disk full", "thrown", ""});
}

}  // namespace
}  // namespace leads::tests::contract
