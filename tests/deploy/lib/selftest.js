'use strict';
// Proves that each check can fail: copies the deployment files to a scratch directory, breaks
// them one way at a time, and expects the named check to report a failure (and the unbroken
// copy to pass). The service side comes from the built binary's --help, or without one from
// fixtures/leads-api-help.txt (a snapshot of it).
const fs = require('fs');
const os = require('os');
const path = require('path');
const { Report } = require('./report');

const COPIED = ['deploy', 'docs', 'scripts', 'README.md', 'CMakePresets.json', '.dockerignore'];

// A stand-in for docs/openapi.json while the real one does not exist: the contract's routes.
const FALLBACK_OPENAPI = {
    openapi: '3.1.0',
    info: { title: 'selftest', version: '0' },
    paths: Object.fromEntries(
        ['/healthz', '/readyz', '/metrics', '/api/v1/openapi.json', '/api/v1/tenant/leads', '/api/v1/tenant/leads/{id}'].map((p) => [p, { get: {} }]),
    ),
};

const D = 'deploy/k8s';
// [name, check, file, from, to]: `from` must occur in `file` (else the selftest is stale);
// from === null creates the file.
const MUTATIONS = [
    ['a kustomization names a missing file', 'render', `${D}/base/kustomization.yaml`, '- networkpolicy.yaml', '- network-policy.yaml'],
    ['an overlay does not parse', 'render', `${D}/overlays/local/kustomization.yaml`, 'count: 1', 'count: [1'],
    ['a manifest no overlay uses', 'render', `${D}/base/stray.yaml`, null, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: stray\n'],
    ['a misspelt field (readinesProbe)', 'schema', `${D}/base/deployment.yaml`, 'readinessProbe:', 'readinesProbe:'],
    ['a wrong type (revisionHistoryLimit: five)', 'schema', `${D}/base/deployment.yaml`, 'revisionHistoryLimit: 5', 'revisionHistoryLimit: five'],
    ['an unknown HTTPRoute path type', 'schema', `${D}/components/httproute/httproute.yaml`, 'type: PathPrefix', 'type: Prefix'],
    ['a misspelt kind', 'schema', `${D}/examples/secrets.example.yaml`, 'kind: Secret', 'kind: Secrett'],
    ['a misspelt field in an example', 'schema', `${D}/examples/secrets.example.yaml`, 'stringData:', 'stringdata:'],
    ['readiness probe on a path the service does not serve', 'consistency', `${D}/base/deployment.yaml`, 'path: /readyz', 'path: /ready'],
    ['liveness probe on the readiness route', 'consistency', `${D}/base/deployment.yaml`, 'livenessProbe:\n            httpGet:\n              path: /healthz', 'livenessProbe:\n            httpGet:\n              path: /readyz'],
    ['probe on another port', 'consistency', `${D}/base/deployment.yaml`, 'containerPort: 8080', 'containerPort: 8081'],
    ['service listening on another port', 'consistency', `${D}/base/config.env`, 'LEADS_LISTEN=0.0.0.0:8080', 'LEADS_LISTEN=0.0.0.0:9090'],
    ['service listening on loopback', 'consistency', `${D}/base/config.env`, 'LEADS_LISTEN=0.0.0.0:8080', 'LEADS_LISTEN=127.0.0.1:8080'],
    ['LEADS_LISTEN left to its default', 'consistency', `${D}/base/config.env`, 'LEADS_LISTEN=0.0.0.0:8080\n', ''],
    ['an env name the service does not have', 'consistency', `${D}/base/config.env`, 'LEADS_LOG_LEVEL=info', 'LEADS_LOGLEVEL=info'],
    ['a value the service rejects', 'consistency', `${D}/base/config.env`, 'LEADS_AUTH_MODE=jwt', 'LEADS_AUTH_MODE=oauth'],
    ['grace period shorter than preStop + drain + margin', 'consistency', `${D}/base/deployment.yaml`, 'terminationGracePeriodSeconds: 30', 'terminationGracePeriodSeconds: 25'],
    ['drain longer than the grace period allows', 'consistency', `${D}/base/config.env`, 'LEADS_SHUTDOWN_GRACE_S=20', 'LEADS_SHUTDOWN_GRACE_S=30'],
    ['no preStop sleep', 'consistency', `${D}/base/deployment.yaml`, 'command: ["/bin/sleep", "5"]', 'command: ["/bin/true"]'],
    ['Service targetPort elsewhere', 'consistency', `${D}/base/service.yaml`, 'targetPort: http', 'targetPort: 8081'],
    ['NetworkPolicy port elsewhere', 'consistency', `${D}/base/networkpolicy.yaml`, '        - port: http', '        - port: 9090'],
    ['NetworkPolicy open to every namespace', 'consistency', `${D}/base/networkpolicy.yaml`, '        - namespaceSelector:\n            matchLabels:\n              kubernetes.io/metadata.name: monitoring\n          podSelector:\n            matchLabels:\n              app.kubernetes.io/name: prometheus', '        - namespaceSelector: {}'],
    ['HTTPRoute to another Service port', 'consistency', `${D}/components/httproute/httproute.yaml`, 'port: 8080', 'port: 8081'],
    ['HTTPRoute exposing /metrics', 'consistency', `${D}/components/httproute/httproute.yaml`, 'value: /api/v1/tenant', 'value: /'],
    ['writable root filesystem', 'consistency', `${D}/base/deployment.yaml`, 'readOnlyRootFilesystem: true', 'readOnlyRootFilesystem: false'],
    ['capabilities kept', 'consistency', `${D}/base/deployment.yaml`, 'drop: ["ALL"]', 'drop: ["NET_RAW"]'],
    ['another uid', 'consistency', `${D}/base/deployment.yaml`, 'runAsUser: 10001', 'runAsUser: 1000'],
    ['SQLite with two replicas', 'consistency', `${D}/overlays/local/kustomization.yaml`, 'count: 1', 'count: 2'],
    ['SQLite file off the volume', 'consistency', `${D}/overlays/local/kustomization.yaml`, 'url=sqlite:/var/lib/leads/leads.db', 'url=sqlite:/srv/leads.db'],
    ['more connections than PostgreSQL allows', 'consistency', `${D}/base/horizontalpodautoscaler.yaml`, 'maxReplicas: 10', 'maxReplicas: 20'],
    ['no migrations', 'consistency', `${D}/base/deployment.yaml`, 'args: ["migrate"]', 'args: ["--help"]'],
    ['gateway mode without the gateway setting X-Tenant-Id', 'consistency', `${D}/overlays/production-gateway-auth/kustomization.yaml`, '  - ../../components/envoy-gateway-jwt\n', ''],
    ['JWT key file outside its volume', 'consistency', `${D}/base/config.env`, 'LEADS_JWT_PUBLIC_KEY_FILE=/etc/leads/jwt/public.pem', 'LEADS_JWT_PUBLIC_KEY_FILE=/etc/leads/public.pem'],
    ['a route missing from docs/openapi.json', 'consistency', 'docs/openapi.json', '"/readyz"', '"/ready"'],
    ['a default documented wrong', 'consistency', 'docs/operations.md', '| `LEADS_SHUTDOWN_GRACE_S` | 20 |', '| `LEADS_SHUTDOWN_GRACE_S` | 30 |'],
    ['a setting left undocumented', 'consistency', 'docs/operations.md', '| `LEADS_THREADS` |', '| `LEADS_THREAD_COUNT` |'],
    ['binary path outside the preset build directory', 'image', 'deploy/Dockerfile', 'ARG LEADS_BINARY=build/release/', 'ARG LEADS_BINARY=build/debug/'],
    ['another preset than the release one', 'image', 'deploy/Dockerfile', 'cmake --preset release && cmake --build --preset release', 'cmake --preset debug && cmake --build --preset debug'],
    ['runtime stage not slim', 'image', 'deploy/Dockerfile', 'FROM debian:bookworm-slim AS runtime', 'FROM debian:bookworm AS runtime'],
    ['a -dev package at run time', 'image', 'deploy/Dockerfile', '      tini \\\n', '      tini libpq-dev \\\n'],
    ['a named user', 'image', 'deploy/Dockerfile', 'USER 10001:10001', 'USER leads'],
    ['shell-form entrypoint', 'image', 'deploy/Dockerfile', 'ENTRYPOINT ["/usr/bin/tini", "--", "/usr/local/bin/leads-api"]', 'ENTRYPOINT /usr/local/bin/leads-api'],
    ['a port the service does not listen on', 'image', 'deploy/Dockerfile', 'EXPOSE 8080', 'EXPOSE 9090'],
    ['a misspelt package', 'image', 'deploy/Dockerfile', 'libspdlog1.10', 'libspdlog1.1'],
    ['a lint error', 'image', 'deploy/Dockerfile', 'WORKDIR /var/lib/leads', 'WORKDIR'],
    ['a build library missing from the image build', 'image', 'deploy/Dockerfile', ' libpq-dev \\\n', ' \\\n'],
    ['host build tree in the context', 'image', '.dockerignore', '\nbuild/\n', '\n'],
    ['the OpenAPI document left out of the context', 'image', '.dockerignore', '\nbuild/\n', '\nbuild/\ndocs/\n'],
    ['JSON files left out of the context', 'image', '.dockerignore', '\nbuild/\n', '\nbuild/\n**/*.json\n'],
];

// Needs the real binary (its shared libraries): only when the build has one.
const BINARY_MUTATIONS = [['a linked library without its runtime package', 'image', 'deploy/Dockerfile', ' libjwt0 ', ' ']];

function copyInto(src, dst) {
    fs.cpSync(src, dst, { recursive: true, filter: (p) => !p.includes(`${path.sep}node_modules`) });
}

function prepare(repo) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leads-deploy-selftest-'));
    for (const name of COPIED) {
        const src = path.join(repo, name);
        if (fs.existsSync(src)) copyInto(src, path.join(dir, name));
    }
    const openapi = path.join(dir, 'docs', 'openapi.json');
    if (!fs.existsSync(openapi)) {
        fs.mkdirSync(path.dirname(openapi), { recursive: true });
        fs.writeFileSync(openapi, JSON.stringify(FALLBACK_OPENAPI, null, 2));
    }
    return dir;
}

