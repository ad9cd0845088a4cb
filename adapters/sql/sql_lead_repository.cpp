#include "adapters/sql/sql_lead_repository.hpp"

#include <soci/soci.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <functional>
#include <future>
#include <limits>
#include <map>
#include <numeric>
#include <optional>
#include <span>
#include <stdexcept>
#include <unordered_set>
#include <utility>
#include <vector>

#include "adapters/crypto/email_hash.hpp"
#include "adapters/sql/column_arrays.hpp"
#include "adapters/sql/json_codec.hpp"
#include "adapters/sql/pool_stats.hpp"
#include "adapters/sql/repository_run.hpp"
#include "adapters/sql/rows.hpp"
#include "adapters/sql/search_pattern.hpp"
#include "adapters/sql/statements.hpp"
#include "adapters/wire/json_writer.hpp"
#include "domain/text.hpp"
#include "ports/lead_mutation.hpp"

namespace leads::adapters::sql {

namespace {

using domain::Error;
using domain::Result;

// Runs constant statements on the session when it goes out of scope: after the commit, or
// on an error or a throw before the transaction is rolled back (so only statements that
// run inside a failed transaction belong here: SQLite's PRAGMA cache_size does). Their
// errors are ignored: they only undo a setting.
class RunOnExit {
  public:
    RunOnExit(SessionPool::Lease& lease, const std::vector<std::string>& statements)
        : lease_(lease), statements_(statements) {}
    RunOnExit(const RunOnExit&) = delete;
    RunOnExit& operator=(const RunOnExit&) = delete;
    ~RunOnExit() {
        for (const auto& sql : statements_) {
            try {
                lease_.session() << sql;
            } catch (...) {  // NOLINT(bugprone-empty-catch): see above
            }
        }
    }

