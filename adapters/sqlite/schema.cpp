#include "adapters/sqlite/schema.hpp"

namespace leads::adapters::sqlite {

namespace {

// leads.pk aliases the rowid, so that it never changes (VACUUM renumbers an implicit
// rowid) and can key the external-content full-text index; id stays the public key.
const sql::Migration kInitial{
    1,
    "leads, activities, lead_counts, trigram search",
    {
        R"(CREATE TABLE leads (
            pk INTEGER PRIMARY KEY,
            id TEXT NOT NULL UNIQUE,
            tenant_id TEXT NOT NULL,
            workspace TEXT NOT NULL,
            email TEXT NOT NULL,
            first_name TEXT,
            last_name TEXT,
            company TEXT,
            status TEXT NOT NULL CHECK (status IN ('new', 'contacted', 'replied', 'converted')),
            attributes TEXT NOT NULL DEFAULT '{}',
            search_text TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL,
            version INTEGER NOT NULL,
            UNIQUE (tenant_id, workspace, email),
            UNIQUE (tenant_id, id)
        ))",
        // List order, with and without a status filter.
        "CREATE INDEX leads_list ON leads (tenant_id, workspace, created_at DESC, id DESC)",
        "CREATE INDEX leads_list_status ON leads (tenant_id, workspace, status, created_at DESC, id DESC)",
        // The foreign key names the tenant too, so the cascade on delete finds a lead's
        // activity through activities_by_lead instead of scanning the table.
        R"(CREATE TABLE activities (
            id TEXT PRIMARY KEY,
            tenant_id TEXT NOT NULL,
            lead_id TEXT NOT NULL,
            type TEXT NOT NULL,
            ts INTEGER NOT NULL,
            campaign_id TEXT,
            data TEXT NOT NULL DEFAULT '{}',
            FOREIGN KEY (tenant_id, lead_id) REFERENCES leads (tenant_id, id) ON DELETE CASCADE
        ))",
        "CREATE INDEX activities_by_lead ON activities (tenant_id, lead_id, ts DESC, id DESC)",
        R"(CREATE TABLE lead_counts (
            tenant_id TEXT NOT NULL,
            workspace TEXT NOT NULL,
            status TEXT NOT NULL,
            n INTEGER NOT NULL,
            PRIMARY KEY (tenant_id, workspace, status)
        ) WITHOUT ROWID)",
        // Search text is folded by the domain before it is stored and before it is
        // searched for, so the index compares bytes (case_sensitive 1).
        "CREATE VIRTUAL TABLE leads_fts USING fts5(search_text, content='leads', content_rowid='pk', "
        "tokenize='trigram case_sensitive 1')",
        R"(CREATE TRIGGER leads_fts_insert AFTER INSERT ON leads BEGIN
            INSERT INTO leads_fts (rowid, search_text) VALUES (new.pk, new.search_text);
        END)",
        R"(CREATE TRIGGER leads_fts_delete AFTER DELETE ON leads BEGIN
            INSERT INTO leads_fts (leads_fts, rowid, search_text) VALUES ('delete', old.pk, old.search_text);
        END)",
        R"(CREATE TRIGGER leads_fts_update AFTER UPDATE OF search_text ON leads BEGIN
            INSERT INTO leads_fts (leads_fts, rowid, search_text) VALUES ('delete', old.pk, old.search_text);
            INSERT INTO leads_fts (rowid, search_text) VALUES (new.pk, new.search_text);
        END)",
    },
};

// An import fills the full-text index once, at its end, instead of row by row: each row's
// trigger made the index flush its pending terms (a new segment per row, merged again and
// again). While a row of leads_fts_deferred exists, which only an import's own
// transaction can see, the triggers skip rows whose pk is above the one it names; the
// import then indexes those rows in one statement and deletes the row.
const sql::Migration kDeferredSearchIndex{
    2,
    "full-text index filled once per import",
    {
        "CREATE TABLE leads_fts_deferred (from_pk INTEGER NOT NULL)",
        "DROP TRIGGER leads_fts_insert",
        "DROP TRIGGER leads_fts_delete",
        "DROP TRIGGER leads_fts_update",
        R"(CREATE TRIGGER leads_fts_insert AFTER INSERT ON leads
            WHEN NOT EXISTS (SELECT 1 FROM leads_fts_deferred WHERE new.pk > from_pk) BEGIN
            INSERT INTO leads_fts (rowid, search_text) VALUES (new.pk, new.search_text);
        END)",
        R"(CREATE TRIGGER leads_fts_delete AFTER DELETE ON leads
            WHEN NOT EXISTS (SELECT 1 FROM leads_fts_deferred WHERE old.pk > from_pk) BEGIN
            INSERT INTO leads_fts (leads_fts, rowid, search_text) VALUES ('delete', old.pk, old.search_text);
        END)",
        R"(CREATE TRIGGER leads_fts_update AFTER UPDATE OF search_text ON leads
            WHEN NOT EXISTS (SELECT 1 FROM leads_fts_deferred WHERE old.pk > from_pk) BEGIN
            INSERT INTO leads_fts (leads_fts, rowid, search_text) VALUES ('delete', old.pk, old.search_text);
            INSERT INTO leads_fts (rowid, search_text) VALUES (new.pk, new.search_text);
        END)",
    },
};

