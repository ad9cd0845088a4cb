#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

// Totals of filtered lists (CONTRACT §7: exact), each kept with the stamp of the snapshot
// it was counted in and used only by a snapshot with the same stamp: the workspace's
// version sum (raised by every write of its leads) and its lead count. Same stamp, same
// committed writes, same total: a lead is counted by the very next request after its write.
namespace leads::adapters::sql {

class CountCache {
  public:
    struct Stamp {
        long long version = 0;
        long long leads = 0;
        bool operator==(const Stamp&) const = default;
    };

    // The caller is the one counting key at stamp: store() hands the count to the cache and
    // to whoever waits for it; dropped unstored (an error), the waiters count themselves.
    class Claim {
      public:
        Claim() = default;
        Claim(const Claim&) = delete;
        Claim& operator=(const Claim&) = delete;
        Claim(Claim&& other) noexcept;
        Claim& operator=(Claim&& other) noexcept;
        ~Claim();
        void store(long long count);

      private:
        friend class CountCache;
        Claim(CountCache& cache, std::string key, Stamp stamp);
        void release();
        CountCache* cache_ = nullptr;
        std::string key_;
        Stamp stamp_;
    };

    struct Found {
        std::optional<long long> count;
        Claim claim;  // when count is empty
    };

    // At most `capacity` totals, the least recently used dropped first; a lookup finding
    // another thread counting the same key at the same stamp waits up to `wait` for it
    // (64 identical searches at once count once).
    CountCache(std::size_t capacity, std::chrono::milliseconds wait);

    Found find(const std::string& key, Stamp stamp);

    std::size_t size() const;

  private:
    struct Entry {
        Stamp stamp;
        std::optional<long long> count;
        bool counting = false;
        std::list<std::string>::iterator used;
    };
    void finish(const std::string& key, Stamp stamp, std::optional<long long> count);
    void touch(Entry& entry);

    const std::size_t capacity_;
    const std::chrono::milliseconds wait_;
    mutable std::mutex mutex_;
    std::condition_variable changed_;
    std::unordered_map<std::string, Entry> entries_;
    std::list<std::string> recency_;  // most recently used first
};

}  // namespace leads::adapters::sql
