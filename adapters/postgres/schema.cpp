#include "adapters/postgres/schema.hpp"

namespace leads::adapters::postgres {

namespace {

// Identifiers compare and sort bytewise (COLLATE "C"), as in every other backend, so the
// list order (created_at desc, id desc) does not depend on the server's locale.
// JSON columns are text: jsonb would turn 1.0e20 into an integer and lose the
// integer/double distinction attributes keep.
const sql::Migration kInitial{
    1,
    "leads, activities, lead_counts, trigram search",
    {
        "CREATE EXTENSION IF NOT EXISTS pg_trgm",
        R"(CREATE TABLE leads (
            id TEXT COLLATE "C" PRIMARY KEY,
            tenant_id TEXT COLLATE "C" NOT NULL,
            workspace TEXT COLLATE "C" NOT NULL,
            email TEXT COLLATE "C" NOT NULL,
            first_name TEXT,
            last_name TEXT,
            company TEXT,
            status TEXT NOT NULL CHECK (status IN ('new', 'contacted', 'replied', 'converted')),
            attributes TEXT NOT NULL DEFAULT '{}',
            search_text TEXT COLLATE "C" NOT NULL,
            created_at BIGINT NOT NULL,
            updated_at BIGINT NOT NULL,
            version BIGINT NOT NULL,
            CONSTRAINT leads_email_key UNIQUE (tenant_id, workspace, email),
            CONSTRAINT leads_tenant_id_key UNIQUE (tenant_id, id)
        ))",
        "CREATE INDEX leads_list ON leads (tenant_id, workspace, created_at DESC, id DESC)",
        "CREATE INDEX leads_list_status ON leads (tenant_id, workspace, status, created_at DESC, id DESC)",
        // Serves LIKE '%term%' for terms of three characters or more.
        "CREATE INDEX leads_search_trgm ON leads USING gin (search_text gin_trgm_ops)",
        R"(CREATE TABLE activities (
            id TEXT COLLATE "C" PRIMARY KEY,
            tenant_id TEXT COLLATE "C" NOT NULL,
            lead_id TEXT COLLATE "C" NOT NULL,
            type TEXT NOT NULL,
            ts BIGINT NOT NULL,
            campaign_id TEXT,
            data TEXT NOT NULL DEFAULT '{}',
            FOREIGN KEY (tenant_id, lead_id) REFERENCES leads (tenant_id, id) ON DELETE CASCADE
        ))",
        "CREATE INDEX activities_by_lead ON activities (tenant_id, lead_id, ts DESC, id DESC)",
        R"(CREATE TABLE lead_counts (
            tenant_id TEXT COLLATE "C" NOT NULL,
            workspace TEXT COLLATE "C" NOT NULL,
            status TEXT NOT NULL,
            n BIGINT NOT NULL,
            PRIMARY KEY (tenant_id, workspace, status)
        ))",
    },
};

// Found by the benchmark (docs/performance.md):
// - The foreign key named (tenant_id, id). PostgreSQL plans its check once per connection;
//   planned while leads was empty, it walked leads_list_status (id is its sixth column) for
//   every inserted activity, which made large imports quadratic. Referencing the primary key
//   leaves the check one index to use; activities keep tenant_id for scoping, and the
//   cascade on delete gets an index on lead_id.
// - The trigram index's pending list (4 MB by default) was merged by whichever insert
//   overflowed it, holding that transaction's locks for the merge; a small list keeps every
//   merge short.
const sql::Migration kLeadForeignKey{
    2,
    "activities reference the lead's primary key; short trigram pending list",
    {
        "ALTER TABLE activities DROP CONSTRAINT activities_tenant_id_lead_id_fkey",
        "ALTER TABLE activities ADD CONSTRAINT activities_lead_id_fkey FOREIGN KEY (lead_id) REFERENCES leads (id) "
        "ON DELETE CASCADE",
        "CREATE INDEX activities_lead ON activities (lead_id)",
        "ALTER INDEX leads_search_trgm SET (gin_pending_list_limit = 512)",
    },
};