// The suppression list (CONTRACT §9), and each lead's email hash, so that every lead read
// says whether its email is listed with one probe of the list's primary key. The hash of
// existing rows comes from leads_sha256_hex, a function every connection registers.
const sql::Migration kSuppressions{
    3,
    "suppression list; leads.email_hash",
    {
        R"(CREATE TABLE suppressions (
            tenant_id TEXT NOT NULL,
            email_hash TEXT NOT NULL,
            id TEXT NOT NULL,
            reason TEXT NOT NULL CHECK (reason IN ('unsubscribed', 'bounced', 'complained', 'erased', 'manual')),
            created_at INTEGER NOT NULL,
            PRIMARY KEY (tenant_id, email_hash),
            UNIQUE (tenant_id, id)
        ) WITHOUT ROWID)",
        "CREATE INDEX suppressions_newest ON suppressions (tenant_id, created_at DESC, id DESC)",
        "ALTER TABLE leads ADD COLUMN email_hash TEXT NOT NULL DEFAULT ''",
        "UPDATE leads SET email_hash = leads_sha256_hex(email)",
        "CREATE INDEX leads_email_hash ON leads (tenant_id, email_hash, workspace)",
        // Whether the email is listed, kept by every change of the list (no suppression
        // exists before this migration): reading it costs nothing.
        "ALTER TABLE leads ADD COLUMN do_not_contact INTEGER NOT NULL DEFAULT 0",
        // Of each (tenant, workspace, status)'s leads, how many are flagged: the filter's total.
        "ALTER TABLE lead_counts ADD COLUMN listed INTEGER NOT NULL DEFAULT 0",
    },
};

// The list's other order (CONTRACT §7, sort=±updated_at): a keyset page at any depth reads
// only its own rows, as the created_at order does through leads_list.
const sql::Migration kUpdatedOrder{
    4,
    "leads in updated_at order",
    {
        "CREATE INDEX leads_updated ON leads (tenant_id, workspace, updated_at DESC, id DESC)",
    },
};

// Idempotency-Key records (CONTRACT §6): a claim while the request runs (status NULL), then
// its final answer, written in the transaction of the request's effect.
const sql::Migration kIdempotencyKeys{
    5,
    "idempotency keys",
    {
        R"(CREATE TABLE idempotency_keys (
            tenant_id TEXT NOT NULL,
            idem_key TEXT NOT NULL,
            fingerprint TEXT NOT NULL,
            token TEXT NOT NULL,
            status INTEGER,
            body TEXT,
            location TEXT,
            etag TEXT,
            claimed_at INTEGER NOT NULL,
            expires_at INTEGER NOT NULL,
            PRIMARY KEY (tenant_id, idem_key)
        ) WITHOUT ROWID)",
        "CREATE INDEX idempotency_keys_expiry ON idempotency_keys (expires_at)",
    },
};

// A version per workspace, raised by every write that changes its leads (CONTRACT §7:
// totals stay exact). A list's filtered total is cached under the sum of its workspace's
// versions and used while the sum is unchanged. Spread over shards (one per writer thread)
// so that concurrent writers of one workspace do not queue on one row.
const sql::Migration kWorkspaceVersions{
    6,
    "workspace versions",
    {
        R"(CREATE TABLE workspace_versions (
            tenant_id TEXT NOT NULL,
            workspace TEXT NOT NULL,
            shard INTEGER NOT NULL,
            version INTEGER NOT NULL,
            PRIMARY KEY (tenant_id, workspace, shard)
        ) WITHOUT ROWID)",
    },
};

// A search walking the list order (docs/persistence.md, "Search plans and cached totals")
// tests each row's search_text: carried by leads_list, the LIKE is decided on the index
// entry and only the page's rows are read from the table (SQLite defers the row seek),
// not one table row per lead passed. Rebuilt inside the migration's transaction (seconds
// per million leads).
const sql::Migration kSearchableListOrder{
    7,
    "search text in the list order; trigram frequencies",
    {
        "DROP INDEX leads_list",
        "CREATE INDEX leads_list ON leads (tenant_id, workspace, created_at DESC, id DESC, search_text)",
        // Rows per trigram of leads_fts (Dialect::trigram_rows): a long term is matched by its
        // rarest trigrams.
        "CREATE VIRTUAL TABLE leads_fts_vocab USING fts5vocab(leads_fts, row)",
    },
};

// Expired Idempotency-Keys are purged one tenant at a time (every statement on a tenant
// table names its tenant, docs/scaling.md): the expiry index leads with the tenant.
const sql::Migration kTenantExpiry{
    8,
    "idempotency keys expire per tenant",
    {
        "DROP INDEX idempotency_keys_expiry",
        "CREATE INDEX idempotency_keys_expiry ON idempotency_keys (tenant_id, expires_at)",
    },
};

