// Webhook delivery end to end: the real leads-api binary delivers to a real HTTP receiver,
// which verifies every request with the npm standardwebhooks package (an independent
// implementation of Standard Webhooks 1.0).
//   node tests/webhooks/delivery_e2e.js <leads-api binary> sqlite     signatures, bodies, retries after 500s,
//                                                                     a killed service restarted with pending deliveries
//   node tests/webhooks/delivery_e2e.js <leads-api binary> postgres   two service processes on one PostgreSQL
//                                                                     (LEADS_TEST_POSTGRES_URL; exit 77 without it)
"use strict";
const { spawn } = require("node:child_process");
const http = require("node:http");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const crypto = require("node:crypto");
const { Webhook } = require("standardwebhooks");

const [binary, mode] = process.argv.slice(2);
let failures = 0;
const check = (ok, message) => {
  if (!ok) {
    failures += 1;
    console.error("FAILED: " + message);
  }
};
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
async function until(what, predicate, timeoutMs = 60000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await predicate()) return true;
    await sleep(100);
  }
  check(false, "timed out waiting for " + what);
  return false;
}

// --- the receiver -------------------------------------------------------------------------
// Every request is verified against the secrets it was told; answers come from answer(id, n).
function startReceiver() {
  const receiver = {
    secrets: new Map(), // webhook path -> secret
    attempts: new Map(), // webhook-id -> number of requests
    verified: new Map(), // webhook-id -> parsed body (first verified)
    bad: [],
    answer: () => 200,
  };
  const server = http.createServer((request, response) => {
    const chunks = [];
    request.on("data", (chunk) => chunks.push(chunk));
    request.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const id = request.headers["webhook-id"];
      const n = (receiver.attempts.get(id) || 0) + 1;
      receiver.attempts.set(id, n);
      const secret = receiver.secrets.get(request.url);
      try {
        if (request.method !== "POST") throw new Error("method " + request.method);
        if (!String(request.headers["content-type"]).startsWith("application/json")) throw new Error("content type");
        new Webhook(secret).verify(body, request.headers);
        const event = JSON.parse(body);
        if (event.id !== id) throw new Error("webhook-id is not the event id");
        if (!receiver.verified.has(id)) receiver.verified.set(id, event);
      } catch (error) {
        receiver.bad.push(`${request.url} ${id}: ${error.message}`);
      }
      const status = receiver.answer(id, n, request.url);
      response.writeHead(status, status === 503 ? { "Retry-After": "1" } : {});
      response.end();
    });
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => {
    receiver.url = `http://127.0.0.1:${server.address().port}`;
    receiver.close = () => server.close();
    resolve(receiver);
  }));
}

// --- the service --------------------------------------------------------------------------
function startService(databaseUrl, extra = {}) {
  const env = {
    PATH: process.env.PATH,
    LEADS_LISTEN: "127.0.0.1:0",
    LEADS_DATABASE_URL: databaseUrl,
    LEADS_THREADS: "2",
    LEADS_DB_POOL_SIZE: "4",
    LEADS_LOG_LEVEL: "info",
    LEADS_WEBHOOK_ALLOW_HTTP: "true",
    LEADS_WEBHOOK_ALLOW_PRIVATE: "true",
    LEADS_WEBHOOK_TIMEOUT_S: "5",
    LEADS_WEBHOOK_RETRY_SCHEDULE: "1s,1s,1s,1s,1s",
    ...extra,
  };
  for (const name of ["ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"]) {
    if (process.env[name]) env[name] = process.env[name];
  }
  const child = spawn(binary, [], { env, stdio: ["ignore", "pipe", "inherit"] });
  return new Promise((resolve, reject) => {
    let buffered = "";
    const timer = setTimeout(() => reject(new Error("the service did not start")), 60000);
    child.stdout.on("data", (chunk) => {
      buffered += chunk.toString();
      let newline;
      while ((newline = buffered.indexOf("\n")) >= 0) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        let entry = {};
        try {
          entry = JSON.parse(line);
        } catch {}
        if (entry.msg === "listening") {
          clearTimeout(timer);
          resolve({ base: `http://127.0.0.1:${entry.port}`, child });
        }
      }
    });
    child.on("exit", (code) => reject(new Error("the service exited with " + code)));
  });
}

function stopService(service, signal = "SIGTERM") {
  return new Promise((resolve) => {
    if (service.child.exitCode !== null) return resolve();
    service.child.removeAllListeners("exit");
    service.child.on("exit", resolve);
    service.child.kill(signal);
  });
}

