// SqlLeadRepository's webhook endpoints and deliveries (ports::WebhookRepository).
#include <soci/soci.h>

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "adapters/sql/repository_run.hpp"
#include "adapters/sql/rows.hpp"
#include "adapters/sql/statements.hpp"

namespace leads::adapters::sql {
namespace {

const std::string kWebhookColumns =
    "tenant_id, id, url, event_types, description, enabled, secret, previous_secret, previous_until, created_at, "
    "updated_at, position";

void into_webhook(soci::statement& st, WebhookRow& r) {
    st.exchange(soci::into(r.tenant));
    st.exchange(soci::into(r.id));
    st.exchange(soci::into(r.url));
    st.exchange(soci::into(r.event_types));
    st.exchange(soci::into(r.description, r.description_ind));
    st.exchange(soci::into(r.enabled));
    st.exchange(soci::into(r.secret));
    st.exchange(soci::into(r.previous_secret, r.previous_secret_ind));
    st.exchange(soci::into(r.previous_until, r.previous_until_ind));
    st.exchange(soci::into(r.created_at));
    st.exchange(soci::into(r.updated_at));
    st.exchange(soci::into(r.position));
}

void use_webhook(soci::statement& st, WebhookRow& r) {
    st.exchange(soci::use(r.tenant, "tenant"));
    st.exchange(soci::use(r.id, "id"));
    st.exchange(soci::use(r.url, "url"));
    st.exchange(soci::use(r.event_types, "event_types"));
    st.exchange(soci::use(r.description, r.description_ind, "description"));
    st.exchange(soci::use(r.enabled, "enabled"));
    st.exchange(soci::use(r.secret, "secret"));
    st.exchange(soci::use(r.previous_secret, r.previous_secret_ind, "previous_secret"));
    st.exchange(soci::use(r.previous_until, r.previous_until_ind, "previous_until"));
    st.exchange(soci::use(r.updated_at, "updated_at"));
    st.exchange(soci::use(r.position, "position"));
}

const std::string kDeliveryColumns =
    "tenant_id, webhook_id, sequence, event_id, state, attempts, next_attempt_at, claimed_until, last_status_code, "
    "last_error, created_at, updated_at";

// kDeliveryColumns of the webhook_deliveries table itself, where another relation has
// columns of the same names.
std::string qualified_delivery_columns() {
    std::string out;
    std::string_view rest = kDeliveryColumns;
    while (!rest.empty()) {
        const std::size_t comma = rest.find(", ");
        out.append(out.empty() ? "" : ", ").append("webhook_deliveries.").append(rest.substr(0, comma));
        if (comma == std::string_view::npos) break;
        rest.remove_prefix(comma + 2);
    }
    return out;
}

void into_delivery(soci::statement& st, DeliveryRow& r) {
    st.exchange(soci::into(r.tenant));
    st.exchange(soci::into(r.webhook_id));
    st.exchange(soci::into(r.sequence));
    st.exchange(soci::into(r.event_id));
    st.exchange(soci::into(r.state));
    st.exchange(soci::into(r.attempts));
    st.exchange(soci::into(r.next_attempt_at, r.next_attempt_at_ind));
    st.exchange(soci::into(r.claimed_until));
    st.exchange(soci::into(r.last_status_code, r.last_status_code_ind));
    st.exchange(soci::into(r.last_error, r.last_error_ind));
    st.exchange(soci::into(r.created_at));
    st.exchange(soci::into(r.updated_at));
}

domain::Error no_such_webhook() { return domain::Error::not_found("No such webhook."); }

std::optional<WebhookRow> webhook_row(Lease& lease, const Dialect& dialect, const std::string& tenant,
                                      const std::string& id, bool lock) {
    static const std::string base =
        "SELECT " + kWebhookColumns + " FROM webhooks WHERE tenant_id = :tenant AND id = :id";
    auto& q = prepare(lease, base + (lock ? dialect.lock_rows : std::string()), [](auto& st, auto& b) {
        into_webhook(st, b.webhook);
        bind_tenant_id(st, b);
    });
    q.b.tenant = tenant;
    q.b.id = id;
    auto rows = fetch_all(q, q.b.webhook);
    if (rows.empty()) return std::nullopt;
    return rows.front();
}

void write_webhook(Lease& lease, const WebhookRow& row) {
    static const std::string sql =
        "UPDATE webhooks SET url = :url, event_types = :event_types, description = :description, enabled = "
        ":enabled, secret = :secret, previous_secret = :previous_secret, previous_until = :previous_until, "
        "updated_at = :updated_at, position = :position WHERE tenant_id = :tenant AND id = :id";
    auto& q = prepare(lease, sql, [](auto& st, auto& b) { use_webhook(st, b.webhook); });
    q.b.webhook = row;
    q.st.execute(true);
}

std::optional<ports::StoredEvent> event_at(Lease& lease, const std::string& tenant, long long sequence) {
    static const std::string sql =
        "SELECT " + kEventColumns + " FROM " + kEventsFrom + " WHERE e.tenant_id = :tenant AND e.sequence = :sequence";
    auto& q = prepare(lease, sql, [](auto& st, auto& b) {
        into_event(st, b.event);
        st.exchange(soci::use(b.tenant, "tenant"));
        st.exchange(soci::use(b.offset, "sequence"));
    });
    q.b.tenant = tenant;
    q.b.offset = sequence;
    auto rows = fetch_all(q, q.b.event);
    if (rows.empty()) return std::nullopt;
    auto event = to_event(rows.front());
    if (!event) return std::nullopt;
    return std::move(event).value();
}

void record_outcome(Lease& lease, const DeliveryRow& row) {
    static const std::string sql =
        "UPDATE webhook_deliveries SET state = :state, attempts = :attempts, next_attempt_at = :next_attempt_at, "
        "claimed_until = 0, last_status_code = :last_status_code, last_error = :last_error, updated_at = "
        ":updated_at WHERE tenant_id = :tenant AND webhook_id = :webhook_id AND sequence = :sequence AND "
        "claimed_until = :claimed_until AND state = 'pending'";
    auto& q = prepare(lease, sql, [](auto& st, auto& b) {
        auto& r = b.delivery;
        st.exchange(soci::use(r.state, "state"));
        st.exchange(soci::use(r.attempts, "attempts"));
        st.exchange(soci::use(r.next_attempt_at, r.next_attempt_at_ind, "next_attempt_at"));
        st.exchange(soci::use(r.last_status_code, r.last_status_code_ind, "last_status_code"));
        st.exchange(soci::use(r.last_error, r.last_error_ind, "last_error"));
        st.exchange(soci::use(r.updated_at, "updated_at"));
        st.exchange(soci::use(r.tenant, "tenant"));
        st.exchange(soci::use(r.webhook_id, "webhook_id"));
        st.exchange(soci::use(r.sequence, "sequence"));
        st.exchange(soci::use(r.claimed_until, "claimed_until"));
    });
    q.b.delivery = row;
    q.st.execute(true);
}

}  // namespace

using domain::Result;

Result<void> SqlLeadRepository::insert_webhook(const ports::Webhook& webhook) {
    WebhookRow row = to_row(webhook);
    // Its position is the last number given: what committed before it is numbered first.
    if (auto numbered = number_events(row.tenant, true); !numbered) return numbered;
    return run<void>(Access::Write, [&](Lease& lease) -> Result<void> {
        Steps steps(lease, dialect_);
        lease.begin(dialect_.begin_write);
        // It receives what is committed from now on.
        row.position = steps.last_event_sequence(row.tenant);
        static const std::string sql = "INSERT INTO webhooks (" + kWebhookColumns +
                                       ") VALUES (:tenant, :id, :url, :event_types, :description, :enabled, :secret, "
                                       ":previous_secret, :previous_until, :created_at, :updated_at, :position)";
        auto& q = prepare(lease, sql, [](auto& st, auto& b) {
            use_webhook(st, b.webhook);
            st.exchange(soci::use(b.webhook.created_at, "created_at"));
        });
        q.b.webhook = row;
        q.st.execute(true);
        lease.commit();
        return {};
    });
}

Result<ports::Webhook> SqlLeadRepository::find_webhook(const domain::TenantId& tenant, const domain::WebhookId& id) {
    return run<ports::Webhook>(Access::Read, [&](Lease& lease) -> Result<ports::Webhook> {
        auto row = webhook_row(lease, dialect_, tenant.value(), id.value(), false);
        if (!row) return no_such_webhook();
        return to_webhook(*row);
    });
}

Result<std::vector<ports::Webhook>> SqlLeadRepository::list_webhooks(const domain::TenantId& tenant) {
    return run<std::vector<ports::Webhook>>(Access::Read, [&](Lease& lease) -> Result<std::vector<ports::Webhook>> {
        static const std::string sql =
            "SELECT " + kWebhookColumns + " FROM webhooks WHERE tenant_id = :tenant ORDER BY created_at, id";
        auto& q = prepare(lease, sql, [](auto& st, auto& b) {
            into_webhook(st, b.webhook);
            st.exchange(soci::use(b.tenant, "tenant"));
        });
        q.b.tenant = tenant.value();
        std::vector<ports::Webhook> webhooks;
        for (const WebhookRow& row : fetch_all(q, q.b.webhook)) {
            auto webhook = to_webhook(row);
            if (!webhook) return std::move(webhook).error();
            webhooks.push_back(std::move(webhook).value());
        }
        return webhooks;
    });
}

Result<ports::Webhook> SqlLeadRepository::update_webhook(const domain::TenantId& tenant, const domain::WebhookId& id,
                                                         const ports::WebhookChange& change) {
    if (auto numbered = number_events(tenant.value(), true); !numbered) return numbered.error();
    return run<ports::Webhook>(Access::Write, [&](Lease& lease) -> Result<ports::Webhook> {
        Steps steps(lease, dialect_);
        lease.begin(dialect_.begin_write);
        auto row = webhook_row(lease, dialect_, tenant.value(), id.value(), true);
        if (!row) return no_such_webhook();
        auto webhook = to_webhook(*row);
        if (!webhook) return webhook;
        const bool was_enabled = webhook->enabled;
        if (auto applied = change(*webhook); !applied) return applied.error();
        WebhookRow changed = to_row(*webhook);
        // Enabled again: it receives what is recorded from now on, not what it missed.
        changed.position = webhook->enabled && !was_enabled ? steps.last_event_sequence(changed.tenant) : row->position;
        write_webhook(lease, changed);
        lease.commit();
        return webhook;
    });
}

Result<void> SqlLeadRepository::remove_webhook(const domain::TenantId& tenant, const domain::WebhookId& id) {
    return run<void>(Access::Write, [&](Lease& lease) -> Result<void> {
        lease.begin(dialect_.begin_write);
        auto& deliveries = prepare(
            lease, "DELETE FROM webhook_deliveries WHERE tenant_id = :tenant AND webhook_id = :id", bind_tenant_id);
        deliveries.b.tenant = tenant.value();
        deliveries.b.id = id.value();
        deliveries.st.execute(true);
        auto& q = prepare(lease, "DELETE FROM webhooks WHERE tenant_id = :tenant AND id = :id", bind_tenant_id);
        q.b.tenant = tenant.value();
        q.b.id = id.value();
        q.st.execute(true);
        if (q.st.get_affected_rows() != 1) return no_such_webhook();
        lease.commit();
        return {};
    });
}

Result<ports::DeliveryPage> SqlLeadRepository::list_deliveries(const domain::TenantId& tenant,
                                                               const domain::WebhookId& id, std::int64_t limit,
                                                               std::optional<std::int64_t> before_sequence) {
    return run<ports::DeliveryPage>(Access::Read, [&](Lease& lease) -> Result<ports::DeliveryPage> {
        lease.begin(dialect_.begin_read);
        if (!webhook_row(lease, dialect_, tenant.value(), id.value(), false)) return no_such_webhook();
        static const std::string sql = "SELECT " + kDeliveryColumns +
                                       " FROM webhook_deliveries WHERE tenant_id = :tenant AND webhook_id = :id AND "
                                       "sequence < :before ORDER BY sequence DESC LIMIT :limit";
        auto& q = prepare(lease, sql, [](auto& st, auto& b) {
            into_delivery(st, b.delivery);
            bind_tenant_id(st, b);
            st.exchange(soci::use(b.offset, "before"));
            st.exchange(soci::use(b.limit, "limit"));
        });
        q.b.tenant = tenant.value();
        q.b.id = id.value();
        q.b.offset = before_sequence.value_or(std::numeric_limits<long long>::max());
        q.b.limit = limit + 1;
        auto rows = fetch_all(q, q.b.delivery);
        lease.commit();
        ports::DeliveryPage page;
        if (static_cast<std::int64_t>(rows.size()) > limit) {
            page.more = true;
            rows.resize(static_cast<std::size_t>(limit));
        }
        for (const DeliveryRow& row : rows) {
            auto delivery = to_delivery(row);
            if (!delivery) return std::move(delivery).error();
            page.items.push_back(std::move(delivery).value());
        }
        return page;
    });
}

Result<std::int64_t> SqlLeadRepository::fan_out(domain::Timestamp now, std::int64_t limit) {
    if (dialect_.number_after_commit) {
        // The tenants with an enabled endpoint and committed events not yet numbered,
        // numbered first. Other tenants' events wait for a feed read (or the sweep). One
        // probe per such tenant (LATERAL ... LIMIT 1): as EXISTS, a plan made while the
        // tables were small hashed every unnumbered event of every tenant, once a second.
        std::vector<std::string> tenants;
        auto listed = run<void>(Access::Read, [&](Lease& lease) -> Result<void> {
            auto& q = prepare(lease,
                              "/* worker, all tenants */ SELECT w.tenant_id FROM (SELECT DISTINCT tenant_id FROM "
                              "webhooks WHERE enabled = 1) w CROSS JOIN LATERAL (SELECT 1 FROM events e WHERE "
                              "e.tenant_id = w.tenant_id AND e.sequence IS NULL LIMIT 1) u LIMIT 1000",
                              [](auto& st, auto& b) { st.exchange(soci::into(b.tenant)); });
            tenants = fetch_all(q, q.b.tenant);
            return {};
        });
        if (!listed) return listed.error();
        for (const auto& tenant : tenants) {
            if (auto numbered = number_events(tenant); !numbered) return numbered.error();
        }
    }
    // The endpoints behind their tenant's events (every tenant: the worker's one statement
    // that names none, docs/scaling.md); then each one in its own transaction.
    std::vector<std::pair<std::string, std::string>> behind;
    auto listed = run<void>(Access::Read, [&](Lease& lease) -> Result<void> {
        static const std::string sql =
            "/* worker, all tenants */ SELECT w.tenant_id, w.id FROM webhooks w WHERE w.enabled = 1 AND w.position < "
            "(SELECT MAX(e.sequence) FROM events e WHERE e.tenant_id = w.tenant_id AND e.sequence IS NOT NULL) LIMIT "
            "1000";
        auto& q = prepare(lease, sql, [](auto& st, auto& b) {
            st.exchange(soci::into(b.tenant));
            st.exchange(soci::into(b.id));
        });
        if (q.st.execute(true)) {
            do {
                behind.emplace_back(q.b.tenant, q.b.id);
            } while (q.st.fetch());
        }
        return {};
    });
    if (!listed) return listed.error();
    std::int64_t made = 0;
    for (const auto& [tenant, id] : behind) {
        auto fanned = run<std::int64_t>(Access::Write, [&](Lease& lease) -> Result<std::int64_t> {
            Steps steps(lease, dialect_);
            lease.begin(dialect_.begin_write);
            // Locked: two workers never hand the same events to it twice.
            auto row = webhook_row(lease, dialect_, tenant, id, true);
            if (!row || row->enabled == 0) {
                lease.commit();
                return std::int64_t{0};
            }
            const long long last = steps.last_event_sequence(tenant);
            // Numbers retention dropped are skipped at once, not walked limit by limit.
            const auto oldest = steps.oldest_events(tenant, 1);
            const long long from = oldest.empty() ? last : std::max(row->position, oldest.front().first - 1);
            const long long upto = std::min(last, from + limit);
            static const std::string sql =
                "INSERT INTO webhook_deliveries (tenant_id, webhook_id, sequence, event_id, state, attempts, "
                "next_attempt_at, claimed_until, created_at, updated_at) SELECT tenant_id, :id, sequence, id, "
                "'pending', 0, :next_attempt_at, 0, :created_at, :updated_at FROM events WHERE tenant_id = :tenant AND "
                "sequence > :after AND sequence <= :upto AND (',' || :types || ',') LIKE ('%,' || type || ',%') ON "
                "CONFLICT (tenant_id, webhook_id, sequence) DO NOTHING";
            auto& q = prepare(lease, sql, [](auto& st, auto& b) {
                st.exchange(soci::use(b.id, "id"));
                st.exchange(soci::use(b.delivery.next_attempt_at, "next_attempt_at"));
                st.exchange(soci::use(b.delivery.created_at, "created_at"));
                st.exchange(soci::use(b.delivery.updated_at, "updated_at"));
                st.exchange(soci::use(b.tenant, "tenant"));
                st.exchange(soci::use(b.offset, "after"));
                st.exchange(soci::use(b.limit, "upto"));
                st.exchange(soci::use(b.webhook.event_types, "types"));
            });
            q.b.id = id;
            q.b.delivery.next_attempt_at = q.b.delivery.created_at = q.b.delivery.updated_at = millis(now);
            q.b.tenant = tenant;
            q.b.offset = from;
            q.b.limit = upto;
            q.b.webhook.event_types = row->event_types;
            q.st.execute(true);
            const auto inserted = static_cast<std::int64_t>(q.st.get_affected_rows());
            row->position = std::max(row->position, upto);
            write_webhook(lease, *row);
            lease.commit();
            return inserted;
        });
        if (!fanned) return fanned.error();
        made += *fanned;
    }
    return made;
}

Result<std::vector<ports::ClaimedDelivery>> SqlLeadRepository::claim_deliveries(const ports::ClaimRequest& request) {
    const domain::Timestamp now = request.now;
    const domain::Timestamp claim_until = request.claim_until;
    std::vector<std::string> skip;
    skip.reserve(request.skip.size());
    for (const domain::WebhookId& id : request.skip) skip.push_back(id.value());
    std::vector<DeliveryRow> claimed_rows;
    auto claimed = run<void>(Access::Write, [&](Lease& lease) -> Result<void> {
        const std::string sql =
            // The due rows picked (and, on PostgreSQL, locked) once, whatever the plan: a
            // materialised sub-select, then the update of exactly those.
            "/* worker, all tenants */ WITH c AS MATERIALIZED (" + dialect_.claim_due +
            ") UPDATE webhook_deliveries SET claimed_until = :until FROM c WHERE webhook_deliveries.tenant_id = "
            "c.tenant_id AND webhook_deliveries.webhook_id = c.webhook_id AND webhook_deliveries.sequence = c.sequence "
            "RETURNING " +
            qualified_delivery_columns();
        auto& q = prepare(lease, sql, [](auto& st, auto& b) {
            into_delivery(st, b.delivery);
            st.exchange(soci::use(b.at, "until"));
            st.exchange(soci::use(b.after_at, "due"));
            st.exchange(soci::use(b.created_after, "free"));
            st.exchange(soci::use(b.offset, "per"));
            st.exchange(soci::use(b.rows, "skip"));
            st.exchange(soci::use(b.limit, "limit"));
        });
        q.b.at = millis(claim_until);
        q.b.after_at = q.b.created_after = millis(now);
        q.b.offset = request.per_webhook > 0 ? request.per_webhook : std::max<std::int64_t>(request.limit, 1);
        q.b.rows = encode_strings(skip);
        q.b.limit = request.limit;
        claimed_rows = fetch_all(q, q.b.delivery);
        return {};
    });
    if (!claimed) return claimed.error();
    std::vector<ports::ClaimedDelivery> deliveries;
    for (const DeliveryRow& row : claimed_rows) {
        auto loaded = run<std::optional<ports::ClaimedDelivery>>(
            Access::Read, [&](Lease& lease) -> Result<std::optional<ports::ClaimedDelivery>> {
                auto webhook_found = webhook_row(lease, dialect_, row.tenant, row.webhook_id, false);
                if (!webhook_found) return std::optional<ports::ClaimedDelivery>{};
                auto webhook = to_webhook(*webhook_found);
                if (!webhook) return std::move(webhook).error();
                auto event = event_at(lease, row.tenant, row.sequence);
                if (!event) return std::optional<ports::ClaimedDelivery>{};
                return std::optional<ports::ClaimedDelivery>{
                    ports::ClaimedDelivery{std::move(webhook).value(), std::move(*event), row.attempts, claim_until}};
            });
        if (!loaded) return loaded.error();
        if (*loaded) {
            deliveries.push_back(std::move(**loaded));
            continue;
        }
        // The event was dropped by retention before it could be delivered (or the endpoint
        // was deleted): nothing left to send.
        DeliveryRow failed = row;
        failed.state = std::string(domain::to_string(domain::DeliveryState::Failed));
        failed.next_attempt_at_ind = soci::i_null;
        failed.last_error = "the event is no longer kept";
        failed.last_error_ind = soci::i_ok;
        failed.updated_at = millis(now);
        auto recorded = run<void>(Access::Write, [&](Lease& lease) -> Result<void> {
            record_outcome(lease, failed);
            return {};
        });
        if (!recorded) return recorded.error();
    }
    return deliveries;
}

Result<std::optional<ports::StoredEvent>> SqlLeadRepository::delivery_event(const domain::TenantId& tenant,
                                                                            std::int64_t sequence) {
    return run<std::optional<ports::StoredEvent>>(Access::Read,
                                                  [&](Lease& lease) -> Result<std::optional<ports::StoredEvent>> {
                                                      return event_at(lease, tenant.value(), sequence);
                                                  });
}

Result<void> SqlLeadRepository::finish_delivery(const ports::DeliveryOutcome& outcome) {
    DeliveryRow row;
    row.tenant = outcome.tenant.value();
    row.webhook_id = outcome.webhook_id.value();
    row.sequence = outcome.sequence;
    row.state = std::string(domain::to_string(outcome.state));
    row.attempts = outcome.attempts;
    row.next_attempt_at_ind = outcome.next_attempt_at ? soci::i_ok : soci::i_null;
    row.next_attempt_at = outcome.next_attempt_at ? millis(*outcome.next_attempt_at) : 0;
    row.last_status_code_ind = outcome.status_code ? soci::i_ok : soci::i_null;
    row.last_status_code = outcome.status_code.value_or(0);
    set_optional(row.last_error, row.last_error_ind, outcome.error);
    row.updated_at = millis(outcome.at);
    row.claimed_until = millis(outcome.claimed_until);
    return run<void>(Access::Write, [&](Lease& lease) -> Result<void> {
        lease.begin(dialect_.begin_write);
        record_outcome(lease, row);
        if (outcome.disable_webhook) {
            // The endpoint disabled, and (the receiver is gone) its other pending deliveries
            // failed: both bind :at, :tenant and :id.
            static const std::string disable =
                "UPDATE webhooks SET enabled = 0, updated_at = :at WHERE tenant_id = :tenant AND id = :id";
            static const std::string gone =
                "UPDATE webhook_deliveries SET state = 'failed', next_attempt_at = NULL, last_error = '" +
                std::string(ports::kEndpointGone) +
                "', updated_at = :at WHERE tenant_id = :tenant AND webhook_id = :id AND state = 'pending'";
            for (const std::string* sql : {&disable, &gone}) {
                auto& q = prepare(lease, *sql, [](auto& st, auto& b) {
                    st.exchange(soci::use(b.at, "at"));
                    bind_tenant_id(st, b);
                });
                q.b.at = row.updated_at;
                q.b.tenant = row.tenant;
                q.b.id = row.webhook_id;
                q.st.execute(true);
            }
        }
        lease.commit();
        return {};
    });
}

Result<ports::DeliveryBacklog> SqlLeadRepository::delivery_backlog() {
    return run<ports::DeliveryBacklog>(Access::Read, [&](Lease& lease) -> Result<ports::DeliveryBacklog> {
        static const std::string sql =
            "/* worker, all tenants */ SELECT COUNT(*), COALESCE(MIN(d.created_at), -1) FROM webhook_deliveries d JOIN "
            "webhooks w ON w.tenant_id = d.tenant_id AND w.id = d.webhook_id WHERE d.state = 'pending' AND w.enabled = "
            "1";
        auto& q = prepare(lease, sql, [](auto& st, auto& b) {
            st.exchange(soci::into(b.count));
            st.exchange(soci::into(b.at));
        });
        q.st.execute(true);
        ports::DeliveryBacklog backlog{.pending = q.b.count, .oldest_pending = std::nullopt};
        if (q.b.at >= 0 && q.b.count > 0) backlog.oldest_pending = timestamp(q.b.at);
        drain(q);
        return backlog;
    });
}

Result<void> SqlLeadRepository::release_claim(const ports::ClaimedDelivery& claimed) {
    return run<void>(Access::Write, [&](Lease& lease) -> Result<void> {
        static const std::string sql =
            "UPDATE webhook_deliveries SET claimed_until = 0 WHERE tenant_id = :tenant AND webhook_id = :id AND "
            "sequence = :sequence AND claimed_until = :until AND state = 'pending'";
        auto& q = prepare(lease, sql, [](auto& st, auto& b) {
            st.exchange(soci::use(b.tenant, "tenant"));
            st.exchange(soci::use(b.id, "id"));
            st.exchange(soci::use(b.offset, "sequence"));
            st.exchange(soci::use(b.at, "until"));
        });
        q.b.tenant = claimed.webhook.tenant.value();
        q.b.id = claimed.webhook.id.value();
        q.b.offset = claimed.event.sequence;
        q.b.at = millis(claimed.claimed_until);
        q.st.execute(true);
        return {};
    });
}

Result<ports::Swept> SqlLeadRepository::sweep(domain::Timestamp events_before, domain::Timestamp deliveries_before) {
    ports::Swept swept;
    // The tenants whose oldest kept event has expired (a probe of each one's oldest), and
    // with number_after_commit those with events nobody numbered (a skip scan of the
    // partial index: one probe per tenant).
    std::vector<std::string> tenants;
    const std::string first_event_id = domain::EventId::generate(events_before, domain::Entropy{}).value();
    auto listed = run<void>(Access::Read, [&](Lease& lease) -> Result<void> {
        // Binds :before, the cut-off as the smallest event id of its millisecond (ids begin
        // with their time: the oldest event's id says whether it expired, and the partial
        // index of unnumbered events (tenant_id, id) answers with its first entry).
        const auto collect = [&](const std::string& sql) {
            auto& q = prepare(lease, sql, [](auto& st, auto& b) {
                st.exchange(soci::into(b.tenant));
                st.exchange(soci::use(b.rows, "before"));
                st.exchange(soci::use(b.limit, "limit"));
            });
            q.b.rows = first_event_id;
            q.b.limit = ports::kSweepTenants;
            for (std::string& tenant : fetch_all(q, q.b.tenant)) {
                if (std::find(tenants.begin(), tenants.end(), tenant) == tenants.end())
                    tenants.push_back(std::move(tenant));
            }
        };
        collect(
            "/* worker, all tenants */ SELECT s.tenant_id FROM event_sequences s WHERE (SELECT e.id FROM events e "
            "WHERE "
            "e.tenant_id = s.tenant_id AND e.sequence IS NOT NULL ORDER BY e.sequence LIMIT 1) < :before LIMIT :limit");
        if (dialect_.number_after_commit) {
            collect(
                "/* worker, all tenants */ WITH RECURSIVE t (tenant_id) AS ((SELECT tenant_id FROM events WHERE "
                "sequence "
                "IS NULL ORDER BY tenant_id LIMIT 1) UNION ALL SELECT (SELECT e.tenant_id FROM events e WHERE "
                "e.sequence "
                "IS NULL AND e.tenant_id > t.tenant_id ORDER BY e.tenant_id LIMIT 1) FROM t WHERE t.tenant_id IS NOT "
                "NULL) SELECT t.tenant_id FROM t WHERE t.tenant_id IS NOT NULL AND EXISTS (SELECT 1 FROM events e "
                "WHERE "
                "e.tenant_id = t.tenant_id AND e.sequence IS NULL AND e.id < :before) LIMIT :limit");
        }
        return {};
    });
    if (!listed) return listed.error();
    for (const std::string& tenant : tenants) {
        auto dropped = drop_expired_events(tenant, events_before);
        if (!dropped) return dropped.error();
        swept.events += *dropped;
    }
    // Erased leads' events rewritten (reads mask them meanwhile), a tenant at a time.
    std::vector<std::string> erasing;
    auto found = run<void>(Access::Read, [&](Lease& lease) -> Result<void> {
        auto& q = prepare(lease, "/* worker, all tenants */ SELECT DISTINCT tenant_id FROM erased_leads LIMIT :limit",
                          [](auto& st, auto& b) {
                              st.exchange(soci::into(b.tenant));
                              st.exchange(soci::use(b.limit, "limit"));
                          });
        q.b.limit = ports::kSweepTenants;
        erasing = fetch_all(q, q.b.tenant);
        return {};
    });
    if (!found) return found.error();
    for (const std::string& tenant : erasing) {
        auto rewritten = run<long long>(Access::Write, [&](Lease& lease) -> Result<long long> {
            Steps steps(lease, dialect_);
            lease.begin(dialect_.begin_write);
            const long long leads = steps.rewrite_erased_events(tenant);
            lease.commit();
            return leads;
        });
        if (!rewritten) return rewritten.error();
        swept.erased += *rewritten;
    }
    // Finished deliveries past retention; pending ones stay (the claim fails those whose
    // event is gone).
    auto removed = run<void>(Access::Write, [&](Lease& lease) -> Result<void> {
        static const std::string sql =
            "/* worker, all tenants */ DELETE FROM webhook_deliveries WHERE (tenant_id, webhook_id, sequence) IN "
            "(SELECT tenant_id, webhook_id, sequence FROM webhook_deliveries WHERE state <> 'pending' AND updated_at < "
            ":before LIMIT :limit)";
        auto& q = prepare(lease, sql, [](auto& st, auto& b) {
            st.exchange(soci::use(b.at, "before"));
            st.exchange(soci::use(b.limit, "limit"));
        });
        q.b.at = millis(deliveries_before);
        q.b.limit = ports::kSweepDeliveries;
        q.st.execute(true);
        swept.deliveries = static_cast<std::int64_t>(q.st.get_affected_rows());
        return {};
    });
    if (!removed) return removed.error();
    return swept;
}

}  // namespace leads::adapters::sql