// Creates of one workspace all added to the same counter row of their status, holding its
// lock until commit: each writer thread now adds to a shard row of its own (writer_shard, as
// workspace_versions); the counts are sums over the shards, as they already were over
// statuses.
const sql::Migration kShardedCounts{
    9,
    "lead counts spread over shards",
    {
        R"(CREATE TABLE lead_counts_sharded (
            tenant_id TEXT NOT NULL,
            workspace TEXT NOT NULL,
            status TEXT NOT NULL,
            shard INTEGER NOT NULL,
            n INTEGER NOT NULL,
            listed INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (tenant_id, workspace, status, shard)
        ) WITHOUT ROWID)",
        "INSERT INTO lead_counts_sharded (tenant_id, workspace, status, shard, n, listed) SELECT tenant_id, workspace, "
        "status, 0, n, listed FROM lead_counts",
        "DROP TABLE lead_counts",
        "ALTER TABLE lead_counts_sharded RENAME TO lead_counts",
    },
};

// Change events (CONTRACT §8, docs/events.md): written by each change in its transaction,
// numbered per tenant in commit order (after the largest kept; event_sequences keeps the
// last number retention dropped, so the feed knows it even when nothing is kept);
// events_lead found a lead's events for erasure (dropped by migration 13).
const sql::Migration kEvents{
    10,
    "change events",
    {
        R"(CREATE TABLE events (
            tenant_id TEXT NOT NULL,
            sequence INTEGER NOT NULL,
            id TEXT NOT NULL,
            type TEXT NOT NULL,
            ts INTEGER NOT NULL,
            workspace TEXT NOT NULL,
            lead_id TEXT NOT NULL,
            data TEXT NOT NULL,
            PRIMARY KEY (tenant_id, sequence)
        ))",
        "CREATE INDEX events_lead ON events (tenant_id, lead_id)",
        R"(CREATE TABLE event_sequences (
            tenant_id TEXT NOT NULL PRIMARY KEY,
            last INTEGER NOT NULL
        ) WITHOUT ROWID)",
    },
};

// Webhook endpoints and their deliveries (CONTRACT §8, docs/events.md): an endpoint's
// position is the last event sequence fanned out to it; a delivery row per event and
// endpoint, claimed by one worker at a time (claimed_until); webhook_deliveries_due finds
// what is due.
const sql::Migration kWebhooks{
    11,
    "webhooks and deliveries",
    {
        R"(CREATE TABLE webhooks (
            tenant_id TEXT NOT NULL,
            id TEXT NOT NULL,
            url TEXT NOT NULL,
            event_types TEXT NOT NULL,
            description TEXT,
            enabled INTEGER NOT NULL,
            secret TEXT NOT NULL,
            previous_secret TEXT,
            previous_until INTEGER,
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL,
            position INTEGER NOT NULL,
            PRIMARY KEY (tenant_id, id)
        ))",
        R"(CREATE TABLE webhook_deliveries (
            tenant_id TEXT NOT NULL,
            webhook_id TEXT NOT NULL,
            sequence INTEGER NOT NULL,
            event_id TEXT NOT NULL,
            state TEXT NOT NULL,
            attempts INTEGER NOT NULL,
            next_attempt_at INTEGER,
            claimed_until INTEGER NOT NULL,
            last_status_code INTEGER,
            last_error TEXT,
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL,
            PRIMARY KEY (tenant_id, webhook_id, sequence),
            FOREIGN KEY (tenant_id, webhook_id) REFERENCES webhooks (tenant_id, id) ON DELETE CASCADE
        ))",
        "CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE state = 'pending'",
    },
};

// What the worker's sweep and claims read (docs/events.md): finished deliveries by age (the
// sweep removes them past retention), an endpoint's pending ones in due order (a claim
// takes a few of each endpoint).
const sql::Migration kDeliverySweep{
    12,
    "deliveries swept and claimed per endpoint",
    {
        "CREATE INDEX webhook_deliveries_done ON webhook_deliveries (updated_at) WHERE state <> 'pending'",
        "CREATE INDEX webhook_deliveries_pending ON webhook_deliveries (tenant_id, webhook_id, next_attempt_at) WHERE "
        "state = 'pending'",
    },
};

// Erasure without an index of events by lead (docs/events.md): a delete records the lead
// here, reads mask its events' data at once, the worker's sweep rewrites them. Every
// change no longer writes an events_lead entry.
const sql::Migration kErasedLeads{
    13,
    "erased leads; no index of events by lead",
    {
        R"(CREATE TABLE erased_leads (
            tenant_id TEXT NOT NULL,
            lead_id TEXT NOT NULL,
            erased_at INTEGER NOT NULL,
            PRIMARY KEY (tenant_id, lead_id)
        ) WITHOUT ROWID)",
        "DROP INDEX events_lead",
    },
};

const sql::Migration kAll[] = {
    kInitial,           kDeferredSearchIndex, kSuppressions, kUpdatedOrder,  kIdempotencyKeys,
    kWorkspaceVersions, kSearchableListOrder, kTenantExpiry, kShardedCounts, kEvents,
    kWebhooks,          kDeliverySweep,       kErasedLeads};

}  // namespace

std::span<const sql::Migration> migrations() { return kAll; }

}  // namespace leads::adapters::sqlite