async function api(service, tenant, method, target, body) {
  const response = await fetch(service.base + target, {
    method,
    headers: { "x-tenant-id": tenant, ...(body ? { "content-type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

async function newWebhook(service, receiver, tenant, extra = {}) {
  const hookPath = "/" + tenant;
  const created = await api(service, tenant, "POST", "/api/v1/tenant/webhooks", {
    url: receiver.url + hookPath,
    ...extra,
  });
  check(created.status === 201, "webhook created: " + JSON.stringify(created.body));
  receiver.secrets.set(hookPath, created.body.data.secret);
  return created.body.data;
}

async function feed(service, tenant) {
  const page = await api(service, tenant, "GET", "/api/v1/tenant/events?limit=1000");
  return page.body.data;
}

const tenantName = (label) => `${label}-${crypto.randomBytes(4).toString("hex")}`;

// --- scenarios ----------------------------------------------------------------------------
async function signedBodies(service, receiver) {
  const tenant = tenantName("signed");
  await newWebhook(service, receiver, tenant);
  const ids = [];
  for (const email of ["ann@example.com", "bob@example.com", "cy@example.com"]) {
    const created = await api(service, tenant, "POST", "/api/v1/tenant/leads", { workspace_slug: "acme", email });
    check(created.status === 201, "lead created");
    ids.push(created.body.data.id);
  }
  await api(service, tenant, "PATCH", `/api/v1/tenant/leads/${ids[0]}`, { status: "contacted", company: "Acme" });
  await api(service, tenant, "POST", `/api/v1/tenant/leads/${ids[1]}/activity`, { type: "note", data: { t: "é" } });
  const events = await feed(service, tenant);
  check(events.length === 6, `6 events in the feed (3 created, updated, status_changed, recorded), got ${events.length}`);
  await until("every event delivered and verified", () => events.every((e) => receiver.verified.has(e.id)));
  for (const event of events) {
    const delivered = receiver.verified.get(event.id);
    check(JSON.stringify(delivered) === JSON.stringify(event), `delivery of ${event.type} equals the feed's event`);
    check(receiver.attempts.get(event.id) === 1, `${event.id} attempted once`);
  }
  // The metrics count them, and show the (now empty) backlog.
  const metrics = await (await fetch(service.base + "/metrics")).text();
  const succeeded = /^leads_webhook_attempts_total\{outcome="succeeded"\} (\d+)/m.exec(metrics);
  check(succeeded && Number(succeeded[1]) >= events.length, "leads_webhook_attempts_total counts the successes");
  check(/^leads_webhook_deliveries_pending \d+/m.test(metrics), "leads_webhook_deliveries_pending is exported");
  check(/^leads_webhook_oldest_pending_age_seconds [0-9.e+-]+/m.test(metrics), "the oldest pending age is exported");
}

async function retriesAfter500s(service, receiver) {
  const tenant = tenantName("retry");
  const webhook = await newWebhook(service, receiver, tenant, { event_types: ["lead.created"] });
  // Set before the event exists: the worker may deliver it at once.
  const previous = receiver.answer;
  receiver.answer = (id, n, url) => (url === "/" + tenant && n <= 2 ? 500 : previous(id, n, url));
  const created = await api(service, tenant, "POST", "/api/v1/tenant/leads", { workspace_slug: "acme", email: "r@x.com" });
  check(created.status === 201, "lead created");
  const [event] = await feed(service, tenant);
  await until("the third attempt answered 200", async () => {
    const list = await api(service, tenant, "GET", `/api/v1/tenant/webhooks/${webhook.id}/deliveries`);
    const [delivery] = list.body.data;
    return delivery && delivery.state === "succeeded";
  });
  const list = await api(service, tenant, "GET", `/api/v1/tenant/webhooks/${webhook.id}/deliveries`);
  const [delivery] = list.body.data;
  check(delivery.event_id === event.id, "the delivery is the event's");
  check(delivery.attempts === 3, `3 attempts, got ${delivery.attempts}`);
  check(delivery.last_status_code === 200, "last status 200");
  check(receiver.attempts.get(event.id) === 3, "the receiver saw 3 requests");
  receiver.answer = previous;
}

// A replica with LEADS_WEBHOOK_WORKER=false serves the API but delivers nothing.
async function workerSwitchedOff(databaseUrl, receiver) {
  const tenant = tenantName("quiet");
  const service = await startService(databaseUrl, { LEADS_WEBHOOK_WORKER: "false" });
  const webhook = await newWebhook(service, receiver, tenant);
  await api(service, tenant, "POST", "/api/v1/tenant/leads", { workspace_slug: "acme", email: "q@x.com" });
  const [event] = await feed(service, tenant);
  await sleep(1500); // a worker would have delivered it several times over
  check(!receiver.attempts.has(event.id), "no delivery from a replica whose worker is off");
  const list = await api(service, tenant, "GET", `/api/v1/tenant/webhooks/${webhook.id}/deliveries`);
  check(list.body.data.length === 0, "no delivery made by a replica whose worker is off");
  await stopService(service);
}

async function restartLosesNothing(databaseUrl, receiver) {
  const tenant = tenantName("restart");
  let service = await startService(databaseUrl);
  await newWebhook(service, receiver, tenant);
  const previous = receiver.answer;
  receiver.answer = () => 503; // the receiver is down: everything stays pending
  for (let i = 0; i < 5; i++) {
    await api(service, tenant, "POST", "/api/v1/tenant/leads", { workspace_slug: "acme", email: `p${i}@x.com` });
  }
  const events = await feed(service, tenant);
  await until("a first attempt of each", () => events.every((e) => receiver.attempts.has(e.id)));
  await stopService(service, "SIGKILL"); // no goodbye: claims are left as they are
  receiver.answer = previous;
  service = await startService(databaseUrl);
  await until(
    "every pending delivery made after the restart",
    () => events.every((e) => receiver.verified.has(e.id) && receiver.attempts.get(e.id) >= 2),
    90000,
  );
  await stopService(service);
}

async function twoProcessesOnePostgres(databaseUrl, receiver) {
  const first = await startService(databaseUrl, { LEADS_WEBHOOK_CONCURRENCY: "4" });
  const second = await startService(databaseUrl, { LEADS_WEBHOOK_CONCURRENCY: "4" });
  const tenant = tenantName("pair");
  await newWebhook(first, receiver, tenant);
  // Both processes write at once (4 writers each) while a reader pages the feed with after
  // through the second: it must see every event once, in sequence order (CONTRACT §8).
  let writing = true;
  const seen = [];
  const reader = (async () => {
    let after = 0;
    for (;;) {
      const done = !writing;
      const page = await api(second, tenant, "GET", `/api/v1/tenant/events?after=${after}&limit=7`);
      for (const event of page.body.data) seen.push(event);
      after = page.body.pagination.next_after;
      if (done && !page.body.pagination.has_more) break;
    }
  })();
  const writers = [];
  for (let w = 0; w < 8; w++) {
    const service = w % 2 === 0 ? first : second;
    writers.push((async () => {
      for (let i = 0; i < 5; i++) {
        const created = await api(service, tenant, "POST", "/api/v1/tenant/leads", {
          workspace_slug: "acme",
          email: `w${w}-${i}@x.com`,
        });
        check(created.status === 201, "lead created: " + created.status);
      }
    })());
  }
  await Promise.all(writers);
  writing = false;
  await reader;
  const events = await feed(first, tenant);
  check(events.length === 40, `40 events, got ${events.length}`);
  check(
    JSON.stringify(seen.map((e) => e.sequence)) === JSON.stringify(events.map((e, i) => i + 1)),
    "the live reader saw sequences 1..40 once each, in order: " + seen.map((e) => e.sequence).join(","),
  );
  check(seen.every((e, i) => e.id === events[i].id), "the live reader saw the same events as the final feed");
  await until("every event delivered", () => events.every((e) => receiver.verified.has(e.id)));
  await sleep(2000); // any duplicate attempt would have arrived by now
  for (const event of events) {
    check(receiver.attempts.get(event.id) === 1, `${event.id} delivered once, got ${receiver.attempts.get(event.id)}`);
  }
  await stopService(first);
  await stopService(second);
}

(async () => {
  const receiver = await startReceiver();
  try {
    if (mode === "postgres") {
      const url = process.env.LEADS_TEST_POSTGRES_URL;
      if (!url) {
        console.log("LEADS_TEST_POSTGRES_URL is not set (run under scripts/with-postgres.sh): skipped");
        process.exit(77);
      }
      await twoProcessesOnePostgres(url, receiver);
    } else {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "leads-webhooks-"));
      const databaseUrl = "sqlite:" + path.join(dir, "leads.db");
      const service = await startService(databaseUrl);
      try {
        await signedBodies(service, receiver);
        await retriesAfter500s(service, receiver);
      } finally {
        await stopService(service);
      }
      await workerSwitchedOff(databaseUrl, receiver);
      await restartLosesNothing(databaseUrl, receiver);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  } catch (error) {
    check(false, error.stack || String(error));
  } finally {
    receiver.close();
  }
  for (const problem of receiver.bad) check(false, "a request did not verify: " + problem);
  if (failures > 0) {
    console.error(`${failures} check(s) failed`);
    process.exit(1);
  }
  console.log("all webhook delivery checks passed");
  process.exit(0);
})();
