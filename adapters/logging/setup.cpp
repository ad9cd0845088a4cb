#include "adapters/logging/setup.hpp"

#include <poll.h>
#include <spdlog/details/null_mutex.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

#include "adapters/logging/json_log.hpp"

namespace leads::adapters::logging {

namespace {

// Lines are gathered in memory and written by whole batches: by the sink's own thread every
// kFlushEvery, by the logging thread itself when the batch reaches kFlushBytes (so a stuck
// stdout holds loggers back instead of growing memory), and on flush() — which
// setup_logging asks for on every warning and error — and when the sink goes away. A write
// per access-log line was ~4% of a get by id's CPU (docs/performance.md). Batches are
// written one at a time, in order, each line whole: nothing lands in the middle of a line,
// whatever its length. At most kFlushEvery of info lines is lost if the process dies.
//
// A thread that must see its line out waits for the bytes before it, not for a lock: with a
// lock, a thread that logs all the time could take it again and again ahead of one that
// waits (a long line once waited 3 s behind short ones). Counting bytes bounds the wait to
// the batch being written and the one holding the line.
class LineSink final : public spdlog::sinks::base_sink<spdlog::details::null_mutex> {
  public:
    explicit LineSink(int fd) : fd_(fd), flusher_([this] { run(); }) {}

    ~LineSink() override {
        std::unique_lock lock(mutex_);
        stopping_ = true;
        lock.unlock();
        wake_.notify_all();
        flusher_.join();
        lock.lock();
        write_through(lock, appended_);
    }

    LineSink(const LineSink&) = delete;
    LineSink& operator=(const LineSink&) = delete;

  protected:
    void sink_it_(const spdlog::details::log_msg& msg) override {
        spdlog::memory_buf_t line;
        formatter_->format(msg, line);
        std::unique_lock lock(mutex_);
        pending_.append(line.data(), line.size());
        appended_ += line.size();
        if (pending_.size() >= kFlushBytes) write_through(lock, appended_);
    }
    void flush_() override {
        std::unique_lock lock(mutex_);
        write_through(lock, appended_);
    }

  private:
    static constexpr std::chrono::milliseconds kFlushEvery{10};
    static constexpr std::size_t kFlushBytes = 64 * 1024;

    void run() {
        std::unique_lock lock(mutex_);
        while (!wake_.wait_for(lock, kFlushEvery, [this] { return stopping_; })) {
            // A batch being written is followed by whoever waits for the next one.
            if (!pending_.empty() && !writing_) write_through(lock, appended_);
        }
    }

    // Returns once the first `upto` bytes ever logged are written. Whoever finds no batch
    // being written writes all that is pending; the others wait for it. One batch at a time,
    // so batches keep their order.
    void write_through(std::unique_lock<std::mutex>& lock, std::uint64_t upto) {
        while (written_ < upto) {
            if (writing_) {
                written_cv_.wait(lock);
                continue;
            }
            writing_ = true;
            batch_.swap(pending_);
            const std::uint64_t end = appended_;
            lock.unlock();
            write_all(batch_.data(), batch_.size());
            batch_.clear();  // keeps its capacity for the next swap
            lock.lock();
            writing_ = false;
            written_ = end;  // also when stdout is gone: those lines are lost either way
            written_cv_.notify_all();
        }
    }

    // The whole batch, however many writes it takes. A non-blocking stdout that is full
    // (EAGAIN) is waited on until it takes more, as a blocking one would be: a line is never
    // cut short.
    void write_all(const char* data, std::size_t size) const {
        while (size > 0) {
            const ssize_t written = ::write(fd_, data, size);
            if (written >= 0) {
                data += written;
                size -= static_cast<std::size_t>(written);
                continue;
            }
            if (errno == EINTR) continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK) return;  // stdout is gone: nowhere to report it
            pollfd writable{fd_, POLLOUT, 0};
            while (::poll(&writable, 1, -1) < 0) {
                if (errno != EINTR) return;
            }
            if ((writable.revents & POLLNVAL) != 0) return;
        }
    }

    int fd_;
    std::mutex mutex_;  // everything below but batch_, which only the writing thread touches
    std::string pending_;
    std::uint64_t appended_ = 0;  // bytes ever logged
    std::uint64_t written_ = 0;   // bytes ever written, a prefix of them
    bool writing_ = false;        // a batch is being written, outside the lock
    std::string batch_;
    std::condition_variable written_cv_;  // a batch was written
    bool stopping_ = false;
    std::condition_variable wake_;
    std::thread flusher_;  // last: started once the members it uses exist
};

}  // namespace

std::shared_ptr<spdlog::sinks::sink> make_line_sink(int fd) {
    auto sink = std::make_shared<LineSink>(fd);
    sink->set_formatter(make_json_formatter());
    return sink;
}

void setup_logging(std::string_view level) {
    auto logger = std::make_shared<spdlog::logger>("leads", make_line_sink(STDOUT_FILENO));
    logger->set_level(spdlog::level::from_str(std::string(level)));
    // Warnings and errors go out at once, with every line before them.
    logger->flush_on(spdlog::level::warn);
    spdlog::set_default_logger(std::move(logger));
}

}  // namespace leads::adapters::logging
