#pragma once

#include <soci/soci.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <functional>
#include <future>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

#include "adapters/sql/column_arrays.hpp"
#include "adapters/sql/json_codec.hpp"
#include "adapters/sql/rows.hpp"
#include "adapters/sql/session_pool.hpp"
#include "adapters/sql/sql_lead_repository.hpp"
#include "ports/idempotency.hpp"

// The statements the SQL repository is made of: the SQL text (built from constant
// fragments only), what each binds, the per-connection cache of prepared statements, and
// the steps the operations share. Included by sql_lead_repository.cpp only.
namespace leads::adapters::sql {

using Lease = SessionPool::Lease;
using domain::Error;
using domain::Result;

// One idempotency_keys row; status (and the answer) NULL while the request runs.
struct IdempotencyRow {
    std::string tenant = {}, key = {}, fingerprint = {}, token = {}, body = {}, location = {}, etag = {};
    int status = 0;
    soci::indicator status_ind = soci::i_null, body_ind = soci::i_null, location_ind = soci::i_null,
                    etag_ind = soci::i_null;
    long long claimed_at = 0, expires_at = 0;
};

// Everything a statement binds, by reference: a statement prepared once keeps pointing at
// these, and each execution reads the values they hold at that moment.
struct Buffers {
    std::string tenant, workspace, id, email, status, pattern, match, trigram_a, trigram_b, hash, term;
    std::string rows;                           // Dialect::insert_events' JSON (one statement's)
    soci::indicator activity_ind = soci::i_ok;  // Dialect::lead_with_activity: a row without an entry
    long long limit = 0, offset = 0, expected_version = 0, delta = 0, listed = 0, count = 0, at = 0, version = 0,
              shard = 0;
    // A list's further filters (CONTRACT §7) and keyset position.
    long long created_after = 0, created_before = 0, updated_after = 0, updated_before = 0, after_at = 0;
    std::string after_id;
    std::array<std::string, ports::kMaxAttributeFilters> attr_key, attr_path, attr_text;
    std::array<double, ports::kMaxAttributeFilters> attr_real{};
    std::array<soci::indicator, ports::kMaxAttributeFilters> attr_real_ind{};
    std::array<std::string, ports::kMaxAttributeFilters> attr_number;
    std::array<soci::indicator, ports::kMaxAttributeFilters> attr_number_ind{};
    std::array<std::string, ports::kMaxAttributeFilters> attr_numtext;
    std::array<soci::indicator, ports::kMaxAttributeFilters> attr_numtext_ind{};
    IdempotencyRow idempotency;
    LeadRow lead;
    ActivityRow activity;
    SuppressionRow suppression;
    EventRow event;
    WebhookRow webhook;
    DeliveryRow delivery;
    std::array<std::string, std::size(domain::kEventTypes)> types;  // an event feed's type filter
};

class Prepared final : public CachedStatement {
  public:
    explicit Prepared(soci::session& session) : st(session) {}
    Buffers b;
    soci::statement st;
};

using Binder = std::function<void(soci::statement&, Buffers&)>;

// Executes q and copies buffer (the Buffers member q fetches into) once per row.
template <class Row>
std::vector<Row> fetch_all(Prepared& q, const Row& buffer) {
    std::vector<Row> rows;
    if (q.st.execute(true)) {
        do {
            rows.push_back(buffer);
        } while (q.st.fetch());
    }
    return rows;
}

// Events inserted per statement (Dialect::insert_events).
inline constexpr std::size_t kEventBatchRows = 1000;

// count values, make(0), make(1), …, handed out in order by next() (none once all were),
// each one made on another thread while the caller uses the one before: a statement's
// parameters are encoded while the database runs the previous statement.
template <class T>
class MadeAhead {
  public:
    MadeAhead(std::size_t count, std::function<T(std::size_t)> make) : count_(count), make_(std::move(make)) {
        if (count_ > 0) start();
    }
    MadeAhead(const MadeAhead&) = delete;
    MadeAhead& operator=(const MadeAhead&) = delete;

    std::optional<T> next() {
        if (next_ == count_) return std::nullopt;
        T value = ahead_.get();
        if (++next_ < count_) start();
        return value;
    }

  private:
    // Deferred (made by get()) only when no thread can be started.
    void start() {
        ahead_ = std::async(std::launch::async | std::launch::deferred, [this, k = next_] { return make_(k); });
    }

