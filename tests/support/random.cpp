#include "tests/support/random.hpp"

#include <mutex>
#include <random>

namespace leads::tests {

namespace {

std::mutex mutex;

std::mt19937_64 seeded() {
    std::random_device device;
    std::seed_seq seed{device(), device(), device(), device(), device(), device(), device(), device()};
    return std::mt19937_64(seed);
}

std::mt19937_64& engine() {
    static std::mt19937_64 instance = seeded();
    return instance;
}

}  // namespace

domain::Entropy random_entropy() {
    std::lock_guard lock(mutex);
    domain::Entropy entropy{};
    for (auto& byte : entropy) byte = static_cast<std::uint8_t>(engine()() & 0xFFU);
    return entropy;
}

std::string unique_name(std::string_view prefix) {
    static constexpr std::string_view kDigits = "0123456789abcdef";
    std::string text(prefix);
    for (const std::uint8_t byte : random_entropy()) {
        text += kDigits[byte >> 4U];
        text += kDigits[byte & 0xFU];
    }
    return text;
}

domain::TenantId random_tenant() { return *domain::TenantId::parse(unique_name("t-")); }

void reseed_random() {
    std::lock_guard lock(mutex);
    engine() = seeded();
}

}  // namespace leads::tests