  private:
    SessionPool::Lease& lease_;
    const std::vector<std::string>& statements_;
};

// A duplicate email whose holder is gone by the time it is looked up (deleted in
// between) is retried this many times before giving up.
constexpr int kConflictAttempts = 3;

// At most this many queued creates are written in one transaction (Dialect::group_creates).
constexpr std::size_t kCreateGroup = 64;

// A do_not_contact=true page is sorted from the suppressed leads while the workspace has at
// most this many (a few ms); beyond, walking the list order finds a page sooner.
constexpr long long kSortedSuppressedLeads = 20'000;

// Totals of filtered lists kept per repository (CountCache): a few hundred bytes each.
constexpr std::size_t kCachedTotals = 10'000;
// How long a list waits for the same total another request is counting.
constexpr std::chrono::milliseconds kWaitForTotal{10'000};

// A long term is looked up in the trigram index by this many of its trigrams, the rarest:
// two short posting lists intersect to a handful of candidates, which LIKE then decides.
constexpr std::size_t kMatchedTrigrams = 2;
// Leads of a tenant read (PostgreSQL) to rank trigrams by how many of them hold each, and
// how many tenants' counts are kept at once (each a few thousand trigrams).
constexpr long long kTrigramSample = 5'000;
constexpr std::size_t kTrigramTenants = 256;

// How often the trigram index's row counts are read again (TrigramRows), and how many kept.
constexpr std::chrono::minutes kTrigramRowsTtl{10};
constexpr std::size_t kTrigramRowsKept = 200'000;

// New leads an import inserts per statement where the dialect can (insert_leads_batch):
// ~400 KiB of JSON, a few ms of the database's time each.
constexpr std::size_t kImportBatchRows = 1'000;

// A match found through the trigram index costs about this many rows read by a walk of the
// list order (walk_is_cheaper).
constexpr long double kIndexCostPerMatch = 4;

// The double whose text (domain::attribute_text) is text, if there is one.
std::optional<double> canonical_double(const std::string& text) {
    double value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc{} || end != text.data() + text.size()) return std::nullopt;
    if (domain::attribute_text(domain::AttributeValue{value}) != text) return std::nullopt;
    return value;
}

// The values of a list's CONTRACT §7 filters and position, as FilterShape::of binds them.
void set_list_filters(const ports::LeadFilter& filter, Buffers& b) {
    if (filter.email) b.email = *filter.email;
    if (filter.created_after) b.created_after = millis(*filter.created_after);
    if (filter.created_before) b.created_before = millis(*filter.created_before);
    if (filter.updated_after) b.updated_after = millis(*filter.updated_after);
    if (filter.updated_before) b.updated_before = millis(*filter.updated_before);
    for (std::size_t i = 0; i < filter.attributes.size() && i < b.attr_text.size(); ++i) {
        const ports::AttributeEquals& wanted = filter.attributes[i];
        b.attr_key[i] = wanted.key;
        b.attr_path[i] = "$." + wanted.key;
        b.attr_text[i] = wanted.text;
        // A real attribute matches when its text is this one: compared as the double the
        // text names, if the text is the canonical form of one.
        const auto real = canonical_double(wanted.text);
        b.attr_real[i] = real.value_or(0.0);
        b.attr_real_ind[i] = real ? soci::i_ok : soci::i_null;
        // The same number as text, when its form is the exponent one (PostgreSQL's numeric
        // prints those positionally, so its text comparison misses them).
        const bool exponent = real && wanted.text.find('e') != std::string::npos;
        b.attr_number[i] = exponent ? wanted.text : std::string();
        b.attr_number_ind[i] = exponent ? soci::i_ok : soci::i_null;
        // The text when a number prints as it (an integer, a positional double), else NULL.
        std::int64_t integer = 0;
        const auto [end, error] = std::from_chars(wanted.text.data(), wanted.text.data() + wanted.text.size(), integer);
        const bool is_integer = error == std::errc{} && end == wanted.text.data() + wanted.text.size() &&
                                std::to_string(integer) == wanted.text;
        const bool plain = is_integer || (real && !exponent);
        b.attr_numtext[i] = plain ? wanted.text : std::string();
        b.attr_numtext_ind[i] = plain ? soci::i_ok : soci::i_null;
    }
    if (filter.after) {
        b.after_at = millis(filter.after->at);
        b.after_id = filter.after->id.value();
    }
}

// A list's filter as a cache key: every field that decides which leads match (not the
// page, the order or the position), each length-prefixed so that no two filters collide.
std::string count_key(const ports::LeadFilter& filter) {
    std::string key;
    auto field = [&](std::string_view text) { key.append(std::to_string(text.size())).append(":").append(text); };
    auto time = [&](const std::optional<domain::Timestamp>& at) { field(at ? std::to_string(millis(*at)) : "-"); };
    field(filter.tenant.value());
    field(filter.workspace.value());
    field(filter.status ? domain::to_string(*filter.status) : "-");
    field(filter.search ? "s" + *filter.search : "-");
    time(filter.created_after);
    time(filter.created_before);
    time(filter.updated_after);
    time(filter.updated_before);
    field(filter.do_not_contact ? (*filter.do_not_contact ? "y" : "n") : "-");
    for (const auto& wanted : filter.attributes) {
        field(wanted.key);
        field(wanted.text);
    }
    return key;
}

// Whether walking the list order until the page is full reads fewer rows than the trigram
// index would hand over: the walk reads about (rows up to the page's end) × scanned/total
// rows, the index every match, each several times dearer (a posting list, a sort).
bool walk_is_cheaper(const ports::LeadFilter& filter, long long offset, long long scanned, long long total) {
    if (total <= 0) return false;
    const long double reach = static_cast<long double>(filter.after ? 0 : offset) + filter.limit + 1;
    return reach * static_cast<long double>(scanned) / static_cast<long double>(total) <=
           kIndexCostPerMatch * static_cast<long double>(total);
}

bool visible(const LeadRow& row, const ports::LeadKey& key) {
    return !key.workspace || key.workspace->value() == row.workspace;
}

// An import row whose email is taken, in update mode: its merge applied to the holder
// (locked by the caller's look-up). The row's outcome; an error aborts the whole import.
Result<ports::ImportOutcome> merge_into(Steps& steps, const LeadRow& existing, const ports::LeadMutation& merge,
                                        CountDeltas& deltas, std::vector<domain::ChangeEvent>& events) {
    using Kind = ports::ImportOutcomeKind;
    auto current = to_lead(existing);
    if (!current) return std::move(current).error();
    auto mutated = ports::apply_mutation(merge, *current);
    if (!mutated) {
        if (!ports::is_row_error(mutated.error())) return std::move(mutated).error();
        return ports::ImportOutcome{Kind::Failed, mutated.error(), std::nullopt};
    }
    const domain::Lead& lead = mutated->lead;
    if (mutated->rewrite) {
        auto row = to_row(lead);
        if (!row) return std::move(row).error();
        row->do_not_contact = row->email == existing.email ? existing.do_not_contact : 0;
        if (row->email != existing.email) {
            // A failed statement would abort the whole import on PostgreSQL, so a taken
            // email is looked for first (the constraint still has the last word).
            auto holder = steps.lead_by_email(existing.tenant, existing.workspace, row->email, false);
            if (holder && holder->id != row->id) {
                return ports::ImportOutcome{Kind::Failed, Error::duplicate_email(holder->id), std::nullopt};
            }
            if (steps.suppressed(row->tenant, row->email_hash)) {
                return ports::ImportOutcome{Kind::Failed, Error::suppressed(), std::nullopt};
            }
        }
        if (!steps.update_lead(*row, current->version)) return Error::internal("lead changed while locked");
        mutated->lead.do_not_contact = row->do_not_contact != 0;
        move_count(deltas, existing.workspace, existing.status, existing.do_not_contact != 0, row->status,
                   row->do_not_contact != 0);
    }
    auto logged = steps.insert_activities(lead, mutated->entries);
    if (!logged) return std::move(logged).error();
    events = domain::change_events(&*current, &lead, mutated->entries);
    return ports::ImportOutcome{Kind::Updated, std::nullopt, lead};
}

// One statement's worth of an import's new leads and their entries, as
// Dialect::insert_leads_batch's column arrays. Reads only the items: runs beside the
// database.
Result<std::vector<std::string>> encode_import_batch(const std::vector<ports::ImportItem>& items,
                                                     const std::vector<std::size_t>& batch) {
    std::vector<LeadRow> leads;
    std::vector<ActivityRow> entries;
    leads.reserve(batch.size());
    entries.reserve(batch.size());
    for (const std::size_t index : batch) {
        auto row = to_row(items[index].lead);
        if (!row) return std::move(row).error();
        auto created = to_row(items[index].created, items[index].lead.id);
        if (!created) return std::move(created).error();
        leads.push_back(std::move(row).value());
        entries.push_back(std::move(created).value());
    }
    std::vector<std::pair<const LeadRow*, const ActivityRow*>> rows;
    rows.reserve(batch.size());
    for (std::size_t i = 0; i < batch.size(); ++i) rows.emplace_back(&leads[i], &entries[i]);
    return import_columns(rows);
}

// An import's rows whose email is free inserted kImportBatchRows at a time
// (Dialect::insert_leads_batch), in email order; each row's email is tried once, by its
// first occurrence. Decided rows (created; suppressed) are taken off one_by_one, the
// rest (email taken, or repeated) are left to the one-by-one path. The next statement's
// rows are encoded on another thread while the database inserts the current ones, and
// sent before their answer is back (Dialect::pipelined): on PostgreSQL the service's work
// and the round trips overlap the database's instead of taking turns with it.
Result<void> insert_new_leads(Steps& steps, const std::vector<ports::ImportItem>& items,
                              const std::vector<std::size_t>& order, const std::vector<char>& suppressed,
                              std::vector<ports::ImportOutcome>& outcomes, std::vector<char>& one_by_one,
                              CountDeltas& deltas) {
    using Kind = ports::ImportOutcomeKind;
    const std::string& tenant = items.front().lead.tenant.value();
    const std::string& workspace = items.front().lead.workspace.value();
    std::vector<std::vector<std::size_t>> batches;
    const std::string* previous = nullptr;
    for (const std::size_t index : order) {
        const std::string& email = items[index].lead.email.value();
        const bool repeated = previous != nullptr && *previous == email;
        previous = &email;
        if (repeated) continue;
        if (suppressed[index]) {
            outcomes[index] = ports::ImportOutcome{Kind::Failed, Error::suppressed(), std::nullopt};
            one_by_one[index] = 0;
            continue;
        }
        if (batches.empty() || batches.back().size() == kImportBatchRows) batches.emplace_back();
        batches.back().push_back(index);
    }
    MadeAhead<Result<std::vector<std::string>>> encoded(
        batches.size(), [&items, &batches](std::size_t n) { return encode_import_batch(items, batches[n]); });
    std::optional<Error> failed;  // an encoding's: stops the statements, returned below
    const auto next = [&]() -> std::optional<std::vector<std::string>> {
        if (failed) return std::nullopt;
        auto rows = encoded.next();
        if (!rows) return std::nullopt;
        if (!*rows) {
            failed = std::move(*rows).error();
            return std::nullopt;
        }
        return std::move(*rows).value();
    };
    std::size_t answered = 0;
    const auto inserted = [&](std::vector<std::string> ids) {
        // While the database runs the next statement: kept cheap (no copies).
        const std::unordered_set<std::string_view> created(ids.begin(), ids.end());
        std::array<long long, std::size(domain::kLeadStatuses)> per_status{};
        for (const std::size_t index : batches[answered++]) {
            const domain::Lead& lead = items[index].lead;
            if (!created.contains(lead.id.value())) continue;
            outcomes[index].kind = Kind::Created;
            one_by_one[index] = 0;
            ++per_status[static_cast<std::size_t>(lead.status)];
        }
        for (std::size_t s = 0; s < per_status.size(); ++s) {
            if (per_status[s] == 0) continue;
            deltas[{workspace, std::string(domain::to_string(domain::kLeadStatuses[s]))}].leads += per_status[s];
        }
    };
    steps.insert_leads_batches(tenant, workspace, next, inserted);
    if (failed) return std::move(*failed);
    return {};
}

SuppressionRow suppression_row(const std::string& tenant, const std::string& hash,
                               const domain::SuppressionDraft& draft) {
    return SuppressionRow{.id = draft.id.value(),
                          .tenant = tenant,
                          .email_hash = hash,
                          .reason = std::string(domain::to_string(draft.reason)),
                          .created_at = millis(draft.created_at)};
}

// The rows of a page read with one row more than its limit: whether more follow, and the
// items made from the others.
template <class Page, class Row, class Convert>
Result<void> fill_page(Page& page, std::vector<Row>& rows, long long limit, Convert convert) {
    page.more = static_cast<long long>(rows.size()) > limit;
    if (page.more) rows.pop_back();
    page.items.reserve(rows.size());
    for (const auto& row : rows) {
        auto item = convert(row);
        if (!item) return std::move(item).error();
        page.items.push_back(std::move(item).value());
    }
    return {};
}

// A page of a lead's activity (read, visible) inside the caller's transaction: one row more
// than the page tells whether more follow, and a first page that is not full is its own
// total (no count then: most leads have fewer entries than a page).
Result<ports::ActivityPage> activity_page(Lease& lease, Steps& steps, const LeadRow& lead, std::int64_t limit,
                                          std::int64_t offset, const std::optional<ports::ActivityPosition>& after) {
    ports::ActivityPage page;
    std::vector<ActivityRow> rows;
    if (limit > 0) {
        auto& q = prepare(lease,
                          std::string("SELECT id, lead_id, type, ts, campaign_id, data FROM activities WHERE "
                                      "tenant_id = :tenant AND lead_id = :id") +
                              (after ? " AND (ts, id) < (:after_at, :after_id)" : "") +
                              " ORDER BY ts DESC, id DESC LIMIT :limit OFFSET :offset",
                          [by_position = after.has_value()](auto& st, auto& b) {
                              st.exchange(soci::into(b.activity.id));
                              st.exchange(soci::into(b.activity.lead_id));
                              into_activity_details(st, b.activity);
                              bind_tenant_id(st, b);
                              st.exchange(soci::use(b.limit, "limit"));
                              st.exchange(soci::use(b.offset, "offset"));
                              if (by_position) {
                                  st.exchange(soci::use(b.after_at, "after_at"));
                                  st.exchange(soci::use(b.after_id, "after_id"));
                              }
                          });
        q.b.tenant = lead.tenant;
        q.b.id = lead.id;
        q.b.limit = limit + 1;
        q.b.offset = after ? 0 : std::max<long long>(offset, 0);
        if (after) {
            q.b.after_at = millis(after->at);
            q.b.after_id = after->id.value();
        }
        q.st.execute();
        while (q.st.fetch()) rows.push_back(q.b.activity);
    }
    if (limit > 0 && !after && offset <= 0 && static_cast<std::int64_t>(rows.size()) <= limit) {
        page.total = static_cast<std::int64_t>(rows.size());
    } else {
        auto& count = prepare(lease, "SELECT COUNT(*) FROM activities WHERE tenant_id = :tenant AND lead_id = :id",
                              [](auto& st, auto& b) {
                                  st.exchange(soci::into(b.count));
                                  bind_tenant_id(st, b);
                              });
        count.b.tenant = lead.tenant;
        count.b.id = lead.id;
        page.total = steps.single_count(count);
    }
    if (auto filled = fill_page(page, rows, limit, to_activity); !filled) return std::move(filled).error();
    return page;
}

// The same for a lead looked up by key (NotFound when it is not visible).
Result<ports::ActivityPage> read_activities(Lease& lease, Steps& steps, const ports::LeadKey& key, std::int64_t limit,
                                            std::int64_t offset, const std::optional<ports::ActivityPosition>& after) {
    auto lead = steps.lead_by_id(key.tenant.value(), key.id.value(), false);
    if (!lead || !visible(*lead, key)) return Error::not_found();
    return activity_page(lease, steps, *lead, limit, offset, after);
}

// The reads an idempotent write's answer makes, inside the write's transaction.
class LeaseReader final : public ports::TransactionReader {
  public:
    LeaseReader(Lease& lease, Steps& steps) : lease_(lease), steps_(steps) {}
    Result<ports::ActivityPage> recent_activity(const ports::LeadKey& key, std::int64_t limit) override {
        return read_activities(lease_, steps_, key, limit, 0, std::nullopt);
    }

