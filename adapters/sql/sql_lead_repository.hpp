#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "adapters/sql/count_cache.hpp"
#include "adapters/sql/session_pool.hpp"
#include "adapters/sql/trigram_rows.hpp"
#include "adapters/system/random_id_generator.hpp"
#include "adapters/system/system_clock.hpp"
#include "domain/event.hpp"
#include "ports/idempotency.hpp"
#include "ports/repository.hpp"

// The LeadRepository both SQL backends share: same tables, same statements; what differs
// is named in Dialect.
namespace leads::adapters::sql {

// One statement run many times, with the parameter lists next() gives (in the order of
// the statement's names; none: no more), each run's first column handed to done in order.
using PipelineNext = std::function<std::optional<std::vector<std::string>>()>;
using PipelineDone = std::function<void(std::vector<std::string>)>;
using Pipelined =
    std::function<void(SessionPool::Lease& lease, const std::string& sql, const std::vector<std::string>& names,
                       const PipelineNext& next, const PipelineDone& done)>;

// A create on its way to the database (sql_lead_repository.cpp).
struct PendingCreate;

struct Dialect {
    // Starts a transaction that will write. SQLite: BEGIN IMMEDIATE takes the write lock
    // up front, so two writers never both read and then fail to upgrade ("database is
    // locked"). PostgreSQL: BEGIN, with row locks taken by lock_rows.
    std::string begin_write;
    // Starts a read-only snapshot, so a page and its total agree.
    std::string begin_read;
    // Appended to the SELECT of a lead about to be changed: " FOR UPDATE" on PostgreSQL;
    // empty on SQLite, whose write transaction already excludes every other writer.
    std::string lock_rows;
    // A condition narrowing a search (a term of three code points or more) to candidate rows
    // through the trigram index, made from the term's two rarest trigrams (or the whole
    // term): binding :match, an FTS5 query (SQLite), or :trigram_a and :trigram_b, two LIKE
    // patterns pg_trgm's index serves (PostgreSQL). LIKE on like_search_text then decides.
    std::string trigram_filter;
    // Where the rarest trigrams are learnt (TrigramRows), read at most every 10 minutes:
    // trigram_table gives (trigram, rows) for every trigram the index holds (SQLite's
    // fts5vocab), trigram_rows one trigram's rows (binds :term) when the table was too big
    // to keep whole; trigram_sample gives the search_text of up to :limit of the tenant's
    // leads (binds :tenant), whose trigrams the service counts itself, per tenant
    // (PostgreSQL). Empty: the whole term is looked up.
    std::string trigram_table = {};
    std::string trigram_rows = {};
    std::string trigram_sample = {};
    // Only trigrams of ASCII letters and digits are looked up: pg_trgm indexes the words of
    // a text, so a trigram holding a separator ("a.g") is in no posting list.
    bool alnum_trigrams = false;
    // The searched text as LIKE tests it, after the walk or the trigram index chose the
    // rows: on PostgreSQL an expression no index serves, so the planner walks the list
    // index as asked, or uses only the rarest trigrams, instead of reading every match (or
    // every trigram's posting list) through the trigram index.
    std::string like_search_text = "search_text";
    // A walk finds the page's ids first, then reads their rows: PostgreSQL then tests each
    // row passed on leads_list alone (an index-only scan: search_text is included), where a
    // plain index scan reads every row passed from the heap. SQLite defers the table read
    // by itself.
    bool walk_ids_first = false;
    // What a search walking the list order compares search_text with (LIKE … ESCAPE '\'),
    // binding :pattern. PostgreSQL: a sub-select of it, whose value the planner does not
    // look at. Given the pattern itself it estimates LIKE '%term%' from the term's length
    // alone (0.08% of the rows for "smith", 2% in fact) and, when that is few enough,
    // plans a sort of every match of the workspace instead of the walk the service chose
    // from its own counts: 29 ms against 2.5 ms at 100,000 leads. Without the value it
    // assumes 0.5%, and walks (docs/performance.md, "A walk planned as a sort").
    std::string walk_pattern = ":pattern";
    // Put before a column in a WHERE term, keeps the planner from using an index for that
    // term: "+" on SQLite, whose planner has no statistics and otherwise prefers walking
    // a whole workspace in list order; empty on PostgreSQL, which plans from statistics.
    std::string no_index;
    // attributes.<key>=<text> (CONTRACT §7) as a condition on the JSON text of a lead's
    // attributes; "{i}" stands for the filter's number. It binds :attr_text{i} (the text)
    // and any of :attr_key{i}a..d (the key), :attr_path{i}a..d ("$.key"), :attr_real{i}
    // (the double whose text it is, else NULL) and :attr_number{i} (the text when it is a
    // double in exponent form, else NULL). PostgreSQL: ->> gives the value as text, but
    // prints an exponent-form number positionally. SQLite: json_extract gives numbers as
    // numbers, so a real is compared as the double whose text the filter gave.
    std::string attribute_condition;
    // Starts an Idempotency-Key claim's own transaction. PostgreSQL: one simple query that
    // also commits it without waiting for the WAL flush — a claim lost in a crash only lets
    // a retry run again, and the effect's (synchronous) commit flushes the claim before it.
    // SQLite: begin_write (in WAL mode it does not sync commits anyway).
    std::string claim_begin;
    // Steps::lock_suppressions: one integer row, binding :tenant. Empty: no lock needed.
    std::string lock_suppressions;
    std::string lock_suppressions_shared;
    // One statement inserting an import's new lead (unless its email is taken) and its
    // lead_created entry, bound as bind_insert_lead_and_activity binds; empty: two
    // statements. PostgreSQL: INSERT inside WITH, one round trip per new row.
    std::string insert_lead_and_activity;
    // One statement inserting many of an import's new leads (those whose email is free) and
    // their lead_created entries, returning the ids it inserted; binds one array per
    // column (import_columns, named as kImportArrayColumns), :tenant and :workspace; run
    // through pipelined, its parameters in binary. Empty:
    // insert_lead_and_activity per row. PostgreSQL: kImportBatchRows rows per statement
    // instead of one, and no round trip waited for between two statements.
    std::string insert_leads_batch = {};
    // GET /leads/{id}'s reads as one statement: the lead's columns (kLeadColumns) and its
    // entries' total on every row, then one entry per row (id NULL when there is none):
    // id, type, ts, campaign_id, data, newest first, at most :limit; binds :tenant, :id,
    // :limit. One statement is one snapshot, so no transaction. Empty: three statements in
    // a read transaction (SQLite, in-process, where round trips cost nothing).
    std::string lead_with_activity = {};
    // Inserts a change's events unnumbered (number_after_commit), many per statement: binds
    // :tenant and :rows (encode_event_rows). Empty: a prepared INSERT each (SQLite).
    std::string insert_events = {};
    // The same for more than one statement's worth (an import's), through pipelined: binds
    // :tenant and the event_columns arrays (kEventArrayColumns). Needed by number_after_commit.
    std::string insert_event_columns = {};
    // Events are numbered after their change commits (PostgreSQL): a change inserts them
    // with sequence NULL, touching no shared row, and number_events gives the committed
    // ones of a tenant the next numbers. Otherwise (SQLite, one writer at a time) a change
    // numbers its own events.
    bool number_after_commit = false;
    // A sub-select of the strings of the JSON array bound as :ids.
    std::string json_strings = {};
    // The due deliveries a worker claims (tenant_id, webhook_id, sequence), at most :per of
    // an endpoint and :limit in all, oldest due first, of enabled endpoints not named in
    // :skip (a JSON array of webhook ids); binds :due and :free (now). PostgreSQL: each
    // endpoint's rows FOR UPDATE SKIP LOCKED (a LATERAL pick per endpoint), so concurrent
    // workers claim different rows without waiting; SQLite (one writer at a time): the
    // same pick per endpoint as a sub-select. Both read webhook_deliveries_pending.
    std::string claim_due = {};
    // SQLite: writers of this process queue on a mutex instead of polling the busy
    // handler; other processes are still kept out by BEGIN IMMEDIATE + busy_timeout.
    bool serialize_writers = false;
    // Creates that queue while another is written go together: one transaction for the
    // group, each create in a savepoint of its own (SQLite: a commit writes every page the
    // transaction touched to the log, and a group shares its pages).
    bool group_creates = false;
    std::chrono::milliseconds writer_wait{5000};
    // Run by an import right after it begins and right before it commits (SQLite: defers
    // the full-text index to one statement at the end, see its schema; a larger page
    // cache for the transaction), and when the import returns or throws (SQLite: the
    // default cache again; on a failure this runs before the rollback). Constant SQL.
    std::vector<std::string> import_prologue;
    std::vector<std::string> import_epilogue;
    std::vector<std::string> import_finally = {};
    // Runs a statement many times in one transaction, each run sent before the previous
    // one's answer is back (PostgreSQL: libpq's pipeline mode), so the database goes from
    // one to the next without waiting a round trip. Needed by insert_leads_batch and by
    // number_after_commit (an import's events).
    Pipelined pipelined = {};
    // Told, after an import committed, how many leads it created (PostgreSQL: the
    // statistics of leads are then refreshed off the request path). May be empty.
    std::function<void(std::size_t)> imported = {};
};

class SqlLeadRepository final : public ports::Repository {
  public:
    SqlLeadRepository(std::shared_ptr<SessionPool> pool, Dialect dialect);

