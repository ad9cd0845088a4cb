#include "adapters/postgres/postgres_repository.hpp"

#include <libpq-fe.h>
#include <soci/postgresql/soci-postgresql.h>
#include <soci/soci.h>

#include <atomic>
#include <exception>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "adapters/postgres/pipeline.hpp"
#include "adapters/postgres/schema.hpp"
#include "adapters/sql/column_arrays.hpp"
#include "adapters/sql/migrations.hpp"
#include "adapters/sql/periodic.hpp"
#include "adapters/sql/session_pool.hpp"
#include "adapters/sql/sql_lead_repository.hpp"
#include "adapters/sql/statements.hpp"

namespace leads::adapters::postgres {

namespace {

using domain::Error;
using domain::Result;

constexpr std::string_view kVariable = "LEADS_DATABASE_URL";

// Added when the URL does not say: fail fast while the server is down, and never let a
// stuck statement hold a pooled connection for long.
const std::map<std::string, std::string> kDefaults = {
    {"connect_timeout", "5"},
    {"options", "-c statement_timeout=30000"},
    {"fallback_application_name", "leads-api"},
};

// A keyword=value connection string value: quoted, with \ and ' escaped.
std::string quote(std::string_view value) {
    std::string quoted = "'";
    for (char c : value) {
        if (c == '\\' || c == '\'') quoted += '\\';
        quoted += c;
    }
    quoted += '\'';
    return quoted;
}

void ignore_notice(void*, const char*) {}

}  // namespace

#if defined(__SANITIZE_ADDRESS__)
// SOCI 4.0's PostgreSQL backend loses the connection when its first statement (SET
// extra_float_digits) fails after the login succeeded, as when the server shuts down in
// between: ~35 KB per such connect, ours to report upstream, not to fix here. Sanitizer
// builds would otherwise fail on it (docs/operations.md, the database runbook).
extern "C" const char* __lsan_default_suppressions() { return "leak:libsoci_postgresql.so\n"; }
#endif

namespace {

// libpq checks ports only when it connects; a typo should stop start-up instead.
bool valid_ports(std::string_view ports) {
    while (true) {
        auto comma = ports.find(',');
        auto port = ports.substr(0, comma);
        if (!port.empty()) {
            if (port.size() > 5 || port.find_first_not_of("0123456789") != std::string_view::npos) return false;
            int number = std::stoi(std::string(port));
            if (number < 1 || number > 65535) return false;
        }
        if (comma == std::string_view::npos) return true;
        ports.remove_prefix(comma + 1);
    }
}

bool is_broken(soci::session& session) {
    auto* backend = static_cast<soci::postgresql_session_backend*>(session.get_backend());
    return backend == nullptr || backend->conn_ == nullptr || PQstatus(backend->conn_) != CONNECTION_OK;
}

sql::Failure classify(const std::exception& error) {
    const auto* pg_error = dynamic_cast<const soci::postgresql_soci_error*>(&error);
    if (pg_error == nullptr) return sql::Failure::Other;
    const std::string state = pg_error->sqlstate();
    // Of the constraint_violation category, only unique_violation is a duplicate email; a
    // failed CHECK or foreign key is a bug.
    if (pg_error->get_error_category() == soci::soci_error::constraint_violation && state == "23505") {
        return sql::Failure::UniqueViolation;
    }
    if (pg_error->get_error_category() == soci::soci_error::connection_error) return sql::Failure::Unavailable;
    // 08 connection exception, 53 insufficient resources (too many connections), 57
    // operator intervention (statement timeout, shutdown, starting up), 40 serialization
    // failure or deadlock, 55P03 lock not available: all pass; the caller may retry.
    const std::string_view cls = std::string_view(state).substr(0, 2);
    if (cls == "08" || cls == "53" || cls == "57" || cls == "40" || state == "55P03") return sql::Failure::Unavailable;
    return sql::Failure::Other;
}

std::shared_ptr<sql::SessionPool> make_pool(std::string conninfo, std::size_t size,
                                            std::chrono::milliseconds acquire_timeout) {
    sql::Backend backend{
        .name = "postgresql",
        .connect =
            [conninfo = std::move(conninfo)](soci::session& session) {
                session.open(soci::postgresql, conninfo);
                // Server notices ("relation already exists, skipping") would go to stderr,
                // outside the service's structured log.
                auto* pg = static_cast<soci::postgresql_session_backend*>(session.get_backend());
                PQsetNoticeProcessor(pg->conn_, ignore_notice, nullptr);
            },
        .is_broken = is_broken,
        .in_transaction =
            [](soci::session& session) {
                auto* pg = static_cast<soci::postgresql_session_backend*>(session.get_backend());
                if (pg == nullptr || pg->conn_ == nullptr) return false;
                auto status = PQtransactionStatus(pg->conn_);
                return status == PQTRANS_INTRANS || status == PQTRANS_INERROR;
            },
        .classify = classify,
    };
    return std::make_shared<sql::SessionPool>(std::move(backend), sql::PoolOptions{size, acquire_timeout});
}

Result<std::vector<long long>> migrate(sql::SessionPool& pool) {
    auto lease = pool.acquire();
    if (!lease) return std::move(lease).error();
    // The advisory lock is held until the transaction ends: replicas starting together
    // apply the migrations once, one after the other; DDL is transactional here.
    sql::MigrationPlan plan{.lock = {"BEGIN", std::string(kMigrationLock)}, .migrations = migrations()};
    try {
        return sql::apply_migrations(lease->session(), plan);
    } catch (const std::exception& e) {
        return lease->fail(e);
    }
}

// Leads created by imports since the statistics of leads were last refreshed.
struct ImportedRows {
    std::atomic<std::size_t> since_analyze{0};
};

// Maintains the search index off the request path: merges the trigram index's pending list
// into the index every interval, on a pooled connection. New rows go to that list (GIN "fast update"); whichever insert
// found it over gin_pending_list_limit used to merge it inside its own transaction, holding its locks: an import of
// 10,000 rows paid ~25 merges, creates a long one now and then. Migration 16 raises the limit so writes only append,
// and the merge happens here instead; a search reads the list meanwhile, so it sees every committed row either way.
// After large imports it also runs ANALYZE leads (at most every kAnalyzeEvery): until
// autovacuum's next round sees 10% of the table changed, the planner walked a freshly
// loaded workspace row by row for a selective search (93 ms against 1 ms through the index).
class IndexMaintenance {
  public:
    IndexMaintenance(std::shared_ptr<sql::SessionPool> pool, std::chrono::milliseconds interval,
                     std::function<void(const std::string&)> on_error, std::shared_ptr<ImportedRows> imported,
                     std::size_t analyze_after)
        : pool_(std::move(pool)),
          imported_(std::move(imported)),
          analyze_after_(analyze_after),
          runs_(
              interval,
              [this] {
                  std::string failure = merge();
                  if (failure.empty()) failure = analyze_if_due();
                  return failure;
              },
              [on_error = std::move(on_error)](const std::string& failure) {
                  if (!on_error) return;
                  on_error(failure.empty() ? "search index maintenance works again"
                                           : "search index maintenance failed: " + failure);
              }) {}

