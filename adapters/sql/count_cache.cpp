#include "adapters/sql/count_cache.hpp"

#include <utility>

namespace leads::adapters::sql {

CountCache::Claim::Claim(CountCache& cache, std::string key, Stamp stamp)
    : cache_(&cache), key_(std::move(key)), stamp_(stamp) {}

CountCache::Claim::Claim(Claim&& other) noexcept
    : cache_(std::exchange(other.cache_, nullptr)), key_(std::move(other.key_)), stamp_(other.stamp_) {}

CountCache::Claim& CountCache::Claim::operator=(Claim&& other) noexcept {
    if (this != &other) {
        release();
        cache_ = std::exchange(other.cache_, nullptr);
        key_ = std::move(other.key_);
        stamp_ = other.stamp_;
    }
    return *this;
}

CountCache::Claim::~Claim() { release(); }

void CountCache::Claim::store(long long count) {
    if (cache_ == nullptr) return;
    std::exchange(cache_, nullptr)->finish(key_, stamp_, count);
}

void CountCache::Claim::release() {
    if (cache_ != nullptr) std::exchange(cache_, nullptr)->finish(key_, stamp_, std::nullopt);
}

CountCache::CountCache(std::size_t capacity, std::chrono::milliseconds wait)
    : capacity_(capacity == 0 ? 1 : capacity), wait_(wait) {}

CountCache::Found CountCache::find(const std::string& key, Stamp stamp) {
    std::unique_lock lock(mutex_);
    const auto deadline = std::chrono::steady_clock::now() + wait_;
    for (;;) {
        auto found = entries_.find(key);
        if (found == entries_.end()) {
            recency_.push_front(key);
            found =
                entries_.emplace(key, Entry{.stamp = stamp, .count = {}, .counting = true, .used = recency_.begin()})
                    .first;
            while (entries_.size() > capacity_) {
                const auto oldest = entries_.find(recency_.back());
                if (oldest->second.counting) break;  // in use: dropped when its count comes in
                entries_.erase(oldest);
                recency_.pop_back();
            }
            return Found{.count = {}, .claim = Claim(*this, key, stamp)};
        }
        Entry& entry = found->second;
        touch(entry);
        if (entry.stamp == stamp && entry.count) return Found{.count = entry.count, .claim = {}};
        // Another snapshot's total (older or newer), or nobody counting this one: count here.
        if (!(entry.stamp == stamp && entry.counting) || std::chrono::steady_clock::now() >= deadline) {
            entry.stamp = stamp;
            entry.count.reset();
            entry.counting = true;
            return Found{.count = {}, .claim = Claim(*this, key, stamp)};
        }
        changed_.wait_until(lock, deadline);
    }
}

void CountCache::finish(const std::string& key, Stamp stamp, std::optional<long long> count) {
    {
        std::lock_guard lock(mutex_);
        auto found = entries_.find(key);
        if (found != entries_.end() && found->second.stamp == stamp) {
            found->second.count = count;
            found->second.counting = false;
        }
    }
    changed_.notify_all();
}

void CountCache::touch(Entry& entry) { recency_.splice(recency_.begin(), recency_, entry.used); }

std::size_t CountCache::size() const {
    std::lock_guard lock(mutex_);
    return entries_.size();
}

}  // namespace leads::adapters::sql