  private:
    Lease& lease_;
    Steps& steps_;
};

}  // namespace

SqlLeadRepository::SqlLeadRepository(std::shared_ptr<SessionPool> pool, Dialect dialect)
    : pool_(std::move(pool)), dialect_(std::move(dialect)), counts_(kCachedTotals, kWaitForTotal) {}

// One create: the lead as rows, its events stamped, and (queued for a group) its result.
struct PendingCreate {
    const domain::Lead& lead;
    const LeadRow& row;
    const ActivityRow& entry;
    const std::vector<ports::StoredEvent>& events;
    const ports::Completion<domain::Lead>* completion;
    std::optional<Result<void>> result;
};

namespace {

// A create's statements, inside its transaction (or its savepoint in a group): nullopt
// when the email's holder went away between the insert and the look-up (a retry may
// succeed). An error leaves its writes for the caller to roll back.
std::optional<Result<void>> create_steps(Lease& lease, Steps& steps, const PendingCreate& create) {
    const LeadRow& row = create.row;
    steps.lock_suppressions(row.tenant, false);
    if (steps.suppressed(row.tenant, row.email_hash)) return Result<void>(Error::suppressed());
    // A taken email makes the insert a no-op rather than an error (which would abort the
    // transaction on PostgreSQL); the holder is then looked up.
    if (!steps.insert_lead_if_new(row, create.entry)) {
        auto holder = steps.lead_by_email(row.tenant, row.workspace, row.email, false);
        if (holder) return Result<void>(Error::duplicate_email(holder->id));
        return std::nullopt;
    }
    steps.record_changes(row.tenant, {{{row.workspace, row.status}, {1, 0}}}, create.events);
    LeaseReader reader(lease, steps);
    return steps.complete(create.completion, create.lead, reader);
}

}  // namespace

Result<void> SqlLeadRepository::insert(const domain::Lead& lead, const domain::Activity& created,
                                       const ports::Completion<domain::Lead>* completion) {
    auto row = to_row(lead);
    if (!row) return std::move(row).error();
    auto entry = to_row(created, lead.id);
    if (!entry) return std::move(entry).error();
    const auto events = stamp(domain::change_events(nullptr, &lead, {}));
    PendingCreate create{lead, *row, *entry, events, completion, std::nullopt};
    if (!dialect_.group_creates) return insert_alone(create);

    // Waits as a lone writer would for the write lock (writer_wait), then gives up while
    // still queued; once in a group being written, until that group is.
    const auto give_up = std::chrono::steady_clock::now() + dialect_.writer_wait;
    std::unique_lock lock(group_mutex_);
    group_queue_.push_back(&create);
    queued_creates_->store(group_queue_.size(), std::memory_order_relaxed);
    while (!create.result) {
        if (group_writing_) {
            if (group_written_.wait_until(lock, give_up) == std::cv_status::timeout) {
                const auto queued = std::find(group_queue_.begin(), group_queue_.end(), &create);
                if (queued == group_queue_.end()) {  // in the group being written: its answer comes
                    group_written_.wait(lock, [&] { return create.result.has_value(); });
                    break;
                }
                group_queue_.erase(queued);
                queued_creates_->store(group_queue_.size(), std::memory_order_relaxed);
                return Error::unavailable(pool_->backend().name + " database busy");
            }
            continue;
        }
        std::array<PendingCreate*, kCreateGroup> taken{};
        const std::size_t size = std::min(group_queue_.size(), kCreateGroup);
        std::copy_n(group_queue_.begin(), size, taken.begin());
        group_queue_.erase(group_queue_.begin(), group_queue_.begin() + static_cast<std::ptrdiff_t>(size));
        queued_creates_->store(group_queue_.size(), std::memory_order_relaxed);
        group_writing_ = true;
        lock.unlock();
        const std::span<PendingCreate* const> group(taken.data(), size);
        std::vector<Result<void>> results;
        try {
            results = insert_group(group);
        } catch (...) {  // only an allocation can throw here; answered below all the same
        }
        lock.lock();  // the others read their results under it
        // noexcept: should even this fail, the process stops rather than leave them waiting.
        [&]() noexcept {
            for (std::size_t i = 0; i < size; ++i) {
                group[i]->result = i < results.size() ? std::move(results[i])
                                                      : Result<void>(Error::internal("the create was not written"));
            }
            group_writing_ = false;
        }();
        group_written_.notify_all();
    }
    return std::move(*create.result);
}

Result<void> SqlLeadRepository::insert_alone(const PendingCreate& create) {
    return run<void>(Access::Write, [&](Lease& lease) -> Result<void> {
        Steps steps(lease, dialect_);
        for (int attempt = 0; attempt < kConflictAttempts; ++attempt) {
            lease.begin(dialect_.begin_write);
            auto done = create_steps(lease, steps, create);
            if (!done) {
                lease.rollback();  // the holder was deleted meanwhile: try again
                continue;
            }
            if (!*done) return *done;
            lease.commit();
            return {};
        }
        return Error::unavailable("the email kept changing hands; retry");
    });
}

std::vector<Result<void>> SqlLeadRepository::insert_group(std::span<PendingCreate* const> group) {
    std::vector<Result<void>> results;
    if (group.size() > 1) {
        auto written = run<void>(Access::Write, [&](Lease& lease) -> Result<void> {
            results.clear();
            Steps steps(lease, dialect_);
            lease.begin(dialect_.begin_write);
            for (const PendingCreate* create : group) {
                // Without an answer to record, a create that fails has written nothing
                // (the email is checked before the insert, the insert did nothing); with
                // one, the answer may refuse after the writes.
                const bool undoable = create->completion != nullptr;
                if (undoable) lease.savepoint();
                auto done = create_steps(lease, steps, *create);
                // The holder cannot go away within the group's transaction (one writer at a
                // time): a retry would see the same.
                if (!done) done = Error::unavailable("the email kept changing hands; retry");
                if (undoable && *done) lease.release_savepoint();
                if (undoable && !*done) lease.rollback_to_savepoint();
                results.push_back(std::move(*done));
            }
            lease.commit();
            return {};
        });
        if (written) return results;
        // Busy (another process holds the write lock) or unavailable: so would each
        // create be on its own.
        if (written.error().kind == domain::ErrorKind::Unavailable) {
            return std::vector<Result<void>>(group.size(), written.error());
        }
    }
    // One create, or a group whose transaction failed as a whole (an exception): each on
    // its own, for its own answer.
    results.clear();
    for (const PendingCreate* create : group) results.push_back(insert_alone(*create));
    return results;
}

Result<domain::Lead> SqlLeadRepository::find(const ports::LeadKey& key) {
    return run<domain::Lead>(Access::Read, [&](Lease& lease) -> Result<domain::Lead> {
        auto row = Steps(lease, dialect_).lead_by_id(key.tenant.value(), key.id.value(), false);
        if (!row || !visible(*row, key)) return Error::not_found();
        return to_lead(*row);
    });
}

Result<ports::LeadWithActivity> SqlLeadRepository::find_with_activity(const ports::LeadKey& key, std::int64_t limit) {
    return run<ports::LeadWithActivity>(Access::Read, [&](Lease& lease) -> Result<ports::LeadWithActivity> {
        Steps steps(lease, dialect_);
        if (!dialect_.lead_with_activity.empty()) {
            ports::ActivityPage page;
            std::vector<ActivityRow> rows;
            long long total = 0;
            auto row = steps.lead_with_activity(key.tenant.value(), key.id.value(), limit, rows, total);
            page.total = total;
            if (!row || !visible(*row, key)) return Error::not_found();
            auto lead = to_lead(*row);
            if (!lead) return std::move(lead).error();
            if (auto filled = fill_page(page, rows, limit, to_activity); !filled) return std::move(filled).error();
            return ports::LeadWithActivity{std::move(lead).value(), std::move(page)};
        }
        lease.begin(dialect_.begin_read);
        auto row = steps.lead_by_id(key.tenant.value(), key.id.value(), false);
        if (!row || !visible(*row, key)) return Error::not_found();
        auto lead = to_lead(*row);
        if (!lead) return std::move(lead).error();
        auto page = activity_page(lease, steps, *row, limit, 0, std::nullopt);
        if (!page) return std::move(page).error();
        lease.commit();
        return ports::LeadWithActivity{std::move(lead).value(), std::move(page).value()};
    });
}

Result<domain::Lead> SqlLeadRepository::update(const ports::LeadKey& key, const ports::LeadMutation& mutate,
                                               const ports::Completion<domain::Lead>* completion) {
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

            auto mutated = ports::apply_mutation(mutate, *current);
            if (!mutated) return std::move(mutated).error();
            domain::Lead& lead = mutated->lead;
            auto& entries = mutated->entries;

            CountDeltas deltas;
            if (mutated->rewrite) {
                auto row = to_row(lead);
                if (!row) return std::move(row).error();
                const bool new_email = row->email != current_row->email;
                // A new email is not listed (checked below); the old one may have been.
                row->do_not_contact = new_email ? 0 : current_row->do_not_contact;
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
                lead.do_not_contact = row->do_not_contact != 0;
                if (new_email) {
                    steps.lock_suppressions(row->tenant, false);
                    if (steps.suppressed(row->tenant, row->email_hash)) return Error::suppressed();
                }
                move_count(deltas, current_row->workspace, current_row->status, current_row->do_not_contact != 0,
                           row->status, row->do_not_contact != 0);
            }
            auto logged = steps.insert_activities(lead, entries);
            if (!logged) return std::move(logged).error();
            steps.record_changes(lead.tenant.value(), deltas, stamp(domain::change_events(&*current, &lead, entries)));
            LeaseReader reader(lease, steps);
            if (auto recorded = steps.complete(completion, lead, reader); !recorded) return recorded.error();
            lease.commit();
            return lead;
        }
        return Error::unavailable("the email kept changing hands; retry");
    });
}

