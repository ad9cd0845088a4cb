#include "adapters/sql/sql_lead_repository.hpp"

#include <soci/soci.h>

#include <algorithm>
#include <functional>
#include <map>
#include <numeric>
#include <optional>
#include <stdexcept>
#include <utility>
#include <vector>

#include "adapters/sql/json_codec.hpp"
#include "adapters/sql/pool_stats.hpp"
#include "adapters/sql/search_pattern.hpp"
#include "domain/text.hpp"

namespace leads::adapters::sql {

namespace {

using domain::Error;
using domain::Result;
using Lease = SessionPool::Lease;

// A duplicate email whose holder is gone by the time it is looked up (deleted in
// between) is retried this many times before giving up.
constexpr int kConflictAttempts = 3;

// An import compares the planner's row estimate with the rows it has inserted after this
// many and at every doubling (Dialect::row_estimate): a handful of cheap look-ups per import.
constexpr std::size_t kStatisticsCheck = 1000;

// Column values as SOCI exchanges them.
struct LeadRow {
    std::string id, tenant, workspace, email, first_name, last_name, company, status, attributes, search_text;
    soci::indicator first_name_ind = soci::i_null, last_name_ind = soci::i_null, company_ind = soci::i_null;
    long long created_at = 0, updated_at = 0, version = 0;
};

struct ActivityRow {
    std::string id, lead_id, type, campaign_id, data;
    soci::indicator campaign_id_ind = soci::i_null;
    long long ts = 0;
};

// Everything a statement binds, by reference: a statement prepared once keeps pointing at
// these, and each execution reads the values they hold at that moment.
struct Buffers {
    std::string tenant, workspace, id, email, status, pattern, match;
    long long limit = 0, offset = 0, expected_version = 0, delta = 0, count = 0;
    LeadRow lead;
    ActivityRow activity;
};

class Prepared final : public CachedStatement {
  public:
    explicit Prepared(soci::session& session) : st(session) {}
    Buffers b;
    soci::statement st;
};

using Binder = std::function<void(soci::statement&, Buffers&)>;

// The statement for this SQL on this connection, prepared (server-side on PostgreSQL) the
// first time and reused afterwards. The SQL text is the cache key; it is always built
// from constant fragments, never from values.
Prepared& prepare(Lease& lease, const std::string& sql, const Binder& bind) {
    auto& cache = lease.statements();
    auto found = cache.find(sql);
    if (found == cache.end()) {
        auto prepared = std::make_unique<Prepared>(lease.session());
        bind(prepared->st, prepared->b);
        prepared->st.alloc();
        prepared->st.prepare(sql);
        prepared->st.define_and_bind();
        found = cache.emplace(sql, std::move(prepared)).first;
    }
    return static_cast<Prepared&>(*found->second);
}

// Reads every remaining row so that the statement is finished: an SQLite statement left
// mid-way would keep its read snapshot open while the connection sits in the pool.
void drain(Prepared& prepared) {
    while (prepared.st.fetch()) {
    }
}

// --- Conversions --------------------------------------------------------------------

std::optional<std::string> optional_text(const std::string& value, soci::indicator indicator) {
    if (indicator != soci::i_ok) return std::nullopt;
    return value;
}

void set_optional(std::string& value, soci::indicator& indicator, const std::optional<std::string>& source) {
    value = source.value_or(std::string());
    indicator = source ? soci::i_ok : soci::i_null;
}

long long millis(domain::Timestamp at) { return at.time_since_epoch().count(); }

domain::Timestamp timestamp(long long ms) { return domain::Timestamp{std::chrono::milliseconds{ms}}; }

Result<LeadRow> to_row(const domain::Lead& lead) {
    auto attributes = encode_attributes(lead.attributes);
    if (!attributes) return std::move(attributes).error();
    LeadRow row;
    row.id = lead.id.value();
    row.tenant = lead.tenant.value();
    row.workspace = lead.workspace.value();
    row.email = lead.email.value();
    set_optional(row.first_name, row.first_name_ind, lead.first_name);
    set_optional(row.last_name, row.last_name_ind, lead.last_name);
    set_optional(row.company, row.company_ind, lead.company);
    row.status = std::string(domain::to_string(lead.status));
    row.attributes = std::move(attributes).value();
    row.search_text = domain::search_text(lead);
    row.created_at = millis(lead.created_at);
    row.updated_at = millis(lead.updated_at);
    row.version = lead.version;
    return row;
}

Result<domain::Lead> to_lead(const LeadRow& row) {
    auto id = domain::LeadId::parse(row.id);
    auto tenant = domain::TenantId::parse(row.tenant);
    auto workspace = domain::WorkspaceSlug::parse("workspace", row.workspace);
    auto email = domain::Email::parse(row.email);
    auto status = domain::parse_lead_status(row.status);
    if (!id || !tenant || !workspace || !email || !status) return Error::internal("stored lead is malformed");
    auto attributes = decode_attributes(row.attributes);
    if (!attributes) return std::move(attributes).error();
    return domain::Lead{
        .id = *id,
        .tenant = *tenant,
        .workspace = *workspace,
        .email = *email,
        .first_name = optional_text(row.first_name, row.first_name_ind),
        .last_name = optional_text(row.last_name, row.last_name_ind),
        .company = optional_text(row.company, row.company_ind),
        .status = *status,
        .attributes = std::move(attributes).value(),
        .created_at = timestamp(row.created_at),
        .updated_at = timestamp(row.updated_at),
        .version = row.version,
    };
}

Result<ActivityRow> to_row(const domain::Activity& activity, const domain::LeadId& lead_id) {
    auto data = encode_attributes(activity.data);
    if (!data) return std::move(data).error();
    ActivityRow row;
    row.id = activity.id.value();
    row.lead_id = lead_id.value();
    row.type = std::string(domain::to_string(activity.type));
    row.ts = millis(activity.timestamp);
    set_optional(row.campaign_id, row.campaign_id_ind, activity.campaign_id);
    row.data = std::move(data).value();
    return row;
}

Result<domain::Activity> to_activity(const ActivityRow& row) {
    auto id = domain::ActivityId::parse(row.id);
    auto lead_id = domain::LeadId::parse(row.lead_id);
    auto type = domain::parse_activity_type(row.type);
    if (!id || !lead_id || !type) return Error::internal("stored activity is malformed");
    auto data = decode_attributes(row.data);
    if (!data) return std::move(data).error();
    return domain::Activity{
        .id = *id,
        .lead_id = *lead_id,
        .type = *type,
        .timestamp = timestamp(row.ts),
        .campaign_id = optional_text(row.campaign_id, row.campaign_id_ind),
        .data = std::move(data).value(),
    };
}

bool same_identity(const domain::Lead& a, const domain::Lead& b) {
    return a.id == b.id && a.tenant == b.tenant && a.workspace == b.workspace && a.created_at == b.created_at;
}

// Errors a merge may return for its own row; anything else aborts the whole import.
bool is_row_error(const Error& error) {
    return error.kind != domain::ErrorKind::Internal && error.kind != domain::ErrorKind::Unavailable;
}

// --- Statements ------------------------------------------------------------------------

const std::string kLeadColumns =
    "id, tenant_id, workspace, email, first_name, last_name, company, status, attributes, created_at, updated_at, "
    "version";

void into_lead(soci::statement& st, LeadRow& r) {
    st.exchange(soci::into(r.id));
    st.exchange(soci::into(r.tenant));
    st.exchange(soci::into(r.workspace));
    st.exchange(soci::into(r.email));
    st.exchange(soci::into(r.first_name, r.first_name_ind));
    st.exchange(soci::into(r.last_name, r.last_name_ind));
    st.exchange(soci::into(r.company, r.company_ind));
    st.exchange(soci::into(r.status));
    st.exchange(soci::into(r.attributes));
    st.exchange(soci::into(r.created_at));
    st.exchange(soci::into(r.updated_at));
    st.exchange(soci::into(r.version));
}

void use_lead_fields(soci::statement& st, LeadRow& r) {
    st.exchange(soci::use(r.email, "email"));
    st.exchange(soci::use(r.first_name, r.first_name_ind, "first_name"));
    st.exchange(soci::use(r.last_name, r.last_name_ind, "last_name"));
    st.exchange(soci::use(r.company, r.company_ind, "company"));
    st.exchange(soci::use(r.status, "status"));
    st.exchange(soci::use(r.attributes, "attributes"));
    st.exchange(soci::use(r.search_text, "search_text"));
    st.exchange(soci::use(r.updated_at, "updated_at"));
    st.exchange(soci::use(r.version, "version"));
}

const std::string kInsertLead =
    "INSERT INTO leads (id, tenant_id, workspace, email, first_name, last_name, company, status, attributes, "
    "search_text, created_at, updated_at, version) VALUES (:id, :tenant, :workspace, :email, :first_name, :last_name, "
    ":company, :status, :attributes, :search_text, :created_at, :updated_at, :version)";

// The import's insert: an email taken meanwhile by another transaction is a no-op (0
// rows) instead of an error that would abort the whole import on PostgreSQL.
const std::string kInsertLeadIfNew = kInsertLead + " ON CONFLICT (tenant_id, workspace, email) DO NOTHING";

void bind_insert_lead(soci::statement& st, Buffers& b) {
    st.exchange(soci::use(b.lead.id, "id"));
    st.exchange(soci::use(b.lead.tenant, "tenant"));
    st.exchange(soci::use(b.lead.workspace, "workspace"));
    st.exchange(soci::use(b.lead.created_at, "created_at"));
    use_lead_fields(st, b.lead);
}

// The version check repeats the lock's guarantee in the statement itself.
const std::string kUpdateLead =
    "UPDATE leads SET email = :email, first_name = :first_name, last_name = :last_name, company = :company, "
    "status = :status, attributes = :attributes, search_text = :search_text, updated_at = :updated_at, "
    "version = :version WHERE tenant_id = :tenant AND id = :id AND version = :expected_version";

void bind_update_lead(soci::statement& st, Buffers& b) {
    st.exchange(soci::use(b.lead.tenant, "tenant"));
    st.exchange(soci::use(b.lead.id, "id"));
    st.exchange(soci::use(b.expected_version, "expected_version"));
    use_lead_fields(st, b.lead);
}

const std::string kDeleteLead = "DELETE FROM leads WHERE tenant_id = :tenant AND id = :id";

const std::string kInsertActivity =
    "INSERT INTO activities (id, tenant_id, lead_id, type, ts, campaign_id, data) "
    "VALUES (:id, :tenant, :lead_id, :type, :ts, :campaign_id, :data)";

void bind_insert_activity(soci::statement& st, Buffers& b) {
    st.exchange(soci::use(b.activity.id, "id"));
    st.exchange(soci::use(b.tenant, "tenant"));
    st.exchange(soci::use(b.activity.lead_id, "lead_id"));
    st.exchange(soci::use(b.activity.type, "type"));
    st.exchange(soci::use(b.activity.ts, "ts"));
    st.exchange(soci::use(b.activity.campaign_id, b.activity.campaign_id_ind, "campaign_id"));
    st.exchange(soci::use(b.activity.data, "data"));
}

// PostgreSQL: the import's lead and its lead_created entry in one statement (one round
// trip per new row); the entry is inserted only when the lead was.
const std::string kInsertLeadAndActivityIfNew =
    "WITH inserted AS (" + kInsertLeadIfNew +
    " RETURNING id, tenant_id) INSERT INTO activities (id, tenant_id, lead_id, type, ts, campaign_id, data) "
    "SELECT CAST(:activity_id AS TEXT), tenant_id, id, CAST(:type AS TEXT), CAST(:ts AS BIGINT), "
    "CAST(:campaign_id AS TEXT), CAST(:data AS TEXT) FROM inserted";

void bind_insert_lead_and_activity(soci::statement& st, Buffers& b) {
    bind_insert_lead(st, b);
    st.exchange(soci::use(b.activity.id, "activity_id"));
    st.exchange(soci::use(b.activity.type, "type"));
    st.exchange(soci::use(b.activity.ts, "ts"));
    st.exchange(soci::use(b.activity.campaign_id, b.activity.campaign_id_ind, "campaign_id"));
    st.exchange(soci::use(b.activity.data, "data"));
}

const std::string kAddCount =
    "INSERT INTO lead_counts (tenant_id, workspace, status, n) VALUES (:tenant, :workspace, :status, :delta) "
    "ON CONFLICT (tenant_id, workspace, status) DO UPDATE SET n = lead_counts.n + excluded.n";

void bind_tenant_id(soci::statement& st, Buffers& b) {
    st.exchange(soci::use(b.tenant, "tenant"));
    st.exchange(soci::use(b.id, "id"));
}

enum class SearchMode { None, Like, Trigram };

std::string lead_filter(bool by_status, SearchMode mode) {
    // With a trigram search the unary "+" keeps SQLite from driving the query by the
    // workspace's list index (a scan of the whole workspace, which it prefers without
    // ANALYZE statistics): the trigram index finds the few rows, the tenant filter checks them.
    const std::string_view plus = mode == SearchMode::Trigram ? "+" : "";
    std::string sql = " WHERE ";
    sql.append(plus).append("tenant_id = :tenant AND ").append(plus).append("workspace = :workspace");
    if (by_status) sql.append(" AND ").append(plus).append("status = :status");
    // The trigram index narrows the rows down; LIKE then decides exactly.
    if (mode == SearchMode::Trigram) sql += " AND pk IN (SELECT rowid FROM leads_fts WHERE leads_fts MATCH :match)";
    if (mode != SearchMode::None) sql += " AND search_text LIKE :pattern ESCAPE '\\'";
    return sql;
}

Binder filter_binder(bool by_status, SearchMode mode, Binder rest) {
    return [by_status, mode, rest = std::move(rest)](soci::statement& st, Buffers& b) {
        rest(st, b);
        st.exchange(soci::use(b.tenant, "tenant"));
        st.exchange(soci::use(b.workspace, "workspace"));
        if (by_status) st.exchange(soci::use(b.status, "status"));
        if (mode == SearchMode::Trigram) st.exchange(soci::use(b.match, "match"));
        if (mode != SearchMode::None) st.exchange(soci::use(b.pattern, "pattern"));
    };
}

// --- Steps shared by the operations ----------------------------------------------------

class Steps {
  public:
    Steps(Lease& lease, const Dialect& dialect) : lease_(lease), dialect_(dialect) {}

