#include "adapters/system/random_id_generator.hpp"

#include <pthread.h>
#include <sys/random.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstddef>
#include <system_error>

namespace leads::adapters::system {

namespace {

// Adds step to the 80-bit big-endian number; true when it overflows.
bool add_to(domain::Entropy& entropy, std::uint64_t step) {
    unsigned carry = 0;
    for (std::size_t i = entropy.size(); i-- > 0;) {
        const unsigned sum = entropy[i] + static_cast<unsigned>(step & 0xFFU) + carry;
        entropy[i] = static_cast<std::uint8_t>(sum & 0xFFU);
        carry = sum >> 8U;
        step >>= 8U;
    }
    return carry != 0 || step != 0;
}

// Fills the buffer from the kernel's CSPRNG; throws std::system_error if it cannot.
void draw_random(std::uint8_t* data, std::size_t size) {
    std::size_t filled = 0;
    while (filled < size) {
        const ssize_t got = ::getrandom(data + filled, size - filled, 0);
        if (got < 0) {
            if (errno == EINTR) continue;
            throw std::system_error(errno, std::generic_category(), "getrandom");
        }
        filled += static_cast<std::size_t>(got);
    }
}

// Raised in a child process after fork(): a pool copied from the parent is not used.
std::atomic<unsigned> fork_generation{0};

// The same bytes, drawn 256 at a time per thread: one system call per 25 ids instead of
// one per id (an import of 10,000 rows makes 30,000 ids). Each byte is handed out once,
// in one process.
void fill_random(std::uint8_t* data, std::size_t size) {
    static const bool watching_forks =
        ::pthread_atfork(nullptr, nullptr, [] { fork_generation.fetch_add(1, std::memory_order_relaxed); }) == 0;
    struct Pool {
        std::array<std::uint8_t, 256> bytes{};
        std::size_t used = 256;
        unsigned generation = 0;
    };
    thread_local Pool pool;
    if (size > pool.bytes.size() || !watching_forks) return draw_random(data, size);
    const unsigned generation = fork_generation.load(std::memory_order_relaxed);
    if (pool.generation != generation) {
        pool.generation = generation;
        pool.used = pool.bytes.size();
    }
    if (pool.bytes.size() - pool.used < size) {
        draw_random(pool.bytes.data(), pool.bytes.size());
        pool.used = 0;
    }
    std::copy_n(pool.bytes.begin() + static_cast<std::ptrdiff_t>(pool.used), size, data);
    std::fill_n(pool.bytes.begin() + static_cast<std::ptrdiff_t>(pool.used), size, std::uint8_t{0});
    pool.used += size;
}

}  // namespace

RandomIdGenerator::Next RandomIdGenerator::next() {
    // Drawn outside the lock: 10 bytes for a new millisecond, the first 8 as the step.
    domain::Entropy fresh{};
    fill_random(fresh.data(), fresh.size());
    const auto now = std::chrono::floor<std::chrono::milliseconds>(std::chrono::system_clock::now());
    std::int64_t millis = now.time_since_epoch().count();

    std::lock_guard lock(mutex_);
    domain::Entropy entropy = fresh;
    if (millis <= last_millis_) {
        // Same millisecond (or the clock stepped back): continue after the previous id.
        millis = last_millis_;
        entropy = last_entropy_;
        std::uint64_t random = 0;
        for (std::size_t i = 0; i < 8; ++i) random |= static_cast<std::uint64_t>(fresh[i]) << (8U * i);
        if (add_to(entropy, (random >> 1U) + 1)) {
            // The random part ran out: borrow the next millisecond.
            ++millis;
            entropy = fresh;
        }
    }
    last_millis_ = millis;
    last_entropy_ = entropy;
    return Next{domain::Timestamp{std::chrono::milliseconds{millis}}, entropy};
}

domain::LeadId RandomIdGenerator::new_lead_id() {
    const Next id = next();
    return domain::LeadId::generate(id.at, id.entropy);
}

domain::ActivityId RandomIdGenerator::new_activity_id() {
    const Next id = next();
    return domain::ActivityId::generate(id.at, id.entropy);
}

domain::SuppressionId RandomIdGenerator::new_suppression_id() {
    const Next id = next();
    return domain::SuppressionId::generate(id.at, id.entropy);
}

domain::EventId RandomIdGenerator::new_event_id() {
    const Next id = next();
    return domain::EventId::generate(id.at, id.entropy);
}

domain::WebhookId RandomIdGenerator::new_webhook_id() {
    const Next id = next();
    return domain::WebhookId::generate(id.at, id.entropy);
}

// The same 80 random bits as an id; the prefix says nothing here.
std::string RandomIdGenerator::new_token() { return new_activity_id().value(); }

}  // namespace leads::adapters::system