Result<void> SqlLeadRepository::remove(const ports::LeadKey& key,
                                       const std::optional<domain::SuppressionDraft>& suppress) {
    return run<void>(Access::Write, [&](Lease& lease) -> Result<void> {
        Steps steps(lease, dialect_);
        lease.begin(dialect_.begin_write);
        auto row = steps.lead_by_id(key.tenant.value(), key.id.value(), true);
        if (!row || !visible(*row, key)) return Error::not_found();
        if (suppress) steps.lock_suppressions(row->tenant, true);
        // Activities go with it (Steps::delete_lead), and on SQLite its search index entry
        // (trigger).
        steps.delete_lead(row->tenant, row->id);
        CountDeltas deltas{{{row->workspace, row->status}, {-1, row->do_not_contact != 0 ? -1 : 0}}};
        if (suppress) {
            // A lead read does not carry its hash column: hashed here, as the write did.
            const std::string hash = crypto::sha256_hex(row->email);
            // The same person's leads in the tenant's other workspaces stay, flagged.
            if (steps.insert_suppression(suppression_row(row->tenant, hash, *suppress))) {
                steps.flag_leads(row->tenant, hash, true, deltas);
            }
        }
        // Erasure reaches the events (CONTRACT §8); the deletion is the lead's last event.
        steps.erase_events(row->tenant, row->id, millis(clock_.now()));
        auto lead = to_lead(*row);
        if (!lead) return std::move(lead).error();
        steps.record_changes(row->tenant, deltas, stamp(domain::change_events(&*lead, nullptr, {})));
        lease.commit();
        return {};
    });
}

