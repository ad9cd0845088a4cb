#include "adapters/webhooks/destination.hpp"

#include <algorithm>
#include <array>

namespace leads::adapters::webhooks {

namespace {

struct Block {
    std::array<std::uint8_t, 16> prefix;
    unsigned bits;
    std::string_view reason;
};

bool within(std::span<const std::uint8_t> address, const Block& block) {
    unsigned bits = block.bits;
    for (std::size_t i = 0; bits > 0; ++i, bits = bits >= 8 ? bits - 8 : 0) {
        const unsigned mask = bits >= 8 ? 0xFFU : (0xFFU << (8 - bits)) & 0xFFU;
        if ((address[i] & mask) != (block.prefix[i] & mask)) return false;
    }
    return true;
}

// Special-purpose ranges (IANA registries, RFC 6890): none of them is a public host.
constexpr std::array<Block, 13> kV4{{
    {{0}, 8, "unspecified address (0.0.0.0/8)"},
    {{10}, 8, "private address (10.0.0.0/8)"},
    {{100, 64}, 10, "private address (100.64.0.0/10, shared address space)"},
    {{127}, 8, "loopback address"},
    {{169, 254}, 16, "link-local address (169.254.0.0/16, cloud metadata)"},
    {{172, 16}, 12, "private address (172.16.0.0/12)"},
    {{192, 0, 0}, 24, "reserved address (192.0.0.0/24)"},
    {{192, 0, 2}, 24, "documentation address"},
    {{192, 168}, 16, "private address (192.168.0.0/16)"},
    {{198, 18}, 15, "benchmarking address (198.18.0.0/15)"},
    {{198, 51, 100}, 24, "documentation address"},
    {{203, 0, 113}, 24, "documentation address"},
    {{224}, 3, "multicast or reserved address (224.0.0.0/3)"},
}};

constexpr std::array<Block, 7> kV6{{
    {{}, 128, "unspecified address (::)"},
    {{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, 128, "loopback address (::1)"},
    {{0x01}, 64, "discard address (100::/64)"},
    {{0x20, 0x01, 0x0d, 0xb8}, 32, "documentation address (2001:db8::/32)"},
    {{0xfc}, 7, "private address (fc00::/7, unique local)"},
    {{0xfe, 0x80}, 9, "link-local address (fe80::/10) or site-local (fec0::/10)"},
    {{0xff}, 8, "multicast address (ff00::/8)"},
}};

// IPv6 ranges that carry an IPv4 address, judged as that address. In the last 32 bits:
// IPv4-mapped (::ffff:a.b.c.d), NAT64's well-known prefix (64:ff9b::/96, RFC 6052), the
// local-use NAT64 prefix (64:ff9b:1::/48, RFC 8215) and the deprecated IPv4-compatible form
// (::a.b.c.d). In bits 16 to 47: 6to4 (2002::/16, RFC 3056), which a relay forwards to that
// IPv4 address; 2002::/16 as a whole is otherwise allowed, like any global unicast range.
constexpr Block kMappedV4{{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff}, 96, ""};
constexpr Block kNat64{{0x00, 0x64, 0xff, 0x9b}, 96, ""};
constexpr Block kLocalNat64{{0x00, 0x64, 0xff, 0x9b, 0x00, 0x01}, 48, ""};
constexpr Block kCompatibleV4{{}, 96, ""};
constexpr Block k6to4{{0x20, 0x02}, 16, ""};

std::optional<std::string_view> refused_v4(std::span<const std::uint8_t> address) {
    for (const Block& block : kV4) {
        if (within(address, block)) return block.reason;
    }
    return std::nullopt;
}

}  // namespace

std::optional<std::string_view> refused_address(std::span<const std::uint8_t> address) {
    if (address.size() == 4) return refused_v4(address);
    if (address.size() != 16) return "not an IP address";
    for (const Block& block : kV6) {
        if (within(address, block)) return block.reason;
    }
    if (within(address, kMappedV4) || within(address, kNat64) || within(address, kLocalNat64) ||
        within(address, kCompatibleV4)) {
        return refused_v4(address.subspan(12));
    }
    if (within(address, k6to4)) return refused_v4(address.subspan(2, 4));
    return std::nullopt;
}

}  // namespace leads::adapters::webhooks
