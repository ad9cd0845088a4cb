#include "adapters/logging/setup.hpp"

#include <spdlog/details/null_mutex.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <mutex>
#include <shared_mutex>

#include "adapters/logging/json_log.hpp"

namespace leads::adapters::logging {

namespace {

// Each line goes out in one write(2) as soon as it is formatted: nothing is buffered, so
// nothing is lost at exit. Lines of at most PIPE_BUF bytes, which a pipe (a container's
// stdout) writes whole, share a lock (no waiting among themselves); a longer one, which a
// pipe may split, takes it alone so that nothing lands in its middle. spdlog's stdout sink
// instead held one process-wide mutex around fwrite and fflush for every line, which every
// request's access log queued on.
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
    void write_all(const char* data, std::size_t size) const {
        while (size > 0) {
            const ssize_t written = ::write(fd_, data, size);
            if (written < 0) {
                if (errno == EINTR) continue;
                return;  // stdout is gone: a log line cannot be reported anywhere else
            }
            data += written;
            size -= static_cast<std::size_t>(written);
        }
    }

    int fd_;
    std::shared_mutex writing_;
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