    IndexMaintenance(const IndexMaintenance&) = delete;
    IndexMaintenance& operator=(const IndexMaintenance&) = delete;

  private:
    static constexpr std::chrono::seconds kAnalyzeEvery{30};

    // Empty when the merge ran, or was skipped; otherwise why it failed. One replica at a
    // time (gin_clean_pending_list waits for a merge under way): the others skip their turn
    // instead of holding a connection while they wait.
    std::string merge() {
        return run_statement(
                   "/* index maintenance, all tenants */ SELECT gin_clean_pending_list('leads_search_trgm'::regclass) "
                   "WHERE pg_try_advisory_xact_lock(1281, 0)")
            .value_or(std::string());
    }

    // Empty when done or not due (or no connection free and open); otherwise why it failed.
    std::string analyze_if_due() {
        const std::size_t seen = imported_->since_analyze.load();
        const auto now = std::chrono::steady_clock::now();
        if (analyze_after_ == 0 || seen < analyze_after_ || now - last_analyze_ < kAnalyzeEvery) return {};
        auto failure = run_statement("/* index maintenance, all tenants */ ANALYZE leads");
        if (failure && failure->empty()) {
            imported_->since_analyze.fetch_sub(seen);  // imports since then count toward the next
            last_analyze_ = now;
        }
        return failure.value_or(std::string());
    }

