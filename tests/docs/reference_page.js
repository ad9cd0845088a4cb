// GET /docs in a real headless browser (Debian's chromium, driven by puppeteer-core): the
// page loads with no console error, no failed or refused request and nothing fetched from
// another origin, and shows every operation of the OpenAPI document the service serves.
//   node tests/docs/reference_page.js <leads-api binary> [chromium]
'use strict';

const { spawn } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const puppeteer = require('puppeteer-core');

const binary = process.argv[2];
const chromium = process.argv[3] || '/usr/bin/chromium';

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function waitUntilServing(base, child) {
  for (let i = 0; i < 200; ++i) {
    if (child.exitCode !== null) throw new Error(`leads-api exited with ${child.exitCode}`);
    try {
      const response = await fetch(`${base}/healthz`);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('leads-api did not start');
}

async function main() {
  if (!binary || !fs.existsSync(binary)) throw new Error(`usage: reference_page.js <leads-api binary>; got ${binary}`);
  if (!fs.existsSync(chromium)) throw new Error(`${chromium} is missing: run scripts/install-deps.sh`);
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'leads-docs-'));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const child = spawn(binary, [], {
    env: { ...process.env, LEADS_LISTEN: `127.0.0.1:${port}`, LEADS_DATABASE_URL: `sqlite:${directory}/leads.db`,
           LEADS_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  let browser;
  const problems = [];
  try {
    await waitUntilServing(base, child);
    const spec = await (await fetch(`${base}/api/v1/openapi.json`)).json();
    const operations = [];
    for (const [route, item] of Object.entries(spec.paths)) {
      for (const [method, operation] of Object.entries(item)) {
        if (operation && operation.operationId) operations.push({ route, method, id: operation.operationId });
      }
    }
    if (operations.length < 10) throw new Error(`the document lists only ${operations.length} operations`);

    browser = await puppeteer.launch({
      executablePath: chromium,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run'],
    });
    const page = await browser.newPage();
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console error: ${message.text()}`);
    });
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('requestfailed', (request) => problems.push(`request failed: ${request.url()} ${request.failure()?.errorText}`));
    page.on('request', (request) => {
      const url = request.url();
      if (!url.startsWith(base) && !url.startsWith('data:') && !url.startsWith('blob:')) {
        problems.push(`request to another origin: ${url}`);
      }
    });
    page.on('response', (response) => {
      if (response.status() >= 400) problems.push(`HTTP ${response.status()} for ${response.url()}`);
    });

    const response = await page.goto(`${base}/docs`, { waitUntil: 'networkidle0', timeout: 60000 });
    if (!response || response.status() !== 200) problems.push(`GET /docs answered ${response && response.status()}`);
    // Redoc renders each operation as an element whose id ends in operation/<operationId>.
    await page.waitForSelector(`[id$="operation/${operations[0].id}"]`, { timeout: 60000 });
    const missing = await page.evaluate((ops) => {
      const text = document.body.innerText;
      return ops
        .filter((op) => !document.querySelector(`[id$="operation/${op.id}"]`) || !text.includes(op.route))
        .map((op) => `${op.method.toUpperCase()} ${op.route} (${op.id})`);
    }, operations);
    for (const op of missing) problems.push(`not shown: ${op}`);
    const title = await page.title();
    if (!title.includes('Leads')) problems.push(`unexpected title: ${title}`);
    console.log(`reference page: ${operations.length} operations checked, ${problems.length} problems`);
  } finally {
    if (browser) await browser.close();
    child.kill('SIGTERM');
    fs.rmSync(directory, { recursive: true, force: true });
  }
  if (problems.length) {
    for (const problem of problems) console.error(problem);
    process.exit(1);
  }
}

main().catch((error) => {
  console.error(error.stack || String(error));
  process.exit(1);
});