    domain::Result<void> insert(const domain::Lead& lead, const domain::Activity& created,
                                const ports::Completion<domain::Lead>* completion) override;
    domain::Result<domain::Lead> find(const ports::LeadKey& key) override;
    domain::Result<ports::LeadWithActivity> find_with_activity(const ports::LeadKey& key, std::int64_t limit) override;
    domain::Result<domain::Lead> update(const ports::LeadKey& key, const ports::LeadMutation& mutate,
                                        const ports::Completion<domain::Lead>* completion) override;
    domain::Result<void> remove(const ports::LeadKey& key,
                                const std::optional<domain::SuppressionDraft>& suppress) override;
    domain::Result<ports::LeadPage> list(const ports::LeadFilter& filter) override;
    domain::Result<ports::ActivityPage> activities(const ports::LeadKey& key, std::int64_t limit, std::int64_t offset,
                                                   const std::optional<ports::ActivityPosition>& after) override;
    domain::Result<std::vector<ports::ImportOutcome>> import(
        const domain::TenantId& tenant, const domain::WorkspaceSlug& workspace,
        const std::vector<ports::ImportItem>& items,
        const ports::Completion<std::vector<ports::ImportOutcome>>* completion) override;
    domain::Result<void> ping() override;

    domain::Result<ports::EventPage> events(const ports::EventQuery& query) override;

