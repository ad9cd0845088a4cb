#include "tests/http/server/raw_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

namespace leads::testing {
namespace {

std::string lower(std::string text) {
    for (auto& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return text;
}

std::string trim(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
    return std::string(text);
}

int connect_to(std::uint16_t port, const std::string& host) {
    sockaddr_storage storage{};
    socklen_t length = 0;
    int family = AF_INET;
    auto* v4 = reinterpret_cast<sockaddr_in*>(&storage);
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&storage);
    if (inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons(port);
        length = sizeof(sockaddr_in);
    } else if (inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
        family = AF_INET6;
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons(port);
        length = sizeof(sockaddr_in6);
    } else {
        throw std::runtime_error("bad test host " + host);
    }
    const int fd = ::socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) throw std::runtime_error("socket() failed");
    if (::connect(fd, reinterpret_cast<sockaddr*>(&storage), length) != 0) {
        ::close(fd);
        return -1;
    }
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

}  // namespace

std::optional<std::string> HttpResponse::header(std::string_view lower_name) const {
    for (const auto& [name, value] : headers) {
        if (name == lower_name) return value;
    }
    return std::nullopt;
}

std::size_t HttpResponse::header_count(std::string_view lower_name) const {
    return static_cast<std::size_t>(
        std::count_if(headers.begin(), headers.end(), [&](const auto& h) { return h.first == lower_name; }));
}

RawConnection::RawConnection(std::uint16_t port, const std::string& host) : fd_(connect_to(port, host)) {
    if (fd_ < 0) throw std::runtime_error("cannot connect to port " + std::to_string(port));
}

RawConnection::~RawConnection() {
    if (fd_ >= 0) ::close(fd_);
}

bool RawConnection::try_send(std::string_view data) {
    while (!data.empty()) {
        const auto n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        data.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
}

void RawConnection::send(std::string_view data) {
    if (!try_send(data)) throw std::runtime_error("send failed");
}

bool RawConnection::fill(std::chrono::steady_clock::time_point deadline) {
    if (eof_) return false;
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd_, POLLIN, 0};
    const int ready = ::poll(&p, 1, static_cast<int>(left.count()));
    if (ready <= 0) return false;
    char chunk[65536];
    const auto n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n <= 0) {
        eof_ = true;
        return false;
    }
    buffer_.append(chunk, static_cast<std::size_t>(n));
    return true;
}

std::optional<HttpResponse> RawConnection::read_response(std::chrono::milliseconds timeout, bool head_request) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        std::size_t header_end;
        while ((header_end = buffer_.find("\r\n\r\n")) == std::string::npos) {
            if (!fill(deadline)) return std::nullopt;
        }
        HttpResponse response;
        const std::string head = buffer_.substr(0, header_end);
        std::size_t line_end = head.find("\r\n");
        const std::string status_line = head.substr(0, line_end);
        if (status_line.rfind("HTTP/1.", 0) != 0 || status_line.size() < 12) return std::nullopt;
        response.status = std::atoi(status_line.substr(9, 3).c_str());
        while (line_end != std::string::npos) {
            const auto next = head.find("\r\n", line_end + 2);
            const auto line =
                head.substr(line_end + 2, next == std::string::npos ? std::string::npos : next - line_end - 2);
            const auto colon = line.find(':');
            if (colon != std::string::npos) {
                response.headers.emplace_back(lower(line.substr(0, colon)), trim(line.substr(colon + 1)));
            }
            line_end = next;
        }
        buffer_.erase(0, header_end + 4);
        if (response.status >= 100 && response.status < 200) continue;  // 100 Continue

        std::size_t length = 0;
        if (const auto value = response.header("content-length"); value && !head_request) {
            std::from_chars(value->data(), value->data() + value->size(), length);
        }
        while (buffer_.size() < length) {
            if (!fill(deadline)) return std::nullopt;
        }
        response.body = buffer_.substr(0, length);
        buffer_.erase(0, length);
        return response;
    }
}

bool RawConnection::wait_closed(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!eof_) {
        if (!fill(deadline) && !eof_) return false;
    }
    return true;
}

bool can_connect(std::uint16_t port, const std::string& host) {
    const int fd = connect_to(port, host);
    if (fd < 0) return false;
    ::close(fd);
    return true;
}

std::optional<HttpResponse> http_request(std::uint16_t port, std::string_view method, std::string_view target,
                                         std::string_view body,
                                         const std::vector<std::pair<std::string, std::string>>& headers) {
    std::string request = std::string(method) + " " + std::string(target) + " HTTP/1.1\r\nHost: test\r\n";
    for (const auto& [name, value] : headers) request += name + ": " + value + "\r\n";
    if (!body.empty() || method == "POST" || method == "PATCH" || method == "PUT") {
        request += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    }
    request += "Connection: close\r\n\r\n";
    request.append(body);
    RawConnection connection(port);
    connection.send(request);
    return connection.read_response();
}

double metric_value(std::string_view metrics_text, std::string_view series) {
    std::size_t pos = 0;
    while ((pos = metrics_text.find(series, pos)) != std::string_view::npos) {
        const bool line_start = pos == 0 || metrics_text[pos - 1] == '\n';
        const auto after = pos + series.size();
        if (line_start && after < metrics_text.size() && metrics_text[after] == ' ') {
            const auto end = metrics_text.find('\n', after);
            return std::strtod(std::string(metrics_text.substr(after + 1, end - after - 1)).c_str(), nullptr);
        }
        pos = after;
    }
    return 0;
}

}  // namespace leads::testing
