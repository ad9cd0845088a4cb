#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

// Which addresses a webhook delivery may connect to (CONTRACT §8): checked on the address a
// connection is about to use, after DNS, so that a name resolving to an internal address
// (or re-resolving to one later) cannot reach the cluster's own services or the cloud's
// metadata endpoint (169.254.169.254).
namespace leads::adapters::webhooks {

// Why a delivery must not connect to this address (4 bytes IPv4, 16 bytes IPv6, network
// order), or nullopt when it is a public unicast address. An IPv4 address carried in IPv6
// (::ffff:a.b.c.d; NAT64 64:ff9b::a.b.c.d and local-use 64:ff9b:1::/48 with it in the last
// 32 bits; 6to4 2002:aabb:ccdd::) is judged as that IPv4 address. Any other
// length is refused as "not an IP address".
std::optional<std::string_view> refused_address(std::span<const std::uint8_t> address);

}  // namespace leads::adapters::webhooks
