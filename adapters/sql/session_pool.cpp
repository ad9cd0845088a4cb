#include "adapters/sql/session_pool.hpp"

#include <soci/connection-pool.h>
#include <soci/session.h>

#include <algorithm>
#include <climits>
#include <string_view>
#include <utility>

namespace leads::adapters::sql {

namespace {

domain::Error unavailable(const Backend& backend) {
    return domain::Error::unavailable(backend.name + " database unavailable");
}

// The driver's reason on one line ("connection to server at ... failed: Connection
// refused"), for the operator. Connection errors quote no SQL and no bound values.
std::string one_line(std::string_view text) {
    std::string line;
    for (char c : text) {
        bool space = c == '\n' || c == '\t' || c == '\r';
        if (space && (line.empty() || line.back() == ' ')) continue;
        line += space ? ' ' : c;
        if (line.size() >= 300) break;
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    return line;
}

}  // namespace

SessionPool::SessionPool(Backend backend, PoolOptions options)
    : backend_(std::move(backend)),
      options_(options),
      pool_(std::make_unique<soci::connection_pool>(std::max<std::size_t>(options.size, 1))),
      slots_(std::max<std::size_t>(options.size, 1)) {}

SessionPool::~SessionPool() {
    // Statements refer to their session's backend: drop them before the sessions go.
    for (auto& slot : slots_) slot.statements.clear();
}

domain::Result<SessionPool::Lease> SessionPool::acquire() { return acquire(options_.acquire_timeout); }

domain::Result<SessionPool::Lease> SessionPool::acquire(std::chrono::milliseconds wait, bool connect) {
    auto timeout = std::clamp<std::chrono::milliseconds::rep>(wait.count(), 0, INT_MAX);
    std::size_t index = 0;
    if (!pool_->try_lease(index, static_cast<int>(timeout))) {
        return domain::Error::unavailable(backend_.name + " connection pool exhausted");
    }
    in_use_.fetch_add(1, std::memory_order_relaxed);
    Lease lease(this, index);
    Slot& slot = slots_[index];
    if (!slot.connected && !connect) return domain::Error::unavailable(backend_.name + " session not connected");
    if (!slot.connected) {
        try {
            soci::session& session = pool_->at(index);
            if (session.get_backend() != nullptr) session.close();
            backend_.connect(session);
            slot.connected = true;
            connected_.fetch_add(1, std::memory_order_relaxed);
        } catch (const std::exception& e) {
            // The lease gives the slot back.
            return domain::Error::unavailable(backend_.name + " database unavailable: " + one_line(e.what()));
        }
    }
    return lease;
}

void SessionPool::disconnect(std::size_t index) {
    Slot& slot = slots_[index];
    slot.statements.clear();  // while the backend they refer to still exists
    try {
        pool_->at(index).close();
    } catch (const std::exception&) {
        // Closing a dead connection can only fail to say goodbye.
    }
    if (slot.connected) connected_.fetch_sub(1, std::memory_order_relaxed);
    slot.connected = false;
}

void SessionPool::release(std::size_t index) {
    // A transaction still open here was abandoned by an early return: that is an abort.
    if (slots_[index].connected) {
        try {
            soci::session& session = pool_->at(index);
            if (backend_.in_transaction(session)) session << "ROLLBACK";
        } catch (const std::exception&) {
            disconnect(index);  // a connection in an unknown state is not reused
        }
    }
    in_use_.fetch_sub(1, std::memory_order_relaxed);
    pool_->give_back(index);
}

SessionPool::Lease::Lease(Lease&& other) noexcept
    : pool_(std::exchange(other.pool_, nullptr)),
      index_(other.index_),
      commit_sent_(other.commit_sent_),
      broken_(other.broken_) {}

SessionPool::Lease::~Lease() {
    if (pool_ != nullptr) pool_->release(index_);
}

soci::session& SessionPool::Lease::session() { return pool_->pool_->at(index_); }

StatementCache& SessionPool::Lease::statements() { return pool_->slots_[index_].statements; }

namespace {

// BEGIN, COMMIT and ROLLBACK prepared once per connection: a one-off statement is parsed
// and planned on every use (SQLite: ~10% of a get by id's CPU went to preparing them).
class ControlStatement final : public CachedStatement {
  public:
    explicit ControlStatement(soci::session& session) : st(session) {}
    soci::statement st;
};

}  // namespace

void SessionPool::Lease::execute_control(const std::string& sql) {
    // Several statements in one string (PostgreSQL's "BEGIN; SET LOCAL ...") cannot be
    // prepared: sent as they are.
    if (sql.find(';') != std::string::npos) {
        session() << sql;
        return;
    }
    auto& cache = statements();
    auto found = cache.find(sql);
    if (found == cache.end()) {
        auto prepared = std::make_unique<ControlStatement>(session());
        prepared->st.alloc();
        prepared->st.prepare(sql);
        prepared->st.define_and_bind();
        found = cache.emplace(sql, std::move(prepared)).first;
    }
    static_cast<ControlStatement&>(*found->second).st.execute(true);
}

void SessionPool::Lease::begin(const std::string& begin_sql) { execute_control(begin_sql); }

void SessionPool::Lease::commit() {
    commit_sent_ = true;  // from here on the outcome may be unknown: no retry
    execute_control("COMMIT");
}

void SessionPool::Lease::rollback() { execute_control("ROLLBACK"); }

void SessionPool::Lease::savepoint() { execute_control("SAVEPOINT one"); }

void SessionPool::Lease::release_savepoint() { execute_control("RELEASE SAVEPOINT one"); }

void SessionPool::Lease::rollback_to_savepoint() {
    execute_control("ROLLBACK TO SAVEPOINT one");
    execute_control("RELEASE SAVEPOINT one");
}

Failure SessionPool::Lease::classify(const std::exception& error) const { return pool_->backend_.classify(error); }

domain::Error SessionPool::Lease::fail(const std::exception& error) {
    bool broken = false;
    try {
        broken = pool_->backend_.is_broken(session());
    } catch (const std::exception&) {
        broken = true;
    }
    if (!broken) {
        try {
            if (pool_->backend_.in_transaction(session())) rollback();
        } catch (const std::exception&) {
            broken = true;
        }
    }
    if (broken) {
        broken_ = true;
        pool_->disconnect(index_);
        return unavailable(pool_->backend_);
    }
    // A statement that failed half-way may be in any state: prepare afresh next time.
    pool_->slots_[index_].statements.clear();
    switch (classify(error)) {
        case Failure::Unavailable:
            return unavailable(pool_->backend_);
        case Failure::UniqueViolation:
            return domain::Error::internal("unexpected unique constraint violation");
        case Failure::Other:
            break;
    }
    // The exception's text may quote SQL and bound values (emails): it is not passed on.
    return domain::Error::internal(pool_->backend_.name + " database error");
}

}  // namespace leads::adapters::sql