Result<ports::LeadPage> SqlLeadRepository::list(const ports::LeadFilter& filter) {
    FilterShape shape = FilterShape::of(filter);
    // The trigram indexes (FTS5, pg_trgm) serve terms of three code points or more.
    const bool indexable = filter.search && domain::is_valid_utf8(*filter.search) &&
                           domain::code_point_count(*filter.search) >= kTrigramMinimum;
    if (filter.search) shape.mode = indexable ? SearchMode::Trigram : SearchMode::Walk;
    // A short search scans the workspace anyway: with do_not_contact=true the suppressed
    // leads are the smaller set to start from. Without a search, the count decides (below).
    shape.from_suppressions = shape.do_not_contact == true && shape.mode == SearchMode::Walk;
    const long long offset = std::max<long long>(filter.offset, 0);

    return run<ports::LeadPage>(Access::Read, [&](Lease& lease) -> Result<ports::LeadPage> {
        Steps steps(lease, dialect_);
        std::vector<std::string> rarest;  // the trigrams the index is asked for; empty: the term
        bool rarest_known = false;        // looked up once, and only for the trigram plan
        auto set_filter = [&](Buffers& b) {
            b.tenant = filter.tenant.value();
            b.workspace = filter.workspace.value();
            b.status = shape.by_status ? std::string(domain::to_string(*filter.status)) : std::string();
            if (shape.mode != SearchMode::None) b.pattern = like_contains_pattern(*filter.search);
            if (shape.mode == SearchMode::Trigram) {
                // The rarest trigrams, or the whole term, as each dialect's filter binds them.
                const std::string& term = *filter.search;
                b.match = rarest.empty() ? fts5_phrase(term) : fts5_all(rarest);
                b.trigram_a = like_contains_pattern(rarest.empty() ? term : rarest.front());
                b.trigram_b = like_contains_pattern(rarest.empty() ? term : rarest.back());
            }
            set_list_filters(filter, b);
        };

        // Before a statement of the trigram plan (never for a walk): which trigrams to ask.
        auto choose_trigrams = [&] {
            if (shape.mode != SearchMode::Trigram || rarest_known) return;
            rarest = rarest_trigrams(lease, filter.tenant.value(), *filter.search);
            rarest_known = true;
        };

        // One row more than the page: whether more follow.
        auto fetch_page = [&](std::vector<LeadRow>& rows) {
            choose_trigrams();
            const std::string page_rows = lead_filter(shape, dialect_) + after_position(shape) + shape.order_by() +
                                          " LIMIT :limit OFFSET :offset";
            const bool ids_first =
                shape.mode == SearchMode::Walk && dialect_.walk_ids_first && !shape.from_suppressions;
            std::string sql = "SELECT " + kLeadColumns + " FROM leads";
            if (ids_first) {
                sql += " WHERE tenant_id = :page_tenant AND id IN (SELECT id FROM leads" + page_rows + ")" +
                       shape.order_by();
            } else {
                sql += page_rows;
            }
            auto& q =
                prepare(lease, sql, filter_binder(shape, dialect_, [after = shape.after, ids_first](auto& st, auto& b) {
                            into_lead(st, b.lead);
                            if (ids_first) st.exchange(soci::use(b.tenant, "page_tenant"));
                            st.exchange(soci::use(b.limit, "limit"));
                            st.exchange(soci::use(b.offset, "offset"));
                            if (after) {
                                st.exchange(soci::use(b.after_at, "after_at"));
                                st.exchange(soci::use(b.after_id, "after_id"));
                            }
                        }));
            set_filter(q.b);
            q.b.limit = filter.limit + 1;
            q.b.offset = filter.after ? 0 : offset;
            rows.reserve(static_cast<std::size_t>(std::min<long long>(filter.limit + 1, 1000)));
            q.st.execute();
            while (q.st.fetch()) rows.push_back(std::move(q.b.lead));
        };

        // Kept per (tenant, workspace, status) by every write, one statement for both: the
        // leads, and the flagged ones among them. No COUNT(*) over the workspace.
        // With the workspace's version too (with_version): the stamp a cached total is kept
        // under, read in the same statement (one round trip).
        struct Counted {
            long long leads = 0, listed = 0, version = 0;
        };
        auto counted = [&](bool with_version) {
            std::string sql = "SELECT CAST(COALESCE(SUM(n), 0) AS BIGINT), CAST(COALESCE(SUM(listed), 0) AS BIGINT)";
            if (with_version) {
                sql +=
                    ", (SELECT CAST(COALESCE(SUM(version), 0) AS BIGINT) FROM workspace_versions WHERE tenant_id = "
                    ":version_tenant AND workspace = :version_workspace)";
            }
            sql += " FROM lead_counts WHERE tenant_id = :tenant AND workspace = :workspace";
            if (shape.by_status) sql += " AND status = :status";
            auto& q = prepare(lease, sql, [by_status = shape.by_status, with_version](auto& st, auto& b) {
                st.exchange(soci::into(b.count));
                st.exchange(soci::into(b.listed));
                if (with_version) {
                    st.exchange(soci::into(b.version));
                    st.exchange(soci::use(b.tenant, "version_tenant"));
                    st.exchange(soci::use(b.workspace, "version_workspace"));
                }
                st.exchange(soci::use(b.tenant, "tenant"));
                st.exchange(soci::use(b.workspace, "workspace"));
                if (by_status) st.exchange(soci::use(b.status, "status"));
            });
            set_filter(q.b);
            q.b.listed = 0;
            q.b.version = 0;
            const long long leads = steps.single_count(q);
            return Counted{leads, q.b.listed, q.b.version};
        };

        // The filtered total read from the rows: a first page that ends before the limit
        // already says how many match (same snapshot), which spares a selective filter its
        // second pass; else a COUNT.
        auto count_rows = [&](const std::vector<LeadRow>& rows) {
            const auto fetched = static_cast<long long>(rows.size());
            if (!filter.after && filter.limit > 0 && fetched <= filter.limit && (fetched > 0 || offset == 0)) {
                return offset + fetched;
            }
            choose_trigrams();
            auto& q =
                prepare(lease, "SELECT COUNT(*) FROM leads" + lead_filter(shape, dialect_),
                        filter_binder(shape, dialect_, [](auto& st, auto& b) { st.exchange(soci::into(b.count)); }));
            set_filter(q.b);
            return steps.single_count(q);
        };

        lease.begin(dialect_.begin_read);
        ports::LeadPage page;
        std::vector<LeadRow> rows;
        if (!shape.beyond_counters()) {
            // The counts read the same snapshot as the page: the total is exact.
            const Counted totals = counted(false);
            page.total = totals.leads;
            if (shape.do_not_contact) {
                // Sorting up to this many suppressed leads costs less than walking the
                // workspace in order until a page of them turns up.
                shape.from_suppressions = *shape.do_not_contact && totals.listed <= kSortedSuppressedLeads;
                page.total = *shape.do_not_contact ? totals.listed : totals.leads - totals.listed;
            }
            if (filter.limit > 0 && (filter.after || offset < page.total)) fetch_page(rows);
        } else if (shape.by_email) {
            // A look-up: at most one row, whose page is its total.
            if (filter.limit > 0) fetch_page(rows);
            page.total = count_rows(rows);
        } else {
            // The total of this filter in this snapshot, if counted before under the same
            // stamp (decisions.md "Search plans and cached totals").
            const Counted totals = counted(true);
            const CountCache::Stamp stamp{totals.version, totals.leads};
            CountCache::Found found = counts_.find(count_key(filter), stamp);
            if (found.count) {
                page.total = *found.count;
                if (shape.mode != SearchMode::None) {
                    shape.mode = indexable && !walk_is_cheaper(filter, offset, totals.leads, page.total)
                                     ? SearchMode::Trigram
                                     : SearchMode::Walk;
                }
                if (filter.limit > 0 && page.total > 0 && (filter.after || offset < page.total)) fetch_page(rows);
            } else {
                if (filter.limit > 0) fetch_page(rows);
                page.total = count_rows(rows);
                found.claim.store(page.total);
            }
        }
        lease.commit();

        if (auto filled = fill_page(page, rows, filter.limit, to_lead); !filled) return std::move(filled).error();
        return page;
    });
}

std::shared_ptr<TrigramRows> SqlLeadRepository::trigram_rows_for(const std::string& tenant) {
    // SQLite: one table for the one index. PostgreSQL: the tenant's own sample.
    const std::string key = dialect_.trigram_sample.empty() ? std::string() : tenant;
    std::lock_guard lock(trigram_rows_mutex_);
    auto found = trigram_rows_.find(key);
    if (found == trigram_rows_.end()) {
        // Bounded: beyond kTrigramTenants, the others' counts are read again when needed.
        if (trigram_rows_.size() >= kTrigramTenants) trigram_rows_.clear();
        found = trigram_rows_.emplace(key, std::make_shared<TrigramRows>(kTrigramRowsKept, kTrigramRowsTtl)).first;
    }
    return found->second;  // shared: it outlives a clear() while the caller uses it
}

