#include "adapters/sql/periodic.hpp"

#include <utility>

namespace leads::adapters::sql {

Periodic::Periodic(std::chrono::milliseconds interval, std::function<std::string()> task,
                   std::function<void(const std::string&)> on_change)
    : interval_(interval), task_(std::move(task)), on_change_(std::move(on_change)), thread_([this] { run(); }) {}

Periodic::~Periodic() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    thread_.join();
}

void Periodic::run() {
    std::unique_lock lock(mutex_);
    while (!wake_.wait_for(lock, interval_, [this] { return stopping_; })) {
        lock.unlock();
        std::string failure;
        try {
            failure = task_();
        } catch (const std::exception& e) {
            failure = e.what();
        } catch (...) {
            failure = "unknown exception";
        }
        report(failure);
        lock.lock();
    }
}

void Periodic::report(const std::string& failure) {
    if (failure != last_failure_ && on_change_) {
        try {
            on_change_(failure);
        } catch (...) {
            // A failing log must not stop the runs.
        }
    }
    last_failure_ = failure;
}

}  // namespace leads::adapters::sql