function runQuiet(command, opts) {
    const r = new Report(command, { quiet: true });
    try {
        command.fn(r, opts);
    } catch (e) {
        r.fail(`threw: ${e.stack}`);
    }
    return r;
}

function selftest(r, opts, commands) {
    const kustomize = require('./manifests').findKustomize(opts.kubectl);
    if (!kustomize.tool) {
        // Without rendering, most mutations (overlay patches, generated objects) go unseen.
        r.skip(`self-test needs a kustomize to render the overlays: ${kustomize.reason}`);
        return;
    }
    const helpFile = path.join(__dirname, '..', 'fixtures', 'leads-api-help.txt');
    const dir = prepare(opts.repo);
    // The service's own --help when the binary is built, else the snapshot in fixtures/.
    const base = { ...opts, repo: dir, helpFile, binary: opts.binary };
    const optsFor = () => base;
    try {
        // The unbroken copy passes every check.
        for (const name of Object.keys(commands)) {
            const result = runQuiet({ fn: commands[name] }, optsFor(name));
            r.check(result.failures.length === 0, `unbroken copy: ${name} fails: ${result.failures.slice(0, 5).join(' | ')}`);
        }
        const mutations = opts.binary ? [...MUTATIONS, ...BINARY_MUTATIONS] : MUTATIONS;
        if (!opts.binary) r.note('no leads-api binary: the runtime-library mutation is not tried');
        for (const [name, check, rel, from, to] of mutations) {
            const file = path.join(dir, rel);
            const original = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : null;
            let mutated;
            if (from === null) {
                mutated = to;
            } else if (!r.check(original !== null && original.includes(from), `selftest is stale: "${from.split('\n')[0]}" not found in ${rel} (${name})`)) {
                continue;
            } else {
                mutated = original.replace(from, to);
            }
            if (!r.check(mutated !== original, `selftest mutation "${name}" changed nothing in ${rel}`)) continue;
            fs.writeFileSync(file, mutated);
            try {
                const result = runQuiet({ fn: commands[check] }, optsFor(check));
                if (r.check(result.failures.length > 0, `${check} did not notice: ${name} (${rel})`)) {
                    console.log(`ok: ${check} catches ${name}: ${result.failures[0].split('\n')[0].slice(0, 160)}`);
                }
            } finally {
                if (original === null) fs.rmSync(file);
                else fs.writeFileSync(file, original);
            }
        }
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

module.exports = { selftest };
