#include "adapters/logging/setup.hpp"

#include <poll.h>
#include <pthread.h>
#include <spdlog/details/null_mutex.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <mutex>
#include <shared_mutex>
#include <system_error>

#include "adapters/logging/json_log.hpp"

namespace leads::adapters::logging {

namespace {

// A reader-writer lock that lets a waiting writer in before new readers: glibc's
// std::shared_mutex prefers readers, so a writer can wait for as long as readers keep
// overlapping. Not recursive: a thread holding it must not take it again. Meets
// SharedMutex, for std::shared_lock and std::unique_lock.
class WriterPreferringMutex {
  public:
    WriterPreferringMutex() {
        pthread_rwlockattr_t attributes;
        int error = ::pthread_rwlockattr_init(&attributes);
        if (error == 0) {
            error = ::pthread_rwlockattr_setkind_np(&attributes, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
            if (error == 0) error = ::pthread_rwlock_init(&lock_, &attributes);
            ::pthread_rwlockattr_destroy(&attributes);
        }
        if (error != 0) throw std::system_error(error, std::generic_category(), "pthread_rwlock_init");
    }
    ~WriterPreferringMutex() { ::pthread_rwlock_destroy(&lock_); }
    WriterPreferringMutex(const WriterPreferringMutex&) = delete;
    WriterPreferringMutex& operator=(const WriterPreferringMutex&) = delete;

    void lock() { check(::pthread_rwlock_wrlock(&lock_), "pthread_rwlock_wrlock"); }
    void unlock() { ::pthread_rwlock_unlock(&lock_); }
    void lock_shared() {
        int error = 0;
        // EAGAIN: too many readers at once; one of them leaves soon (as libstdc++ does).
        while ((error = ::pthread_rwlock_rdlock(&lock_)) == EAGAIN) {
        }
        check(error, "pthread_rwlock_rdlock");
    }
    void unlock_shared() { ::pthread_rwlock_unlock(&lock_); }

  private:
    static void check(int error, const char* what) {
        if (error != 0) throw std::system_error(error, std::generic_category(), what);
    }

    pthread_rwlock_t lock_;
};

// Each line goes out as soon as it is formatted: nothing is buffered, so nothing is lost at
// exit. Lines of at most PIPE_BUF bytes, which a pipe (a container's stdout) writes whole in
// one write(2), share a lock (no waiting among themselves); a longer one, which a pipe may
// split, takes it alone so that nothing lands in its middle, and is let in ahead of the
// short lines that come after it. spdlog's stdout sink instead held one process-wide mutex
// around fwrite and fflush for every line, which every request's access log queued on.
class LineSink final : public spdlog::sinks::base_sink<spdlog::details::null_mutex> {
  public:
    explicit LineSink(int fd) : fd_(fd) {}

  protected:
    void sink_it_(const spdlog::details::log_msg& msg) override {
        spdlog::memory_buf_t line;
        formatter_->format(msg, line);
        if (line.size() <= PIPE_BUF) {
            std::shared_lock lock(writing_);
            write_all(line.data(), line.size());
            return;
        }
        std::unique_lock lock(writing_);
        write_all(line.data(), line.size());
    }
    void flush_() override {}

  private:
    // The whole line, however many writes it takes. A non-blocking stdout that is full
    // (EAGAIN) is waited on until it takes more, as a blocking one would be: a line is never
    // cut short. (A pipe takes a line of at most PIPE_BUF bytes whole or not at all.)
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
    WriterPreferringMutex writing_;
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
    spdlog::set_default_logger(std::move(logger));
}

}  // namespace leads::adapters::logging
