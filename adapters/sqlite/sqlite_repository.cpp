#include "adapters/sqlite/sqlite_repository.hpp"

#include <fcntl.h>
#include <soci/soci.h>
#include <soci/sqlite3/soci-sqlite3.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <utility>

#include "adapters/crypto/email_hash.hpp"
#include "adapters/sql/migrations.hpp"
#include "adapters/sql/session_pool.hpp"
#include "adapters/sql/sql_lead_repository.hpp"
#include "adapters/sqlite/schema.hpp"

namespace leads::adapters::sqlite {

namespace {

using domain::Error;
using domain::Result;

constexpr std::string_view kVariable = "LEADS_DATABASE_URL";

// SOCI reads "key=value" pairs when the string has an '='; a plain path otherwise.
std::string connect_string(const std::string& path) {
    if (path.find('=') == std::string::npos) return path;
    return "db=\"" + path + "\"";
}

// A new database file holds personal data: readable by its owner only. SQLite gives the
// -wal and -shm files the database file's permissions.
void create_private_file(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd >= 0) ::close(fd);  // EEXIST (or any failure) leaves the opening to SQLite
}

bool is_busy(const soci::sqlite3_soci_error& error) {
    const int primary = error.result() & 0xff;
    return primary == SQLITE_BUSY || primary == SQLITE_LOCKED;
}

// Switching a new database to WAL needs an exclusive lock, and SQLite answers BUSY at once
// (without its busy handler) while another connection is opening the same new file: several
// replicas or `migrate` runs starting together. Retried within the busy timeout.
std::string enable_wal(soci::session& session, std::chrono::milliseconds busy_timeout) {
    const auto give_up = std::chrono::steady_clock::now() + busy_timeout;
    for (;;) {
        try {
            std::string mode;
            session << "PRAGMA journal_mode = WAL", soci::into(mode);
            return mode;
        } catch (const soci::sqlite3_soci_error& error) {
            if (!is_busy(error) || std::chrono::steady_clock::now() > give_up) throw;
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
    }
}

// leads_sha256_hex(text): what migration 3 hashes existing emails with (schema.cpp);
// registered on the migrating connection only.
void sha256_hex_function(sqlite_api::sqlite3_context* context, int /*argc*/, sqlite_api::sqlite3_value** argv) {
    const auto* text = sqlite_api::sqlite3_value_text(argv[0]);
    if (text == nullptr) {
        sqlite_api::sqlite3_result_null(context);
        return;
    }
    const auto size = static_cast<std::size_t>(sqlite_api::sqlite3_value_bytes(argv[0]));
    const std::string hash = crypto::sha256_hex(std::string_view(reinterpret_cast<const char*>(text), size));
    // SQLITE_TRANSIENT (SQLite copies the text), spelled out: the macro casts an int.
    const auto transient = reinterpret_cast<sqlite_api::sqlite3_destructor_type>(static_cast<std::intptr_t>(-1));
    sqlite_api::sqlite3_result_text(context, hash.data(), static_cast<int>(hash.size()), transient);
}

void configure(soci::session& session, std::chrono::milliseconds busy_timeout) {
    auto* backend = static_cast<soci::sqlite3_session_backend*>(session.get_backend());
    // A file the process may not write (permissions, a read-only mount) would serve reads
    // and fail every write: refuse it at start-up instead.
    if (sqlite_api::sqlite3_db_readonly(backend->conn_, "main") == 1) {
        throw std::runtime_error("the SQLite database is read-only for this process");
    }
    // Set through the C API: nothing is formatted into SQL.
    sqlite_api::sqlite3_busy_timeout(backend->conn_, static_cast<int>(busy_timeout.count()));
    // Tells a UNIQUE violation from other constraint failures.
    sqlite_api::sqlite3_extended_result_codes(backend->conn_, 1);
    session << "PRAGMA foreign_keys = ON";
    if (enable_wal(session, busy_timeout) != "wal") {
        throw std::runtime_error("the database cannot use write-ahead logging");
    }
    // With WAL, NORMAL loses no committed transaction on a crash of the process, only
    // possibly the last ones on a power failure, and skips an fsync per commit.
    session << "PRAGMA synchronous = NORMAL";
    // Every statement that fires a trigger (the full-text index's) inside a transaction
    // keeps a statement journal; in a temporary file that was ~40 KB written per imported
    // lead. In memory it is a few pages per statement.
    session << "PRAGMA temp_store = MEMORY";
}

// SOCI 4.0's SQLite errors report no get_error_category() (always "unknown"): the
// result code SQLite returned is what tells them apart.
sql::Failure classify(const std::exception& error) {
    const auto* sqlite_error = dynamic_cast<const soci::sqlite3_soci_error*>(&error);
    if (sqlite_error == nullptr) return sql::Failure::Other;
    if (sqlite_error->result() == SQLITE_CONSTRAINT_UNIQUE) return sql::Failure::UniqueViolation;
    switch (sqlite_error->result() & 0xff) {  // the primary result code
        case SQLITE_BUSY:                     // another writer held the lock past busy_timeout
        case SQLITE_LOCKED:                   // a conflicting lock within this process
        case SQLITE_CANTOPEN:                 // the file went away
        case SQLITE_IOERR:
        case SQLITE_FULL:
        case SQLITE_READONLY:  // the file or its directory lost write permission: never a 500
            return sql::Failure::Unavailable;
        default:
            return sql::Failure::Other;
    }
}

// Process-wide settings, which SQLite accepts only before its first connection (later
// calls fail with SQLITE_MISUSE and change nothing). A connection is leased to one thread
// at a time, so "multi-thread" mode is safe and drops the per-connection mutexes taken on
// every call; without memory statistics, every allocation skips a global mutex too.
// Measured: mutex lock/unlock were ~7% of the import's CPU.
void configure_library() {
    static std::once_flag once;
    std::call_once(once, [] {
        sqlite_api::sqlite3_config(SQLITE_CONFIG_MULTITHREAD);
        sqlite_api::sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    });
}

std::shared_ptr<sql::SessionPool> make_pool(const SqliteOptions& options) {
    configure_library();
    sql::Backend backend{
        .name = "sqlite",
        .connect =
            [file = options.path, path = connect_string(options.path),
             busy = options.busy_timeout](soci::session& session) {
                create_private_file(file);
                session.open(soci::sqlite3, path);
                configure(session, busy);
            },
        .is_broken = [](soci::session&) { return false; },  // a file does not disconnect
        .in_transaction =
            [](soci::session& session) {
                auto* sqlite = static_cast<soci::sqlite3_session_backend*>(session.get_backend());
                return sqlite != nullptr && sqlite_api::sqlite3_get_autocommit(sqlite->conn_) == 0;
            },
        .classify = classify,
    };
    return std::make_shared<sql::SessionPool>(std::move(backend),
                                              sql::PoolOptions{options.pool_size, options.acquire_timeout});
}

Result<std::vector<long long>> migrate(sql::SessionPool& pool) {
    auto lease = pool.acquire();
    if (!lease) return std::move(lease).error();
    // BEGIN IMMEDIATE: a second process (or thread) starting at the same time waits for
    // the first to commit, then finds every migration recorded.
    sql::MigrationPlan plan{.lock = {"BEGIN IMMEDIATE"}, .migrations = migrations()};
    try {
        auto* backend = static_cast<soci::sqlite3_session_backend*>(lease->session().get_backend());
        if (sqlite_api::sqlite3_create_function_v2(backend->conn_, "leads_sha256_hex", 1,
                                                   SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, nullptr,
                                                   sha256_hex_function, nullptr, nullptr, nullptr) != SQLITE_OK) {
            throw std::runtime_error("the SQLite function leads_sha256_hex could not be registered");
        }
        return sql::apply_migrations(lease->session(), plan);
    } catch (const std::exception& e) {
        return lease->fail(e);
    }
}

}  // namespace

Result<std::string> parse_sqlite_url(std::string_view url) {
    constexpr std::string_view scheme = "sqlite:";
    if (!url.starts_with(scheme)) {
        return Error::validation(std::string(kVariable), "must be sqlite:PATH or a postgresql:// URL");
    }
    std::string_view path = url.substr(scheme.size());
    if (path.starts_with("//")) path.remove_prefix(2);
    if (path.empty()) return Error::validation(std::string(kVariable), "sqlite: needs a file path");
    if (path == ":memory:") {
        return Error::validation(std::string(kVariable),
                                 "an in-memory SQLite database is not shared between connections");
    }
    if (path.find('\0') != std::string_view::npos || path.find('"') != std::string_view::npos) {
        return Error::validation(std::string(kVariable), "the SQLite path contains an unsupported character");
    }
    return std::string(path);
}

Result<std::shared_ptr<ports::Repository>> open_sqlite(const SqliteOptions& options) {
    auto pool = make_pool(options);
    auto applied = migrate(*pool);
    if (!applied) return std::move(applied).error();
    sql::Dialect dialect{
        .begin_write = "BEGIN IMMEDIATE",
        .begin_read = "BEGIN",
        .lock_rows = "",
        // The trigram index narrows the rows down; LIKE then decides exactly.
        .trigram_filter = " AND pk IN (SELECT rowid FROM leads_fts WHERE leads_fts MATCH :match)",
        .trigram_table = "SELECT term, doc FROM leads_fts_vocab",
        .trigram_rows = "SELECT doc FROM leads_fts_vocab WHERE term = :term",
        .no_index = "+",
        .attribute_condition =
            "(CASE json_type(attributes, :attr_path{i}a) WHEN 'true' THEN 'true' WHEN 'false' THEN 'false' WHEN "
            "'real' THEN NULL ELSE CAST(json_extract(attributes, :attr_path{i}b) AS TEXT) END = :attr_text{i} OR "
            "(json_type(attributes, :attr_path{i}c) = 'real' AND json_extract(attributes, :attr_path{i}d) = "
            ":attr_real{i}))",
        .claim_begin = "BEGIN IMMEDIATE",
        .lock_suppressions = "",
        .lock_suppressions_shared = "",
        .insert_lead_and_activity = "",
        .insert_events = "",
        .number_after_commit = false,
        // CROSS JOIN keeps the endpoints the outer loop (SQLite's planner would otherwise
        // scan every delivery and run the pick for each).
        .json_strings = "SELECT value FROM json_each(:ids)",
        .claim_due =
            "SELECT d.tenant_id, d.webhook_id, d.sequence FROM webhooks w CROSS JOIN webhook_deliveries d ON "
            "d.tenant_id = "
            "w.tenant_id AND d.webhook_id = w.id AND d.sequence IN (SELECT p.sequence FROM webhook_deliveries p WHERE "
            "p.tenant_id = w.tenant_id AND p.webhook_id = w.id AND p.state = 'pending' AND p.next_attempt_at <= :due "
            "AND p.claimed_until <= :free ORDER BY p.next_attempt_at LIMIT :per) WHERE w.enabled = 1 AND w.id NOT IN "
            "(SELECT value FROM json_each(:skip)) ORDER BY d.next_attempt_at LIMIT :limit",
        .serialize_writers = true,
        .group_creates = true,
        .writer_wait = options.busy_timeout,
        // An import's transaction gets a 32 MiB page cache instead of SQLite's default 2 MiB:
        // 10,000 rows dirty more pages than 2 MiB holds, which were spilled to the WAL and
        // read back (pread/pwrite were a third of an import's CPU); 10,000 rows in 0.93-1.08 s
        // -> 0.63-0.74 s (docs/performance.md). Imports write one at a time, so at most one connection
        // holds the larger cache; it is given back when the transaction ends.
        .import_prologue = {"PRAGMA cache_size = -32768",
                            "INSERT INTO leads_fts_deferred (from_pk) SELECT COALESCE(MAX(pk), 0) FROM leads"},
        .import_epilogue =
            {
                "INSERT INTO leads_fts (rowid, search_text) SELECT pk, search_text FROM leads WHERE pk > "
                "(SELECT MIN(from_pk) FROM leads_fts_deferred)",
                "DELETE FROM leads_fts_deferred",
            },
        .import_finally = {"PRAGMA cache_size = -2000"},  // SQLite's compiled-in default, which configure() keeps
    };
    return std::shared_ptr<ports::Repository>(
        std::make_shared<sql::SqlLeadRepository>(std::move(pool), std::move(dialect)));
}

Result<std::vector<long long>> migrate_sqlite(const SqliteOptions& options) {
    auto pool = make_pool(SqliteOptions{options.path, 1, options.acquire_timeout, options.busy_timeout});
    return migrate(*pool);
}

}  // namespace leads::adapters::sqlite