    std::size_t count_;
    std::size_t next_ = 0;
    std::function<T(std::size_t)> make_;
    std::future<T> ahead_;  // last: waited for before make_ goes
};

// The statement for this SQL on this connection, prepared (server-side on PostgreSQL) the
// first time and reused afterwards. The SQL text is the cache key; it is always built
// from constant fragments, never from values.
inline Prepared& prepare(Lease& lease, const std::string& sql, const Binder& bind) {
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

// One event, unnumbered (Dialect::number_after_commit), its columns bound by
// bind_event_columns.
inline const std::string kInsertUnnumberedEvent =
    "INSERT INTO events (tenant_id, sequence, id, type, ts, workspace, lead_id, data) VALUES (:tenant, NULL, :id, "
    ":type, :ts, :event_workspace, :lead_id, :data)";

// An event's columns but its sequence (insert_event and the version bump that carries one).
inline void bind_event_columns(soci::statement& st, Buffers& b) {
    st.exchange(soci::use(b.event.id, "id"));
    st.exchange(soci::use(b.event.type, "type"));
    st.exchange(soci::use(b.event.ts, "ts"));
    st.exchange(soci::use(b.event.workspace, "event_workspace"));
    st.exchange(soci::use(b.event.lead_id, "lead_id"));
    st.exchange(soci::use(b.event.data, "data"));
}

inline void bind_claim(soci::statement& st, Buffers& b) {
    auto& r = b.idempotency;
    st.exchange(soci::use(r.tenant, "tenant"));
    st.exchange(soci::use(r.key, "key"));
    st.exchange(soci::use(r.fingerprint, "fingerprint"));
    st.exchange(soci::use(r.token, "token"));
    st.exchange(soci::use(r.claimed_at, "claimed_at"));
    st.exchange(soci::use(r.expires_at, "expires_at"));
}

// Reads every remaining row so that the statement is finished: an SQLite statement left
// mid-way would keep its read snapshot open while the connection sits in the pool.
inline void drain(Prepared& prepared) {
    while (prepared.st.fetch()) {
    }
}

// An entry's columns after its id (and lead id): type, ts, campaign_id, data.
inline void into_activity_details(soci::statement& st, ActivityRow& r) {
    st.exchange(soci::into(r.type));
    st.exchange(soci::into(r.ts));
    st.exchange(soci::into(r.campaign_id, r.campaign_id_ind));
    st.exchange(soci::into(r.data));
}

// An events row as the feed and the deliveries read it, from kEventsFrom: the data of an
// erased lead's events reads {"erased":true} from the delete's commit on, before the
// sweep rewrites the rows themselves (docs/events.md, "Erasure").
// lead.deleted keeps its own data ({}): erasure reaches the events kept before it.
inline const std::string kEventColumns =
    "e.sequence, e.id, e.type, e.ts, e.workspace, e.lead_id, CASE WHEN x.lead_id IS NULL OR e.type = 'lead.deleted' "
    "THEN e.data ELSE '" +
    std::string(ports::kErasedEventData) + "' END";
inline const std::string kEventsFrom =
    "events e LEFT JOIN erased_leads x ON x.tenant_id = e.tenant_id AND x.lead_id = e.lead_id";

inline void into_event(soci::statement& st, EventRow& r) {
    st.exchange(soci::into(r.sequence));
    st.exchange(soci::into(r.id));
    st.exchange(soci::into(r.type));
    st.exchange(soci::into(r.ts));
    st.exchange(soci::into(r.workspace));
    st.exchange(soci::into(r.lead_id));
    st.exchange(soci::into(r.data));
}

inline const std::string kLeadColumns =
    "id, tenant_id, workspace, email, first_name, last_name, company, status, attributes, created_at, updated_at, "
    "version, do_not_contact";

inline void into_lead(soci::statement& st, LeadRow& r) {
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
    st.exchange(soci::into(r.do_not_contact));
}

inline void use_lead_fields(soci::statement& st, LeadRow& r) {
    st.exchange(soci::use(r.email, "email"));
    st.exchange(soci::use(r.first_name, r.first_name_ind, "first_name"));
    st.exchange(soci::use(r.last_name, r.last_name_ind, "last_name"));
    st.exchange(soci::use(r.company, r.company_ind, "company"));
    st.exchange(soci::use(r.status, "status"));
    st.exchange(soci::use(r.attributes, "attributes"));
    st.exchange(soci::use(r.search_text, "search_text"));
    st.exchange(soci::use(r.email_hash, "email_hash"));
    st.exchange(soci::use(r.updated_at, "updated_at"));
    st.exchange(soci::use(r.version, "version"));
}

inline const std::string kInsertLead =
    "INSERT INTO leads (id, tenant_id, workspace, email, first_name, last_name, company, status, attributes, "
    "search_text, email_hash, created_at, updated_at, version) VALUES (:id, :tenant, :workspace, :email, :first_name, "
    ":last_name, :company, :status, :attributes, :search_text, :email_hash, :created_at, :updated_at, :version)";

// The import's insert: an email taken meanwhile by another transaction is a no-op (0
// rows) instead of an error that would abort the whole import on PostgreSQL.
inline const std::string kInsertLeadIfNew = kInsertLead + " ON CONFLICT (tenant_id, workspace, email) DO NOTHING";

inline void bind_insert_lead(soci::statement& st, Buffers& b) {
    st.exchange(soci::use(b.lead.id, "id"));
    st.exchange(soci::use(b.lead.tenant, "tenant"));
    st.exchange(soci::use(b.lead.workspace, "workspace"));
    st.exchange(soci::use(b.lead.created_at, "created_at"));
    use_lead_fields(st, b.lead);
}

// The version check repeats the lock's guarantee in the statement itself.
inline const std::string kUpdateLead =
    "UPDATE leads SET email = :email, first_name = :first_name, last_name = :last_name, company = :company, "
    "status = :status, attributes = :attributes, search_text = :search_text, email_hash = :email_hash, "
    "do_not_contact = :do_not_contact, updated_at = :updated_at, version = :version WHERE tenant_id = :tenant AND id = "
    ":id AND version = "
    ":expected_version";

inline void bind_update_lead(soci::statement& st, Buffers& b) {
    st.exchange(soci::use(b.lead.do_not_contact, "do_not_contact"));
    st.exchange(soci::use(b.lead.tenant, "tenant"));
    st.exchange(soci::use(b.lead.id, "id"));
    st.exchange(soci::use(b.expected_version, "expected_version"));
    use_lead_fields(st, b.lead);
}

inline const std::string kDeleteLead = "DELETE FROM leads WHERE tenant_id = :tenant AND id = :id";
inline const std::string kDeleteLeadActivities = "DELETE FROM activities WHERE tenant_id = :tenant AND lead_id = :id";

inline const std::string kInsertActivity =
    "INSERT INTO activities (id, tenant_id, lead_id, type, ts, campaign_id, data) "
    "VALUES (:id, :tenant, :lead_id, :type, :ts, :campaign_id, :data)";

inline void bind_insert_activity(soci::statement& st, Buffers& b) {
    st.exchange(soci::use(b.activity.id, "id"));
    st.exchange(soci::use(b.tenant, "tenant"));
    st.exchange(soci::use(b.activity.lead_id, "lead_id"));
    st.exchange(soci::use(b.activity.type, "type"));
    st.exchange(soci::use(b.activity.ts, "ts"));
    st.exchange(soci::use(b.activity.campaign_id, b.activity.campaign_id_ind, "campaign_id"));
    st.exchange(soci::use(b.activity.data, "data"));
}

// The parameters Dialect::insert_lead_and_activity binds: the lead's, then its entry's.
inline void bind_insert_lead_and_activity(soci::statement& st, Buffers& b) {
    bind_insert_lead(st, b);
    st.exchange(soci::use(b.activity.id, "activity_id"));
    st.exchange(soci::use(b.activity.type, "type"));
    st.exchange(soci::use(b.activity.ts, "ts"));
    st.exchange(soci::use(b.activity.campaign_id, b.activity.campaign_id_ind, "campaign_id"));
    st.exchange(soci::use(b.activity.data, "data"));
}

inline const std::string kAddCount =
    "INSERT INTO lead_counts (tenant_id, workspace, status, shard, n, listed) VALUES (:tenant, :workspace, :status, "
    ":shard, :delta, :listed) ON CONFLICT (tenant_id, workspace, status, shard) DO UPDATE SET n = lead_counts.n + "
    "excluded.n, listed = lead_counts.listed + excluded.listed";

// Changes to lead_counts per (workspace, status): its leads, and how many of them are
// flagged do_not_contact.
struct CountDelta {
    long long leads = 0;
    long long listed = 0;
};
using CountDeltas = std::map<std::pair<std::string, std::string>, CountDelta>;

// Rows per workspace (and status) that writers spread their changes over, in
// workspace_versions and lead_counts (Steps::record_changes): readers sum them.
inline constexpr long long kWriterShards = 16;

// This thread's shard: writer threads numbered in the order they first write, so the first
// kWriterShards of them never share a row (no lock wait between concurrent writers of one
// workspace on its counters or its version).
inline long long writer_shard() {
    static std::atomic<long long> next{0};
    thread_local const long long shard = next.fetch_add(1) % kWriterShards;
    return shard;
}

// One lead rewritten: counted under (status, listed) before the write and under the new
// pair after it. Unmoved, it still leaves an entry: its workspace changed (record_changes).
inline void move_count(CountDeltas& deltas, const std::string& workspace, const std::string& old_status,
                       bool old_listed, const std::string& new_status, bool new_listed) {
    if (old_status == new_status && old_listed == new_listed) {
        deltas.try_emplace({workspace, old_status});
        return;
    }
    CountDelta& from = deltas[{workspace, old_status}];
    from.leads -= 1;
    from.listed -= old_listed ? 1 : 0;
    CountDelta& to = deltas[{workspace, new_status}];
    to.leads += 1;
    to.listed += new_listed ? 1 : 0;
}

inline void bind_tenant_id(soci::statement& st, Buffers& b) {
    st.exchange(soci::use(b.tenant, "tenant"));
    st.exchange(soci::use(b.id, "id"));
}

// How a search finds its rows. Walk: the list's own order, each row tested with LIKE, until
// the page is full — cheap when matches are common, and the only way for 1–2 characters.
// Trigram: the candidates from the trigram index, sorted — cheap when they are few.
enum class SearchMode { None, Walk, Trigram };

// Which rows a list reads: its SQL differs by these, its values are bound.
struct FilterShape {
    bool by_status = false;
    SearchMode mode = SearchMode::None;
    std::optional<bool> do_not_contact;
    // do_not_contact=true read from the tenant's suppression list (through leads_email_hash)
    // and sorted, instead of a walk of the workspace in list order probing each lead: the
    // better plan while the workspace holds few suppressed leads (repository's estimate).
    bool from_suppressions = false;
    ports::LeadSort sort = ports::LeadSort::CreatedDesc;
    bool by_email = false, created_after = false, created_before = false, updated_after = false, updated_before = false;
    std::size_t attributes = 0;
    bool after = false;  // keyset page: only rows after (:after_at, :after_id) in the order

    static FilterShape of(const ports::LeadFilter& filter) {
        return FilterShape{.by_status = filter.status.has_value(),
                           .do_not_contact = filter.do_not_contact,
                           .sort = filter.sort,
                           .by_email = filter.email.has_value(),
                           .created_after = filter.created_after.has_value(),
                           .created_before = filter.created_before.has_value(),
                           .updated_after = filter.updated_after.has_value(),
                           .updated_before = filter.updated_before.has_value(),
                           .attributes = filter.attributes.size(),
                           .after = filter.after.has_value()};
    }

    // Filters the per-status counters cannot answer: the total takes a COUNT.
    bool beyond_counters() const {
        return mode != SearchMode::None || by_email || created_after || created_before || updated_after ||
               updated_before || attributes > 0;
    }
    bool ascending() const { return ports::sorts_ascending(sort); }
    std::string_view sort_column() const { return ports::sorts_by_update(sort) ? "updated_at" : "created_at"; }

    // The page order. An expression, not the columns, when the rows come from the
    // suppression list: neither planner may then prefer walking the list index to sorting.
    std::string order_by() const {
        const std::string_view direction = ascending() ? " ASC" : " DESC";
        std::string sql = " ORDER BY ";
        sql.append(sort_column()).append(from_suppressions ? " + 0" : "").append(direction);
        return sql.append(", id").append(direction);
    }
};

inline std::string numbered(std::string text, std::size_t i) {
    const std::string number = std::to_string(i);
    for (std::size_t at = text.find("{i}"); at != std::string::npos; at = text.find("{i}", at + number.size())) {
        text.replace(at, 3, number);
    }
    return text;
}

// The rows a list matches. The keyset position is left out: the total counts them all.
inline std::string lead_filter(const FilterShape& shape, const Dialect& dialect) {
    // A trigram search, or a read from the suppression list, finds its few rows through its
    // own index (the trigram index; leads_email_hash). The no_index prefix keeps SQLite from
    // driving such a query by the workspace's list index instead (a walk of the whole
    // workspace, which it prefers without ANALYZE statistics).
    const bool own_index = shape.mode == SearchMode::Trigram || shape.from_suppressions;
    const std::string_view plus = own_index ? std::string_view(dialect.no_index) : std::string_view();
    std::string sql = " WHERE ";
    sql.append(shape.mode == SearchMode::Trigram ? plus : "").append("tenant_id = :tenant AND ");
    sql.append(plus).append("workspace = :workspace");
    if (shape.by_status) sql.append(" AND ").append(plus).append("status = :status");
    if (shape.by_email) sql += " AND email = :email";
    if (shape.created_after) sql += " AND created_at > :created_after";
    if (shape.created_before) sql += " AND created_at < :created_before";
    if (shape.updated_after) sql += " AND updated_at > :updated_after";
    if (shape.updated_before) sql += " AND updated_at < :updated_before";
    for (std::size_t i = 0; i < shape.attributes; ++i) sql += " AND " + numbered(dialect.attribute_condition, i);
    // The trigram index narrows the rows down; LIKE then decides exactly.
    if (shape.mode == SearchMode::Trigram) sql += dialect.trigram_filter;
    if (shape.mode != SearchMode::None) sql += " AND " + dialect.like_search_text;
    if (shape.mode != SearchMode::None) {
        sql.append(" LIKE ")
            .append(shape.mode == SearchMode::Walk ? dialect.walk_pattern : std::string(":pattern"))
            .append(" ESCAPE '\\'");
    }
    if (shape.do_not_contact == true) {
        sql += " AND email_hash IN (SELECT email_hash FROM suppressions WHERE tenant_id = :suppressions_tenant)";
    } else if (shape.do_not_contact == false) {
        sql += " AND do_not_contact = 0";
    }
    return sql;
}

// The keyset condition of a page after a position: a row-value comparison, which both
// databases answer with a range of the order's index.
inline std::string after_position(const FilterShape& shape) {
    if (!shape.after) return {};
    std::string sql = " AND (";
    sql.append(shape.sort_column()).append(", id) ").append(shape.ascending() ? ">" : "<");
    return sql.append(" (:after_at, :after_id)");
}

inline Binder filter_binder(const FilterShape& shape, const Dialect& dialect, Binder rest) {
    const bool trigram = shape.mode == SearchMode::Trigram;
    const bool match = trigram && dialect.trigram_filter.find(":match") != std::string::npos;
    const bool patterns = trigram && dialect.trigram_filter.find(":trigram_a") != std::string::npos;
    return [shape, match, patterns, condition = dialect.attribute_condition, rest = std::move(rest)](
               soci::statement& st, Buffers& b) {
        rest(st, b);
        st.exchange(soci::use(b.tenant, "tenant"));
        st.exchange(soci::use(b.workspace, "workspace"));
        if (shape.by_status) st.exchange(soci::use(b.status, "status"));
        if (shape.by_email) st.exchange(soci::use(b.email, "email"));
        if (shape.created_after) st.exchange(soci::use(b.created_after, "created_after"));
        if (shape.created_before) st.exchange(soci::use(b.created_before, "created_before"));
        if (shape.updated_after) st.exchange(soci::use(b.updated_after, "updated_after"));
        if (shape.updated_before) st.exchange(soci::use(b.updated_before, "updated_before"));
        for (std::size_t i = 0; i < shape.attributes; ++i) {
            // Each dialect's condition names its own parameters (Dialect::attribute_condition).
            const std::string sql = numbered(condition, i);
            const std::string n = std::to_string(i);
            const auto uses = [&](const std::string& name) { return sql.find(":" + name) != std::string::npos; };
            for (const char* part : {"a", "b", "c", "d"}) {
                if (uses("attr_key" + n + part)) st.exchange(soci::use(b.attr_key[i], "attr_key" + n + part));
                if (uses("attr_path" + n + part)) st.exchange(soci::use(b.attr_path[i], "attr_path" + n + part));
            }
            st.exchange(soci::use(b.attr_text[i], "attr_text" + n));
            if (uses("attr_real" + n)) st.exchange(soci::use(b.attr_real[i], b.attr_real_ind[i], "attr_real" + n));
            if (uses("attr_number" + n)) {
                st.exchange(soci::use(b.attr_number[i], b.attr_number_ind[i], "attr_number" + n));
            }
            if (uses("attr_numtext" + n)) {
                st.exchange(soci::use(b.attr_numtext[i], b.attr_numtext_ind[i], "attr_numtext" + n));
            }
        }
        if (match) st.exchange(soci::use(b.match, "match"));
        if (patterns) {
            st.exchange(soci::use(b.trigram_a, "trigram_a"));
            st.exchange(soci::use(b.trigram_b, "trigram_b"));
        }
        if (shape.mode != SearchMode::None) st.exchange(soci::use(b.pattern, "pattern"));
        if (shape.do_not_contact == true) st.exchange(soci::use(b.tenant, "suppressions_tenant"));
    };
}

// --- The suppression list ------------------------------------------------------------------

inline const std::string kSuppressionColumns = "id, tenant_id, email_hash, reason, created_at";

inline void into_suppression(soci::statement& st, SuppressionRow& r) {
    st.exchange(soci::into(r.id));
    st.exchange(soci::into(r.tenant));
    st.exchange(soci::into(r.email_hash));
    st.exchange(soci::into(r.reason));
    st.exchange(soci::into(r.created_at));
}

// An email already listed keeps its entry (0 rows).
inline const std::string kInsertSuppression =
    "INSERT INTO suppressions (tenant_id, email_hash, id, reason, created_at) VALUES (:tenant, :hash, :id, :reason, "
    ":at) ON CONFLICT (tenant_id, email_hash) DO NOTHING";

inline const std::string kSuppressionByHash =
    "SELECT " + kSuppressionColumns + " FROM suppressions WHERE tenant_id = :tenant AND email_hash = :hash";

inline const std::string kSuppressionById =
    "SELECT " + kSuppressionColumns + " FROM suppressions WHERE tenant_id = :tenant AND id = :id";

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

    // Inserts the lead and its lead_created entry unless the email is taken (no error
    // then: a failed statement would abort a whole import on PostgreSQL). Whether it did.
    bool insert_lead_if_new(const LeadRow& row, const ActivityRow& created) {
        if (!dialect_.insert_lead_and_activity.empty()) {
            auto& q = prepare(lease_, dialect_.insert_lead_and_activity, bind_insert_lead_and_activity);
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

    // Dialect::lead_with_activity: the lead (nullopt when absent), its newest `limit` + 1
    // entries in rows, and their total.
    std::optional<LeadRow> lead_with_activity(const std::string& tenant, const std::string& id, long long limit,
                                              std::vector<ActivityRow>& rows, long long& total) {
        auto& q = prepare(lease_, dialect_.lead_with_activity, [](auto& st, auto& b) {
            into_lead(st, b.lead);
            st.exchange(soci::into(b.count));
            st.exchange(soci::into(b.activity.id, b.activity_ind));
            into_activity_details(st, b.activity);
            bind_tenant_id(st, b);
            st.exchange(soci::use(b.limit, "limit"));
        });
        q.b.tenant = tenant;
        q.b.id = id;
        q.b.limit = limit + 1;
        std::optional<LeadRow> lead;
        q.st.execute();
        while (q.st.fetch()) {
            if (!lead) {
                lead = q.b.lead;
                total = q.b.count;
            }
            if (q.b.activity_ind != soci::i_ok) continue;
            rows.push_back(q.b.activity);
            rows.back().lead_id = lead->id;
        }
        return lead;
    }

    // Dialect::insert_leads_batch once per set of column arrays next() gives (import_columns;
    // none: no more), through Dialect::pipelined; the ids each statement inserted, to done,
    // in order.
    void insert_leads_batches(const std::string& tenant, const std::string& workspace,
                              const std::function<std::optional<std::vector<std::string>>()>& next,
                              const PipelineDone& done) {
        static const auto names = column_names(kImportArrayColumns, {"tenant", "workspace"});
        run_column_arrays(dialect_.insert_leads_batch, names, {tenant, workspace}, next, done);
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

    // The lead, then its entries: the service's own erasure, on any engine (Citus too,
    // docs/scaling.md). For now the database also cascades (SQLite's foreign key;
    // PostgreSQL's trigger, kept by migration 17 for pods of earlier releases), which leaves
    // the second statement nothing, one index probe, until a later release drops the
    // trigger. The caller holds the lead's row lock and every entry is written under it, so
    // the second statement (a fresh snapshot on PostgreSQL) sees each entry committed
    // before the lock was won.
    void delete_lead(const std::string& tenant, const std::string& id) {
        for (const std::string* sql : {&kDeleteLead, &kDeleteLeadActivities}) {
            auto& q = prepare(lease_, *sql, bind_tenant_id);
            q.b.tenant = tenant;
            q.b.id = id;
            q.st.execute(true);
        }
    }

    Result<void> insert_activities(const domain::Lead& lead, const std::vector<domain::Activity>& entries) {
        for (const auto& entry : entries) {
            auto row = to_row(entry, lead.id);
            if (!row) return std::move(row).error();
            insert_activity(lead.tenant.value(), *row);
        }
        return {};
    }

    // What a write did to its workspaces' leads, applied last and in key order, so that two
    // transactions never wait on each other's rows (no deadlock between concurrent writers
    // of one workspace): the counters, then each workspace's version (every workspace named
    // in deltas, a zero delta included: its leads changed), and the change's events
    // (record_events). With number_after_commit (PostgreSQL) up to kEventBatchRows events
    // ride on the first version bump, one data-modifying statement: a round trip fewer per
    // change (docs/performance.md).
    void record_changes(const std::string& tenant, const CountDeltas& deltas,
                        const std::vector<ports::StoredEvent>& events = {}) {
        add_counts(tenant, deltas);
        const bool fold = dialect_.number_after_commit && !events.empty() && events.size() <= kEventBatchRows;
        bool folded = false;
        const std::string* last = nullptr;
        for (const auto& entry : deltas) {
            const std::string& workspace = entry.first.first;
            if (last != nullptr && *last == workspace) continue;
            last = &workspace;
            bump_version(tenant, workspace, fold && !folded ? &events : nullptr);
            folded = fold;
        }
        if (!folded) record_events(tenant, events);
    }

  private:
    // sql through Dialect::pipelined, once per set of column arrays next() gives (none: no
    // more), each followed by the same values bound once (named last in names).
    void run_column_arrays(const std::string& sql, const std::vector<std::string>& names,
                           const std::vector<std::string>& once,
                           const std::function<std::optional<std::vector<std::string>>()>& next,
                           const PipelineDone& done) {
        dialect_.pipelined(
            lease_, sql, names,
            [&]() -> std::optional<std::vector<std::string>> {
                auto columns = next();
                if (!columns) return std::nullopt;
                columns->insert(columns->end(), once.begin(), once.end());
                return columns;
            },
            done);
    }

    void add_counts(const std::string& tenant, const CountDeltas& deltas) {
        for (const auto& [key, delta] : deltas) {
            if (delta.leads == 0 && delta.listed == 0) continue;
            auto& q = prepare(lease_, kAddCount, [](auto& st, auto& b) {
                st.exchange(soci::use(b.tenant, "tenant"));
                st.exchange(soci::use(b.workspace, "workspace"));
                st.exchange(soci::use(b.status, "status"));
                st.exchange(soci::use(b.shard, "shard"));
                st.exchange(soci::use(b.delta, "delta"));
                st.exchange(soci::use(b.listed, "listed"));
            });
            q.b.tenant = tenant;
            q.b.workspace = key.first;
            q.b.status = key.second;
            q.b.shard = writer_shard();
            q.b.delta = delta.leads;
            q.b.listed = delta.listed;
            q.st.execute(true);
        }
    }

    // Each writer thread raises its own shard of the version (writer_shard). With events
    // (number_after_commit, at most kEventBatchRows), the same statement inserts them
    // unnumbered first.
    void bump_version(const std::string& tenant, const std::string& workspace,
                      const std::vector<ports::StoredEvent>* events) {
        static const std::string bump =
            "INSERT INTO workspace_versions (tenant_id, workspace, shard, version) VALUES (:version_tenant, "
            ":workspace, :shard, 1) ON CONFLICT (tenant_id, workspace, shard) DO UPDATE SET version = "
            "workspace_versions.version + 1";
        const auto bind_bump = [](soci::statement& st, Buffers& b) {
            st.exchange(soci::use(b.tenant, "version_tenant"));
            st.exchange(soci::use(b.workspace, "workspace"));
            st.exchange(soci::use(b.shard, "shard"));
        };
        Prepared* q = nullptr;
        if (events == nullptr) {
            q = &prepare(lease_, bump, bind_bump);
        } else {
            const Unnumbered insert = unnumbered(events->size());
            q = &prepare(lease_, "WITH recorded AS (" + insert.sql + ") " + bump,
                         [insert, bind_bump](soci::statement& st, Buffers& b) {
                             insert.bind(st, b);
                             bind_bump(st, b);
                         });
            fill_unnumbered(q->b, tenant, *events);
        }
        q->b.tenant = tenant;
        q->b.workspace = workspace;
        q->b.shard = writer_shard();
        q->st.execute(true);
    }

    // The statement inserting events unnumbered (number_after_commit): one event with its
    // columns bound as they are (most changes: no JSON encoded and parsed again), several
    // as one JSON parameter (Dialect::insert_events).
    struct Unnumbered {
        const std::string& sql;
        void (*bind)(soci::statement&, Buffers&);
    };
    Unnumbered unnumbered(std::size_t count) const {
        if (count == 1) {
            return {kInsertUnnumberedEvent, [](soci::statement& st, Buffers& b) {
                        st.exchange(soci::use(b.tenant, "tenant"));
                        bind_event_columns(st, b);
                    }};
        }
        return {dialect_.insert_events, bind_unnumbered_rows};
    }
    static void bind_unnumbered_rows(soci::statement& st, Buffers& b) {
        st.exchange(soci::use(b.tenant, "tenant"));
        st.exchange(soci::use(b.rows, "rows"));
    }

    static void fill_unnumbered(Buffers& b, const std::string& tenant, const std::vector<ports::StoredEvent>& events) {
        b.tenant = tenant;
        if (events.size() == 1) {
            fill_event_row(b.event, events.front());
        } else {
            b.rows = encode_event_rows(events);
        }
    }

    static void fill_event_row(EventRow& row, const ports::StoredEvent& event) {
        row.id = event.id.value();
        row.type = std::string(domain::to_string(event.type));
        row.ts = millis(event.timestamp);
        row.workspace = event.workspace.value();
        row.lead_id = event.lead_id.value();
        row.data = event.data;
    }

  public:
    // Whether the tenant lists the email hash.
    bool suppressed(const std::string& tenant, const std::string& hash) {
        return suppression_by_hash(tenant, hash).has_value();
    }

    // Which of these email hashes the tenant lists: an import asks once for all its rows
    // (one look-up per row made a 10,000-row import 2.4 times slower on PostgreSQL as soon
    // as the tenant listed a single email).
    std::unordered_set<std::string> suppressed_among(const std::string& tenant,
                                                     const std::vector<std::string>& hashes) {
        auto& q = prepare(lease_,
                          "SELECT email_hash FROM suppressions WHERE tenant_id = :tenant AND email_hash IN (" +
                              dialect_.json_strings + ")",
                          [](auto& st, auto& b) {
                              st.exchange(soci::into(b.hash));
                              st.exchange(soci::use(b.tenant, "tenant"));
                              st.exchange(soci::use(b.rows, "ids"));
                          });
        q.b.tenant = tenant;
        q.b.rows = encode_strings(hashes);
        auto listed = fetch_all(q, q.b.hash);
        q.b.rows.clear();  // not kept with the connection's statement
        return {std::make_move_iterator(listed.begin()), std::make_move_iterator(listed.end())};
    }

    // Whether the tenant lists anything at all: an import skips its look-up when not.
    bool has_suppressions(const std::string& tenant) {
        auto& q =
            prepare(lease_, "SELECT COUNT(*) FROM (SELECT 1 FROM suppressions WHERE tenant_id = :tenant LIMIT 1) x",
                    [](auto& st, auto& b) {
                        st.exchange(soci::into(b.count));
                        st.exchange(soci::use(b.tenant, "tenant"));
                    });
        q.b.tenant = tenant;
        return single_count(q) > 0;
    }

    std::optional<SuppressionRow> suppression_by_hash(const std::string& tenant, const std::string& hash) {
        auto& q = prepare(lease_, kSuppressionByHash, [](auto& st, auto& b) {
            into_suppression(st, b.suppression);
            st.exchange(soci::use(b.tenant, "tenant"));
            st.exchange(soci::use(b.hash, "hash"));
        });
        q.b.tenant = tenant;
        q.b.hash = hash;
        return fetch_suppression(q);
    }

    std::optional<SuppressionRow> suppression_by_id(const std::string& tenant, const std::string& id) {
        auto& q = prepare(lease_, kSuppressionById, [](auto& st, auto& b) {
            into_suppression(st, b.suppression);
            bind_tenant_id(st, b);
        });
        q.b.tenant = tenant;
        q.b.id = id;
        return fetch_suppression(q);
    }

    // Whether the entry was added (false: the hash was already listed).
    // --- Idempotency-Key records ---

    std::optional<IdempotencyRow> idempotency_row(const std::string& tenant, const std::string& key) {
        auto& q = prepare(lease_,
                          "SELECT fingerprint, token, status, body, location, etag, claimed_at, expires_at FROM "
                          "idempotency_keys WHERE tenant_id = :tenant AND idem_key = :key" +
                              dialect_.lock_rows,
                          [](auto& st, auto& b) {
                              auto& r = b.idempotency;
                              st.exchange(soci::into(r.fingerprint));
                              st.exchange(soci::into(r.token));
                              st.exchange(soci::into(r.status, r.status_ind));
                              st.exchange(soci::into(r.body, r.body_ind));
                              st.exchange(soci::into(r.location, r.location_ind));
                              st.exchange(soci::into(r.etag, r.etag_ind));
                              st.exchange(soci::into(r.claimed_at));
                              st.exchange(soci::into(r.expires_at));
                              st.exchange(soci::use(b.tenant, "tenant"));
                              st.exchange(soci::use(b.id, "key"));
                          });
        q.b.tenant = tenant;
        q.b.id = key;
        q.b.idempotency = IdempotencyRow{};
        q.st.execute();
        if (!q.st.fetch()) return std::nullopt;
        IdempotencyRow row = q.b.idempotency;
        drain(q);
        row.tenant = tenant;
        row.key = key;
        return row;
    }

    // A new claim (status NULL) where none is; false when a concurrent one got there first.
    bool insert_claim(const IdempotencyRow& row) {
        auto& q = prepare(lease_,
                          "INSERT INTO idempotency_keys (tenant_id, idem_key, fingerprint, token, claimed_at, "
                          "expires_at) VALUES (:tenant, :key, :fingerprint, :token, :claimed_at, :expires_at) ON "
                          "CONFLICT (tenant_id, idem_key) DO NOTHING",
                          bind_claim);
        q.b.idempotency = row;
        q.st.execute(true);
        return q.st.get_affected_rows() == 1;
    }

    // Replaces an expired or abandoned record with this claim.
    void replace_claim(const IdempotencyRow& row) {
        auto& q = prepare(lease_,
                          "UPDATE idempotency_keys SET fingerprint = :fingerprint, token = :token, status = NULL, "
                          "body = NULL, location = NULL, etag = NULL, claimed_at = :claimed_at, expires_at = "
                          ":expires_at WHERE tenant_id = :tenant AND idem_key = :key",
                          bind_claim);
        q.b.idempotency = row;
        q.st.execute(true);
    }

    // The answer, under the claim the token names (still running): false when it is gone.
    bool complete_claim(const ports::IdempotencyRecord& record, const ports::IdempotentAnswer& answer) {
        auto& q = prepare(lease_,
                          "UPDATE idempotency_keys SET status = :status, body = :body, location = :location, etag = "
                          ":etag WHERE tenant_id = :tenant AND idem_key = :key AND token = :token AND status IS NULL",
                          [](auto& st, auto& b) {
                              auto& r = b.idempotency;
                              st.exchange(soci::use(r.status, "status"));
                              st.exchange(soci::use(r.body, "body"));
                              st.exchange(soci::use(r.location, r.location_ind, "location"));
                              st.exchange(soci::use(r.etag, r.etag_ind, "etag"));
                              st.exchange(soci::use(r.tenant, "tenant"));
                              st.exchange(soci::use(r.key, "key"));
                              st.exchange(soci::use(r.token, "token"));
                          });
        auto& r = q.b.idempotency;
        r.tenant = record.tenant.value();
        r.key = record.key;
        r.token = record.token;
        r.status = answer.status;
        r.body = answer.body;
        r.location = answer.location;
        r.location_ind = answer.location.empty() ? soci::i_null : soci::i_ok;
        r.etag = answer.etag;
        r.etag_ind = answer.etag.empty() ? soci::i_null : soci::i_ok;
        q.st.execute(true);
        return q.st.get_affected_rows() == 1;
    }

    // Records the completion's answer for outcome, inside the write's transaction.
    template <class Outcome>
    Result<void> complete(const ports::Completion<Outcome>* completion, const Outcome& outcome,
                          ports::TransactionReader& reader) {
        if (completion == nullptr) return {};
        auto answer = completion->answer(outcome, reader);
        if (!answer) return std::move(answer).error();
        if (*answer && !complete_claim(completion->record, **answer)) {
            return Error::unavailable("the idempotency key was taken over by another request; retry");
        }
        return {};
    }

    bool insert_suppression(const SuppressionRow& row) {
        auto& q = prepare(lease_, kInsertSuppression, [](auto& st, auto& b) {
            st.exchange(soci::use(b.suppression.tenant, "tenant"));
            st.exchange(soci::use(b.suppression.email_hash, "hash"));
            st.exchange(soci::use(b.suppression.id, "id"));
            st.exchange(soci::use(b.suppression.reason, "reason"));
            st.exchange(soci::use(b.suppression.created_at, "at"));
        });
        q.b.suppression = row;
        q.st.execute(true);
        return q.st.get_affected_rows() == 1;
    }

    // Serialises the writes that could cross each other on the tenant's list (PostgreSQL;
    // SQLite's writers are serialised already): a write that stores an email takes the
    // tenant's lock shared before it checks the list; adding to the list takes it
    // exclusively before it flags the leads. Whichever comes second then sees the first:
    // the check sees the entry, or the flagging sees the lead. Held until commit.
    void lock_suppressions(const std::string& tenant, bool exclusive) {
        const std::string& sql = exclusive ? dialect_.lock_suppressions : dialect_.lock_suppressions_shared;
        if (sql.empty()) return;
        auto& q = prepare(lease_, sql, [](auto& st, auto& b) {
            st.exchange(soci::into(b.count));
            st.exchange(soci::use(b.tenant, "tenant"));
        });
        q.b.tenant = tenant;
        single_count(q);
    }

    // Sets do_not_contact on every lead of the tenant with this email hash (any workspace)
    // that does not have it yet, and counts them into deltas.
    void flag_leads(const std::string& tenant, const std::string& hash, bool listed, CountDeltas& deltas) {
        auto& q =
            prepare(lease_,
                    "UPDATE leads SET do_not_contact = :flag WHERE tenant_id = :tenant AND email_hash = :hash AND "
                    "do_not_contact = :was RETURNING workspace, status",
                    [](auto& st, auto& b) {
                        st.exchange(soci::into(b.workspace));
                        st.exchange(soci::into(b.status));
                        st.exchange(soci::use(b.delta, "flag"));
                        st.exchange(soci::use(b.tenant, "tenant"));
                        st.exchange(soci::use(b.hash, "hash"));
                        st.exchange(soci::use(b.listed, "was"));
                    });
        q.b.delta = listed ? 1 : 0;
        q.b.listed = listed ? 0 : 1;
        q.b.tenant = tenant;
        q.b.hash = hash;
        if (!q.st.execute(true)) return;
        do {
            deltas[{q.b.workspace, q.b.status}].listed += listed ? 1 : -1;
        } while (q.st.fetch());
    }

    // --- Change events (CONTRACT §8) -------------------------------------------------

    // Inserts the transaction's events (record_changes calls it). With number_after_commit
    // (PostgreSQL) unnumbered; otherwise (SQLite: one writer at a time) numbered after the
    // last number given, which is read, not written: the largest kept, or the
    // event_sequences row when retention has dropped every event (drop_events_before
    // records it there). A change writes no shared row for its numbers (docs/events.md).
    void record_events(const std::string& tenant, const std::vector<ports::StoredEvent>& events) {
        if (events.empty()) return;
        if (dialect_.number_after_commit) {
            // Unnumbered: number_events numbers them once committed (no shared row here).
            if (events.size() == 1) {
                const Unnumbered insert = unnumbered(1);
                auto& q = prepare(lease_, insert.sql, insert.bind);
                fill_unnumbered(q.b, tenant, events);
                q.st.execute(true);
                return;
            }
            // kEventBatchRows per statement (an import's: ten of them) through
            // Dialect::pipelined, each one's arrays encoded ahead.
            const std::span<const ports::StoredEvent> all(events);
            MadeAhead<std::vector<std::string>> encoded(
                (all.size() + kEventBatchRows - 1) / kEventBatchRows, [all](std::size_t k) {
                    const std::size_t start = k * kEventBatchRows;
                    return event_columns(all.subspan(start, std::min(kEventBatchRows, all.size() - start)));
                });
            static const auto names = column_names(kEventArrayColumns, {"tenant"});
            run_column_arrays(
                dialect_.insert_event_columns, names, {tenant}, [&] { return encoded.next(); },
                [](std::vector<std::string>) {});
            return;
        }
        // The tenant's row exists (the worker's sweep lists tenants by it); once it does,
        // this writes nothing.
        auto& ensure = prepare(lease_,
                               "INSERT INTO event_sequences (tenant_id, last) VALUES (:tenant, 0) ON CONFLICT "
                               "(tenant_id) DO NOTHING",
                               [](auto& st, auto& b) { st.exchange(soci::use(b.tenant, "tenant")); });
        ensure.b.tenant = tenant;
        ensure.st.execute(true);
        const long long last = last_event_sequence(tenant);
        for (std::size_t i = 0; i < events.size(); ++i)
            insert_event(tenant, last + 1 + static_cast<long long>(i), events[i]);
    }

    void insert_event(const std::string& tenant, long long sequence, const ports::StoredEvent& event) {
        static const std::string sql =
            "INSERT INTO events (tenant_id, sequence, id, type, ts, workspace, lead_id, data) VALUES (:tenant, "
            ":sequence, :id, :type, :ts, :event_workspace, :lead_id, :data)";
        auto& q = prepare(lease_, sql, [](auto& st, auto& b) {
            st.exchange(soci::use(b.tenant, "tenant"));
            st.exchange(soci::use(b.event.sequence, "sequence"));
            bind_event_columns(st, b);
        });
        q.b.tenant = tenant;
        q.b.event.sequence = sequence;
        fill_event_row(q.b.event, event);
        q.st.execute(true);
    }

    // Dialect::number_after_commit: gives the tenant's committed, unnumbered events the next
    // numbers (in id order: a change's events keep their order), in its own transaction,
    // under the tenant's event_sequences row lock (one numbering at a time per tenant). Only
    // committed events are ever numbered, and numbers only grow: a reader paging with after
    // sees every event once. Call outside any transaction.
    // At most 10,000 per call, or (all) every committed one: a webhook's starting position
    // must follow every event committed before it.
    void number_events(const std::string& tenant, bool all) {
        // Most calls find nothing to number: one probe of the partial index, no lock taken.
        auto& probe = prepare(lease_,
                              "SELECT COUNT(*) FROM (SELECT 1 FROM events WHERE tenant_id = :tenant AND sequence IS "
                              "NULL LIMIT 1) x",
                              [](auto& st, auto& b) {
                                  st.exchange(soci::into(b.count));
                                  st.exchange(soci::use(b.tenant, "tenant"));
                              });
        probe.b.tenant = tenant;
        if (single_count(probe) == 0) return;
        lease_.begin(dialect_.begin_write);
        const long long last = lock_event_sequence(tenant);
        static const std::string number =
            "UPDATE events e SET sequence = CAST(:last AS BIGINT) + n.rn FROM (SELECT id, row_number() OVER (ORDER BY "
            "id) AS rn FROM events WHERE tenant_id = :tenant AND sequence IS NULL ORDER BY id LIMIT 10000) n WHERE "
            "e.tenant_id = :tenant_again AND e.id = n.id";
        auto& q = prepare(lease_, number, [](auto& st, auto& b) {
            st.exchange(soci::use(b.version, "last"));
            st.exchange(soci::use(b.tenant, "tenant"));
            st.exchange(soci::use(b.tenant, "tenant_again"));
        });
        q.b.tenant = tenant;
        long long numbered = 0;
        for (;;) {
            q.b.version = last + numbered;
            q.st.execute(true);
            const auto batch = static_cast<long long>(q.st.get_affected_rows());
            numbered += batch;
            if (!all || batch < 10000) break;
        }
        if (numbered > 0) set_event_sequence(tenant, last + numbered);
        lease_.commit();
    }

    // The tenant's event_sequences row (made if missing), locked until the transaction
    // ends: numbering and retention of unnumbered events take turns. Its last.
    long long lock_event_sequence(const std::string& tenant) {
        auto& ensure = prepare(lease_,
                               "INSERT INTO event_sequences (tenant_id, last) VALUES (:tenant, 0) ON CONFLICT "
                               "(tenant_id) DO NOTHING",
                               [](auto& st, auto& b) { st.exchange(soci::use(b.tenant, "tenant")); });
        ensure.b.tenant = tenant;
        ensure.st.execute(true);
        auto& locked =
            prepare(lease_, "SELECT last FROM event_sequences WHERE tenant_id = :tenant" + dialect_.lock_rows,
                    [](auto& st, auto& b) {
                        st.exchange(soci::into(b.count));
                        st.exchange(soci::use(b.tenant, "tenant"));
                    });
        locked.b.tenant = tenant;
        return single_count(locked);
    }

    void set_event_sequence(const std::string& tenant, long long last) {
        auto& moved =
            prepare(lease_, "UPDATE event_sequences SET last = :last WHERE tenant_id = :tenant", [](auto& st, auto& b) {
                st.exchange(soci::use(b.version, "last"));
                st.exchange(soci::use(b.tenant, "tenant"));
            });
        moved.b.version = last;
        moved.b.tenant = tenant;
        moved.st.execute(true);
    }

    // Retention of events nobody numbered (number_after_commit): up to kEventDropBatch of
    // the tenant's unnumbered events recorded before cutoff (ids below below_id: event ids
    // begin with their time, so the partial index's range holds them) are deleted; how many.
    long long drop_unnumbered_events(const std::string& tenant, long long cutoff, const std::string& below_id) {
        static const std::string sql =
            "DELETE FROM events WHERE tenant_id = :tenant AND id IN (SELECT id FROM events WHERE tenant_id = "
            ":tenant_again AND sequence IS NULL AND id < :below AND ts < :cutoff ORDER BY id LIMIT :limit)";
        auto& q = prepare(lease_, sql, [](auto& st, auto& b) {
            st.exchange(soci::use(b.tenant, "tenant"));
            st.exchange(soci::use(b.tenant, "tenant_again"));
            st.exchange(soci::use(b.id, "below"));
            st.exchange(soci::use(b.at, "cutoff"));
            st.exchange(soci::use(b.limit, "limit"));
        });
        q.b.tenant = tenant;
        q.b.id = below_id;
        q.b.at = cutoff;
        q.b.limit = static_cast<long long>(ports::kEventDropBatch);
        q.st.execute(true);
        return static_cast<long long>(q.st.get_affected_rows());
    }

    // Erasure (CONTRACT §8): every kept event about the lead keeps its place and loses its
    // data — read so from this commit on (kEventColumns), rewritten by the next sweep
    // (rewrite_erased_events). No index of events by lead is kept up by every write.
    void erase_events(const std::string& tenant, const std::string& lead_id, long long at) {
        static const std::string sql =
            "INSERT INTO erased_leads (tenant_id, lead_id, erased_at) VALUES (:tenant, :id, :at) ON CONFLICT "
            "(tenant_id, lead_id) DO NOTHING";
        auto& q = prepare(lease_, sql, [](auto& st, auto& b) {
            bind_tenant_id(st, b);
            st.exchange(soci::use(b.at, "at"));
        });
        q.b.tenant = tenant;
        q.b.id = lead_id;
        q.b.at = at;
        q.st.execute(true);
    }

    // The sweep's half of erasure: up to 1,000 of the tenant's erased leads have their
    // kept events' data rewritten and leave erased_leads, in the caller's transaction (one
    // scan of the tenant's events). How many leads.
    long long rewrite_erased_events(const std::string& tenant) {
        auto& listed = prepare(lease_, "SELECT lead_id FROM erased_leads WHERE tenant_id = :tenant LIMIT 1000",
                               [](auto& st, auto& b) {
                                   st.exchange(soci::into(b.id));
                                   st.exchange(soci::use(b.tenant, "tenant"));
                               });
        listed.b.tenant = tenant;
        const std::vector<std::string> leads = fetch_all(listed, listed.b.id);
        if (leads.empty()) return 0;
        const std::string ids = encode_strings(leads);
        const auto run = [&](const std::string& sql) {
            auto& q = prepare(lease_, sql, [](auto& st, auto& b) {
                st.exchange(soci::use(b.tenant, "tenant"));
                st.exchange(soci::use(b.rows, "ids"));
            });
            q.b.tenant = tenant;
            q.b.rows = ids;
            q.st.execute(true);
        };
        run("UPDATE events SET data = '" + std::string(ports::kErasedEventData) +
            "' WHERE tenant_id = :tenant AND type <> 'lead.deleted' AND lead_id IN (" + dialect_.json_strings + ")");
        run("DELETE FROM erased_leads WHERE tenant_id = :tenant AND lead_id IN (" + dialect_.json_strings + ")");
        return static_cast<long long>(leads.size());
    }

    // The tenant's oldest kept events (sequence, ts), at most limit.
    std::vector<std::pair<long long, long long>> oldest_events(const std::string& tenant, long long limit) {
        static const std::string sql =
            "SELECT sequence, ts FROM events WHERE tenant_id = :tenant AND sequence IS NOT NULL ORDER BY sequence "
            "LIMIT "
            ":limit";
        auto& q = prepare(lease_, sql, [](auto& st, auto& b) {
            st.exchange(soci::into(b.event.sequence));
            st.exchange(soci::into(b.event.ts));
            st.exchange(soci::use(b.tenant, "tenant"));
            st.exchange(soci::use(b.limit, "limit"));
        });
        q.b.tenant = tenant;
        q.b.limit = limit;
        std::vector<std::pair<long long, long long>> rows;
        if (q.st.execute(true)) {
            do {
                rows.emplace_back(q.b.event.sequence, q.b.event.ts);
            } while (q.st.fetch());
        }
        return rows;
    }

    // Drops the tenant's events numbered below sequence; the tenant's event_sequences row
    // (locked by the caller) keeps the last of them, so numbering goes on after it when
    // nothing is kept.
    void drop_events_before(const std::string& tenant, long long sequence) {
        static const std::string sql = "DELETE FROM events WHERE tenant_id = :tenant AND sequence < :after";
        auto& q = prepare(lease_, sql, [](auto& st, auto& b) {
            st.exchange(soci::use(b.tenant, "tenant"));
            st.exchange(soci::use(b.offset, "after"));
        });
        q.b.tenant = tenant;
        q.b.offset = sequence;
        q.st.execute(true);
        auto& kept =
            prepare(lease_, "UPDATE event_sequences SET last = :last WHERE tenant_id = :tenant AND last < :last_again",
                    [](auto& st, auto& b) {
                        st.exchange(soci::use(b.version, "last"));
                        st.exchange(soci::use(b.tenant, "tenant"));
                        st.exchange(soci::use(b.version, "last_again"));
                    });
        kept.b.version = sequence - 1;
        kept.b.tenant = tenant;
        kept.st.execute(true);
    }

    // The last sequence the tenant was given (0: none yet). With number_after_commit, the
    // event_sequences row (numbering moves it); otherwise the largest kept event's, or the
    // row's when retention dropped them all (record_events).
    long long last_event_sequence(const std::string& tenant) {
        if (dialect_.number_after_commit) {
            auto& q =
                prepare(lease_, "SELECT last FROM event_sequences WHERE tenant_id = :tenant", [](auto& st, auto& b) {
                    st.exchange(soci::into(b.count));
                    st.exchange(soci::use(b.tenant, "tenant"));
                });
            q.b.tenant = tenant;
            return single_count(q);
        }
        static const std::string kept =
            "SELECT COALESCE(MAX(x.last), 0) FROM (SELECT last FROM event_sequences WHERE tenant_id = :tenant UNION "
            "ALL SELECT MAX(sequence) FROM events WHERE tenant_id = :tenant_again) x";
        auto& q = prepare(lease_, kept, [](auto& st, auto& b) {
            st.exchange(soci::into(b.count));
            st.exchange(soci::use(b.tenant, "tenant"));
            st.exchange(soci::use(b.tenant, "tenant_again"));
        });
        q.b.tenant = tenant;
        return single_count(q);
    }

    // A page of the feed: events after :after matching the query's filters, ascending,
    // limit + 1 of them (the last one says more follow).
    std::vector<EventRow> events_after(const ports::EventQuery& query, long long after) {
        std::string sql =
            "SELECT " + kEventColumns + " FROM " + kEventsFrom + " WHERE e.tenant_id = :tenant AND e.sequence > :after";
        const std::size_t types = std::min(query.types.size(), std::size(domain::kEventTypes));
        if (types > 0) {
            sql += " AND e.type IN (";
            for (std::size_t i = 0; i < types; ++i) sql += (i == 0 ? ":type" : ", :type") + std::to_string(i);
            sql += ")";
        }
        if (query.workspace) sql += " AND e.workspace = :workspace";
        sql += " ORDER BY e.sequence LIMIT :limit";
        auto& q = prepare(lease_, sql, [types, by_workspace = query.workspace.has_value()](auto& st, auto& b) {
            into_event(st, b.event);
            st.exchange(soci::use(b.tenant, "tenant"));
            st.exchange(soci::use(b.offset, "after"));
            for (std::size_t i = 0; i < types; ++i) st.exchange(soci::use(b.types[i], "type" + std::to_string(i)));
            if (by_workspace) st.exchange(soci::use(b.workspace, "workspace"));
            st.exchange(soci::use(b.limit, "limit"));
        });
        q.b.tenant = query.tenant.value();
        q.b.offset = after;
        for (std::size_t i = 0; i < types; ++i) q.b.types[i] = std::string(domain::to_string(query.types[i]));
        if (query.workspace) q.b.workspace = query.workspace->value();
        q.b.limit = query.limit + 1;
        return fetch_all(q, q.b.event);
    }

    long long single_count(Prepared& q) {
        q.b.count = 0;
        q.st.execute(true);
        long long count = q.b.count;
        drain(q);
        return count;
    }

  private:
    static std::optional<SuppressionRow> fetch_suppression(Prepared& q) {
        std::optional<SuppressionRow> row;
        if (q.st.execute(true)) row = q.b.suppression;
        drain(q);
        return row;
    }

    static std::optional<LeadRow> fetch_lead(Prepared& q) {
        std::optional<LeadRow> row;
        if (q.st.execute(true)) row = q.b.lead;
        drain(q);
        return row;
    }

    Lease& lease_;
    const Dialect& dialect_;
};

}  // namespace leads::adapters::sql
