#include "adapters/postgres/pipeline.hpp"

#include <libpq-fe.h>
#include <soci/postgresql/soci-postgresql.h>
#include <soci/soci.h>

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace leads::adapters::postgres {

namespace {

// Runs in flight at once: one executing, the next waiting in the socket. Each run's answer
// (a column of at most 1,000 ids, ~40 kB) fits in the socket's buffers, so a client
// blocked sending the next run never waits on a server blocked sending the last answer.
constexpr int kInFlight = 2;

// The name a statement is prepared under on this connection. When a failure clears the
// lease's cache the server still holds the statement (until the connection closes): the
// next use prepares it again under a new name.
class PreparedName final : public sql::CachedStatement {
  public:
    explicit PreparedName(std::string prepared) : name(std::move(prepared)) {}
    const std::string name;
};

using ResultPtr = std::unique_ptr<PGresult, decltype(&PQclear)>;

ResultPtr next_result(PGconn* conn) { return {PQgetResult(conn), &PQclear}; }

// What a failed run said, kept until the pipeline is drained.
struct Failure {
    std::string message;
    std::string state;
};

Failure failure_of(PGconn* conn, const PGresult* result) {
    const char* state = result != nullptr ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
    const char* message = result != nullptr ? PQresultErrorMessage(result) : PQerrorMessage(conn);
    // No SQLSTATE: the connection itself failed (08006, connection_failure).
    return {message != nullptr && *message != '\0' ? message : "pipelined statement failed",
            state != nullptr ? state : "08006"};
}

[[noreturn]] void raise(const Failure& failure) {
    throw soci::postgresql_soci_error(failure.message, failure.state.c_str());
}

const std::string& prepared(sql::SessionPool::Lease& lease, PGconn* conn, const std::string& sql,
                            const std::vector<std::string>& names) {
    const std::string key = "pipelined: " + sql;
    auto& cache = lease.statements();
    auto found = cache.find(key);
    if (found == cache.end()) {
        static std::atomic<unsigned long> counter{0};
        std::string name = "leads_pipelined_" + std::to_string(++counter);
        const ResultPtr result(
            PQprepare(conn, name.c_str(), positional(sql, names).c_str(), static_cast<int>(names.size()), nullptr),
            &PQclear);
        if (result == nullptr || PQresultStatus(result.get()) != PGRES_COMMAND_OK) {
            raise(failure_of(conn, result.get()));
        }
        found = cache.emplace(key, std::make_unique<PreparedName>(std::move(name))).first;
    }
    return static_cast<const PreparedName&>(*found->second).name;
}

bool is_name_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

}  // namespace

std::string positional(std::string sql, const std::vector<std::string>& names) {
    for (std::size_t i = 0; i < names.size(); ++i) {
        std::string from(1, ':');
        from += names[i];
        std::string to(1, '$');
        to += std::to_string(i + 1);
        std::size_t at = sql.find(from);
        while (at != std::string::npos) {
            const std::size_t end = at + from.size();
            if (end < sql.size() && is_name_char(sql[end])) {
                at = sql.find(from, end);
                continue;
            }
            sql.replace(at, from.size(), to);
            at = sql.find(from, at + to.size());
        }
    }
    return sql;
}

void run_pipelined(sql::SessionPool::Lease& lease, const std::string& sql, const std::vector<std::string>& names,
                   const sql::PipelineNext& next, const sql::PipelineDone& done) {
    auto* backend = static_cast<soci::postgresql_session_backend*>(lease.session().get_backend());
    PGconn* conn = backend->conn_;
    const std::string& name = prepared(lease, conn, sql, names);
    if (PQenterPipelineMode(conn) != 1) raise(failure_of(conn, nullptr));

    std::optional<Failure> failed;
    int in_flight = 0;
    bool more = true;
    // Sends the next run, if there is one and nothing failed yet; whether it did.
    const auto send = [&]() {
        if (!more || failed) return false;
        const std::optional<std::vector<std::string>> values = next();
        if (!values) {
            more = false;
            return false;
        }
        // Every value in binary: the bytes of a TEXT (or JSON) value as they are, an array
        // in array_recv's format (BinaryArray).
        std::vector<const char*> pointers;
        std::vector<int> lengths;
        const std::vector<int> binary(values->size(), 1);
        pointers.reserve(values->size());
        lengths.reserve(values->size());
        for (const std::string& value : *values) {
            pointers.push_back(value.data());
            lengths.push_back(static_cast<int>(value.size()));
        }
        // The flush request makes the server send this run's answer at once (without a
        // Sync it would keep it buffered); PQflush sends what libpq holds.
        if (PQsendQueryPrepared(conn, name.c_str(), static_cast<int>(pointers.size()), pointers.data(), lengths.data(),
                                binary.data(), 0) != 1 ||
            PQsendFlushRequest(conn) != 1 || PQflush(conn) != 0) {
            failed = failure_of(conn, nullptr);
            return false;
        }
        ++in_flight;
        return true;
    };
    // Reads the oldest run's answer (then the NULL that ends it) and hands it on.
    const auto receive = [&]() {
        --in_flight;
        ResultPtr result = next_result(conn);
        if (result == nullptr) {
            if (!failed) failed = failure_of(conn, nullptr);
            return;
        }
        const ExecStatusType status = PQresultStatus(result.get());
        const bool ok = status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK;
        std::vector<std::string> column;
        if (ok && PQnfields(result.get()) > 0) {
            const int rows = PQntuples(result.get());
            column.reserve(static_cast<std::size_t>(rows));
            for (int row = 0; row < rows; ++row) column.emplace_back(PQgetvalue(result.get(), row, 0));
        }
        if (!ok && !failed) failed = failure_of(conn, result.get());
        while (next_result(conn) != nullptr) {
        }
        if (ok && !failed) done(std::move(column));
    };
    // Leaves pipeline mode with nothing pending, whatever happened: a Sync, its answer read.
    const auto finish = [&]() {
        while (in_flight > 0) receive();
        if (PQpipelineSync(conn) == 1) {
            for (int reads = 0; reads < 4; ++reads) {
                const ResultPtr result = next_result(conn);
                if (result != nullptr && PQresultStatus(result.get()) == PGRES_PIPELINE_SYNC) break;
            }
        }
        if (PQexitPipelineMode(conn) != 1 && !failed) failed = failure_of(conn, nullptr);
    };

    try {
        while (in_flight < kInFlight && send()) {
        }
        while (in_flight > 0) {
            receive();
            send();
        }
    } catch (...) {
        // Thrown by next() or done(): the runs sent are read back (not handed on) and the
        // pipeline left before it goes on.
        if (!failed) failed = Failure{"abandoned", "XX000"};
        finish();
        throw;
    }
    finish();
    if (failed) raise(*failed);
}

}  // namespace leads::adapters::postgres