    std::optional<LeadRow> lead_by_id(const std::string& tenant, const std::string& id, bool lock) {
        static const std::string base = "SELECT " + kLeadColumns + " FROM leads WHERE tenant_id = :tenant AND id = :id";
        auto& q = prepare(lease_, base + (lock ? dialect_.lock_rows : std::string()), [](auto& st, auto& b) {
            into_lead(st, b.lead);
            bind_tenant_id(st, b);
        });
        q.b.tenant = tenant;
        q.b.id = id;
        return fetch_lead(q);
    }

    std::optional<LeadRow> lead_by_email(const std::string& tenant, const std::string& workspace,
                                         const std::string& email, bool lock) {
        static const std::string base = "SELECT " + kLeadColumns +
                                        " FROM leads WHERE tenant_id = :tenant AND workspace = :workspace AND "
                                        "email = :email";
        auto& q = prepare(lease_, base + (lock ? dialect_.lock_rows : std::string()), [](auto& st, auto& b) {
            into_lead(st, b.lead);
            st.exchange(soci::use(b.tenant, "tenant"));
            st.exchange(soci::use(b.workspace, "workspace"));
            st.exchange(soci::use(b.email, "email"));
        });
        q.b.tenant = tenant;
        q.b.workspace = workspace;
        q.b.email = email;
        return fetch_lead(q);
    }

