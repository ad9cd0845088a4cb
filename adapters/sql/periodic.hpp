#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace leads::adapters::sql {

// Runs task every interval on a thread of its own, until destroyed (which waits for a run
// under way). The task returns why it failed, or an empty string; on_change hears when
// the runs start failing, fail differently, or work again (never for every run).
// Maintenance that must stay off the request path: the search index's merges and
// statistics (PostgreSQL).
class Periodic {
  public:
    Periodic(std::chrono::milliseconds interval, std::function<std::string()> task,
             std::function<void(const std::string&)> on_change);
    ~Periodic();

    Periodic(const Periodic&) = delete;
    Periodic& operator=(const Periodic&) = delete;

  private:
    void run();
    void report(const std::string& failure);

    std::chrono::milliseconds interval_;
    std::function<std::string()> task_;
    std::function<void(const std::string&)> on_change_;
    std::string last_failure_;  // the thread's own
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;
    std::thread thread_;  // last: started once the members it reads exist
};

}  // namespace leads::adapters::sql
