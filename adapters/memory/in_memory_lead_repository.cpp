#include "adapters/memory/in_memory_lead_repository.hpp"

#include <algorithm>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <vector>

#include "adapters/crypto/email_hash.hpp"
#include "adapters/system/random_id_generator.hpp"
#include "adapters/system/system_clock.hpp"
#include "adapters/wire/json_writer.hpp"
#include "domain/event.hpp"
#include "ports/lead_mutation.hpp"

namespace leads::adapters::memory {

using domain::Activity;
using domain::Error;
using domain::Lead;
using domain::Result;
using domain::Timestamp;

namespace {

using WorkspaceKey = std::pair<std::string, std::string>;            // (tenant, workspace)
using EmailKey = std::tuple<std::string, std::string, std::string>;  // (tenant, workspace, email)
using OrderKey = std::pair<Timestamp, std::string>;                  // (created_at, id)

WorkspaceKey workspace_key(const Lead& lead) { return {lead.tenant.value(), lead.workspace.value()}; }

EmailKey email_key(const Lead& lead) { return {lead.tenant.value(), lead.workspace.value(), lead.email.value()}; }

bool visible(const Lead& lead, const ports::LeadKey& key) {
    return lead.tenant == key.tenant && (!key.workspace || *key.workspace == lead.workspace);
}

// A lead's key in the filter's sort order: (created_at or updated_at, id).
OrderKey sort_position(const Lead& lead, ports::LeadSort sort) {
    const ports::LeadPosition position = ports::position_in(lead, sort);
    return {position.at, position.id.value()};
}

bool has_attribute(const Lead& lead, const ports::AttributeEquals& wanted) {
    const auto found = lead.attributes.find(wanted.key);
    return found != lead.attributes.end() && domain::attribute_text(found->second) == wanted.text;
}

// Oldest first, so that readers walk it backwards for newest first.
void insert_sorted(std::vector<Activity>& list, Activity entry) {
    const auto position = std::upper_bound(list.begin(), list.end(), entry, [](const Activity& a, const Activity& b) {
        return std::tie(a.timestamp, a.id) < std::tie(b.timestamp, b.id);
    });
    list.insert(position, std::move(entry));
}

std::int64_t non_negative(std::int64_t value) { return value < 0 ? 0 : value; }

// Sets the key's value, or erases the key when there is none.
template <class Map, class Value>
void assign_or_erase(Map& map, const typename Map::key_type& key, std::optional<Value> value) {
    if (value) {
        map.insert_or_assign(key, std::move(*value));
    } else {
        map.erase(key);
    }
}

// One tenant's suppression list: entries by email hash, and the walk order.
struct SuppressionList {
    std::unordered_map<std::string, domain::Suppression> by_hash;
    std::set<OrderKey> order;                              // (created_at, id), oldest first
    std::unordered_map<std::string, std::string> hash_of;  // id -> email hash

    const domain::Suppression* find_id(const std::string& id) const {
        const auto hash = hash_of.find(id);
        return hash == hash_of.end() ? nullptr : &by_hash.at(hash->second);
    }

    void remove(const domain::Suppression& entry) {
        order.erase(OrderKey{entry.created_at, entry.id.value()});
        const std::string hash = entry.email_hash;
        hash_of.erase(entry.id.value());
        by_hash.erase(hash);
    }
};

struct IdempotencyEntry {
    std::string fingerprint;
    std::string token;
    std::optional<ports::IdempotentAnswer> answer;  // set once final
    Timestamp claimed_at;
    Timestamp expires_at;
};

// One tenant's change events: the last sequence given, and the kept ones, oldest first.
struct EventLog {
    std::int64_t last = 0;
    std::deque<ports::StoredEvent> kept;

    // Retention: the events recorded before `before`, a bounded batch. How many went.
    std::int64_t drop_before(Timestamp before) {
        std::size_t dropped = 0;
        while (!kept.empty() && kept.front().timestamp < before && dropped < ports::kEventDropBatch) {
            kept.pop_front();
            ++dropped;
        }
        return static_cast<std::int64_t>(dropped);
    }
};

// An endpoint, and the last event sequence fanned out to it.
struct WebhookEntry {
    ports::Webhook webhook;
    std::int64_t position = 0;
};

struct DeliveryEntry {
    ports::WebhookDelivery delivery;
    Timestamp claimed_until{};
};

using WebhookKey = std::pair<std::string, std::string>;                  // (tenant, webhook id)
using DeliveryKey = std::tuple<std::string, std::string, std::int64_t>;  // (tenant, webhook id, sequence)

domain::Error no_such_webhook() { return Error::not_found("No such webhook."); }

struct Store {
    std::unordered_map<std::string, Lead> leads;                                  // by id
    std::unordered_map<std::string, std::vector<Activity>> activities;            // by lead id, oldest first
    std::map<EmailKey, std::string> emails;                                       // the id holding each email
    std::map<WorkspaceKey, std::set<OrderKey>> order;                             // oldest first
    std::map<std::string, SuppressionList> suppressions;                          // by tenant
    std::map<std::pair<std::string, std::string>, IdempotencyEntry> idempotency;  // by (tenant, key)
    std::map<std::string, EventLog> events;                                       // by tenant
    std::map<WebhookKey, WebhookEntry> webhooks;
    std::map<DeliveryKey, DeliveryEntry> deliveries;

    const ports::StoredEvent* event(const std::string& tenant, std::int64_t sequence) const {
        const auto log = events.find(tenant);
        if (log == events.end()) return nullptr;
        const auto& kept = log->second.kept;
        const auto found =
            std::lower_bound(kept.begin(), kept.end(), sequence,
                             [](const ports::StoredEvent& event, std::int64_t at) { return event.sequence < at; });
        return found != kept.end() && found->sequence == sequence ? &*found : nullptr;
    }

    std::int64_t last_sequence(const std::string& tenant) const {
        const auto log = events.find(tenant);
        return log == events.end() ? 0 : log->second.last;
    }

