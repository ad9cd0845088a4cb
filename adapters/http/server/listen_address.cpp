#include "adapters/http/server/listen_address.hpp"

#include <boost/asio/ip/address.hpp>
#include <charconv>

namespace leads::adapters::http {
namespace {

domain::Error invalid(std::string issue) { return domain::Error::validation("listen", std::move(issue)); }

}  // namespace

bool ListenAddress::is_loopback() const {
    boost::system::error_code ec;
    const auto address = boost::asio::ip::make_address(host, ec);
    return !ec && address.is_loopback();
}

std::string ListenAddress::to_string() const { return (ipv6 ? "[" + host + "]" : host) + ":" + std::to_string(port); }

domain::Result<ListenAddress> parse_listen_address(std::string_view text) {
    constexpr std::string_view kExpected = "expected IPv4:port or [IPv6]:port, e.g. 127.0.0.1:8080 or [::1]:8080";
    std::string_view host;
    std::string_view port_text;
    bool bracketed = false;
    if (!text.empty() && text.front() == '[') {
        const auto close = text.find(']');
        if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
            return invalid(std::string(kExpected));
        }
        host = text.substr(1, close - 1);
        port_text = text.substr(close + 2);
        bracketed = true;
    } else {
        const auto colon = text.rfind(':');
        if (colon == std::string_view::npos) return invalid(std::string(kExpected));
        host = text.substr(0, colon);
        port_text = text.substr(colon + 1);
    }

    unsigned port = 0;
    const auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (port_text.empty() || ec != std::errc{} || end != port_text.data() + port_text.size() || port > 65535) {
        return invalid("port must be a number from 0 to 65535");
    }

    boost::system::error_code parse_error;
    const auto address = boost::asio::ip::make_address(std::string(host), parse_error);
    if (host.empty() || parse_error) return invalid("host must be an IP address literal; " + std::string(kExpected));
    if (address.is_v6() != bracketed) return invalid(std::string(kExpected));

    ListenAddress result;
    result.host = std::string(host);
    result.port = static_cast<std::uint16_t>(port);
    result.ipv6 = address.is_v6();
    return result;
}

}  // namespace leads::adapters::http
