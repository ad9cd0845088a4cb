'use strict';
// Runs the real binary the way each overlay's pod would: the container's environment (values
// from Secrets outside the manifests replaced by local stand-ins, volume paths moved into a
// scratch directory, the port made free), `leads-api migrate` as the init container, then the
// service, probed on the manifests' own probe paths over loopback; then SIGTERM, which must
// end it with status 0 within LEADS_SHUTDOWN_GRACE_S. Also checks that the metrics and log
// fields docs/operations.md promises are really there.
const crypto = require('crypto');
const fs = require('fs');
const http = require('http');
const net = require('net');
const os = require('os');
const path = require('path');
const { spawn, spawnSync } = require('child_process');
const { byKind } = require('./manifests');
const { containerEnv } = require('./consistency');

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function freePort() {
    return new Promise((resolve, reject) => {
        const server = net.createServer();
        server.once('error', reject);
        server.listen(0, '127.0.0.1', () => {
            const { port } = server.address();
            server.close(() => resolve(port));
        });
    });
}

function get(port, pathname, timeoutMs) {
    return new Promise((resolve) => {
        const req = http.get({ host: '127.0.0.1', port, path: pathname, timeout: timeoutMs }, (res) => {
            let body = '';
            res.setEncoding('utf8');
            res.on('data', (d) => {
                if (body.length < 1 << 20) body += d;
            });
            res.on('end', () => resolve({ status: res.statusCode, body }));
        });
        req.on('timeout', () => req.destroy(new Error('timeout')));
        req.on('error', (e) => resolve({ status: 0, error: e.message }));
    });
}

