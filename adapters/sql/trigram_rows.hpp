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
// reads far shorter posting lists than the whole term as a phrase. An estimate, never on a
// write's path: the whole table of counts is read at most once per `ttl` by one request
// (about a second per million leads); a stale figure only makes a plan less good.
namespace leads::adapters::sql {

class TrigramRows {
  public:
    using Clock = std::chrono::steady_clock;
    using Table = std::unordered_map<std::string, long long>;

    TrigramRows(std::size_t capacity, Clock::duration ttl) : capacity_(capacity), ttl_(ttl) {}

    // True for exactly one caller once the table is older than the ttl (or was never read):
    // that caller reads it and hands it to load(). The others go on with what is known.
    bool claim_reload(Clock::time_point now) {
        std::unique_lock lock(mutex_);
        if (loading_ || (loaded_at_ && now - *loaded_at_ < ttl_)) return false;
        loading_ = true;
        return true;
    }

    // The whole table (complete), or its first `capacity` rows (not complete: a trigram
    // missing from it is then looked up alone, find() says nothing of it).
    void load(Table rows, bool complete, Clock::time_point now) {
        std::unique_lock lock(mutex_);
        rows_ = std::move(rows);
        complete_ = complete;
        loaded_at_ = now;
        loading_ = false;
    }

    // The load failed (the error went to the request): the next search tries again.
    void abandon_reload() {
        std::unique_lock lock(mutex_);
        loading_ = false;
    }

    // The trigram's rows, when known: from the table (absent from a complete one: none), or
    // from a look-up of its own.
    std::optional<long long> find(const std::string& trigram) const {
        std::shared_lock lock(mutex_);
        if (const auto found = rows_.find(trigram); found != rows_.end()) return found->second;
        if (complete_) return 0;
        return std::nullopt;
    }

    void store(const std::string& trigram, long long rows) {
        std::unique_lock lock(mutex_);
        if (rows_.size() >= capacity_ + capacity_ / 4) return;  // bounded; looked up again
        rows_[trigram] = rows;
    }

    std::size_t capacity() const { return capacity_; }

  private:
    const std::size_t capacity_;
    const Clock::duration ttl_;
    mutable std::shared_mutex mutex_;
    Table rows_;
    bool complete_ = false;
    bool loading_ = false;
    std::optional<Clock::time_point> loaded_at_;
};

}  // namespace leads::adapters::sql