    // Runs a constant statement on a connection that is free and open now: nullopt when
    // there is none (requests come first, and they reconnect after an outage: reconnecting
    // every 250 ms while the server stopped made LeakSanitizer catch a PGconn lost inside
    // SOCI 4.0's connect, 1 run in ~60); else empty, or why it failed — the server's message,
    // which quotes no value here and says what to fix (e.g. the role must own the index).
    std::optional<std::string> run_statement(const char* sql) {
        auto lease = pool_->acquire(std::chrono::milliseconds::zero(), false);
        if (!lease) return std::nullopt;
        try {
            lease->session() << sql;
            return std::string();
        } catch (const std::exception& e) {
            static_cast<void>(lease->fail(e));
            return std::string(e.what());
        }
    }

    std::shared_ptr<sql::SessionPool> pool_;
    std::shared_ptr<ImportedRows> imported_;
    std::size_t analyze_after_;
    std::chrono::steady_clock::time_point last_analyze_;  // the runs' own
    sql::Periodic runs_;  // last: runs once the members it uses exist, stops before they go
};

// The repository and the maintenance of its search index, stopped together.
struct RepositoryWithMaintenance {
    std::shared_ptr<ports::Repository> repository;
    std::unique_ptr<IndexMaintenance> maintenance;
};

}  // namespace

Result<std::string> parse_postgres_url(std::string_view url) {
    if (!url.starts_with("postgresql://") && !url.starts_with("postgres://")) {
        return Error::validation(std::string(kVariable), "must be sqlite:PATH or a postgresql:// URL");
    }
    char* message = nullptr;
    PQconninfoOption* options = PQconninfoParse(std::string(url).c_str(), &message);
    if (options == nullptr) {
        // libpq's message can quote parts of the URL, password included: not passed on.
        if (message != nullptr) PQfreemem(message);
        return Error::validation(
            std::string(kVariable),
            "is not a valid PostgreSQL URL (postgresql://user:password@host:port/dbname?param=value)");
    }
    std::string conninfo;
    std::map<std::string, std::string> defaults = kDefaults;
    bool ports_ok = true;
    for (const PQconninfoOption* option = options; option->keyword != nullptr; ++option) {
        if (option->val == nullptr) continue;
        if (std::string_view(option->keyword) == "port") ports_ok = valid_ports(option->val);
        defaults.erase(option->keyword);
        if (!conninfo.empty()) conninfo += ' ';
        conninfo += option->keyword;
        conninfo += '=';
        conninfo += quote(option->val);
    }
    PQconninfoFree(options);
    if (!ports_ok) return Error::validation(std::string(kVariable), "has a port that is not a number from 1 to 65535");
    for (const auto& [keyword, value] : defaults) {
        if (!conninfo.empty()) conninfo += ' ';
        conninfo += keyword + "=" + quote(value);
    }
    return conninfo;
}

Result<std::shared_ptr<ports::Repository>> open_postgres(const PostgresOptions& options) {
    auto conninfo = parse_postgres_url(options.url);
    if (!conninfo) return std::move(conninfo).error();
    auto pool = make_pool(std::move(conninfo).value(), options.pool_size, options.acquire_timeout);
    auto applied = migrate(*pool);
    if (!applied) return std::move(applied).error();
    sql::Dialect dialect{
        .begin_write = "BEGIN",
        .begin_read = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
        .lock_rows = " FOR UPDATE",
        .trigram_filter = " AND search_text LIKE :trigram_a ESCAPE '\\' AND search_text LIKE :trigram_b ESCAPE '\\'",
        .trigram_sample = "SELECT search_text FROM leads WHERE tenant_id = :tenant LIMIT :limit",
        .alnum_trigrams = true,
        .like_search_text = "(search_text || '')",
        .walk_ids_first = true,
        .walk_pattern = "(SELECT CAST(:pattern AS TEXT))",
        .no_index = "",
        // A number is compared as its text when the filter's text is one a number prints as
        // (jsonb keeps the scale: 10.0 stays "10.0"), else as the number an exponent form
        // names; anything else by its text. CASE orders the evaluation (AND does not).
        .attribute_condition =
            "CASE jsonb_typeof(attributes::jsonb -> CAST(:attr_key{i}a AS TEXT)) WHEN 'number' THEN "
            "(attributes::jsonb ->> CAST(:attr_key{i}b AS TEXT)) = :attr_numtext{i} OR (attributes::jsonb -> "
            "CAST(:attr_key{i}c AS TEXT))::numeric = CAST(:attr_number{i} AS NUMERIC) ELSE (attributes::jsonb ->> "
            "CAST(:attr_key{i}d AS TEXT)) = :attr_text{i} END",
        .claim_begin = "BEGIN; SET LOCAL synchronous_commit = off",
        .lock_suppressions = "SELECT COUNT(*) FROM (SELECT pg_advisory_xact_lock(1280, hashtext(:tenant))) l",
        .lock_suppressions_shared =
            "SELECT COUNT(*) FROM (SELECT pg_advisory_xact_lock_shared(1280, hashtext(:tenant))) l",
        // The entry is inserted only when the lead was (its email was free).
        .insert_lead_and_activity =
            "WITH inserted AS (" + sql::kInsertLeadIfNew +
            " RETURNING id, tenant_id) INSERT INTO activities (id, tenant_id, lead_id, type, ts, campaign_id, data) "
            "SELECT CAST(:activity_id AS TEXT), tenant_id, id, CAST(:type AS TEXT), CAST(:ts AS BIGINT), "
            "CAST(:campaign_id AS TEXT), CAST(:data AS TEXT) FROM inserted",
        // An import's new leads from one array per column, inserted in their order (email order:
        // row locks in the same order as any other import's), a taken email skipped; their
        // entries for the leads actually inserted (each beside its lead, in the same
        // statement: no foreign key checks them, migration 17).
        .insert_leads_batch =
            "WITH rows AS (SELECT * FROM " + sql::unnest_columns(sql::kImportArrayColumns) +
            "), inserted AS (INSERT INTO leads (id, tenant_id, workspace, email, "
            "first_name, last_name, company, status, attributes, search_text, email_hash, created_at, updated_at, "
            "version) SELECT id, CAST(:tenant AS TEXT), CAST(:workspace AS TEXT), email, first_name, last_name, "
            "company, status, attributes, search_text, email_hash, created_at, updated_at, version FROM rows ORDER BY "
            "n ON CONFLICT (tenant_id, workspace, email) DO NOTHING RETURNING tenant_id, id), entries AS (INSERT INTO "
            "activities (id, tenant_id, lead_id, type, ts, campaign_id, data) SELECT r.activity_id, i.tenant_id, i.id, "
            "r.type, r.ts, r.campaign_id, r.data FROM inserted i JOIN rows r ON r.id = i.id) SELECT id FROM inserted",
        // The entries' total is counted once, beside the lead (not per joined row).
        .lead_with_activity =
            "SELECT l.id, l.tenant_id, l.workspace, l.email, l.first_name, l.last_name, l.company, l.status, "
            "l.attributes, l.created_at, l.updated_at, l.version, l.do_not_contact, l.activity_total, a.id, "
            "COALESCE(a.type, ''), COALESCE(a.ts, 0), a.campaign_id, COALESCE(a.data, '') FROM (SELECT " +
            sql::kLeadColumns +
            ", (SELECT COUNT(*) FROM activities c WHERE c.tenant_id = leads.tenant_id AND c.lead_id = leads.id) AS "
            "activity_total FROM leads WHERE tenant_id = :tenant AND id = :id) l LEFT JOIN LATERAL (SELECT id, type, "
            "ts, campaign_id, data FROM activities WHERE tenant_id = l.tenant_id AND lead_id = l.id ORDER BY ts DESC, "
            "id DESC LIMIT :limit) a ON true ORDER BY a.ts DESC, a.id DESC",
        .insert_events =
            "INSERT INTO events (tenant_id, sequence, id, type, ts, workspace, lead_id, data) SELECT CAST(:tenant AS "
            "TEXT), NULL, r.id, r.type, r.ts, r.workspace, r.lead_id, r.data FROM json_to_recordset(CAST(:rows AS "
            "JSON)) AS r(n BIGINT, id TEXT, type TEXT, ts BIGINT, workspace TEXT, lead_id TEXT, data TEXT) ORDER BY "
            "r.n",
        .insert_event_columns =
            "INSERT INTO events (tenant_id, sequence, id, type, ts, workspace, lead_id, data) SELECT CAST(:tenant AS "
            "TEXT), NULL, r.id, r.type, r.ts, r.workspace, r.lead_id, r.data FROM " +
            sql::unnest_columns(sql::kEventArrayColumns) + " ORDER BY r.n",
        .number_after_commit = true,
        .json_strings = "SELECT json_array_elements_text(CAST(:ids AS JSON))",
        .claim_due =
            "SELECT p.tenant_id, p.webhook_id, p.sequence FROM webhooks w CROSS JOIN LATERAL (SELECT d.tenant_id, "
            "d.webhook_id, d.sequence, d.next_attempt_at FROM webhook_deliveries d WHERE d.tenant_id = w.tenant_id AND "
            "d.webhook_id = w.id AND d.state = 'pending' AND d.next_attempt_at <= :due AND d.claimed_until <= :free "
            "ORDER BY d.next_attempt_at LIMIT :per FOR UPDATE OF d SKIP LOCKED) p WHERE w.enabled = 1 AND w.id NOT IN "
            "(SELECT json_array_elements_text(CAST(:skip AS JSON))) ORDER BY p.next_attempt_at LIMIT :limit",
        .serialize_writers = false,
        .writer_wait = std::chrono::milliseconds{5000},
        .import_prologue = {},
        .import_epilogue = {},
        .pipelined = run_pipelined,
    };
    const bool merges = options.merge_interval > std::chrono::milliseconds::zero();
    auto imported = std::make_shared<ImportedRows>();
    if (merges) dialect.imported = [imported](std::size_t rows) { imported->since_analyze += rows; };
    auto repository =
        std::shared_ptr<ports::Repository>(std::make_shared<sql::SqlLeadRepository>(pool, std::move(dialect)));
    if (!merges) return repository;
    auto both = std::make_shared<RepositoryWithMaintenance>();
    both->repository = std::move(repository);
    both->maintenance =
        std::make_unique<IndexMaintenance>(std::move(pool), options.merge_interval, options.on_maintenance_error,
                                           std::move(imported), options.analyze_after_rows);
    // Shares ownership of both: the merges stop when the last user lets the repository go.
    return std::shared_ptr<ports::Repository>(both, both->repository.get());
}

Result<std::vector<long long>> migrate_postgres(const PostgresOptions& options) {
    auto conninfo = parse_postgres_url(options.url);
    if (!conninfo) return std::move(conninfo).error();
    auto pool = make_pool(std::move(conninfo).value(), 1, options.acquire_timeout);
    return migrate(*pool);
}

}  // namespace leads::adapters::postgres
