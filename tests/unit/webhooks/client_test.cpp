// One delivery attempt against a real receiver on this machine (a loopback socket): what is
// sent, what is read back, and what is refused before any connection is made.
#include "adapters/webhooks/client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <mutex>
#include <string>
#include <thread>

namespace webhooks = leads::adapters::webhooks;

namespace {

// Accepts connections on 127.0.0.1 until stopped; answers each request with `answer`
// (nothing at all when it is empty) and keeps the last request's bytes.
class Receiver {
  public:
    explicit Receiver(std::string answer) : answer_(std::move(answer)) {
        fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
        REQUIRE(::listen(fd_, 8) == 0);
        socklen_t length = sizeof address;
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length);
        port_ = ntohs(address.sin_port);
        thread_ = std::thread([this] { serve(); });
    }
    ~Receiver() {
        stop_ = true;
        thread_.join();
        ::close(fd_);
    }
    std::string url(const std::string& path = "/hook") const {
        return "http://127.0.0.1:" + std::to_string(port_) + path;
    }
    int connections() const { return connections_; }
    std::string request() const {
        std::lock_guard lock(mutex_);
        return request_;
    }

  private:
    void serve() {
        while (!stop_) {
            pollfd ready{fd_, POLLIN, 0};
            if (::poll(&ready, 1, 50) <= 0) continue;
            const int client = ::accept(fd_, nullptr, nullptr);
            if (client < 0) continue;
            ++connections_;
            std::string received;
            char buffer[4096];
            for (;;) {
                const auto head_end = received.find("\r\n\r\n");
                if (head_end != std::string::npos) {
                    const auto at = received.find("Content-Length: ");
                    const std::size_t body = at == std::string::npos ? 0 : std::stoul(received.substr(at + 16));
                    if (received.size() >= head_end + 4 + body) break;
                }
                pollfd readable{client, POLLIN, 0};
                if (::poll(&readable, 1, 2000) <= 0) break;
                const ssize_t n = ::read(client, buffer, sizeof buffer);
                if (n <= 0) break;
                received.append(buffer, static_cast<std::size_t>(n));
            }
            {
                std::lock_guard lock(mutex_);
                request_ = received;
            }
            if (answer_.empty()) {
                while (!stop_) ::poll(nullptr, 0, 20);  // never answer
            } else {
                [[maybe_unused]] const ssize_t written = ::write(client, answer_.data(), answer_.size());
            }
            ::close(client);
        }
    }

    std::string answer_;
    int fd_ = -1;
    int port_ = 0;
    std::thread thread_;
    std::atomic<bool> stop_{false};
    std::atomic<int> connections_{0};
    mutable std::mutex mutex_;
    std::string request_;
};

webhooks::ClientOptions open_options() {
    webhooks::ClientOptions options;
    options.allow_http = true;
    options.allow_private = true;
    options.timeout = std::chrono::milliseconds(3000);
    return options;
}

}  // namespace

TEST_CASE("an attempt POSTs the body and headers and reads the status", "[webhooks][client]") {
    Receiver receiver("HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n");
    const std::string body = "{\"id\":\"evt_1\",\"name\":\"Ren\xc3\xa9\x65\"}";
    const auto result = webhooks::attempt_delivery({.url = receiver.url("/hook?k=v#frag"),
                                                    .body = body,
                                                    .headers = {{"webhook-id", "evt_1"}, {"webhook-timestamp", "7"}}},
                                                   open_options());
    CHECK(result.error.empty());
    CHECK(result.status == 204);
    const std::string request = receiver.request();
    CHECK(request.rfind("POST /hook?k=v HTTP/1.1\r\n", 0) == 0);
    CHECK(request.find("\r\nwebhook-id: evt_1\r\n") != std::string::npos);
    CHECK(request.find("\r\nwebhook-timestamp: 7\r\n") != std::string::npos);
    CHECK(request.find("\r\nContent-Type: application/json\r\n") != std::string::npos);
    CHECK(request.substr(request.size() - body.size()) == body);
}

TEST_CASE("a failure's status and Retry-After are read; a redirect is an answer, not followed", "[webhooks][client]") {
    {
        Receiver receiver("HTTP/1.1 503 Service Unavailable\r\nRetry-After: 120\r\nContent-Length: 0\r\n\r\n");
        const auto result =
            webhooks::attempt_delivery({.url = receiver.url(), .body = "{}", .headers = {}}, open_options());
        CHECK(result.status == 503);
        CHECK(result.retry_after == std::chrono::seconds(120));
    }
    {
        Receiver receiver("HTTP/1.1 302 Found\r\nLocation: http://169.254.169.254/latest\r\nContent-Length: 0\r\n\r\n");
        const auto result =
            webhooks::attempt_delivery({.url = receiver.url(), .body = "{}", .headers = {}}, open_options());
        CHECK(result.status == 302);
        CHECK_FALSE(result.retry_after);
        CHECK(receiver.connections() == 1);
    }
}

TEST_CASE("loopback and http are refused before connecting unless allowed", "[webhooks][client][ssrf]") {
    Receiver receiver("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
    webhooks::ClientOptions options = open_options();
    options.allow_private = false;
    const auto refused = webhooks::attempt_delivery({.url = receiver.url(), .body = "{}", .headers = {}}, options);
    CHECK_FALSE(refused.status);
    CHECK(refused.error == "refused to connect to 127.0.0.1: loopback address");
    // A name that resolves to loopback is refused the same way: the check is on the address.
    const auto by_name =
        webhooks::attempt_delivery({.url = "http://localhost:" + receiver.url().substr(receiver.url().rfind(':') + 1),
                                    .body = "{}",
                                    .headers = {}},
                                   options);
    CHECK_FALSE(by_name.status);
    CHECK(by_name.error.find("loopback") != std::string::npos);

    options = open_options();
    options.allow_http = false;
    const auto plain = webhooks::attempt_delivery({.url = receiver.url(), .body = "{}", .headers = {}}, options);
    CHECK_FALSE(plain.status);
    CHECK(plain.error == "http URLs are not called (LEADS_WEBHOOK_ALLOW_HTTP is off)");
    CHECK(receiver.connections() == 0);
}

TEST_CASE("a receiver that does not answer in time is a timeout, not a hang", "[webhooks][client]") {
    Receiver receiver("");
    webhooks::ClientOptions options = open_options();
    options.timeout = std::chrono::milliseconds(300);
    const auto started = std::chrono::steady_clock::now();
    const auto result = webhooks::attempt_delivery({.url = receiver.url(), .body = "{}", .headers = {}}, options);
    CHECK_FALSE(result.status);
    CHECK(result.error == "timed out");
    CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(3));
}

TEST_CASE("https checks the certificate: a server that is not trusted fails the handshake", "[webhooks][client]") {
    // The receiver speaks plain HTTP, so the TLS handshake cannot succeed: no status, and
    // the error says it was the handshake.
    Receiver receiver("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
    const std::string url = "https" + receiver.url().substr(4);
    const auto result = webhooks::attempt_delivery({.url = url, .body = "{}", .headers = {}}, open_options());
    CHECK_FALSE(result.status);
    CHECK(result.error.rfind("TLS handshake with 127.0.0.1 failed", 0) == 0);
}