// The suppression list (CONTRACT §9), and each lead's email hash, so that every lead read
// says whether its email is listed with one probe of the list's primary key. Existing rows
// are hashed by the server (sha256(), PostgreSQL 11+).
const sql::Migration kSuppressions{
    3,
    "suppression list; leads.email_hash",
    {
        R"(CREATE TABLE suppressions (
            tenant_id TEXT COLLATE "C" NOT NULL,
            email_hash TEXT COLLATE "C" NOT NULL,
            id TEXT COLLATE "C" NOT NULL,
            reason TEXT NOT NULL CHECK (reason IN ('unsubscribed', 'bounced', 'complained', 'erased', 'manual')),
            created_at BIGINT NOT NULL,
            PRIMARY KEY (tenant_id, email_hash),
            CONSTRAINT suppressions_id_key UNIQUE (tenant_id, id)
        ))",
        "CREATE INDEX suppressions_newest ON suppressions (tenant_id, created_at DESC, id DESC)",
        "ALTER TABLE leads ADD COLUMN email_hash TEXT COLLATE \"C\" NOT NULL DEFAULT ''",
        "UPDATE leads SET email_hash = encode(sha256(convert_to(email, 'UTF8')), 'hex')",
        "CREATE INDEX leads_email_hash ON leads (tenant_id, email_hash, workspace)",
        // Whether the email is listed, kept by every change of the list (no suppression
        // exists before this migration): reading it costs nothing.
        "ALTER TABLE leads ADD COLUMN do_not_contact INTEGER NOT NULL DEFAULT 0",
        // Of each (tenant, workspace, status)'s leads, how many are flagged: the filter's total.
        "ALTER TABLE lead_counts ADD COLUMN listed BIGINT NOT NULL DEFAULT 0",
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
            tenant_id TEXT COLLATE "C" NOT NULL,
            idem_key TEXT COLLATE "C" NOT NULL,
            fingerprint TEXT NOT NULL,
            token TEXT NOT NULL,
            status INTEGER,
            body TEXT,
            location TEXT,
            etag TEXT,
            claimed_at BIGINT NOT NULL,
            expires_at BIGINT NOT NULL,
            PRIMARY KEY (tenant_id, idem_key)
        ))",
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
            tenant_id TEXT COLLATE "C" NOT NULL,
            workspace TEXT COLLATE "C" NOT NULL,
            shard INTEGER NOT NULL,
            version BIGINT NOT NULL,
            PRIMARY KEY (tenant_id, workspace, shard)
        ))",
    },
};

// A search walking the list order (docs/persistence.md, "Search plans and cached totals")
// tests each row's search_text: carried by leads_list, the walk reads the index alone
// (an index-only scan of the ids, then the page's rows), not one heap row per lead passed.
// Rebuilds the index inside the migration's transaction: writes to leads wait for it
// (seconds per million leads).
const sql::Migration kSearchableListOrder{
    7,
    "search text in the list order",
    {
        "DROP INDEX leads_list",
        "CREATE INDEX leads_list ON leads (tenant_id, workspace, created_at DESC, id DESC) INCLUDE (search_text)",
    },
};

// Ready to be distributed by tenant_id (Citus; docs/scaling.md): every primary key and
// unique constraint includes tenant_id, and so does every foreign key between tenant
// tables, so each holds inside one tenant's shard. Replaces migration 2's key on the lead id
// alone: the activities' key is (tenant_id, lead_id) again, now onto the primary key
// (tenant_id, id), which is also what a cascade or a check looks up.
const sql::Migration kTenantKeys{
    8,
    "tenant_id in every key",
    {
        "ALTER TABLE activities DROP CONSTRAINT activities_lead_id_fkey",
        "DROP INDEX activities_lead",
        "ALTER TABLE leads DROP CONSTRAINT leads_pkey, DROP CONSTRAINT leads_tenant_id_key, ADD CONSTRAINT leads_pkey "
        "PRIMARY KEY (tenant_id, id)",
        "ALTER TABLE activities DROP CONSTRAINT activities_pkey, ADD CONSTRAINT activities_pkey PRIMARY KEY "
        "(tenant_id, id)",
        "ALTER TABLE activities ADD CONSTRAINT activities_lead_fkey FOREIGN KEY (tenant_id, lead_id) REFERENCES leads "
        "(tenant_id, id) ON DELETE CASCADE",
    },
};

// Expired Idempotency-Keys are purged one tenant at a time (every statement on a tenant
// table names its tenant, docs/scaling.md): the expiry index leads with the tenant.
const sql::Migration kTenantExpiry{
    9,
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
    10,
    "lead counts spread over shards",
    {
        "ALTER TABLE lead_counts ADD COLUMN shard INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE lead_counts DROP CONSTRAINT lead_counts_pkey, ADD CONSTRAINT lead_counts_pkey PRIMARY KEY "
        "(tenant_id, workspace, status, shard)",
    },
};

