#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "domain/result.hpp"

namespace leads::adapters::http {

// Where the server listens: an IP literal and a port (0 = any free port).
struct ListenAddress {
    std::string host;  // "127.0.0.1", "::1", "0.0.0.0" (no brackets)
    std::uint16_t port = 0;
    bool ipv6 = false;

    bool is_loopback() const;
    std::string to_string() const;  // "127.0.0.1:8080", "[::1]:8080"
};

// "IPv4:port" or "[IPv6]:port". Validation error on field "listen" otherwise.
domain::Result<ListenAddress> parse_listen_address(std::string_view text);

}  // namespace leads::adapters::http
