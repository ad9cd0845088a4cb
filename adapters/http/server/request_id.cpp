#include "adapters/http/server/request_id.hpp"

#include <array>
#include <cstdint>
#include <random>

namespace leads::adapters::http {

bool is_acceptable_request_id(std::string_view id) {
    if (id.empty() || id.size() > kMaxRequestIdLength) return false;
    for (const char c : id) {
        if (c < 0x21 || c > 0x7e) return false;
    }
    return true;
}

std::string generate_request_id() {
    // Correlation ids need to be unique, not secret: a per-thread generator seeded once.
    thread_local std::mt19937_64 engine = [] {
        std::random_device device;
        std::seed_seq seed{device(), device(), device(), device()};
        return std::mt19937_64(seed);
    }();
    static constexpr std::array<char, 16> kHex = {'0', '1', '2', '3', '4', '5', '6', '7',
                                                  '8', '9', 'a', 'b', 'c', 'd', 'e', 'f'};
    std::string id;
    id.reserve(32);
    for (int half = 0; half < 2; ++half) {
        std::uint64_t bits = engine();
        for (int i = 0; i < 16; ++i) {
            id.push_back(kHex[bits & 0xf]);
            bits >>= 4;
        }
    }
    return id;
}

}  // namespace leads::adapters::http