void SqlLeadRepository::reload_trigram_rows(Lease& lease, TrigramRows& counts, const std::string& tenant) {
    try {
        TrigramRows::Table table;
        bool complete = true;
        if (!dialect_.trigram_table.empty()) {
            auto& q = prepare(lease, dialect_.trigram_table, [](auto& st, auto& b) {
                st.exchange(soci::into(b.term));
                st.exchange(soci::into(b.count));
            });
            q.st.execute();
            while (q.st.fetch()) {
                if (table.size() >= counts.capacity()) {
                    complete = false;
                    break;
                }
                table.emplace(q.b.term, q.b.count);
            }
            drain(q);
        } else {
            // Up to kTrigramSample of the tenant's leads, their trigrams counted here: a
            // sample's counts rank the tenant's trigrams as well as an index would.
            auto& q = prepare(lease, dialect_.trigram_sample, [](auto& st, auto& b) {
                st.exchange(soci::into(b.term));
                st.exchange(soci::use(b.tenant, "tenant"));
                st.exchange(soci::use(b.limit, "limit"));
            });
            q.b.tenant = tenant;
            q.b.limit = kTrigramSample;
            q.st.execute();
            while (q.st.fetch()) {
                for (const auto& gram : trigrams(q.b.term, dialect_.alnum_trigrams)) {
                    if (table.size() < counts.capacity() || table.contains(gram)) ++table[gram];
                }
            }
        }
        counts.load(std::move(table), complete, TrigramRows::Clock::now());
    } catch (...) {
        counts.abandon_reload();
        throw;
    }
}

std::vector<std::string> SqlLeadRepository::rarest_trigrams(Lease& lease, const std::string& tenant,
                                                            const std::string& term) {
    if (dialect_.trigram_table.empty() && dialect_.trigram_sample.empty()) return {};
    const std::shared_ptr<TrigramRows> held = trigram_rows_for(tenant);
    TrigramRows& counts = *held;
    bool reloaded = false;
    bool unknown = false;
    auto rows = [&](const std::string& gram) {
        if (!reloaded) {
            reloaded = true;
            if (counts.claim_reload(TrigramRows::Clock::now())) reload_trigram_rows(lease, counts, tenant);
        }
        auto known = counts.find(gram);
        if (!known && !dialect_.trigram_rows.empty()) {
            auto& q = prepare(lease, dialect_.trigram_rows, [](auto& st, auto& b) {
                st.exchange(soci::into(b.count));
                st.exchange(soci::use(b.term, "term"));
            });
            q.b.term = gram;
            known = Steps(lease, dialect_).single_count(q);  // 0 when the index has no such trigram
            counts.store(gram, *known);
        }
        if (!known) unknown = true;
        return known.value_or(0);
    };
    auto picked = pick_trigrams(term, dialect_.alnum_trigrams, rows, kMatchedTrigrams);
    // Nothing known yet (another request is reading the table): the whole term, never a guess.
    if (unknown) return {};
    return picked;
}

Result<ports::ActivityPage> SqlLeadRepository::activities(const ports::LeadKey& key, std::int64_t limit,
                                                          std::int64_t offset,
                                                          const std::optional<ports::ActivityPosition>& after) {
    return run<ports::ActivityPage>(Access::Read, [&](Lease& lease) -> Result<ports::ActivityPage> {
        Steps steps(lease, dialect_);
        lease.begin(dialect_.begin_read);
        auto page = read_activities(lease, steps, key, limit, offset, after);
        if (page) lease.commit();
        return page;
    });
}

Result<std::vector<ports::ImportOutcome>> SqlLeadRepository::import(
    const domain::TenantId& tenant, const domain::WorkspaceSlug& workspace, const std::vector<ports::ImportItem>& items,
    const ports::Completion<std::vector<ports::ImportOutcome>>* completion) {
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
    // Most rows are created: their lead.created is rendered on another thread while the
    // database inserts them, and moved below into the events of the rows that were (a
    // retry, should the first attempt have taken them, renders its own).
    const auto render_created = [&items](std::size_t i) {
        return wire::rendered_events(domain::change_events(nullptr, &items[i].lead, {}));
    };
    std::future<std::vector<std::vector<ports::StoredEvent>>> creations;
    if (!items.empty()) {
        creations = std::async(std::launch::async | std::launch::deferred, [&items, &render_created] {
            std::vector<std::vector<ports::StoredEvent>> rendered(items.size());
            for (std::size_t i = 0; i < items.size(); ++i) rendered[i] = render_created(i);
            return rendered;
        });
    }
    return run<std::vector<Outcome>>(Access::Write, [&](Lease& lease) -> Result<std::vector<Outcome>> {
        Steps steps(lease, dialect_);
        std::vector<Outcome> outcomes(items.size());
        std::vector<std::vector<domain::ChangeEvent>> events(items.size());
        CountDeltas deltas;
        const std::string& tenant_id = tenant.value();
        const std::string& slug = workspace.value();

        const RunOnExit undo_prologue(lease, dialect_.import_finally);
        lease.begin(dialect_.begin_write);
        if (!items.empty()) {
            for (const auto& sql : dialect_.import_prologue) lease.session() << sql;
        }
        if (!items.empty()) steps.lock_suppressions(tenant_id, false);
        // Which rows' emails are listed, read once (the shared lock keeps the list as read).
        std::vector<char> suppressed(items.size(), 0);
        if (!items.empty() && steps.has_suppressions(tenant_id)) {
            std::vector<std::string> hashes;
            hashes.reserve(items.size());
            for (const auto& item : items) hashes.push_back(crypto::email_hash(item.lead.email));
            const auto listed = steps.suppressed_among(tenant_id, hashes);
            for (std::size_t i = 0; i < items.size(); ++i) suppressed[i] = listed.contains(hashes[i]) ? 1 : 0;
        }
        // Rows left for the one-by-one path below: all of them, unless the dialect inserts
        // many at once; then only those whose email was taken (or repeats an earlier row's).
        std::vector<char> one_by_one(items.size(), 1);
        if (!dialect_.insert_leads_batch.empty() && !items.empty()) {
            auto inserted = insert_new_leads(steps, items, order, suppressed, outcomes, one_by_one, deltas);
            if (!inserted) return std::move(inserted).error();
        }
        for (const std::size_t index : order) {
            if (!one_by_one[index]) continue;
            const ports::ImportItem& item = items[index];
            Outcome& outcome = outcomes[index];
            const std::string& email = item.lead.email.value();
            // Insert first: the UNIQUE constraint, not a look-up, says whether the email is
            // new. It sees the rows earlier items inserted, so a duplicate within the
            // request is a duplicate of its first occurrence.
            auto row = to_row(item.lead);
            if (!row) return std::move(row).error();
            auto created = to_row(item.created, item.lead.id);
            if (!created) return std::move(created).error();
            if (suppressed[index]) {
                outcome = Outcome{Kind::Failed, Error::suppressed(), std::nullopt};
                continue;
            }
            if (steps.insert_lead_if_new(*row, *created)) {
                deltas[{slug, row->status}].leads += 1;
                outcome = Outcome{Kind::Created, std::nullopt, std::nullopt};
                continue;
            }
            auto existing = steps.lead_by_email(tenant_id, slug, email, true);
            if (!existing) return Error::unavailable("the email kept changing hands; retry");
            if (!item.merge) {
                outcome = Outcome{Kind::Skipped, std::nullopt, std::nullopt};
                continue;
            }

            auto merged = merge_into(steps, *existing, item.merge, deltas, events[index]);
            if (!merged) return std::move(merged).error();
            outcome = std::move(merged).value();
        }
        // Each row's events in request order: lead.created for the rows created (by either
        // path), the merge's for the rows updated.
        std::vector<std::vector<ports::StoredEvent>> rendered;
        if (creations.valid()) rendered = creations.get();
        std::vector<ports::StoredEvent> changes;
        changes.reserve(items.size());
        for (std::size_t index = 0; index < items.size(); ++index) {
            if (outcomes[index].kind == Kind::Created) {
                auto created = rendered.empty() ? render_created(index) : std::move(rendered[index]);
                std::move(created.begin(), created.end(), std::back_inserter(changes));
            } else {
                auto updated = wire::rendered_events(events[index]);
                std::move(updated.begin(), updated.end(), std::back_inserter(changes));
            }
        }
        wire::stamp_events(changes, clock_.now(), ids_);
        if (!items.empty()) {
            for (const auto& sql : dialect_.import_epilogue) lease.session() << sql;
        }
        steps.record_changes(tenant_id, deltas, changes);
        LeaseReader reader(lease, steps);
        if (auto recorded = steps.complete(completion, outcomes, reader); !recorded) return recorded.error();
        lease.commit();
        if (dialect_.imported) {
            dialect_.imported(static_cast<std::size_t>(std::count_if(
                outcomes.begin(), outcomes.end(), [](const Outcome& o) { return o.kind == Kind::Created; })));
        }
        return outcomes;
    });
}

