// Webhook delivery throughput (issue 13's target: >= 2,000 events/s to a local receiver).
// Starts leads-api (SQLite, or LEADS_DATABASE_URL) with a local receiver endpoint, imports
// N leads in batches of 1,000 (N lead.created events), and reports how fast the events
// reached the receiver: from the first import to the last delivery, and from the end of the
// imports (the worker's own pace). The receiver answers 204 at once and does not verify
// (verification is the e2e tests' job, tests/webhooks/delivery_e2e.js).
//   node tests/perf/webhook_delivery_bench.js <leads-api> [events=20000] [KEY=VALUE ...]
// Extra KEY=VALUE pairs are passed to the service (e.g. LEADS_WEBHOOK_PER_ENDPOINT=8).
"use strict";
const { spawn } = require("node:child_process");
const http = require("node:http");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");

const [binary, countText, ...settings] = process.argv.slice(2);
const total = Number(countText || 20000);
const extra = Object.fromEntries(settings.map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]));

(async () => {
  let received = 0;
  let lastAt = 0;
  const seen = new Set();
  let duplicates = 0;
  const receiver = http.createServer((request, response) => {
    request.resume();
    request.on("end", () => {
      const id = request.headers["webhook-id"];
      if (seen.has(id)) duplicates += 1;
      seen.add(id);
      received += 1;
      lastAt = performance.now();
      response.writeHead(204);
      response.end();
    });
  });
  await new Promise((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "leads-delivery-bench-"));
  const env = {
    PATH: process.env.PATH,
    LEADS_LISTEN: "127.0.0.1:0",
    LEADS_DATABASE_URL: "sqlite:" + path.join(dir, "leads.db"),
    LEADS_LOG_LEVEL: "warn",
    LEADS_WEBHOOK_ALLOW_HTTP: "true",
    LEADS_WEBHOOK_ALLOW_PRIVATE: "true",
    ...extra,
  };
  const child = spawn(binary, [], { env: { ...env, LEADS_LOG_LEVEL: "info" }, stdio: ["ignore", "pipe", "inherit"] });
  const base = await new Promise((resolve, reject) => {
    let buffered = "";
    child.stdout.on("data", (chunk) => {
      buffered += chunk;
      for (const line of buffered.split("\n")) {
        try {
          const entry = JSON.parse(line);
          if (entry.msg === "listening") resolve(`http://127.0.0.1:${entry.port}`);
        } catch {}
      }
    });
    child.on("exit", (code) => reject(new Error("exited " + code)));
  });
  const call = async (method, target, body) => {
    const response = await fetch(base + target, {
      method,
      headers: { "x-tenant-id": "bench", "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    return response.json();
  };
  await call("POST", "/api/v1/tenant/webhooks", { url: `http://127.0.0.1:${receiver.address().port}/hook` });
  const started = performance.now();
  for (let done = 0; done < total; done += 1000) {
    const leads = [];
    for (let i = done; i < Math.min(total, done + 1000); i++) leads.push({ email: `lead${i}@bench.example` });
    await call("POST", "/api/v1/tenant/leads/import", { workspace_slug: "bench", leads });
  }
  const imported = performance.now();
  const deadline = Date.now() + 300000;
  while (seen.size < total && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  const seconds = (lastAt - started) / 1000;
  const afterImport = Math.max(0, (lastAt - imported) / 1000);
  console.log(JSON.stringify({
    events: total,
    delivered: seen.size,
    duplicates,
    imports_s: +((imported - started) / 1000).toFixed(2),
    first_import_to_last_delivery_s: +seconds.toFixed(2),
    events_per_s: Math.round(seen.size / seconds),
    settings: extra,
  }));
  child.kill("SIGTERM");
  receiver.close();
  fs.rmSync(dir, { recursive: true, force: true });
  process.exit(seen.size === total ? 0 : 1);
})();