    // The running claim a completion names, or null when it is no longer this request's.
    IdempotencyEntry* claim_of(const ports::IdempotencyRecord& record) {
        const auto found = idempotency.find({record.tenant.value(), record.key});
        if (found == idempotency.end() || found->second.answer || found->second.token != record.token) return nullptr;
        return &found->second;
    }

    const Lead* visible_lead(const ports::LeadKey& key) const {
        const auto found = leads.find(key.id.value());
        if (found == leads.end() || !visible(found->second, key)) return nullptr;
        return &found->second;
    }

    bool suppressed(const domain::TenantId& tenant, const domain::Email& email) const {
        const auto list = suppressions.find(tenant.value());
        return list != suppressions.end() && list->second.by_hash.contains(crypto::email_hash(email));
    }

    // The lead as a read returns it: with do_not_contact as the list says now.
    Lead as_read(Lead lead) const {
        lead.do_not_contact = suppressed(lead.tenant, lead.email);
        return lead;
    }

    ports::SuppressionAdded add_suppression(const domain::TenantId& tenant, const domain::Email& email,
                                            const domain::SuppressionDraft& draft) {
        SuppressionList& list = suppressions[tenant.value()];
        std::string hash = crypto::email_hash(email);
        if (const auto found = list.by_hash.find(hash); found != list.by_hash.end()) return {found->second, false};
        domain::Suppression entry{.id = draft.id,
                                  .tenant = tenant,
                                  .email_hash = hash,
                                  .reason = draft.reason,
                                  .created_at = draft.created_at};
        list.order.emplace(entry.created_at, entry.id.value());
        list.hash_of.emplace(entry.id.value(), hash);
        list.by_hash.emplace(std::move(hash), entry);
        return {std::move(entry), true};
    }
};

// Changes made on top of a Store and applied to it only by commit(), so that a failed
// write (or an exception thrown by a mutation) leaves the store as it was.
class Staging {
  public:
    explicit Staging(const Store& base) : base_(base) {}

    const Lead* lead(const std::string& id) const {
        if (const auto staged = leads_.find(id); staged != leads_.end()) return &staged->second;
        if (const auto stored = base_.leads.find(id); stored != base_.leads.end()) return &stored->second;
        return nullptr;
    }

    bool suppressed(const Lead& lead) const { return base_.suppressed(lead.tenant, lead.email); }

    std::optional<std::string> holder(const EmailKey& key) const {
        if (const auto staged = emails_.find(key); staged != emails_.end()) return staged->second;
        if (const auto stored = base_.emails.find(key); stored != base_.emails.end()) return stored->second;
        return std::nullopt;
    }

    // previous: the lead as it is now, or null for a new one.
    void put(Lead lead, const Lead* previous) {
        if (previous != nullptr && !(previous->email == lead.email)) emails_[email_key(*previous)] = std::nullopt;
        emails_[email_key(lead)] = lead.id.value();
        std::string id = lead.id.value();
        leads_.insert_or_assign(std::move(id), std::move(lead));
    }

    void append(const domain::LeadId& lead_id, std::vector<Activity> entries) {
        auto& list = activities_[lead_id.value()];
        for (Activity& entry : entries) {
            entry.lead_id = lead_id;
            list.push_back(std::move(entry));
        }
    }

    void commit(Store& store) && {
        for (auto& [id, lead] : leads_) {
            const auto stored = store.leads.find(id);
            if (stored == store.leads.end()) {
                store.order[workspace_key(lead)].emplace(lead.created_at, id);
                store.leads.emplace(id, std::move(lead));
            } else {
                stored->second = std::move(lead);
            }
        }
        for (auto& [key, id] : emails_) assign_or_erase(store.emails, key, std::move(id));
        for (auto& [id, entries] : activities_) {
            auto& list = store.activities[id];
            for (Activity& entry : entries) insert_sorted(list, std::move(entry));
        }
    }

    // What commit is about to change, and the tenant's events as they are: to put back
    // should the write's idempotent answer refuse it.
    class Undo {
      public:
        // noexcept: a store half put back is worse than a process that stops.
        void apply(Store& store) && noexcept {
            for (auto& [id, previous] : leads_) {
                if (previous) {
                    store.leads.insert_or_assign(id, std::move(*previous));
                    continue;
                }
                const auto added = store.leads.find(id);
                if (added == store.leads.end()) continue;
                const auto order = store.order.find(workspace_key(added->second));
                if (order != store.order.end()) {
                    order->second.erase(OrderKey{added->second.created_at, id});
                    if (order->second.empty()) store.order.erase(order);
                }
                store.leads.erase(added);
            }
            for (auto& [key, holder] : emails_) assign_or_erase(store.emails, key, std::move(holder));
            for (auto& [id, entries] : activities_) assign_or_erase(store.activities, id, std::move(entries));
            if (!had_events_) {
                store.events.erase(tenant_);
                return;
            }
            EventLog& log = store.events[tenant_];
            while (log.kept.size() > events_kept_) log.kept.pop_back();
            log.last = events_last_;
        }

      private:
        friend class Staging;
        std::vector<std::pair<std::string, std::optional<Lead>>> leads_;  // nullopt: new
        std::vector<std::pair<EmailKey, std::optional<std::string>>> emails_;
        std::vector<std::pair<std::string, std::optional<std::vector<Activity>>>> activities_;
        std::string tenant_;
        bool had_events_ = false;
        std::size_t events_kept_ = 0;
        std::int64_t events_last_ = 0;
    };