std::vector<ports::StoredEvent> SqlLeadRepository::stamp(const std::vector<domain::ChangeEvent>& events) {
    if (events.empty()) return {};
    return wire::stored_events(events, clock_.now(), ids_);
}

Result<std::int64_t> SqlLeadRepository::drop_expired_events(const std::string& tenant, domain::Timestamp before) {
    const long long cutoff = millis(before);
    return run<std::int64_t>(Access::Write, [&](Lease& lease) -> Result<std::int64_t> {
        Steps steps(lease, dialect_);
        lease.begin(dialect_.begin_write);
        // Numbering waits meanwhile: what is numbered and what is not stays as read here.
        const long long last = steps.lock_event_sequence(tenant);
        // Only a prefix is dropped (the kept events stay a suffix of the sequence): up to the
        // first event of the batch that is still fresh.
        const auto oldest = steps.oldest_events(tenant, static_cast<long long>(ports::kEventDropBatch));
        std::int64_t dropped = 0;
        bool fresh_kept = oldest.size() == ports::kEventDropBatch;
        for (const auto& [sequence, ts] : oldest) {
            if (ts >= cutoff) {
                fresh_kept = true;
                break;
            }
            ++dropped;
        }
        if (dropped > 0) steps.drop_events_before(tenant, oldest[static_cast<std::size_t>(dropped) - 1].first + 1);
        if (dialect_.number_after_commit && !fresh_kept) {
            // Expired events nobody numbered (no reader, no webhook): they go unnumbered and
            // take the next numbers.
            const std::string below = domain::EventId::generate(before, domain::Entropy{}).value();
            const long long unnumbered = steps.drop_unnumbered_events(tenant, cutoff, below);
            if (unnumbered > 0) steps.set_event_sequence(tenant, last + unnumbered);
            dropped += unnumbered;
        }
        lease.commit();
        return dropped;
    });
}

Result<void> SqlLeadRepository::number_events(const std::string& tenant, bool all) {
    if (!dialect_.number_after_commit) return {};
    return run<void>(Access::Write, [&](Lease& lease) -> Result<void> {
        Steps(lease, dialect_).number_events(tenant, all);
        return {};
    });
}

Result<ports::EventPage> SqlLeadRepository::events(const ports::EventQuery& query) {
    // What has committed is numbered first: the page shows numbered events only.
    if (auto numbered = number_events(query.tenant.value()); !numbered) return numbered.error();
    // Cheap when nothing has expired: one index probe of the oldest event.
    bool expired_kept = false;
    auto probed = run<void>(Access::Read, [&](Lease& lease) -> Result<void> {
        const auto oldest = Steps(lease, dialect_).oldest_events(query.tenant.value(), 1);
        expired_kept = !oldest.empty() && oldest.front().second < millis(query.drop_before);
        return {};
    });
    if (!probed) return std::move(probed).error();
    if (expired_kept) {
        if (auto dropped = drop_expired_events(query.tenant.value(), query.drop_before); !dropped) {
            return dropped.error();
        }
    }
    return run<ports::EventPage>(Access::Read, [&](Lease& lease) -> Result<ports::EventPage> {
        Steps steps(lease, dialect_);
        // One snapshot: the expiry check and the page agree.
        lease.begin(dialect_.begin_read);
        ports::EventPage page;
        const auto oldest = steps.oldest_events(query.tenant.value(), 1);
        const long long oldest_kept =
            oldest.empty() ? steps.last_event_sequence(query.tenant.value()) + 1 : oldest.front().first;
        if (query.after && *query.after < oldest_kept - 1) {
            lease.commit();
            page.expired = true;
            return page;
        }
        auto rows = steps.events_after(query, query.after.value_or(0));
        lease.commit();
        if (static_cast<std::int64_t>(rows.size()) > query.limit) {
            page.more = true;
            rows.resize(static_cast<std::size_t>(query.limit));
        }
        page.items.reserve(rows.size());
        for (const EventRow& row : rows) {
            auto event = to_event(row);
            if (!event) return std::move(event).error();
            page.items.push_back(std::move(event).value());
        }
        return page;
    });
}

Result<void> SqlLeadRepository::ping() {
    return run<void>(Access::Read, [&](Lease& lease) -> Result<void> {
        auto& q = prepare(lease, "SELECT 1", [](auto& st, auto& b) { st.exchange(soci::into(b.count)); });
        Steps(lease, dialect_).single_count(q);
        return {};
    });
}

Result<ports::SuppressionAdded> SqlLeadRepository::add_suppression(
    const domain::TenantId& tenant, const domain::Email& email, const domain::SuppressionDraft& draft,
    const ports::Completion<ports::SuppressionAdded>* completion) {
    const SuppressionRow entry = suppression_row(tenant.value(), crypto::email_hash(email), draft);
    return run<ports::SuppressionAdded>(Access::Write, [&](Lease& lease) -> Result<ports::SuppressionAdded> {
        Steps steps(lease, dialect_);
        lease.begin(dialect_.begin_write);
        steps.lock_suppressions(entry.tenant, true);
        const bool created = steps.insert_suppression(entry);
        if (created) {
            CountDeltas deltas;
            steps.flag_leads(entry.tenant, entry.email_hash, true, deltas);
            steps.record_changes(entry.tenant, deltas);
        }
        auto stored =
            created ? std::optional<SuppressionRow>(entry) : steps.suppression_by_hash(entry.tenant, entry.email_hash);
        if (!stored) return Error::unavailable("the suppression list changed meanwhile; retry");
        auto suppression = to_suppression(*stored);
        if (!suppression) return std::move(suppression).error();
        ports::SuppressionAdded added{std::move(suppression).value(), created};
        LeaseReader reader(lease, steps);
        if (auto recorded = steps.complete(completion, added, reader); !recorded) return recorded.error();
        lease.commit();
        return added;
    });
}

Result<ports::ClaimOutcome> SqlLeadRepository::claim_idempotency(const ports::IdempotencyRequest& request) {
    using ports::ClaimState;
    return run<ports::ClaimOutcome>(Access::Write, [&](Lease& lease) -> Result<ports::ClaimOutcome> {
        Steps steps(lease, dialect_);
        const IdempotencyRow claim{.tenant = request.tenant.value(),
                                   .key = request.key,
                                   .fingerprint = request.fingerprint,
                                   .token = request.token,
                                   .claimed_at = millis(request.now),
                                   .expires_at = millis(request.expires_at)};
        // Twice at most: a row that vanishes between the insert and the read (purged,
        // released) is claimed on the second pass.
        for (int attempt = 0; attempt < 2; ++attempt) {
            lease.begin(dialect_.claim_begin);
            // The common case first: a free key is claimed by one statement. On PostgreSQL
            // an insert racing another's uncommitted claim waits for it, then does nothing.
            if (steps.insert_claim(claim)) {
                lease.commit();
                return ports::ClaimOutcome{ClaimState::Claimed, {}};
            }
            const auto row = steps.idempotency_row(claim.tenant, claim.key);
            if (!row) {
                lease.rollback();
                continue;
            }
            if (row->expires_at > claim.claimed_at) {
                if (row->fingerprint != claim.fingerprint) {
                    lease.commit();
                    return ports::ClaimOutcome{ClaimState::Reused, {}};
                }
                if (row->status_ind == soci::i_ok) {
                    lease.commit();
                    return ports::ClaimOutcome{
                        ClaimState::Replay,
                        ports::IdempotentAnswer{.status = row->status,
                                                .body = row->body_ind == soci::i_ok ? row->body : std::string(),
                                                .location = row->location_ind == soci::i_ok ? row->location : "",
                                                .etag = row->etag_ind == soci::i_ok ? row->etag : ""}};
                }
                if (row->claimed_at >= millis(request.stale_before)) {
                    lease.commit();
                    return ports::ClaimOutcome{ClaimState::InProgress, {}};
                }
            }
            // Expired, or a claim whose request died before it answered: taken over.
            steps.replace_claim(claim);
            lease.commit();
            return ports::ClaimOutcome{ClaimState::Claimed, {}};
        }
        return ports::ClaimOutcome{ClaimState::InProgress, {}};
    });
}