// Change events (CONTRACT §8, docs/events.md): written by each change in its transaction,
// numbered per tenant in commit order (a change takes its numbers from event_sequences as
// its last statement: the row stays locked until its commit); events_lead finds a lead's
// events for erasure. Keys lead with tenant_id (docs/scaling.md).
const sql::Migration kEvents{
    11,
    "change events",
    {
        R"(CREATE TABLE events (
            tenant_id TEXT COLLATE "C" NOT NULL,
            sequence BIGINT NOT NULL,
            id TEXT COLLATE "C" NOT NULL,
            type TEXT NOT NULL,
            ts BIGINT NOT NULL,
            workspace TEXT COLLATE "C" NOT NULL,
            lead_id TEXT COLLATE "C" NOT NULL,
            data TEXT NOT NULL,
            PRIMARY KEY (tenant_id, sequence)
        ))",
        "CREATE INDEX events_lead ON events (tenant_id, lead_id)",
        R"(CREATE TABLE event_sequences (
            tenant_id TEXT COLLATE "C" NOT NULL PRIMARY KEY,
            last BIGINT NOT NULL
        ))",
    },
};

// Webhook endpoints and their deliveries (CONTRACT §8, docs/events.md): an endpoint's
// position is the last event sequence fanned out to it; a delivery row per event and
// endpoint, claimed by one worker at a time (claimed_until); webhook_deliveries_due finds
// what is due.
const sql::Migration kWebhooks{
    12,
    "webhooks and deliveries",
    {
        R"(CREATE TABLE webhooks (
            tenant_id TEXT COLLATE "C" NOT NULL,
            id TEXT COLLATE "C" NOT NULL,
            url TEXT NOT NULL,
            event_types TEXT NOT NULL,
            description TEXT,
            enabled INTEGER NOT NULL,
            secret TEXT NOT NULL,
            previous_secret TEXT,
            previous_until BIGINT,
            created_at BIGINT NOT NULL,
            updated_at BIGINT NOT NULL,
            position BIGINT NOT NULL,
            PRIMARY KEY (tenant_id, id)
        ))",
        R"(CREATE TABLE webhook_deliveries (
            tenant_id TEXT COLLATE "C" NOT NULL,
            webhook_id TEXT COLLATE "C" NOT NULL,
            sequence BIGINT NOT NULL,
            event_id TEXT NOT NULL,
            state TEXT NOT NULL,
            attempts INTEGER NOT NULL,
            next_attempt_at BIGINT,
            claimed_until BIGINT NOT NULL,
            last_status_code INTEGER,
            last_error TEXT,
            created_at BIGINT NOT NULL,
            updated_at BIGINT NOT NULL,
            PRIMARY KEY (tenant_id, webhook_id, sequence),
            FOREIGN KEY (tenant_id, webhook_id) REFERENCES webhooks (tenant_id, id) ON DELETE CASCADE
        ))",
        "CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE state = 'pending'",
    },
};

// Events numbered after their change commits (docs/events.md): a change inserts its events
// with sequence NULL and touches no shared row, so one tenant's writers no longer commit
// one at a time; the numbering (Steps::number_events) fills sequence in later. The key is
// the event id, the sequence a unique key of its own once set.
const sql::Migration kEventsNumberedAfterCommit{
    13,
    "events numbered after commit",
    {
        "ALTER TABLE events DROP CONSTRAINT events_pkey",
        "ALTER TABLE events ALTER COLUMN sequence DROP NOT NULL",
        "ALTER TABLE events ADD CONSTRAINT events_pkey PRIMARY KEY (tenant_id, id)",
        "CREATE UNIQUE INDEX events_sequence ON events (tenant_id, sequence)",
        "CREATE INDEX events_unnumbered ON events (tenant_id, id) WHERE sequence IS NULL",
    },
};

// What the worker's sweep and claims read (docs/events.md): finished deliveries by age (the
// sweep removes them past retention), an endpoint's pending ones in due order (a claim
// takes a few of each endpoint). The sequence's unique index leaves out unnumbered events:
// a change's insert no longer adds a NULL entry to it.
const sql::Migration kDeliverySweep{
    14,
    "deliveries swept and claimed per endpoint; sequence index of numbered events",
    {
        "CREATE INDEX webhook_deliveries_done ON webhook_deliveries (updated_at) WHERE state <> 'pending'",
        "CREATE INDEX webhook_deliveries_pending ON webhook_deliveries (tenant_id, webhook_id, next_attempt_at) WHERE "
        "state = 'pending'",
        "DROP INDEX events_sequence",
        "CREATE UNIQUE INDEX events_sequence ON events (tenant_id, sequence) WHERE sequence IS NOT NULL",
    },
};