    Undo undo(const std::string& tenant) const {
        Undo undo;
        for (const auto& [id, lead] : leads_) {
            const auto stored = base_.leads.find(id);
            undo.leads_.emplace_back(id, stored == base_.leads.end() ? std::nullopt : std::optional(stored->second));
        }
        for (const auto& [key, holder] : emails_) {
            const auto stored = base_.emails.find(key);
            undo.emails_.emplace_back(key, stored == base_.emails.end() ? std::nullopt : std::optional(stored->second));
        }
        for (const auto& [id, entries] : activities_) {
            const auto stored = base_.activities.find(id);
            undo.activities_.emplace_back(
                id, stored == base_.activities.end() ? std::nullopt : std::optional(stored->second));
        }
        undo.tenant_ = tenant;
        if (const auto log = base_.events.find(tenant); log != base_.events.end()) {
            undo.had_events_ = true;
            undo.events_kept_ = log->second.kept.size();
            undo.events_last_ = log->second.last;
        }
        return undo;
    }

  private:
    const Store& base_;
    std::map<std::string, Lead> leads_;
    std::map<EmailKey, std::optional<std::string>> emails_;  // nullopt: no longer held
    std::map<std::string, std::vector<Activity>> activities_;
};

// Runs mutate on a copy of current and stages the outcome, adding its events to events.
// Nothing is staged on error.
Result<Lead> stage_mutation(Staging& staging, const Lead& current, const ports::LeadMutation& mutate,
                            std::vector<domain::ChangeEvent>& events) {
    auto mutated = ports::apply_mutation(mutate, current);
    if (!mutated) return std::move(mutated).error();
    Lead& lead = mutated->lead;
    if (mutated->rewrite) {
        if (!(lead.email == current.email)) {
            const auto holder = staging.holder(email_key(lead));
            if (holder && *holder != lead.id.value()) return Error::duplicate_email(*holder);
            if (staging.suppressed(lead)) return Error::suppressed();
        }
        staging.put(lead, &current);
    }
    // The lead before and after as a read would show them (do_not_contact as listed now).
    Lead before = current;
    before.do_not_contact = staging.suppressed(current);
    lead.do_not_contact = staging.suppressed(lead);
    auto changes = domain::change_events(&before, &lead, mutated->entries);
    events.insert(events.end(), std::make_move_iterator(changes.begin()), std::make_move_iterator(changes.end()));
    staging.append(lead.id, std::move(mutated->entries));
    return std::move(lead);
}

bool matches_filter(const Store& store, const Lead& lead, const ports::LeadFilter& filter) {
    const auto later = [](Timestamp at, const std::optional<Timestamp>& bound) { return !bound || at > *bound; };
    const auto earlier = [](Timestamp at, const std::optional<Timestamp>& bound) { return !bound || at < *bound; };
    if (filter.status && lead.status != *filter.status) return false;
    if (filter.email && lead.email.value() != *filter.email) return false;
    if (!later(lead.created_at, filter.created_after) || !earlier(lead.created_at, filter.created_before)) return false;
    if (!later(lead.updated_at, filter.updated_after) || !earlier(lead.updated_at, filter.updated_before)) return false;
    for (const auto& wanted : filter.attributes) {
        if (!has_attribute(lead, wanted)) return false;
    }
    if (filter.search && domain::search_text(lead).find(*filter.search) == std::string::npos) return false;
    return !filter.do_not_contact || store.suppressed(lead.tenant, lead.email) == *filter.do_not_contact;
}

Result<ports::ActivityPage> activity_page(const Store& store, const ports::LeadKey& key, std::int64_t limit,
                                          std::int64_t offset, const std::optional<ports::ActivityPosition>& after) {
    if (store.visible_lead(key) == nullptr) return Error::not_found();
    ports::ActivityPage page;
    const auto found = store.activities.find(key.id.value());
    if (found == store.activities.end()) return page;
    const std::vector<Activity>& list = found->second;
    page.total = static_cast<std::int64_t>(list.size());
    auto first = list.rbegin() + static_cast<std::ptrdiff_t>(std::min(non_negative(offset), page.total));
    if (after) {
        const OrderKey position{after->at, after->id.value()};
        first = std::find_if(list.rbegin(), list.rend(), [&](const Activity& entry) {
            return OrderKey{entry.timestamp, entry.id.value()} < position;
        });
    }
    const auto available = static_cast<std::size_t>(list.rend() - first);
    const auto take = std::min(static_cast<std::size_t>(non_negative(limit)), available);
    page.items.assign(first, first + static_cast<std::ptrdiff_t>(take));
    page.more = take < available;
    return page;
}

// Reads of the store while the writer holds the lock.
class StoreReader final : public ports::TransactionReader {
  public:
    explicit StoreReader(const Store& store) : store_(store) {}
    Result<ports::ActivityPage> recent_activity(const ports::LeadKey& key, std::int64_t limit) override {
        return activity_page(store_, key, limit, 0, std::nullopt);
    }

  private:
    const Store& store_;
};

// Checked before the effect is applied (under the writer's lock): the claim must still be
// this request's.
template <class Outcome>
Result<void> check_claim(Store& store, const ports::Completion<Outcome>* completion) {
    if (completion != nullptr && store.claim_of(completion->record) == nullptr) {
        return Error::unavailable("the idempotency key was taken over by another request; retry");
    }
    return {};
}

// Records the completion's answer for the outcome just applied (same lock: nothing sees the
// effect without its record).
template <class Outcome>
Result<void> record_answer(Store& store, const ports::Completion<Outcome>* completion, const Outcome& outcome) {
    if (completion == nullptr) return {};
    StoreReader reader(store);
    auto answer = completion->answer(outcome, reader);
    if (!answer) return std::move(answer).error();
    if (*answer) store.claim_of(completion->record)->answer = std::move(**answer);
    return {};
}

// Staging::undo for a write with an answer to record (none without one: nothing to undo).
template <class Outcome>
std::optional<Staging::Undo> undo_for(const Staging& staging, const ports::Completion<Outcome>* completion,
                                      const domain::TenantId& tenant) {
    if (completion == nullptr) return std::nullopt;
    return staging.undo(tenant.value());
}

// record_answer, after the write's commit: an answer that refuses (or throws) runs undo,
// which puts the write back as the SQL backends' rollback does.
template <class Outcome, class Undo>
Result<void> record_or_undo(Store& store, const ports::Completion<Outcome>* completion, const Outcome& outcome,
                            Undo&& undo) {
    Result<void> recorded;
    try {
        recorded = record_answer(store, completion, outcome);
    } catch (...) {
        undo();
        throw;
    }
    if (!recorded) undo();
    return recorded;
}

// The same for a write committed from a Staging (its Staging::undo, when it took one).
template <class Outcome>
Result<void> record_or_undo(Store& store, const ports::Completion<Outcome>* completion, const Outcome& outcome,
                            std::optional<Staging::Undo>& undo) {
    return record_or_undo(store, completion, outcome, [&]() noexcept {
        if (undo) std::move(*undo).apply(store);
    });
}

}  // namespace

struct InMemoryLeadRepository::State {
    Store store;
    system::RandomIdGenerator ids;
    system::SystemClock clock;

