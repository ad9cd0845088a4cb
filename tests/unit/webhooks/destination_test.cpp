// The SSRF guard's address rules (CONTRACT §8): every special-purpose range refused, with
// its reason; public addresses, and the edges just outside each range, allowed.
#include "adapters/webhooks/destination.hpp"

#include <arpa/inet.h>

#include <catch2/catch.hpp>
#include <string>
#include <vector>

namespace webhooks = leads::adapters::webhooks;

namespace {

std::vector<std::uint8_t> bytes_of(const std::string& text) {
    std::vector<std::uint8_t> bytes(16);
    if (::inet_pton(AF_INET, text.c_str(), bytes.data()) == 1) {
        bytes.resize(4);
        return bytes;
    }
    REQUIRE(::inet_pton(AF_INET6, text.c_str(), bytes.data()) == 1);
    return bytes;
}

std::string refused(const std::string& text) {
    const auto bytes = bytes_of(text);
    const auto reason = webhooks::refused_address(bytes);
    return reason ? std::string(*reason) : std::string();
}

}  // namespace

TEST_CASE("loopback, private, link-local, multicast and unspecified addresses are refused, saying which",
          "[webhooks][ssrf]") {
    CHECK(refused("127.0.0.1") == "loopback address");
    CHECK(refused("127.255.255.254") == "loopback address");
    CHECK(refused("::1") == "loopback address (::1)");
    CHECK(refused("169.254.169.254") == "link-local address (169.254.0.0/16, cloud metadata)");
    CHECK(refused("fe80::1") == "link-local address (fe80::/10) or site-local (fec0::/10)");
    CHECK(refused("10.1.2.3").starts_with("private address"));
    CHECK(refused("172.16.0.1").starts_with("private address"));
    CHECK(refused("172.31.255.255").starts_with("private address"));
    CHECK(refused("192.168.1.1").starts_with("private address"));
    CHECK(refused("100.64.0.1").starts_with("private address"));
    CHECK(refused("fd00::1").starts_with("private address"));
    CHECK(refused("224.0.0.1").starts_with("multicast"));
    CHECK(refused("239.255.255.250").starts_with("multicast"));
    CHECK(refused("255.255.255.255").starts_with("multicast or reserved"));
    CHECK(refused("ff02::1").starts_with("multicast"));
    CHECK(refused("0.0.0.0").starts_with("unspecified"));
    CHECK(refused("::").starts_with("unspecified"));
    CHECK(refused("192.0.2.10") == "documentation address");
    CHECK(refused("2001:db8::1").starts_with("documentation"));
}

TEST_CASE("an IPv4 address inside IPv6 is judged as itself", "[webhooks][ssrf]") {
    CHECK(refused("::ffff:127.0.0.1") == "loopback address");
    CHECK(refused("::ffff:169.254.169.254").starts_with("link-local"));
    CHECK(refused("64:ff9b::10.0.0.1").starts_with("private"));
    CHECK(refused("::10.0.0.1").starts_with("private"));
    CHECK(refused("::ffff:93.184.216.34").empty());
}

TEST_CASE("local-use NAT64 and 6to4 addresses are judged by the IPv4 address they carry", "[webhooks][ssrf]") {
    // 64:ff9b:1::/48 (RFC 8215): the IPv4 address in the last 32 bits.
    CHECK(refused("64:ff9b:1::a9fe:a9fe").starts_with("link-local"));  // 169.254.169.254
    CHECK(refused("64:ff9b:1::7f00:1") == "loopback address");
    CHECK(refused("64:ff9b:1:ffff::c0a8:101").starts_with("private"));  // 192.168.1.1
    CHECK(refused("64:ff9b:1::808:808").empty());                       // 8.8.8.8
    // 2002::/16 (6to4): the IPv4 address in bits 16 to 47, whatever follows.
    CHECK(refused("2002:7f00:0001::") == "loopback address");
    CHECK(refused("2002:a9fe:a9fe::1").starts_with("link-local"));
    CHECK(refused("2002:0a00:0001:1::1").starts_with("private"));
    CHECK(refused("2002:0000:0000::").starts_with("unspecified"));
    CHECK(refused("2002:0808:0808::").empty());
    CHECK(refused("2002:5db8:d822::1").empty());  // 93.184.216.34
    // Just outside the local-use NAT64 prefix: an ordinary address, allowed.
    CHECK(refused("64:ff9b:2::7f00:1").empty());
}

TEST_CASE("public addresses, and the first ones past each refused range, are allowed", "[webhooks][ssrf]") {
    for (const char* address : {"93.184.216.34",        "8.8.8.8",           "1.1.1.1",     "11.0.0.0",
                                "9.255.255.255",        "126.255.255.255",   "128.0.0.0",   "169.253.255.255",
                                "169.255.0.0",          "172.15.255.255",    "172.32.0.0",  "192.167.255.255",
                                "192.169.0.0",          "100.63.255.255",    "100.128.0.0", "223.255.255.255",
                                "2606:4700:4700::1111", "2a00:1450:4001::1", "fe00::1",     "fbff:ffff::1"}) {
        INFO(address);
        CHECK(refused(address).empty());
    }
}

TEST_CASE("anything but 4 or 16 bytes is not an address", "[webhooks][ssrf]") {
    const std::vector<std::uint8_t> five{1, 2, 3, 4, 5};
    CHECK(webhooks::refused_address(five) == std::optional<std::string_view>("not an IP address"));
    CHECK(webhooks::refused_address({}) == std::optional<std::string_view>("not an IP address"));
}