// The files a pod would find on its volumes, made locally: a PEM public key for a mounted
// secret named like a key, an empty writable directory otherwise.
function stageVolumes(api, pod, scratch) {
    const map = [];
    for (const m of api.volumeMounts || []) {
        const local = path.join(scratch, 'volumes', m.mountPath);
        fs.mkdirSync(local, { recursive: true });
        const vol = (pod.volumes || []).find((v) => v.name === m.name) || {};
        if (vol.secret) {
            for (const item of vol.secret.items || []) {
                if (/\.pem$/.test(item.path)) {
                    const { publicKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
                    fs.writeFileSync(path.join(local, item.path), publicKey.export({ type: 'spki', format: 'pem' }));
                }
            }
        }
        map.push([m.mountPath, local]);
    }
    // Longest mount first, so nested mounts win.
    return map.sort((a, b) => b[0].length - a[0].length);
}

function relocate(value, mounts) {
    for (const [mountPath, local] of mounts) {
        const i = value.indexOf(mountPath);
        if (i >= 0 && (value.length === i + mountPath.length || value[i + mountPath.length] === '/')) {
            return value.slice(0, i) + local + value.slice(i + mountPath.length);
        }
    }
    return value;
}

// Whether the service's own "listening" line is on its stdout: a 200 before it comes from
// whatever else holds the port.
const listening = (stdout) => /"msg":"listening"/.test(stdout);

async function runService(r, tag, binary, env, probes, grace, docs) {
    const childEnv = { PATH: process.env.PATH, HOME: os.tmpdir(), ...env };

    let migrate = spawnSync(binary, ['migrate'], { env: childEnv, encoding: 'utf8', timeout: 60000 });
    if (migrate.status !== 0 && /not supported in this build/.test(`${migrate.stdout}${migrate.stderr}`)) {
        // A build without that storage backend: still check everything else, in memory.
        r.skip(`${tag} ${childEnv.LEADS_DATABASE_URL.split(':')[0]} storage is not in this build: ran on memory: instead`);
        childEnv.LEADS_DATABASE_URL = 'memory:';
        migrate = spawnSync(binary, ['migrate'], { env: childEnv, encoding: 'utf8', timeout: 60000 });
    }
    if (!r.check(migrate.status === 0, `${tag} \`leads-api migrate\` (the init container) exited ${migrate.status}${migrate.signal ? ` (${migrate.signal})` : ''}: ${(migrate.stderr || migrate.stdout || '').trim().slice(0, 400)}`)) return;

    // A free port can be taken by another process before the service binds it (tests run in
    // parallel): a service that exits before saying "listening" is started again elsewhere.
    let port, listen, child, exited;
    let stdout = '';
    let stderr = '';
    let exit = null;
    for (let attempt = 1; ; attempt++) {
        port = await freePort();
        listen = env.LEADS_LISTEN.replace(/:\d+$/, `:${port}`);
        childEnv.LEADS_LISTEN = listen;
        stdout = '';
        stderr = '';
        exit = null;
        child = spawn(binary, [], { env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
        child.stdout.on('data', (d) => {
            if (stdout.length < 1 << 20) stdout += d;
        });
        child.stderr.on('data', (d) => {
            if (stderr.length < 1 << 20) stderr += d;
        });
        exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
        exited.then((e) => {
            exit = e;
        });
        const patience = Date.now() + 60000;
        while (!exit && !listening(stdout) && Date.now() < patience) await sleep(20);
        if (listening(stdout) || attempt === 3 || !/address|bind|in use/i.test(stderr + stdout)) break;
        r.note(`${tag} port ${port} was taken before the service bound it: trying another`);
    }
    try {
        // Startup: as long as the startupProbe would wait, polling more often.
        const sp = probes.startup;
        const budgetMs = (sp.periodSeconds || 10) * (sp.failureThreshold || 3) * 1000;
        const started = Date.now();
        let up = { status: 0 };
        while (!exit && Date.now() - started < budgetMs) {
            up = await get(port, sp.httpGet.path, 2000);
            if (up.status === 200) break;
            await sleep(100);
        }
        if (!r.check(up.status === 200 && !exit, `${tag} the service did not answer 200 on the startupProbe's ${sp.httpGet.path} within ${budgetMs / 1000} s (${exit ? `it exited ${exit.code}` : up.error || up.status}): ${stderr.slice(0, 400)}${stdout.slice(0, 400)}`)) return;
        r.note(`${tag} up after ${Date.now() - started} ms on ${listen}`);
        for (const [name, probe] of [['livenessProbe', probes.liveness], ['readinessProbe', probes.readiness]]) {
            const res = await get(port, probe.httpGet.path, (probe.timeoutSeconds || 1) * 1000);
            r.check(res.status === 200, `${tag} ${name} GET ${probe.httpGet.path} answered ${res.status || res.error} within its ${probe.timeoutSeconds || 1} s timeout`);
        }
        // One API request, so that a request log line and request metrics exist.
        await get(port, '/api/v1/tenant/leads?workspace=smoke', 5000);
        const metrics = await get(port, '/metrics', 5000);
        if (r.check(metrics.status === 200, `${tag} GET /metrics answered ${metrics.status || metrics.error}`)) {
            for (const name of docs.metrics) {
                r.check(new RegExp(`^${name}(_bucket|_sum|_count)?[{ ]`, 'm').test(metrics.body), `${tag} /metrics has no ${name} (docs/operations.md lists it)`);
            }
        }
        await sleep(200);
        const lines = stdout.split('\n').filter((l) => l.trim().startsWith('{'));
        const records = lines.map((l) => {
            try {
                return JSON.parse(l);
            } catch {
                return null;
            }
        });
        r.check(lines.length > 0 && records.every(Boolean), `${tag} stdout must be JSON lines (got: ${stdout.slice(0, 200)})`);
        const request = records.filter(Boolean).find((x) => x.route !== undefined || x.status !== undefined);
        if (r.check(request, `${tag} no request log line (with route/status) on stdout`)) {
            for (const field of docs.logFields) r.check(field in request, `${tag} the request log line has no "${field}" (docs/operations.md lists it): ${JSON.stringify(request)}`);
        }

        // SIGTERM: drain and exit 0 within the grace the manifests give it.
        child.kill('SIGTERM');
        const deadline = Date.now() + (grace + 2) * 1000;
        while (!exit && Date.now() < deadline) await sleep(50);
        if (r.check(exit, `${tag} still running ${grace + 2} s after SIGTERM (LEADS_SHUTDOWN_GRACE_S=${grace})`)) {
            r.check(exit.code === 0, `${tag} exited with ${exit.code === null ? exit.signal : exit.code} after SIGTERM, not 0: ${stderr.slice(-400)}`);
        }
    } finally {
        if (!exit) {
            child.kill('SIGKILL');
            await exited;
        }
    }
}

// The metric names and log fields that docs/operations.md promises.
function documented(repo) {
    const text = fs.readFileSync(path.join(repo, 'docs', 'operations.md'), 'utf8');
    const metrics = [...new Set([...text.matchAll(/^\|\s*`(leads_[a-z0-9_]+)`\s*\|/gm)].map((m) => m[1]))];
    const start = text.indexOf('### Logs');
    const rest = text.slice(start + 1);
    const end = rest.search(/\n#{2,3} /);
    const logSection = start < 0 ? '' : end < 0 ? rest : rest.slice(0, end);
    const logFields = [...logSection.matchAll(/^\|\s*`([a-z_]+)`\s*\|/gm)].map((m) => m[1]);
    return { metrics, logFields };
}

async function smoke(r, { repo, binary, overlays }) {
    if (!binary) {
        r.skip('the leads-api target is not in this build: the service was not run');
        return;
    }
    const docs = documented(repo);
    r.check(docs.metrics.length > 0 && docs.logFields.length > 0, 'docs/operations.md lists metrics and log fields');
    const seen = new Set();
    for (const overlay of overlays) {
        const tag = `[${overlay.name}]`;
        const dep = byKind(overlay.objects, 'Deployment', 'leads-api')[0];
        const pod = dep && dep.spec.template.spec;
        const api = pod && pod.containers.find((c) => c.name === 'api');
        if (!r.check(api, `${tag} no Deployment leads-api with container api`)) continue;
        const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'leads-deploy-smoke-'));
        try {
            const mounts = stageVolumes(api, pod, scratch);
            const env = {};
            for (const [name, e] of containerEnv(api, overlay.objects)) {
                if (e.value !== undefined) env[name] = relocate(e.value, mounts);
                else if (name === 'LEADS_DATABASE_URL') {
                    // A Secret outside the manifests (PostgreSQL in production): the test
                    // database when the test run has one (scripts/with-postgres.sh), else SQLite.
                    const pg = process.env.LEADS_TEST_POSTGRES_URL;
                    env[name] = pg || `sqlite:${path.join(scratch, 'leads.db')}`;
                    r.note(`${tag} ${name} comes from ${e.source}: running on ${pg ? 'LEADS_TEST_POSTGRES_URL' : 'SQLite'} instead`);
                } else {
                    r.note(`${tag} ${name} comes from ${e.source}: left unset`);
                }
            }
            if (!r.check(env.LEADS_LISTEN, `${tag} LEADS_LISTEN is not set`)) continue;
            const key = JSON.stringify(Object.entries(env).map(([k, v]) => [k, v.replace(scratch, '')]).sort());
            if (seen.has(key)) {
                r.note(`${tag} same environment as an overlay already run`);
                continue;
            }
            seen.add(key);
            const probes = { startup: api.startupProbe, liveness: api.livenessProbe, readiness: api.readinessProbe };
            if (!r.check(probes.startup && probes.liveness && probes.readiness, `${tag} probes missing`)) continue;
            await runService(r, tag, binary, env, probes, Number(env.LEADS_SHUTDOWN_GRACE_S || 20), docs);
        } finally {
            fs.rmSync(scratch, { recursive: true, force: true });
        }
    }
}

module.exports = { smoke };