    // Numbers the change's events after the tenant's last and keeps them (the caller holds
    // the writer's lock: commit order).
    void record(const domain::TenantId& tenant, const std::vector<domain::ChangeEvent>& changes) {
        if (changes.empty()) return;
        EventLog& log = store.events[tenant.value()];
        for (ports::StoredEvent& event : wire::stored_events(changes, clock.now(), ids)) {
            event.sequence = ++log.last;
            log.kept.push_back(std::move(event));
        }
    }
};

InMemoryLeadRepository::InMemoryLeadRepository() : state_(std::make_unique<State>()) {}

InMemoryLeadRepository::~InMemoryLeadRepository() = default;

Result<void> InMemoryLeadRepository::insert(const Lead& lead, const Activity& created,
                                            const ports::Completion<Lead>* completion) {
    std::unique_lock lock(mutex_);
    Store& store = state_->store;
    if (auto claimed = check_claim(store, completion); !claimed) return claimed;
    if (store.leads.contains(lead.id.value())) return Error::internal("lead id already in use");
    if (store.suppressed(lead.tenant, lead.email)) return Error::suppressed();
    if (const auto holder = store.emails.find(email_key(lead)); holder != store.emails.end()) {
        return Error::duplicate_email(holder->second);
    }
    Staging staging(store);
    staging.put(lead, nullptr);
    staging.append(lead.id, {created});
    auto undo = undo_for(staging, completion, lead.tenant);
    std::move(staging).commit(store);
    const Lead read = store.as_read(lead);
    state_->record(lead.tenant, domain::change_events(nullptr, &read, {}));
    return record_or_undo(store, completion, read, undo);
}

Result<Lead> InMemoryLeadRepository::find(const ports::LeadKey& key) {
    std::shared_lock lock(mutex_);
    const Lead* lead = state_->store.visible_lead(key);
    if (lead == nullptr) return Error::not_found();
    return state_->store.as_read(*lead);
}

Result<ports::LeadWithActivity> InMemoryLeadRepository::find_with_activity(const ports::LeadKey& key,
                                                                           std::int64_t limit) {
    std::shared_lock lock(mutex_);
    const Lead* lead = state_->store.visible_lead(key);
    if (lead == nullptr) return Error::not_found();
    auto page = activity_page(state_->store, key, limit, 0, std::nullopt);
    if (!page) return std::move(page).error();
    return ports::LeadWithActivity{state_->store.as_read(*lead), std::move(page).value()};
}

Result<Lead> InMemoryLeadRepository::update(const ports::LeadKey& key, const ports::LeadMutation& mutate,
                                            const ports::Completion<Lead>* completion) {
    std::unique_lock lock(mutex_);
    Store& store = state_->store;
    if (auto claimed = check_claim(store, completion); !claimed) return claimed.error();
    const Lead* current = store.visible_lead(key);
    if (current == nullptr) return Error::not_found();
    Staging staging(store);
    std::vector<domain::ChangeEvent> events;
    auto stored = stage_mutation(staging, *current, mutate, events);
    if (!stored) return stored;
    auto undo = undo_for(staging, completion, key.tenant);
    std::move(staging).commit(store);
    state_->record(key.tenant, events);
    Lead read = store.as_read(std::move(stored).value());
    if (auto recorded = record_or_undo(store, completion, read, undo); !recorded) return recorded.error();
    return read;
}

Result<void> InMemoryLeadRepository::remove(const ports::LeadKey& key,
                                            const std::optional<domain::SuppressionDraft>& suppress) {
    std::unique_lock lock(mutex_);
    Store& store = state_->store;
    const Lead* lead = store.visible_lead(key);
    if (lead == nullptr) return Error::not_found();
    if (suppress) store.add_suppression(lead->tenant, lead->email, *suppress);
    const std::string id = lead->id.value();
    // Erasure reaches the events (CONTRACT §8): every kept one about the lead loses its data.
    for (ports::StoredEvent& event : store.events[key.tenant.value()].kept) {
        if (event.lead_id == lead->id) event.data = ports::kErasedEventData;
    }
    state_->record(key.tenant, domain::change_events(lead, nullptr, {}));
    store.emails.erase(email_key(*lead));
    if (const auto order = store.order.find(workspace_key(*lead)); order != store.order.end()) {
        order->second.erase(OrderKey{lead->created_at, id});
        if (order->second.empty()) store.order.erase(order);
    }
    store.activities.erase(id);
    store.leads.erase(id);
    return {};
}

Result<ports::LeadPage> InMemoryLeadRepository::list(const ports::LeadFilter& filter) {
    std::shared_lock lock(mutex_);
    const Store& store = state_->store;
    ports::LeadPage page;
    const auto order = store.order.find(WorkspaceKey{filter.tenant.value(), filter.workspace.value()});
    if (order == store.order.end()) return page;
    // Every match, newest first; then the filter's order (the keys are unique: id breaks ties).
    std::vector<const Lead*> matches;
    for (auto position = order->second.rbegin(); position != order->second.rend(); ++position) {
        const Lead& lead = store.leads.at(position->second);
        if (matches_filter(store, lead, filter)) matches.push_back(&lead);
    }
    page.total = static_cast<std::int64_t>(matches.size());
    const auto sort_key = [&](const Lead& lead) { return sort_position(lead, filter.sort); };
    const bool ascending = ports::sorts_ascending(filter.sort);
    std::stable_sort(matches.begin(), matches.end(), [&](const Lead* a, const Lead* b) {
        return ascending ? sort_key(*a) < sort_key(*b) : sort_key(*b) < sort_key(*a);
    });
    auto first = matches.begin();
    if (filter.after) {
        const OrderKey after{filter.after->at, filter.after->id.value()};
        first = std::find_if(matches.begin(), matches.end(), [&](const Lead* lead) {
            return ascending ? after < sort_key(*lead) : sort_key(*lead) < after;
        });
    } else {
        first += std::min(non_negative(filter.offset), page.total);
    }
    const auto available = static_cast<std::size_t>(matches.end() - first);
    const auto take = std::min(static_cast<std::size_t>(non_negative(filter.limit)), available);
    for (auto lead = first; lead != first + static_cast<std::ptrdiff_t>(take); ++lead) {
        page.items.push_back(store.as_read(**lead));
    }
    page.more = take < available;
    return page;
}

Result<ports::ActivityPage> InMemoryLeadRepository::activities(const ports::LeadKey& key, std::int64_t limit,
                                                               std::int64_t offset,
                                                               const std::optional<ports::ActivityPosition>& after) {
    std::shared_lock lock(mutex_);
    return activity_page(state_->store, key, limit, offset, after);
}

Result<std::vector<ports::ImportOutcome>> InMemoryLeadRepository::import(
    const domain::TenantId& tenant, const domain::WorkspaceSlug& workspace, const std::vector<ports::ImportItem>& items,
    const ports::Completion<std::vector<ports::ImportOutcome>>* completion) {
    std::unique_lock lock(mutex_);
    Store& store = state_->store;
    if (auto claimed = check_claim(store, completion); !claimed) return claimed.error();
    Staging staging(store);
    std::vector<ports::ImportOutcome> outcomes;
    outcomes.reserve(items.size());
    std::vector<domain::ChangeEvent> events;
    for (const ports::ImportItem& item : items) {
        if (!(item.lead.tenant == tenant) || !(item.lead.workspace == workspace)) {
            return Error::internal("an import item belongs to another workspace");
        }
        if (staging.suppressed(item.lead)) {
            outcomes.push_back({ports::ImportOutcomeKind::Failed, Error::suppressed(), std::nullopt});
            continue;
        }
        const auto holder = staging.holder(email_key(item.lead));
        if (!holder) {
            if (staging.lead(item.lead.id.value()) != nullptr) return Error::internal("lead id already in use");
            staging.put(item.lead, nullptr);
            staging.append(item.lead.id, {item.created});
            outcomes.push_back({ports::ImportOutcomeKind::Created, std::nullopt, std::nullopt});
            auto created = domain::change_events(nullptr, &item.lead, {});
            events.insert(events.end(), std::make_move_iterator(created.begin()),
                          std::make_move_iterator(created.end()));
            continue;
        }
        if (!item.merge) {
            outcomes.push_back({ports::ImportOutcomeKind::Skipped, std::nullopt, std::nullopt});
            continue;
        }
        const Lead* current = staging.lead(*holder);
        if (current == nullptr) return Error::internal("the email index names a missing lead");
        std::vector<domain::ChangeEvent> merge_events;
        auto merged = stage_mutation(staging, *current, item.merge, merge_events);
        if (merged) {
            events.insert(events.end(), std::make_move_iterator(merge_events.begin()),
                          std::make_move_iterator(merge_events.end()));
            outcomes.push_back({ports::ImportOutcomeKind::Updated, std::nullopt, std::move(merged).value()});
        } else if (ports::is_row_error(merged.error())) {
            outcomes.push_back({ports::ImportOutcomeKind::Failed, merged.error(), std::nullopt});
        } else {
            return std::move(merged).error();
        }
    }
    auto undo = undo_for(staging, completion, tenant);
    std::move(staging).commit(store);
    state_->record(tenant, events);
    if (auto recorded = record_or_undo(store, completion, outcomes, undo); !recorded) return recorded.error();
    return outcomes;
}

Result<void> InMemoryLeadRepository::ping() { return {}; }

Result<ports::EventPage> InMemoryLeadRepository::events(const ports::EventQuery& query) {
    std::unique_lock lock(mutex_);  // retention drops events
    EventLog& log = state_->store.events[query.tenant.value()];
    log.drop_before(query.drop_before);
    ports::EventPage page;
    const std::int64_t oldest = log.kept.empty() ? log.last + 1 : log.kept.front().sequence;
    if (query.after && *query.after < oldest - 1) {
        page.expired = true;
        return page;
    }
    const std::int64_t after = query.after.value_or(0);
    auto first = std::upper_bound(log.kept.begin(), log.kept.end(), after,
                                  [](std::int64_t at, const ports::StoredEvent& event) { return at < event.sequence; });
    for (auto event = first; event != log.kept.end(); ++event) {
        if (!query.types.empty() &&
            std::find(query.types.begin(), query.types.end(), event->type) == query.types.end()) {
            continue;
        }
        if (query.workspace && !(event->workspace == *query.workspace)) continue;
        if (static_cast<std::int64_t>(page.items.size()) == query.limit) {
            page.more = true;
            break;
        }
        page.items.push_back(*event);
    }
    return page;
}

Result<ports::SuppressionAdded> InMemoryLeadRepository::add_suppression(
    const domain::TenantId& tenant, const domain::Email& email, const domain::SuppressionDraft& draft,
    const ports::Completion<ports::SuppressionAdded>* completion) {
    std::unique_lock lock(mutex_);
    Store& store = state_->store;
    if (auto claimed = check_claim(store, completion); !claimed) return claimed.error();
    ports::SuppressionAdded added = store.add_suppression(tenant, email, draft);
    // A refusing (or throwing) answer takes a new entry off again.
    auto recorded = record_or_undo(store, completion, added, [&]() noexcept {
        if (added.created) store.suppressions[tenant.value()].remove(added.entry);
    });
    if (!recorded) return recorded.error();
    return added;
}

Result<ports::ClaimOutcome> InMemoryLeadRepository::claim_idempotency(const ports::IdempotencyRequest& request) {
    std::unique_lock lock(mutex_);
    auto& records = state_->store.idempotency;
    const auto [found, inserted] = records.try_emplace({request.tenant.value(), request.key});
    IdempotencyEntry& entry = found->second;
    const bool expired = !inserted && entry.expires_at <= request.now;
    const bool abandoned = !inserted && !entry.answer && entry.claimed_at < request.stale_before;
    if (!inserted && !expired) {
        if (entry.fingerprint != request.fingerprint) return ports::ClaimOutcome{ports::ClaimState::Reused, {}};
        if (entry.answer) return ports::ClaimOutcome{ports::ClaimState::Replay, entry.answer};
        if (!abandoned) return ports::ClaimOutcome{ports::ClaimState::InProgress, {}};
    }
    entry = IdempotencyEntry{request.fingerprint, request.token, std::nullopt, request.now, request.expires_at};
    return ports::ClaimOutcome{ports::ClaimState::Claimed, {}};
}

Result<void> InMemoryLeadRepository::finish_idempotency(const ports::IdempotencyRecord& record,
                                                        const ports::IdempotentAnswer& answer) {
    std::unique_lock lock(mutex_);
    IdempotencyEntry* entry = state_->store.claim_of(record);
    if (entry == nullptr) return Error::unavailable("the idempotency key was taken over by another request");
    entry->answer = answer;
    return {};
}

Result<void> InMemoryLeadRepository::release_idempotency(const ports::IdempotencyRecord& record) {
    std::unique_lock lock(mutex_);
    if (state_->store.claim_of(record) != nullptr) state_->store.idempotency.erase({record.tenant.value(), record.key});
    return {};
}

Result<std::int64_t> InMemoryLeadRepository::purge_idempotency(const domain::TenantId& tenant, Timestamp now,
                                                               std::int64_t limit) {
    std::unique_lock lock(mutex_);
    std::int64_t purged = 0;
    auto& records = state_->store.idempotency;
    for (auto it = records.begin(); it != records.end() && purged < limit;) {
        if (it->first.first == tenant.value() && it->second.expires_at <= now) {
            it = records.erase(it);
            ++purged;
        } else {
            ++it;
        }
    }
    return purged;
}

Result<domain::Suppression> InMemoryLeadRepository::find_suppression(const domain::TenantId& tenant,
                                                                     const domain::Email& email) {
    std::shared_lock lock(mutex_);
    const Store& store = state_->store;
    const auto list = store.suppressions.find(tenant.value());
    if (list == store.suppressions.end()) return domain::no_such_suppression();
    const auto entry = list->second.by_hash.find(crypto::email_hash(email));
    if (entry == list->second.by_hash.end()) return domain::no_such_suppression();
    return entry->second;
}

Result<domain::Suppression> InMemoryLeadRepository::find_suppression(const domain::TenantId& tenant,
                                                                     const domain::SuppressionId& id) {
    std::shared_lock lock(mutex_);
    const Store& store = state_->store;
    const auto list = store.suppressions.find(tenant.value());
    if (list == store.suppressions.end()) return domain::no_such_suppression();
    const domain::Suppression* entry = list->second.find_id(id.value());
    if (entry == nullptr) return domain::no_such_suppression();
    return *entry;
}

Result<ports::SuppressionPage> InMemoryLeadRepository::list_suppressions(
    const domain::TenantId& tenant, std::int64_t limit, const std::optional<ports::SuppressionPosition>& after) {
    std::shared_lock lock(mutex_);
    const Store& store = state_->store;
    ports::SuppressionPage page;
    const auto list = store.suppressions.find(tenant.value());
    if (list == store.suppressions.end()) return page;
    const auto& order = list->second.order;
    page.total = static_cast<std::int64_t>(order.size());
    // Newest first: walk backwards from just below the position.
    auto position = after
                        ? std::make_reverse_iterator(order.lower_bound(OrderKey{after->created_at, after->id.value()}))
                        : order.rbegin();
    for (; position != order.rend(); ++position) {
        if (static_cast<std::int64_t>(page.items.size()) == limit) {
            page.more = true;
            break;
        }
        page.items.push_back(*list->second.find_id(position->second));
    }
    return page;
}

Result<void> InMemoryLeadRepository::remove_suppression(const domain::TenantId& tenant,
                                                        const domain::SuppressionId& id) {
    std::unique_lock lock(mutex_);
    Store& store = state_->store;
    const auto list = store.suppressions.find(tenant.value());
    if (list == store.suppressions.end()) return domain::no_such_suppression();
    const domain::Suppression* entry = list->second.find_id(id.value());
    if (entry == nullptr) return domain::no_such_suppression();
    list->second.remove(*entry);
    return {};
}

Result<void> InMemoryLeadRepository::insert_webhook(const ports::Webhook& webhook) {
    std::unique_lock lock(mutex_);
    Store& store = state_->store;
    const std::string& tenant = webhook.tenant.value();
    const auto [entry, inserted] = store.webhooks.try_emplace(WebhookKey{tenant, webhook.id.value()},
                                                              WebhookEntry{webhook, store.last_sequence(tenant)});
    if (!inserted) return Error::internal("webhook id already in use");
    return {};
}

Result<ports::Webhook> InMemoryLeadRepository::find_webhook(const domain::TenantId& tenant,
                                                            const domain::WebhookId& id) {
    std::shared_lock lock(mutex_);
    const auto found = state_->store.webhooks.find(WebhookKey{tenant.value(), id.value()});
    if (found == state_->store.webhooks.end()) return no_such_webhook();
    return found->second.webhook;
}

Result<std::vector<ports::Webhook>> InMemoryLeadRepository::list_webhooks(const domain::TenantId& tenant) {
    std::shared_lock lock(mutex_);
    std::vector<ports::Webhook> webhooks;
    const auto& all = state_->store.webhooks;
    for (auto it = all.lower_bound(WebhookKey{tenant.value(), ""});
         it != all.end() && it->first.first == tenant.value(); ++it) {
        webhooks.push_back(it->second.webhook);
    }
    std::stable_sort(webhooks.begin(), webhooks.end(), [](const ports::Webhook& a, const ports::Webhook& b) {
        return std::tie(a.created_at, a.id) < std::tie(b.created_at, b.id);
    });
    return webhooks;
}

Result<ports::Webhook> InMemoryLeadRepository::update_webhook(const domain::TenantId& tenant,
                                                              const domain::WebhookId& id,
                                                              const ports::WebhookChange& change) {
    std::unique_lock lock(mutex_);
    Store& store = state_->store;
    const auto found = store.webhooks.find(WebhookKey{tenant.value(), id.value()});
    if (found == store.webhooks.end()) return no_such_webhook();
    ports::Webhook changed = found->second.webhook;
    if (auto applied = change(changed); !applied) return applied.error();
    // Enabled again: it receives what is recorded from now on, not what it missed.
    if (changed.enabled && !found->second.webhook.enabled) found->second.position = store.last_sequence(tenant.value());
    found->second.webhook = changed;
    return changed;
}

Result<void> InMemoryLeadRepository::remove_webhook(const domain::TenantId& tenant, const domain::WebhookId& id) {
    std::unique_lock lock(mutex_);
    Store& store = state_->store;
    if (store.webhooks.erase(WebhookKey{tenant.value(), id.value()}) == 0) return no_such_webhook();
    auto& deliveries = store.deliveries;
    deliveries.erase(deliveries.lower_bound(DeliveryKey{tenant.value(), id.value(), 0}),
                     deliveries.upper_bound(DeliveryKey{tenant.value(), id.value(), INT64_MAX}));
    return {};
}

Result<ports::DeliveryPage> InMemoryLeadRepository::list_deliveries(const domain::TenantId& tenant,
                                                                    const domain::WebhookId& id, std::int64_t limit,
                                                                    std::optional<std::int64_t> before_sequence) {
    std::shared_lock lock(mutex_);
    const Store& store = state_->store;
    if (!store.webhooks.contains(WebhookKey{tenant.value(), id.value()})) return no_such_webhook();
    ports::DeliveryPage page;
    const auto first = store.deliveries.lower_bound(DeliveryKey{tenant.value(), id.value(), 0});
    auto it =
        store.deliveries.lower_bound(DeliveryKey{tenant.value(), id.value(), before_sequence.value_or(INT64_MAX)});
    while (it != first) {
        --it;
        if (static_cast<std::int64_t>(page.items.size()) == limit) {
            page.more = true;
            break;
        }
        page.items.push_back(it->second.delivery);
    }
    return page;
}

Result<std::int64_t> InMemoryLeadRepository::fan_out(Timestamp now, std::int64_t limit) {
    std::unique_lock lock(mutex_);
    Store& store = state_->store;
    std::int64_t made = 0;
    for (auto& [key, entry] : store.webhooks) {
        if (!entry.webhook.enabled) continue;
        const auto log = store.events.find(key.first);
        if (log == store.events.end()) continue;
        // Numbers retention dropped are skipped at once, not walked limit by limit.
        const auto& kept = log->second.kept;
        const std::int64_t from = kept.empty() ? log->second.last : std::max(entry.position, kept.front().sequence - 1);
        const std::int64_t upto = std::min(log->second.last, from + limit);
        for (const ports::StoredEvent& event : kept) {
            if (event.sequence <= from || event.sequence > upto) continue;
            if (!ports::receives(entry.webhook, event.type)) continue;
            store.deliveries.try_emplace(DeliveryKey{key.first, key.second, event.sequence},
                                         DeliveryEntry{ports::WebhookDelivery{.webhook_id = entry.webhook.id,
                                                                              .event_id = event.id,
                                                                              .sequence = event.sequence,
                                                                              .next_attempt_at = now,
                                                                              .created_at = now,
                                                                              .updated_at = now},
                                                       Timestamp{}});
            ++made;
        }
        entry.position = std::max(entry.position, upto);
    }
    return made;
}

Result<std::vector<ports::ClaimedDelivery>> InMemoryLeadRepository::claim_deliveries(
    const ports::ClaimRequest& request) {
    const Timestamp now = request.now;
    std::unique_lock lock(mutex_);
    Store& store = state_->store;
    struct Due {
        Timestamp at;
        const WebhookEntry* webhook;
        DeliveryEntry* entry;
    };
    std::vector<Due> due;
    for (auto& [key, entry] : store.deliveries) {
        const auto& delivery = entry.delivery;
        if (delivery.state != domain::DeliveryState::Pending || entry.claimed_until > now) continue;
        if (!delivery.next_attempt_at || *delivery.next_attempt_at > now) continue;
        const auto webhook = store.webhooks.find(WebhookKey{std::get<0>(key), std::get<1>(key)});
        if (webhook == store.webhooks.end() || !webhook->second.webhook.enabled) continue;
        if (std::find(request.skip.begin(), request.skip.end(), webhook->second.webhook.id) != request.skip.end()) {
            continue;
        }
        due.push_back(Due{*delivery.next_attempt_at, &webhook->second, &entry});
    }
    std::stable_sort(due.begin(), due.end(), [](const Due& a, const Due& b) { return a.at < b.at; });
    std::vector<ports::ClaimedDelivery> claimed;
    std::map<const WebhookEntry*, std::int64_t> taken;  // per endpoint, in this claim
    for (const Due& next : due) {
        if (static_cast<std::int64_t>(claimed.size()) == request.limit) break;
        if (request.per_webhook > 0 && taken[next.webhook] >= request.per_webhook) continue;
        DeliveryEntry* entry = next.entry;
        const ports::Webhook& webhook = next.webhook->webhook;
        const ports::StoredEvent* event = store.event(webhook.tenant.value(), entry->delivery.sequence);
        if (event == nullptr) {  // dropped by retention before it could be delivered
            entry->delivery.state = domain::DeliveryState::Failed;
            entry->delivery.last_error = "the event is no longer kept";
            entry->delivery.next_attempt_at.reset();
            entry->delivery.updated_at = now;
            continue;
        }
        entry->claimed_until = request.claim_until;
        ++taken[next.webhook];
        claimed.push_back(ports::ClaimedDelivery{webhook, *event, entry->delivery.attempts, request.claim_until});
    }
    return claimed;
}

Result<std::optional<ports::StoredEvent>> InMemoryLeadRepository::delivery_event(const domain::TenantId& tenant,
                                                                                 std::int64_t sequence) {
    std::shared_lock lock(mutex_);
    const ports::StoredEvent* event = state_->store.event(tenant.value(), sequence);
    if (event == nullptr) return std::optional<ports::StoredEvent>{};
    return std::optional<ports::StoredEvent>{*event};
}

Result<void> InMemoryLeadRepository::finish_delivery(const ports::DeliveryOutcome& outcome) {
    std::unique_lock lock(mutex_);
    Store& store = state_->store;
    const auto found =
        store.deliveries.find(DeliveryKey{outcome.tenant.value(), outcome.webhook_id.value(), outcome.sequence});
    if (found == store.deliveries.end()) return {};  // its endpoint was deleted meanwhile
    if (found->second.claimed_until != outcome.claimed_until ||
        found->second.delivery.state != domain::DeliveryState::Pending) {
        return {};  // the claim expired and is another worker's now
    }
    ports::WebhookDelivery& delivery = found->second.delivery;
    delivery.state = outcome.state;
    delivery.attempts = outcome.attempts;
    delivery.last_status_code = outcome.status_code;
    delivery.last_error = outcome.error;
    delivery.next_attempt_at = outcome.next_attempt_at;
    delivery.updated_at = outcome.at;
    found->second.claimed_until = Timestamp{};
    if (outcome.disable_webhook) {
        const auto webhook = store.webhooks.find(WebhookKey{outcome.tenant.value(), outcome.webhook_id.value()});
        if (webhook != store.webhooks.end()) {
            webhook->second.webhook.enabled = false;
            webhook->second.webhook.updated_at = outcome.at;
        }
        // The receiver is gone: its other pending deliveries will not be attempted.
        const std::string tenant = outcome.tenant.value(), id = outcome.webhook_id.value();
        for (auto it = store.deliveries.lower_bound(DeliveryKey{tenant, id, 0});
             it != store.deliveries.end() && std::get<0>(it->first) == tenant && std::get<1>(it->first) == id; ++it) {
            auto& other = it->second.delivery;
            if (other.state != domain::DeliveryState::Pending) continue;
            other.state = domain::DeliveryState::Failed;
            other.next_attempt_at.reset();
            other.last_error = std::string(ports::kEndpointGone);
            other.updated_at = outcome.at;
        }
    }
    return {};
}

Result<ports::DeliveryBacklog> InMemoryLeadRepository::delivery_backlog() {
    std::shared_lock lock(mutex_);
    ports::DeliveryBacklog backlog;
    for (const auto& [key, entry] : state_->store.deliveries) {
        if (entry.delivery.state != domain::DeliveryState::Pending) continue;
        const auto webhook = state_->store.webhooks.find(WebhookKey{std::get<0>(key), std::get<1>(key)});
        if (webhook == state_->store.webhooks.end() || !webhook->second.webhook.enabled) continue;
        ++backlog.pending;
        if (!backlog.oldest_pending || entry.delivery.created_at < *backlog.oldest_pending) {
            backlog.oldest_pending = entry.delivery.created_at;
        }
    }
    return backlog;
}

Result<void> InMemoryLeadRepository::release_claim(const ports::ClaimedDelivery& claimed) {
    std::unique_lock lock(mutex_);
    const auto found = state_->store.deliveries.find(
        DeliveryKey{claimed.webhook.tenant.value(), claimed.webhook.id.value(), claimed.event.sequence});
    if (found != state_->store.deliveries.end() && found->second.claimed_until == claimed.claimed_until &&
        found->second.delivery.state == domain::DeliveryState::Pending) {
        found->second.claimed_until = Timestamp{};
    }
    return {};
}

Result<ports::Swept> InMemoryLeadRepository::sweep(Timestamp events_before, Timestamp deliveries_before) {
    std::unique_lock lock(mutex_);
    Store& store = state_->store;
    ports::Swept swept;
    std::int64_t tenants = 0;
    for (auto& [tenant, log] : store.events) {
        if (tenants == ports::kSweepTenants) break;
        if (log.kept.empty() || log.kept.front().timestamp >= events_before) continue;
        ++tenants;
        swept.events += log.drop_before(events_before);
    }
    for (auto it = store.deliveries.begin();
         it != store.deliveries.end() && swept.deliveries < ports::kSweepDeliveries;) {
        const ports::WebhookDelivery& delivery = it->second.delivery;
        if (delivery.state != domain::DeliveryState::Pending && delivery.updated_at < deliveries_before) {
            it = store.deliveries.erase(it);
            ++swept.deliveries;
        } else {
            ++it;
        }
    }
    return swept;
}

}  // namespace leads::adapters::memory