    void insert_lead(const LeadRow& row) {
        auto& q = prepare(lease_, kInsertLead, bind_insert_lead);
        q.b.lead = row;
        q.st.execute(true);
    }

    // Inserts the lead and its lead_created entry unless the email is taken (no error
    // then: a failed statement would abort a whole import on PostgreSQL). Whether it did.
    bool insert_lead_if_new(const LeadRow& row, const ActivityRow& created) {
        if (dialect_.data_modifying_cte) {
            auto& q = prepare(lease_, kInsertLeadAndActivityIfNew, bind_insert_lead_and_activity);
            q.b.lead = row;
            q.b.activity = created;
            q.st.execute(true);
            return q.st.get_affected_rows() == 1;
        }
        auto& q = prepare(lease_, kInsertLeadIfNew, bind_insert_lead);
        q.b.lead = row;
        q.st.execute(true);
        if (q.st.get_affected_rows() != 1) return false;
        insert_activity(row.tenant, created);
        return true;
    }

    void insert_activity(const std::string& tenant, const ActivityRow& row) {
        auto& q = prepare(lease_, kInsertActivity, bind_insert_activity);
        q.b.tenant = tenant;
        q.b.activity = row;
        q.st.execute(true);
    }

    bool update_lead(const LeadRow& row, long long expected_version) {
        auto& q = prepare(lease_, kUpdateLead, bind_update_lead);
        q.b.lead = row;
        q.b.expected_version = expected_version;
        q.st.execute(true);
        return q.st.get_affected_rows() == 1;
    }