    domain::Result<void> insert_webhook(const ports::Webhook& webhook) override;
    domain::Result<ports::Webhook> find_webhook(const domain::TenantId& tenant, const domain::WebhookId& id) override;
    domain::Result<std::vector<ports::Webhook>> list_webhooks(const domain::TenantId& tenant) override;
    domain::Result<ports::Webhook> update_webhook(const domain::TenantId& tenant, const domain::WebhookId& id,
                                                  const ports::WebhookChange& change) override;
    domain::Result<void> remove_webhook(const domain::TenantId& tenant, const domain::WebhookId& id) override;
    domain::Result<ports::DeliveryPage> list_deliveries(const domain::TenantId& tenant, const domain::WebhookId& id,
                                                        std::int64_t limit,
                                                        std::optional<std::int64_t> before_sequence) override;
    domain::Result<std::int64_t> fan_out(domain::Timestamp now, std::int64_t limit) override;
    domain::Result<std::vector<ports::ClaimedDelivery>> claim_deliveries(const ports::ClaimRequest& request) override;
    domain::Result<std::optional<ports::StoredEvent>> delivery_event(const domain::TenantId& tenant,
                                                                     std::int64_t sequence) override;
    domain::Result<void> finish_delivery(const ports::DeliveryOutcome& outcome) override;
    domain::Result<void> release_claim(const ports::ClaimedDelivery& claimed) override;
    domain::Result<ports::DeliveryBacklog> delivery_backlog() override;
    domain::Result<ports::Swept> sweep(domain::Timestamp events_before, domain::Timestamp deliveries_before) override;