// Erasure without an index of events by lead (docs/events.md): a delete records the lead
// here, reads mask its events' data at once, the worker's sweep rewrites them. Every
// change (and every numbering) no longer writes an events_lead entry.
const sql::Migration kErasedLeads{
    15,
    "erased leads; no index of events by lead",
    {
        R"(CREATE TABLE erased_leads (
            tenant_id TEXT NOT NULL,
            lead_id TEXT NOT NULL,
            erased_at BIGINT NOT NULL,
            PRIMARY KEY (tenant_id, lead_id)
        ))",
        "DROP INDEX events_lead",
    },
};

// The trigram index's pending list is merged by the service's own merges every second
// (IndexMaintenance, docs/persistence.md), no longer by whichever insert overflows it:
// 32 MB is only a backstop if those stop (three 10,000-row imports in a row).
const sql::Migration kPendingListMerged{
    16,
    "search index pending list merged off the request path",
    {
        "ALTER INDEX leads_search_trgm SET (gin_pending_list_limit = 32768)",
    },
};

// Activities without a foreign key onto leads (docs/persistence.md, "Activities and their
// lead"): its check (a locking look-up of the lead, WAL-logged, per entry) was a tenth of a
// 10,000-row import's time in the database. Every entry is written by a statement that
// inserts or has locked its lead, and a delete removes the lead's entries itself, after
// the lead, under its lock (Steps::delete_lead). The trigger keeps the cascade for pods of
// earlier releases, which still serve during a rollout (and after a rollback) and delete a
// lead alone; it costs nothing on inserts. A later release may drop it (docs/scaling.md:
// before distributing on Citus).
const sql::Migration kActivitiesWithoutForeignKey{
    17,
    "activities kept by the repository, without a foreign key; the erasure cascade as a trigger",
    {
        R"(CREATE FUNCTION leads_erase_activities() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            DELETE FROM activities WHERE tenant_id = OLD.tenant_id AND lead_id = OLD.id;
            RETURN NULL;
        END $$)",
        "CREATE TRIGGER leads_erase_activities AFTER DELETE ON leads FOR EACH ROW EXECUTE FUNCTION "
        "leads_erase_activities()",
        "ALTER TABLE activities DROP CONSTRAINT activities_lead_fkey",
    },
};

// The leads of an email hash through a hash index (docs/persistence.md): a look-up is
// always by equality, and the B-tree (tenant_id, email_hash, workspace) put 64 random hex
// characters in order for every inserted lead: 143 MB at 1M leads, against 37 MB, and the
// 1M load one import at a time 68.3 -> 60.4 s. Non-unique, so outside Citus's key rules;
// the look-ups still name tenant_id. Rebuilt inside the migration's transaction: writes
// to leads wait for it (seconds per million leads).
const sql::Migration kEmailHashIndex{
    18,
    "leads by email hash through a hash index",
    {
        "DROP INDEX leads_email_hash",
        "CREATE INDEX leads_email_hash ON leads USING hash (email_hash)",
    },
};

// Activities keyed in their lead's history order (docs/persistence.md): the history page
// reads the key backwards, so the separate history index goes. Every entry of an import
// was two B-tree inserts, now one (the 1M load: ~3%, and 87 bytes less per entry). An
// entry's id stays unique as the service makes it (a ULID); no statement looks one up by
// its id alone. Rebuilt inside the migration's transaction: writes to activities wait for
// it (seconds per million entries).
const sql::Migration kActivitiesKeyedByLead{
    19,
    "activities keyed by (tenant_id, lead_id, ts, id); activities_by_lead dropped",
    {
        "ALTER TABLE activities DROP CONSTRAINT activities_pkey, ADD CONSTRAINT activities_pkey PRIMARY KEY "
        "(tenant_id, lead_id, ts, id)",
        "DROP INDEX activities_by_lead",
    },
};

const sql::Migration kAll[] = {kInitial,
                               kLeadForeignKey,
                               kSuppressions,
                               kUpdatedOrder,
                               kIdempotencyKeys,
                               kWorkspaceVersions,
                               kSearchableListOrder,
                               kTenantKeys,
                               kTenantExpiry,
                               kShardedCounts,
                               kEvents,
                               kWebhooks,
                               kEventsNumberedAfterCommit,
                               kDeliverySweep,
                               kErasedLeads,
                               kPendingListMerged,
                               kActivitiesWithoutForeignKey,
                               kEmailHashIndex,
                               kActivitiesKeyedByLead};

}  // namespace

std::span<const sql::Migration> migrations() { return kAll; }

}  // namespace leads::adapters::postgres
