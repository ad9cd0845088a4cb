#pragma once

#include <chrono>
#include <cstddef>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <unordered_map>

// How many rows the trigram index held each trigram in, as it last said: a search of a long
// term asks the index only for its rarest trigrams (the LIKE then decides exactly), which
// reads far shorter posting lists than the whole term as a phrase. An estimate: read once
// per `ttl`, never on a write's path; a stale figure only makes a plan less good.
namespace leads::adapters::sql {

class TrigramRows {
  public:
    using Clock = std::chrono::steady_clock;

    TrigramRows(std::size_t capacity, Clock::duration ttl) : capacity_(capacity), ttl_(ttl) {}

    std::optional<long long> find(const std::string& trigram, Clock::time_point now) const {
        std::shared_lock lock(mutex_);
        const auto found = rows_.find(trigram);
        if (found == rows_.end() || now - found->second.read_at > ttl_) return std::nullopt;
        return found->second.rows;
    }

    void store(const std::string& trigram, long long rows, Clock::time_point now) {
        std::unique_lock lock(mutex_);
        // Beyond the capacity (a flood of distinct terms), start over: each figure is one
        // cheap look-up away.
        if (rows_.size() >= capacity_) rows_.clear();
        rows_[trigram] = Entry{rows, now};
    }

  private:
    struct Entry {
        long long rows = 0;
        Clock::time_point read_at;
    };
    const std::size_t capacity_;
    const Clock::duration ttl_;
    mutable std::shared_mutex mutex_;
    std::unordered_map<std::string, Entry> rows_;
};

}  // namespace leads::adapters::sql