Result<void> SqlLeadRepository::finish_idempotency(const ports::IdempotencyRecord& record,
                                                   const ports::IdempotentAnswer& answer) {
    return run<void>(Access::Write, [&](Lease& lease) -> Result<void> {
        Steps steps(lease, dialect_);
        lease.begin(dialect_.begin_write);
        if (!steps.complete_claim(record, answer)) {
            return Error::unavailable("the idempotency key was taken over by another request");
        }
        lease.commit();
        return {};
    });
}

Result<void> SqlLeadRepository::release_idempotency(const ports::IdempotencyRecord& record) {
    return run<void>(Access::Write, [&](Lease& lease) -> Result<void> {
        auto& q = prepare(lease,
                          "DELETE FROM idempotency_keys WHERE tenant_id = :tenant AND idem_key = :key AND token = "
                          ":token AND status IS NULL",
                          [](auto& st, auto& b) {
                              st.exchange(soci::use(b.idempotency.tenant, "tenant"));
                              st.exchange(soci::use(b.idempotency.key, "key"));
                              st.exchange(soci::use(b.idempotency.token, "token"));
                          });
        q.b.idempotency.tenant = record.tenant.value();
        q.b.idempotency.key = record.key;
        q.b.idempotency.token = record.token;
        q.st.execute(true);
        return {};
    });
}

Result<std::int64_t> SqlLeadRepository::purge_idempotency(const domain::TenantId& tenant, domain::Timestamp now,
                                                          std::int64_t limit) {
    return run<std::int64_t>(Access::Write, [&](Lease& lease) -> Result<std::int64_t> {
        // A bounded batch per call, through the tenant's expiry index: a short write, never
        // a long lock on the table.
        auto& q = prepare(lease,
                          "DELETE FROM idempotency_keys WHERE tenant_id = :tenant AND idem_key IN (SELECT idem_key "
                          "FROM idempotency_keys WHERE tenant_id = :inner_tenant AND expires_at <= :now LIMIT :limit)",
                          [](auto& st, auto& b) {
                              st.exchange(soci::use(b.tenant, "tenant"));
                              st.exchange(soci::use(b.tenant, "inner_tenant"));
                              st.exchange(soci::use(b.at, "now"));
                              st.exchange(soci::use(b.limit, "limit"));
                          });
        q.b.tenant = tenant.value();
        q.b.at = millis(now);
        q.b.limit = limit;
        q.st.execute(true);
        return static_cast<std::int64_t>(q.st.get_affected_rows());
    });
}

Result<domain::Suppression> SqlLeadRepository::find_suppression(const domain::TenantId& tenant,
                                                                const domain::Email& email) {
    return run<domain::Suppression>(Access::Read, [&](Lease& lease) -> Result<domain::Suppression> {
        auto row = Steps(lease, dialect_).suppression_by_hash(tenant.value(), crypto::email_hash(email));
        if (!row) return domain::no_such_suppression();
        return to_suppression(*row);
    });
}

Result<domain::Suppression> SqlLeadRepository::find_suppression(const domain::TenantId& tenant,
                                                                const domain::SuppressionId& id) {
    return run<domain::Suppression>(Access::Read, [&](Lease& lease) -> Result<domain::Suppression> {
        auto row = Steps(lease, dialect_).suppression_by_id(tenant.value(), id.value());
        if (!row) return domain::no_such_suppression();
        return to_suppression(*row);
    });
}

Result<ports::SuppressionPage> SqlLeadRepository::list_suppressions(
    const domain::TenantId& tenant, std::int64_t limit, const std::optional<ports::SuppressionPosition>& after) {
    return run<ports::SuppressionPage>(Access::Read, [&](Lease& lease) -> Result<ports::SuppressionPage> {
        Steps steps(lease, dialect_);
        lease.begin(dialect_.begin_read);
        ports::SuppressionPage page;
        auto& count =
            prepare(lease, "SELECT COUNT(*) FROM suppressions WHERE tenant_id = :tenant", [](auto& st, auto& b) {
                st.exchange(soci::into(b.count));
                st.exchange(soci::use(b.tenant, "tenant"));
            });
        count.b.tenant = tenant.value();
        page.total = steps.single_count(count);

        // Keyset: the rows strictly after the position in (created_at desc, id desc) order;
        // one more than the page says whether more follow.
        const std::string sql = "SELECT " + kSuppressionColumns + " FROM suppressions WHERE tenant_id = :tenant" +
                                (after ? " AND (created_at, id) < (:at, :id)" : "") +
                                " ORDER BY created_at DESC, id DESC LIMIT :limit";
        const bool keyset = after.has_value();
        auto& q = prepare(lease, sql, [keyset](auto& st, auto& b) {
            into_suppression(st, b.suppression);
            st.exchange(soci::use(b.tenant, "tenant"));
            if (keyset) {
                st.exchange(soci::use(b.at, "at"));
                st.exchange(soci::use(b.id, "id"));
            }
            st.exchange(soci::use(b.limit, "limit"));
        });
        q.b.tenant = tenant.value();
        if (after) {
            q.b.at = millis(after->created_at);
            q.b.id = after->id.value();
        }
        q.b.limit = limit + 1;
        std::vector<SuppressionRow> rows;
        q.st.execute();
        while (q.st.fetch()) rows.push_back(q.b.suppression);
        lease.commit();

        if (auto filled = fill_page(page, rows, limit, to_suppression); !filled) return std::move(filled).error();
        return page;
    });
}

Result<void> SqlLeadRepository::remove_suppression(const domain::TenantId& tenant, const domain::SuppressionId& id) {
    return run<void>(Access::Write, [&](Lease& lease) -> Result<void> {
        Steps steps(lease, dialect_);
        lease.begin(dialect_.begin_write);
        auto entry = steps.suppression_by_id(tenant.value(), id.value());
        if (!entry) return domain::no_such_suppression();
        auto& q = prepare(lease, "DELETE FROM suppressions WHERE tenant_id = :tenant AND id = :id", bind_tenant_id);
        q.b.tenant = tenant.value();
        q.b.id = id.value();
        q.st.execute(true);
        CountDeltas deltas;
        steps.flag_leads(entry->tenant, entry->email_hash, false, deltas);
        steps.record_changes(entry->tenant, deltas);
        lease.commit();
        return {};
    });
}

std::function<PoolStats()> pool_stats_reader(const ports::LeadRepository& repository) {
    const auto* sql = dynamic_cast<const SqlLeadRepository*>(&repository);
    if (sql == nullptr) return {};
    return [pool = sql->pool(), queued = sql->queued_creates()] {
        return PoolStats{pool->size(), pool->in_use(), pool->connected(), queued->load(std::memory_order_relaxed)};
    };
}

}  // namespace leads::adapters::sql