    void delete_lead(const std::string& tenant, const std::string& id) {
        auto& q = prepare(lease_, kDeleteLead, bind_tenant_id);
        q.b.tenant = tenant;
        q.b.id = id;
        q.st.execute(true);
    }

    Result<void> insert_activities(const domain::Lead& lead, const std::vector<domain::Activity>& entries) {
        for (const auto& entry : entries) {
            auto row = to_row(entry, lead.id);
            if (!row) return std::move(row).error();
            insert_activity(lead.tenant.value(), *row);
        }
        return {};
    }

    // Applied last and in key order, so that two transactions never wait on each other's
    // counter rows (no deadlock between concurrent writers of one workspace).
    void add_counts(const std::string& tenant, const std::string& workspace,
                    const std::map<std::string, long long>& deltas) {
        for (const auto& [status, delta] : deltas) {
            if (delta == 0) continue;
            auto& q = prepare(lease_, kAddCount, [](auto& st, auto& b) {
                st.exchange(soci::use(b.tenant, "tenant"));
                st.exchange(soci::use(b.workspace, "workspace"));
                st.exchange(soci::use(b.status, "status"));
                st.exchange(soci::use(b.delta, "delta"));
            });
            q.b.tenant = tenant;
            q.b.workspace = workspace;
            q.b.status = status;
            q.b.delta = delta;
            q.st.execute(true);
        }
    }

