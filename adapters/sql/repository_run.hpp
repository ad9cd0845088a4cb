#pragma once

#include <exception>
#include <mutex>
#include <stdexcept>

#include "adapters/sql/sql_lead_repository.hpp"

// SqlLeadRepository::run, for the .cpp files that define its operations.
namespace leads::adapters::sql {

// Runs body on a leased session (a write: after this process's writers queue, when the
// dialect serialises them); an exception rolls back, and a retryable failure (a dropped
// connection) is tried once more on a fresh session.
template <class T, class Body>
domain::Result<T> SqlLeadRepository::run(Access access, Body&& body) {
    for (int attempt = 0;; ++attempt) {
        std::unique_lock<std::timed_mutex> writer(writer_, std::defer_lock);
        if (access == Access::Write && dialect_.serialize_writers && !writer.try_lock_for(dialect_.writer_wait)) {
            return domain::Error::unavailable(pool_->backend().name + " database busy");
        }
        auto lease = pool_->acquire();
        if (!lease) return std::move(lease).error();
        try {
            return body(*lease);
        } catch (const std::exception& e) {
            domain::Error error = lease->fail(e);
            if (attempt == 0 && lease->retryable()) continue;
            return error;
        } catch (...) {
            // A mutation may throw anything; the transaction is rolled back all the same.
            return lease->fail(std::runtime_error("unknown exception"));
        }
    }
}

}  // namespace leads::adapters::sql
