#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "domain/result.hpp"

namespace soci {
class connection_pool;
class session;
}  // namespace soci

// What the SQLite and PostgreSQL adapters share: a soci::connection_pool whose sessions
// open lazily and reopen after their connection broke, leased with a timeout. Included
// by the SQL adapters only.
namespace leads::adapters::sql {

// How a database error is handled; each backend classifies its own exceptions.
enum class Failure {
    UniqueViolation,  // a UNIQUE constraint refused the write
    Unavailable,      // the database cannot answer now (down, busy, timed out): retry later
    Other,            // a bug or corrupt data
};

// A statement prepared once on a connection and reused by later leases of it.
class CachedStatement {
  public:
    virtual ~CachedStatement() = default;
};
using StatementCache = std::map<std::string, std::unique_ptr<CachedStatement>, std::less<>>;

// What differs between backends.
struct Backend {
    std::string name;  // "sqlite", "postgresql": for messages
    // Opens a closed session and configures the connection; throws on failure.
    std::function<void(soci::session&)> connect;
    // Whether the session's connection is gone (it is then reopened on its next lease).
    std::function<bool(soci::session&)> is_broken;
    // Whether the connection is inside a transaction, as the driver knows it (not what the
    // code meant to do: a failed COMMIT may leave SQLite's transaction open).
    std::function<bool(soci::session&)> in_transaction;
    std::function<Failure(const std::exception&)> classify;
};

struct PoolOptions {
    std::size_t size = 8;
    std::chrono::milliseconds acquire_timeout{2000};
};

class SessionPool {
  public:
    class Lease;

    SessionPool(Backend backend, PoolOptions options);
    ~SessionPool();
    SessionPool(const SessionPool&) = delete;
    SessionPool& operator=(const SessionPool&) = delete;

    // A session for one call. Unavailable when none frees up within the acquire timeout
    // or its connection cannot be (re)opened.
    domain::Result<Lease> acquire();
    // The same, waiting at most `wait` for a session to free up (zero: only one free now);
    // without `connect`, a session whose connection is closed is not opened (Unavailable).
    domain::Result<Lease> acquire(std::chrono::milliseconds wait, bool connect = true);

    const Backend& backend() const { return backend_; }
    std::size_t size() const { return slots_.size(); }
    std::size_t in_use() const { return in_use_.load(std::memory_order_relaxed); }
    std::size_t connected() const { return connected_.load(std::memory_order_relaxed); }

  private:
    struct Slot {
        bool connected = false;
        StatementCache statements;
    };

    void release(std::size_t index);
    void disconnect(std::size_t index);

    Backend backend_;
    PoolOptions options_;
    std::unique_ptr<soci::connection_pool> pool_;
    std::vector<Slot> slots_;  // slot i belongs to whoever leased pool_->at(i)
    std::atomic<std::size_t> in_use_{0};
    std::atomic<std::size_t> connected_{0};
};

// One leased session. Gives it back when destroyed, rolling back a transaction left open
// (an early return is an abort).
class SessionPool::Lease {
  public:
    Lease(Lease&& other) noexcept;
    Lease& operator=(Lease&&) = delete;
    ~Lease();

    soci::session& session();
    StatementCache& statements();

    // Transactions by SQL text, since a backend's default BEGIN is not always the one
    // wanted (SQLite writers need BEGIN IMMEDIATE).
    void begin(const std::string& begin_sql);
    void commit();
    void rollback();
    // One savepoint inside the transaction (not nested): set, kept, or undone and dropped.
    void savepoint();
    void release_savepoint();
    void rollback_to_savepoint();

    // Call with the exception a database call threw: rolls back, reopens a broken
    // connection on its next lease, forgets cached statements, and says what to report.
    domain::Error fail(const std::exception& error);
    Failure classify(const std::exception& error) const;

    // After fail(): the connection had broken before anything could have been committed
    // (no COMMIT was sent), so the whole call may run again on a fresh connection. This
    // hides a connection the database dropped while it sat idle (a restart).
    bool retryable() const { return broken_ && !commit_sent_; }

  private:
    friend class SessionPool;
    Lease(SessionPool* pool, std::size_t index) : pool_(pool), index_(index) {}

    // A transaction-control statement, through the statement cache (keyed by its text,
    // which no other cached statement uses).
    void execute_control(const std::string& sql);

    SessionPool* pool_;
    std::size_t index_;
    bool commit_sent_ = false;
    bool broken_ = false;
};

}  // namespace leads::adapters::sql