    long long row_estimate() {
        auto& q = prepare(lease_, dialect_.row_estimate, [](auto& st, auto& b) { st.exchange(soci::into(b.count)); });
        return single_count(q);
    }

    long long single_count(Prepared& q) {
        q.b.count = 0;
        q.st.execute(true);
        long long count = q.b.count;
        drain(q);
        return count;
    }

  private:
    static std::optional<LeadRow> fetch_lead(Prepared& q) {
        std::optional<LeadRow> row;
        if (q.st.execute(true)) row = q.b.lead;
        drain(q);
        return row;
    }

    Lease& lease_;
    const Dialect& dialect_;
};

bool visible(const LeadRow& row, const ports::LeadKey& key) {
    return !key.workspace || key.workspace->value() == row.workspace;
}

}  // namespace

SqlLeadRepository::SqlLeadRepository(std::shared_ptr<SessionPool> pool, Dialect dialect)
    : pool_(std::move(pool)), dialect_(std::move(dialect)) {}

template <class T, class Body>
Result<T> SqlLeadRepository::run(Access access, Body&& body) {
    for (int attempt = 0;; ++attempt) {
        std::unique_lock<std::timed_mutex> writer(writer_, std::defer_lock);
        if (access == Access::Write && dialect_.serialize_writers && !writer.try_lock_for(dialect_.writer_wait)) {
            return Error::unavailable(pool_->backend().name + " database busy");
        }
        auto lease = pool_->acquire();
        if (!lease) return std::move(lease).error();
        try {
            return body(*lease);
        } catch (const std::exception& e) {
            Error error = lease->fail(e);
            if (attempt == 0 && lease->retryable()) continue;
            return error;
        } catch (...) {
            // A mutation may throw anything; the transaction is rolled back all the same.
            return lease->fail(std::runtime_error("unknown exception"));
        }
    }
}

Result<void> SqlLeadRepository::insert(const domain::Lead& lead, const domain::Activity& created) {
    auto row = to_row(lead);
    if (!row) return std::move(row).error();
    return run<void>(Access::Write, [&](Lease& lease) -> Result<void> {
        Steps steps(lease, dialect_);
        for (int attempt = 0; attempt < kConflictAttempts; ++attempt) {
            lease.begin(dialect_.begin_write);
            try {
                steps.insert_lead(*row);
            } catch (const std::exception& e) {
                if (lease.classify(e) != Failure::UniqueViolation) throw;
                // The UNIQUE constraint decided; PostgreSQL has aborted the transaction, so
                // the holder is looked up after the rollback.
                lease.rollback();
                lease.statements().erase(kInsertLead);
                auto holder = steps.lead_by_email(row->tenant, row->workspace, row->email, false);
                if (holder) return Error::duplicate_email(holder->id);
                continue;
            }
            auto logged = steps.insert_activities(lead, {created});
            if (!logged) return logged;
            steps.add_counts(row->tenant, row->workspace, {{row->status, 1}});
            lease.commit();
            return {};
        }
        // Each time a unique key was taken but no lead held the email: the id is in use.
        return Error::internal("a lead or activity id is already in use");
    });
}

Result<domain::Lead> SqlLeadRepository::find(const ports::LeadKey& key) {
    return run<domain::Lead>(Access::Read, [&](Lease& lease) -> Result<domain::Lead> {
        auto row = Steps(lease, dialect_).lead_by_id(key.tenant.value(), key.id.value(), false);
        if (!row || !visible(*row, key)) return Error::not_found();
        return to_lead(*row);
    });
}

Result<domain::Lead> SqlLeadRepository::update(const ports::LeadKey& key, const ports::LeadMutation& mutate) {
    return run<domain::Lead>(Access::Write, [&](Lease& lease) -> Result<domain::Lead> {
        Steps steps(lease, dialect_);
        for (int attempt = 0; attempt < kConflictAttempts; ++attempt) {
            lease.begin(dialect_.begin_write);
            // Locked until commit: concurrent updates of this lead queue here, so the
            // mutation always sees the latest version.
            auto current_row = steps.lead_by_id(key.tenant.value(), key.id.value(), true);
            if (!current_row || !visible(*current_row, key)) return Error::not_found();
            auto current = to_lead(*current_row);
            if (!current) return current;

            domain::Lead lead = *current;
            auto entries = mutate(lead);
            if (!entries) return std::move(entries).error();
            if (!same_identity(lead, *current)) return Error::internal("a mutation changed the identity of a lead");

            std::map<std::string, long long> deltas;
            if (lead.version == current->version) {
                lead = *current;  // not rewritten (the port's contract)
            } else {
                auto row = to_row(lead);
                if (!row) return std::move(row).error();
                bool updated = false;
                try {
                    updated = steps.update_lead(*row, current->version);
                } catch (const std::exception& e) {
                    if (lease.classify(e) != Failure::UniqueViolation) throw;
                    lease.rollback();
                    lease.statements().erase(kUpdateLead);
                    auto holder = steps.lead_by_email(row->tenant, row->workspace, row->email, false);
                    if (holder && holder->id != row->id) return Error::duplicate_email(holder->id);
                    continue;
                }
                if (!updated) return Error::internal("lead changed while locked");
                if (lead.status != current->status) {
                    deltas[std::string(domain::to_string(current->status))] -= 1;
                    deltas[std::string(domain::to_string(lead.status))] += 1;
                }
            }
            auto logged = steps.insert_activities(lead, *entries);
            if (!logged) return std::move(logged).error();
            steps.add_counts(lead.tenant.value(), lead.workspace.value(), deltas);
            lease.commit();
            return lead;
        }
        return Error::unavailable("the email kept changing hands; retry");
    });
}

Result<void> SqlLeadRepository::remove(const ports::LeadKey& key) {
    return run<void>(Access::Write, [&](Lease& lease) -> Result<void> {
        Steps steps(lease, dialect_);
        lease.begin(dialect_.begin_write);
        auto row = steps.lead_by_id(key.tenant.value(), key.id.value(), true);
        if (!row || !visible(*row, key)) return Error::not_found();
        // Activities go with it (ON DELETE CASCADE), and on SQLite its search index entry
        // (trigger).
        steps.delete_lead(row->tenant, row->id);
        steps.add_counts(row->tenant, row->workspace, {{row->status, -1}});
        lease.commit();
        return {};
    });
}

Result<ports::LeadPage> SqlLeadRepository::list(const ports::LeadFilter& filter) {
    SearchMode mode = SearchMode::None;
    if (filter.search) {
        bool trigram = dialect_.fts5_search && domain::is_valid_utf8(*filter.search) &&
                       domain::code_point_count(*filter.search) >= kTrigramMinimum;
        mode = trigram ? SearchMode::Trigram : SearchMode::Like;
    }
    const bool by_status = filter.status.has_value();

    return run<ports::LeadPage>(Access::Read, [&](Lease& lease) -> Result<ports::LeadPage> {
        Steps steps(lease, dialect_);
        auto set_filter = [&](Buffers& b) {
            b.tenant = filter.tenant.value();
            b.workspace = filter.workspace.value();
            b.status = by_status ? std::string(domain::to_string(*filter.status)) : std::string();
            if (mode != SearchMode::None) b.pattern = like_contains_pattern(*filter.search);
            if (mode == SearchMode::Trigram) b.match = fts5_phrase(*filter.search);
        };

        auto fetch_page = [&](std::vector<LeadRow>& rows) {
            auto& q = prepare(lease,
                              "SELECT " + kLeadColumns + " FROM leads" + lead_filter(by_status, mode) +
                                  " ORDER BY created_at DESC, id DESC LIMIT :limit OFFSET :offset",
                              filter_binder(by_status, mode, [](auto& st, auto& b) {
                                  into_lead(st, b.lead);
                                  st.exchange(soci::use(b.limit, "limit"));
                                  st.exchange(soci::use(b.offset, "offset"));
                              }));
            set_filter(q.b);
            q.b.limit = filter.limit;
            q.b.offset = std::max<long long>(filter.offset, 0);
            rows.reserve(static_cast<std::size_t>(std::min<long long>(filter.limit, 1000)));
            q.st.execute();
            while (q.st.fetch()) rows.push_back(std::move(q.b.lead));
        };

        lease.begin(dialect_.begin_read);
        ports::LeadPage page;
        std::vector<LeadRow> rows;
        if (mode == SearchMode::None) {
            // Kept per (tenant, workspace, status) by every write: no COUNT(*) over the
            // workspace.
            std::string sql =
                "SELECT CAST(COALESCE(SUM(n), 0) AS BIGINT) FROM lead_counts WHERE tenant_id = :tenant AND "
                "workspace = :workspace";
            if (by_status) sql += " AND status = :status";
            auto& q = prepare(lease, sql, [by_status](auto& st, auto& b) {
                st.exchange(soci::into(b.count));
                st.exchange(soci::use(b.tenant, "tenant"));
                st.exchange(soci::use(b.workspace, "workspace"));
                if (by_status) st.exchange(soci::use(b.status, "status"));
            });
            set_filter(q.b);
            page.total = steps.single_count(q);
            if (filter.limit > 0 && filter.offset < page.total) fetch_page(rows);
        } else {
            // A search costs the same twice (count, then page): the page comes first, and
            // when it ends before the limit it already says how many rows match (same
            // snapshot), which spares a selective search its second pass.
            const long long offset = std::max<long long>(filter.offset, 0);
            if (filter.limit > 0) fetch_page(rows);
            const auto fetched = static_cast<long long>(rows.size());
            if (filter.limit > 0 && fetched < filter.limit && (fetched > 0 || offset == 0)) {
                page.total = offset + fetched;
            } else {
                auto& q = prepare(
                    lease, "SELECT COUNT(*) FROM leads" + lead_filter(by_status, mode),
                    filter_binder(by_status, mode, [](auto& st, auto& b) { st.exchange(soci::into(b.count)); }));
                set_filter(q.b);
                page.total = steps.single_count(q);
            }
        }
        lease.commit();

        page.items.reserve(rows.size());
        for (const auto& row : rows) {
            auto lead = to_lead(row);
            if (!lead) return std::move(lead).error();
            page.items.push_back(std::move(lead).value());
        }
        return page;
    });
}

Result<ports::ActivityPage> SqlLeadRepository::activities(const ports::LeadKey& key, std::int64_t limit,
                                                          std::int64_t offset) {
    return run<ports::ActivityPage>(Access::Read, [&](Lease& lease) -> Result<ports::ActivityPage> {
        Steps steps(lease, dialect_);
        lease.begin(dialect_.begin_read);
        auto lead = steps.lead_by_id(key.tenant.value(), key.id.value(), false);
        if (!lead || !visible(*lead, key)) return Error::not_found();

        ports::ActivityPage page;
        auto& count = prepare(lease, "SELECT COUNT(*) FROM activities WHERE tenant_id = :tenant AND lead_id = :id",
                              [](auto& st, auto& b) {
                                  st.exchange(soci::into(b.count));
                                  bind_tenant_id(st, b);
                              });
        count.b.tenant = lead->tenant;
        count.b.id = lead->id;
        page.total = steps.single_count(count);

        std::vector<ActivityRow> rows;
        if (limit > 0 && offset < page.total) {
            auto& q = prepare(lease,
                              "SELECT id, lead_id, type, ts, campaign_id, data FROM activities WHERE tenant_id = "
                              ":tenant AND lead_id = :id ORDER BY ts DESC, id DESC LIMIT :limit OFFSET :offset",
                              [](auto& st, auto& b) {
                                  st.exchange(soci::into(b.activity.id));
                                  st.exchange(soci::into(b.activity.lead_id));
                                  st.exchange(soci::into(b.activity.type));
                                  st.exchange(soci::into(b.activity.ts));
                                  st.exchange(soci::into(b.activity.campaign_id, b.activity.campaign_id_ind));
                                  st.exchange(soci::into(b.activity.data));
                                  bind_tenant_id(st, b);
                                  st.exchange(soci::use(b.limit, "limit"));
                                  st.exchange(soci::use(b.offset, "offset"));
                              });
            q.b.tenant = lead->tenant;
            q.b.id = lead->id;
            q.b.limit = limit;
            q.b.offset = std::max<long long>(offset, 0);
            q.st.execute();
            while (q.st.fetch()) rows.push_back(q.b.activity);
        }
        lease.commit();

        page.items.reserve(rows.size());
        for (const auto& row : rows) {
            auto activity = to_activity(row);
            if (!activity) return std::move(activity).error();
            page.items.push_back(std::move(activity).value());
        }
        return page;
    });
}

Result<std::vector<ports::ImportOutcome>> SqlLeadRepository::import(const domain::TenantId& tenant,
                                                                    const domain::WorkspaceSlug& workspace,
                                                                    const std::vector<ports::ImportItem>& items) {
    for (const auto& item : items) {
        if (!(item.lead.tenant == tenant) || !(item.lead.workspace == workspace)) {
            return Error::internal("an import item belongs to another workspace");
        }
    }
    using Outcome = ports::ImportOutcome;
    using Kind = ports::ImportOutcomeKind;
    // Rows are written in email order (request order among equal emails, so a repeated
    // email is still a duplicate of its first occurrence): two imports of overlapping
    // emails then take their row locks in the same order and cannot deadlock.
    std::vector<std::size_t> order(items.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
        return items[a].lead.email.value() < items[b].lead.email.value();
    });
    return run<std::vector<Outcome>>(Access::Write, [&](Lease& lease) -> Result<std::vector<Outcome>> {
        Steps steps(lease, dialect_);
        std::vector<Outcome> outcomes(items.size());
        std::map<std::string, long long> deltas;
        const std::string& tenant_id = tenant.value();
        const std::string& slug = workspace.value();

        lease.begin(dialect_.begin_write);
        if (!items.empty()) {
            for (const auto& sql : dialect_.import_prologue) lease.session() << sql;
        }
        long long created_count = 0;
        long long next_check = kStatisticsCheck;
        for (const std::size_t index : order) {
            const ports::ImportItem& item = items[index];
            Outcome& outcome = outcomes[index];
            if (!dialect_.row_estimate.empty() && created_count >= next_check) {
                next_check *= 2;
                if (steps.row_estimate() < created_count) lease.session() << dialect_.refresh_statistics;
            }
            const std::string& email = item.lead.email.value();
            // Insert first: the UNIQUE constraint, not a look-up, says whether the email is
            // new. It sees the rows earlier items inserted, so a duplicate within the
            // request is a duplicate of its first occurrence.
            auto row = to_row(item.lead);
            if (!row) return std::move(row).error();
            auto created = to_row(item.created, item.lead.id);
            if (!created) return std::move(created).error();
            if (steps.insert_lead_if_new(*row, *created)) {
                ++created_count;
                deltas[row->status] += 1;
                outcome = Outcome{Kind::Created, std::nullopt};
                continue;
            }
            auto existing = steps.lead_by_email(tenant_id, slug, email, true);
            if (!existing) return Error::unavailable("the email kept changing hands; retry");
            if (!item.merge) {
                outcome = Outcome{Kind::Skipped, std::nullopt};
                continue;
            }

            auto current = to_lead(*existing);
            if (!current) return std::move(current).error();
            domain::Lead lead = *current;
            auto entries = item.merge(lead);
            if (!entries) {
                if (!is_row_error(entries.error())) return std::move(entries).error();
                outcome = Outcome{Kind::Failed, entries.error()};
                continue;
            }
            if (!same_identity(lead, *current)) return Error::internal("a mutation changed the identity of a lead");
            if (lead.version == current->version) {
                lead = *current;
            } else {
                auto merged = to_row(lead);
                if (!merged) return std::move(merged).error();
                if (merged->email != existing->email) {
                    // A failed statement would abort the whole import on PostgreSQL, so a
                    // taken email is looked for first (the constraint still has the last word).
                    auto holder = steps.lead_by_email(tenant_id, slug, merged->email, false);
                    if (holder && holder->id != merged->id) {
                        outcome = Outcome{Kind::Failed, Error::duplicate_email(holder->id)};
                        continue;
                    }
                }
                if (!steps.update_lead(*merged, current->version)) return Error::internal("lead changed while locked");
                if (lead.status != current->status) {
                    deltas[existing->status] -= 1;
                    deltas[merged->status] += 1;
                }
            }
            auto logged = steps.insert_activities(lead, *entries);
            if (!logged) return std::move(logged).error();
            outcome = Outcome{Kind::Updated, std::nullopt};
        }
        if (!items.empty()) {
            for (const auto& sql : dialect_.import_epilogue) lease.session() << sql;
        }
        steps.add_counts(tenant_id, slug, deltas);
        lease.commit();
        return outcomes;
    });
}

Result<void> SqlLeadRepository::ping() {
    return run<void>(Access::Read, [&](Lease& lease) -> Result<void> {
        auto& q = prepare(lease, "SELECT 1", [](auto& st, auto& b) { st.exchange(soci::into(b.count)); });
        Steps(lease, dialect_).single_count(q);
        return {};
    });
}

std::function<PoolStats()> pool_stats_reader(const ports::LeadRepository& repository) {
    const auto* sql = dynamic_cast<const SqlLeadRepository*>(&repository);
    if (sql == nullptr) return {};
    return [pool = sql->pool()] { return PoolStats{pool->size(), pool->in_use(), pool->connected()}; };
}

}  // namespace leads::adapters::sql