    domain::Result<ports::SuppressionAdded> add_suppression(
        const domain::TenantId& tenant, const domain::Email& email, const domain::SuppressionDraft& draft,
        const ports::Completion<ports::SuppressionAdded>* completion) override;
    domain::Result<domain::Suppression> find_suppression(const domain::TenantId& tenant,
                                                         const domain::Email& email) override;
    domain::Result<domain::Suppression> find_suppression(const domain::TenantId& tenant,
                                                         const domain::SuppressionId& id) override;
    domain::Result<ports::SuppressionPage> list_suppressions(
        const domain::TenantId& tenant, std::int64_t limit,
        const std::optional<ports::SuppressionPosition>& after) override;
    domain::Result<void> remove_suppression(const domain::TenantId& tenant, const domain::SuppressionId& id) override;

    domain::Result<ports::ClaimOutcome> claim_idempotency(const ports::IdempotencyRequest& request) override;
    domain::Result<void> finish_idempotency(const ports::IdempotencyRecord& record,
                                            const ports::IdempotentAnswer& answer) override;
    domain::Result<void> release_idempotency(const ports::IdempotencyRecord& record) override;
    domain::Result<std::int64_t> purge_idempotency(const domain::TenantId& tenant, domain::Timestamp now,
                                                   std::int64_t limit) override;

    const std::shared_ptr<SessionPool>& pool() const { return pool_; }
    // Creates waiting to be written in a group (Dialect::group_creates), kept up to date.
    const std::shared_ptr<std::atomic<std::size_t>>& queued_creates() const { return queued_creates_; }

  private:
    enum class Access { Read, Write };
    template <class T, class Body>
    domain::Result<T> run(Access access, Body&& body);

    // The term's rarest trigrams (at most kMatchedTrigrams) when the dialect can tell
    // (Dialect::trigram_table, trigram_sample); empty: look the whole term up.
    std::vector<std::string> rarest_trigrams(SessionPool::Lease& lease, const std::string& tenant,
                                             const std::string& term);
    std::shared_ptr<TrigramRows> trigram_rows_for(const std::string& tenant);
    void reload_trigram_rows(SessionPool::Lease& lease, TrigramRows& counts, const std::string& tenant);
    // The change's events, stamped now with fresh ids and rendered (Steps::record_changes stores them).
    std::vector<ports::StoredEvent> stamp(const std::vector<domain::ChangeEvent>& events);
    // Dialect::number_after_commit: numbers the tenant's committed events (Steps::number_events;
    // all: every one, not a batch).
    domain::Result<void> number_events(const std::string& tenant, bool all = false);
    // Retention: drops the tenant's events older than before, oldest first, a bounded batch;
    // how many. With number_after_commit, also the expired events nobody numbered when no
    // numbered one is kept (they take the next numbers, so a reader behind them gets 410).
    domain::Result<std::int64_t> drop_expired_events(const std::string& tenant, domain::Timestamp before);

    // One create in a transaction of its own (a holder deleted meanwhile: tried again).
    domain::Result<void> insert_alone(const PendingCreate& create);
    // Writes the group in one transaction; each create's result, in order.
    std::vector<domain::Result<void>> insert_group(std::span<PendingCreate* const> group);

    std::shared_ptr<SessionPool> pool_;
    Dialect dialect_;
    system::RandomIdGenerator ids_;
    system::SystemClock clock_;
    std::timed_mutex writer_;
    // Dialect::group_creates: the creates waiting, and whether one thread is writing a group.
    std::mutex group_mutex_;
    std::condition_variable group_written_;
    std::vector<PendingCreate*> group_queue_;
    bool group_writing_ = false;
    // The queue's length, for /metrics (shared: the reader may outlive this repository).
    std::shared_ptr<std::atomic<std::size_t>> queued_creates_ = std::make_shared<std::atomic<std::size_t>>(0);
    CountCache counts_;
    // Per tenant on PostgreSQL (its own sample), one for all on SQLite (key "").
    std::mutex trigram_rows_mutex_;
    std::unordered_map<std::string, std::shared_ptr<TrigramRows>> trigram_rows_;
};

}  // namespace leads::adapters::sql
