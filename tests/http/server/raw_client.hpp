#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

// A deliberately dumb blocking HTTP/1.1 client over a raw socket, so tests control every
// byte on the wire (malformed requests, pipelining, slow clients). Used by the http and
// e2e tiers.
namespace leads::testing {

using namespace std::chrono_literals;

struct HttpResponse {
    int status = 0;
    std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
    std::string body;

    std::optional<std::string> header(std::string_view lower_name) const;
    std::size_t header_count(std::string_view lower_name) const;
};

class RawConnection {
  public:
    explicit RawConnection(std::uint16_t port, const std::string& host = "127.0.0.1");
    ~RawConnection();
    RawConnection(const RawConnection&) = delete;
    RawConnection& operator=(const RawConnection&) = delete;

    // Throws std::runtime_error when the write fails.
    void send(std::string_view data);
    // false when the write failed (the peer closed).
    bool try_send(std::string_view data);

    // One response (interim 1xx skipped); nullopt on timeout, close or a malformed response.
    // A response to HEAD has a Content-Length but no body: say so with head.
    std::optional<HttpResponse> read_response(std::chrono::milliseconds timeout = 10s, bool head = false);

    // True when the peer closes (EOF or reset) within the timeout; bytes arriving first are kept.
    bool wait_closed(std::chrono::milliseconds timeout);

  private:
    // Appends whatever arrives within the timeout; false on timeout, EOF or error.
    bool fill(std::chrono::steady_clock::time_point deadline);

    int fd_ = -1;
    std::string buffer_;
    bool eof_ = false;
};

// Whether a TCP connection to the port is accepted.
bool can_connect(std::uint16_t port, const std::string& host = "127.0.0.1");

// One request on its own connection ("Connection: close" added).
std::optional<HttpResponse> http_request(std::uint16_t port, std::string_view method, std::string_view target,
                                         std::string_view body = {},
                                         const std::vector<std::pair<std::string, std::string>>& headers = {});

// Polls until the predicate holds (true) or the timeout passes (false). The server counts
// a request once its response is written, a moment after the client has read it.
template <class Predicate>
bool eventually(Predicate&& predicate, std::chrono::milliseconds timeout = 3s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!predicate()) {
        if (std::chrono::steady_clock::now() > deadline) return false;
        std::this_thread::sleep_for(10ms);
    }
    return true;
}

// The value of a metric line "name{labels} value" in a Prometheus text, 0 when absent.
double metric_value(std::string_view metrics_text, std::string_view series);

}  // namespace leads::testing
