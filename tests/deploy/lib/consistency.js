'use strict';
// Do the manifests agree with each other and with the service: probe paths and ports with
// its routes and listen address, env names and values with its options, the termination
// grace with its shutdown grace, storage with the replica count.
const fs = require('fs');
const path = require('path');
const { byKind } = require('./manifests');

// From ../shared/spec/CONTRACT.md §5: the operational routes and the documented defaults.
const LIVENESS_PATH = '/healthz';
const READINESS_PATH = '/readyz';
const METRICS_PATH = '/metrics';
const API_PREFIX = '/api/v1/tenant';
const CONTRACT_DEFAULTS = { LEADS_LISTEN: '127.0.0.1:8080', LEADS_SHUTDOWN_GRACE_S: '20', LEADS_DATABASE_URL: 'sqlite:leads.db' };
// Seconds between the end of the service's drain and SIGKILL, for the last bytes to leave.
const GRACE_MARGIN_S = 5;
// The uid/gid of the image (deploy/Dockerfile) and of every securityContext.
const UID = 10001;
// PostgreSQL's default max_connections: pool size x (maxReplicas + maxSurge) must fit.
const PG_MAX_CONNECTIONS = 100;

function isSubset(small, big) {
    return Object.entries(small || {}).every(([k, v]) => big && big[k] === v);
}

function decode(secret, key) {
    if (secret.stringData && key in secret.stringData) return String(secret.stringData[key]);
    if (secret.data && key in secret.data) return Buffer.from(secret.data[key], 'base64').toString('utf8');
    return undefined;
}

// name -> {value (undefined when it lives in a Secret not in the manifests), source}
function containerEnv(container, objects) {
    const env = new Map();
    for (const from of container.envFrom || []) {
        if (from.configMapRef) {
            const cm = byKind(objects, 'ConfigMap', from.configMapRef.name)[0];
            const source = `ConfigMap ${from.configMapRef.name}`;
            if (!cm) {
                env.set(`<missing ${source}>`, { value: undefined, source, missing: true });
                continue;
            }
            for (const [k, v] of Object.entries(cm.data || {})) env.set(k, { value: String(v), source });
        }
        if (from.secretRef) {
            const s = byKind(objects, 'Secret', from.secretRef.name)[0];
            const source = `Secret ${from.secretRef.name}`;
            for (const k of Object.keys((s && { ...s.data, ...s.stringData }) || {})) env.set(k, { value: decode(s, k), source });
        }
    }
    for (const e of container.env || []) {
        if ('value' in e) env.set(e.name, { value: String(e.value), source: 'env' });
        else if (e.valueFrom && e.valueFrom.secretKeyRef) {
            const ref = e.valueFrom.secretKeyRef;
            const s = byKind(objects, 'Secret', ref.name)[0];
            env.set(e.name, { value: s ? decode(s, ref.key) : undefined, source: `Secret ${ref.name} key ${ref.key}` });
        } else if (e.valueFrom && e.valueFrom.configMapKeyRef) {
            const ref = e.valueFrom.configMapKeyRef;
            const cm = byKind(objects, 'ConfigMap', ref.name)[0];
            env.set(e.name, { value: cm && cm.data ? cm.data[ref.key] : undefined, source: `ConfigMap ${ref.name} key ${ref.key}` });
        } else env.set(e.name, { value: undefined, source: 'env (fieldRef)' });
    }
    return env;
}

function parseListen(value) {
    const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(value || '');
    return m ? { host: m[1] || m[2], port: Number(m[3]) } : null;
}

function isLoopback(host) {
    return host === 'localhost' || host === '::1' || /^127\./.test(host);
}

function resolvePort(container, port) {
    if (typeof port === 'number') return port;
    if (/^\d+$/.test(String(port))) return Number(port);
    const p = (container.ports || []).find((x) => x.name === port);
    return p ? p.containerPort : undefined;
}

function preStopSeconds(container) {
    const pre = container.lifecycle && container.lifecycle.preStop;
    if (!pre) return undefined;
    if (pre.sleep && Number.isInteger(pre.sleep.seconds)) return pre.sleep.seconds;
    const cmd = pre.exec && pre.exec.command;
    if (Array.isArray(cmd) && cmd.length === 2 && /(^|\/)sleep$/.test(cmd[0]) && /^\d+$/.test(cmd[1])) return Number(cmd[1]);
    return undefined;
}

// The value the service will run with: the manifest's, else its own default, else the contract's.
function effective(env, name, service) {
    const e = env.get(name);
    if (e) return { value: e.value, from: e.source, external: e.value === undefined };
    if (service && service.env.has(name)) return { value: service.env.get(name).default, from: 'the service default' };
    return { value: CONTRACT_DEFAULTS[name], from: 'the contract default' };
}

function checkSecurity(r, tag, pod, containers) {
    const psc = pod.securityContext || {};
    r.check(pod.automountServiceAccountToken === false, `${tag} pod: automountServiceAccountToken must be false`);
    r.check(psc.runAsNonRoot === true, `${tag} pod: securityContext.runAsNonRoot must be true`);
    r.check(psc.runAsUser === UID && psc.runAsGroup === UID, `${tag} pod: runAsUser/runAsGroup must be ${UID} (the image's user)`);
    r.check(psc.seccompProfile && psc.seccompProfile.type === 'RuntimeDefault', `${tag} pod: seccompProfile RuntimeDefault`);
    for (const c of containers) {
        const sc = c.securityContext || {};
        const where = `${tag} container ${c.name}`;
        r.check(sc.allowPrivilegeEscalation === false, `${where}: allowPrivilegeEscalation must be false`);
        r.check(sc.readOnlyRootFilesystem === true, `${where}: readOnlyRootFilesystem must be true`);
        r.check(sc.runAsNonRoot !== false && (sc.runAsUser === undefined || sc.runAsUser === UID), `${where}: must run as uid ${UID}`);
        const drop = (sc.capabilities && sc.capabilities.drop) || [];
        r.check(drop.includes('ALL') && !(sc.capabilities.add || []).length, `${where}: capabilities must drop ALL and add none`);
        r.check(!sc.privileged, `${where}: must not be privileged`);
        if (sc.seccompProfile) r.check(sc.seccompProfile.type === 'RuntimeDefault', `${where}: seccompProfile RuntimeDefault`);
        for (const kind of ['cpu', 'memory']) {
            r.check(c.resources && c.resources.requests && c.resources.requests[kind] !== undefined, `${where}: resources.requests.${kind} is required`);
            r.check(c.resources && c.resources.limits && c.resources.limits[kind] !== undefined, `${where}: resources.limits.${kind} is required`);
        }
    }
}

function mountFor(container, file) {
    return (container.volumeMounts || [])
        .filter((m) => file === m.mountPath || file.startsWith(`${m.mountPath.replace(/\/$/, '')}/`))
        .sort((a, b) => b.mountPath.length - a.mountPath.length)[0];
}

function checkEnvAgainstService(r, tag, c, env, service) {
    for (const [name, e] of env) {
        if (e.missing) {
            r.fail(`${tag} container ${c.name}: ${e.source} is referenced but not in the manifests`);
            continue;
        }
        if (!service) continue;
        const opt = service.env.get(name);
        if (!r.check(opt, `${tag} container ${c.name}: ${name} (from ${e.source}) is not a setting of the service (${service.source} lists ${[...service.env.keys()].join(', ')})`)) continue;
        if (e.value === undefined) continue;
        if (/^U?INT/.test(opt.type)) {
            const ok = /^-?\d+$/.test(e.value) && (opt.min === undefined || (Number(e.value) >= opt.min && Number(e.value) <= opt.max));
            r.check(ok, `${tag} ${name}=${e.value}: the service wants ${opt.type}${opt.min !== undefined ? ` in [${opt.min}, ${opt.max}]` : ''}`);
        }
        if (opt.choices) r.check(opt.choices.includes(e.value), `${tag} ${name}=${e.value}: the service accepts ${opt.choices.join('|')}`);
    }
}

function checkOverlay(r, overlay, service, openapi) {
    const tag = `[${overlay.name}]`;
    const objects = overlay.objects;
    const dep = byKind(objects, 'Deployment', 'leads-api')[0];
    if (!r.check(dep, `${tag} Deployment leads-api is missing`)) return;
    const pod = dep.spec.template.spec;
    const podLabels = (dep.spec.template.metadata && dep.spec.template.metadata.labels) || {};
    const api = (pod.containers || []).find((c) => c.name === 'api');
    if (!r.check(api, `${tag} Deployment leads-api has no container "api"`)) return;
    const env = containerEnv(api, objects);

    // Settings: every name is one of the service's, every value one it accepts.
    const inits = pod.initContainers || [];
    for (const c of [api, ...inits]) checkEnvAgainstService(r, tag, c, containerEnv(c, objects), service);

    // Listen address and ports.
    const listen = effective(env, 'LEADS_LISTEN', service);
    const addr = parseListen(listen.value);
    const httpPort = (api.ports || []).find((p) => p.name === 'http');
    r.check(httpPort, `${tag} container api: needs a port named "http"`);
    if (r.check(addr, `${tag} LEADS_LISTEN=${listen.value} (from ${listen.from}) is not HOST:PORT`)) {
        r.check(!isLoopback(addr.host), `${tag} LEADS_LISTEN=${listen.value} (from ${listen.from}) is a loopback address: nothing outside the pod could connect; use 0.0.0.0:PORT`);
        if (httpPort) r.check(httpPort.containerPort === addr.port, `${tag} container port http=${httpPort.containerPort} but the service listens on ${addr.port} (LEADS_LISTEN from ${listen.from})`);
    }
    const listenPort = addr && addr.port;

    // Probes: the service's own routes, on the port it listens on.
    const probes = [
        ['startupProbe', LIVENESS_PATH],
        ['livenessProbe', LIVENESS_PATH],
        ['readinessProbe', READINESS_PATH],
    ];
    for (const [name, want] of probes) {
        const p = api[name];
        if (!r.check(p && p.httpGet, `${tag} container api: ${name} with httpGet is required`)) continue;
        r.check(p.httpGet.path === want, `${tag} ${name}.httpGet.path is ${p.httpGet.path}; the service's ${want === READINESS_PATH ? 'readiness' : 'liveness'} route is ${want}`);
        const port = resolvePort(api, p.httpGet.port);
        r.check(port === listenPort, `${tag} ${name} probes port ${p.httpGet.port} (${port}) but the service listens on ${listenPort}`);
        r.check(!p.httpGet.scheme || p.httpGet.scheme === 'HTTP', `${tag} ${name}: the service speaks plain HTTP`);
        const period = p.periodSeconds || 10;
        r.check((p.timeoutSeconds || 1) < period, `${tag} ${name}: timeoutSeconds must be below periodSeconds`);
        if (openapi) {
            const methods = openapi.routes.get(p.httpGet.path);
            r.check(methods && methods.has('GET'), `${tag} ${name}: GET ${p.httpGet.path} is not a route in ${openapi.file}`);
        }
    }
    if (api.livenessProbe) {
        const window = (api.livenessProbe.periodSeconds || 10) * (api.livenessProbe.failureThreshold || 3);
        r.check(window >= 10, `${tag} livenessProbe: restarts after ${window} s of failures; allow at least 10 s`);
    }
    if (api.livenessProbe && api.readinessProbe) {
        r.check(api.livenessProbe.httpGet.path !== READINESS_PATH, `${tag} livenessProbe must not follow the database (${READINESS_PATH}): an outage would restart every pod`);
    }

    // Shutdown: the kubelet's SIGKILL must come after preStop + the service's drain + a margin.
    const pre = preStopSeconds(api);
    r.check(pre !== undefined, `${tag} container api: preStop must sleep (exec sleep N or sleep action) so endpoints drop the pod before SIGTERM`);
    const grace = effective(env, 'LEADS_SHUTDOWN_GRACE_S', service);
    const tgps = pod.terminationGracePeriodSeconds === undefined ? 30 : pod.terminationGracePeriodSeconds;
    if (r.check(/^\d+$/.test(String(grace.value)), `${tag} LEADS_SHUTDOWN_GRACE_S=${grace.value} (from ${grace.from}) is not a number of seconds`)) {
        const need = (pre || 0) + Number(grace.value) + GRACE_MARGIN_S;
        r.check(tgps >= need, `${tag} terminationGracePeriodSeconds=${tgps} < preStop ${pre || 0} s + LEADS_SHUTDOWN_GRACE_S ${grace.value} s (from ${grace.from}) + ${GRACE_MARGIN_S} s margin = ${need}`);
    }

    // Migrations: `leads-api migrate`, same image and same database as the service.
    const migrateInit = inits.find((c) => [...(c.command || []), ...(c.args || [])].includes('migrate'));
    const migrateJob = byKind(objects, 'Job').find((j) => j.spec.template.spec.containers.some((c) => [...(c.command || []), ...(c.args || [])].includes('migrate')));
    const migrator = migrateInit || (migrateJob && migrateJob.spec.template.spec.containers.find((c) => [...(c.command || []), ...(c.args || [])].includes('migrate')));
    if (r.check(migrator, `${tag} no init container or Job runs "leads-api migrate"`)) {
        if (service) r.check(service.subcommands.has('migrate'), `${tag} the service has no "migrate" sub-command (${service.source})`);
        r.check(migrator.image === api.image, `${tag} migrations run image ${migrator.image}, the service ${api.image}`);
        const menv = containerEnv(migrator, migrateInit ? objects : objects);
        const a = env.get('LEADS_DATABASE_URL');
        const b = menv.get('LEADS_DATABASE_URL');
        r.check(a && b && a.source === b.source, `${tag} migrations and service must read LEADS_DATABASE_URL from the same place (${b && b.source} vs ${a && a.source})`);
    }

    checkSecurity(r, tag, pod, [api, ...inits]);
    const sa = byKind(objects, 'ServiceAccount', pod.serviceAccountName)[0];
    if (sa) r.check(sa.automountServiceAccountToken === false, `${tag} ServiceAccount ${sa.metadata.name}: automountServiceAccountToken must be false`);

    // Storage decides the replica model: SQLite is one file, so one pod; PostgreSQL scales out.
    const db = effective(env, 'LEADS_DATABASE_URL', service);
    const hpa = byKind(objects, 'HorizontalPodAutoscaler').find((h) => h.spec.scaleTargetRef.kind === 'Deployment' && h.spec.scaleTargetRef.name === 'leads-api');
    const pdb = byKind(objects, 'PodDisruptionBudget').find((p) => isSubset(p.spec.selector.matchLabels, podLabels));
    const pool = Number(effective(env, 'LEADS_DB_POOL_SIZE', service).value || 8);
    if (!db.external && /^sqlite:/.test(db.value || '')) {
        const file = db.value.slice('sqlite:'.length);
        if (r.check(file.startsWith('/'), `${tag} LEADS_DATABASE_URL=${db.value} (from ${db.from}): use an absolute path on a volume; the root filesystem is read-only`)) {
            for (const c of [api, migrator].filter(Boolean)) {
                const m = mountFor(c, path.posix.dirname(file));
                r.check(m && !m.readOnly, `${tag} container ${c.name}: ${path.posix.dirname(file)} (SQLite file ${file}) must be on a writable volume mount`);
            }
        }
        r.check(dep.spec.replicas === 1, `${tag} SQLite: replicas must be exactly 1 (is ${dep.spec.replicas})`);
        r.check(!hpa, `${tag} SQLite: no HorizontalPodAutoscaler (one file, one pod)`);
        r.check(dep.spec.strategy && dep.spec.strategy.type === 'Recreate', `${tag} SQLite: strategy Recreate, so two pods never open the file at once`);
        r.check(!pdb, `${tag} SQLite: a PodDisruptionBudget on one replica blocks node drains`);
    } else {
        if (db.external) r.note(`${tag} LEADS_DATABASE_URL comes from ${db.from}, not in the manifests: assuming PostgreSQL`);
        else r.check(/^postgres(ql)?:\/\//.test(db.value || ''), `${tag} LEADS_DATABASE_URL=${db.value} (from ${db.from}) is neither sqlite: on a volume nor postgresql://`);
        if (r.check(hpa, `${tag} PostgreSQL: a HorizontalPodAutoscaler for Deployment leads-api is expected`)) {
            r.check(hpa.apiVersion === 'autoscaling/v2', `${tag} HorizontalPodAutoscaler must be autoscaling/v2`);
            r.check(hpa.spec.minReplicas >= 2, `${tag} HorizontalPodAutoscaler minReplicas must be >= 2 (is ${hpa.spec.minReplicas})`);
            r.check(dep.spec.replicas === undefined || dep.spec.replicas >= 2, `${tag} Deployment replicas ${dep.spec.replicas} below 2`);
            const surge = Number(((dep.spec.strategy || {}).rollingUpdate || {}).maxSurge || 0) || 0;
            const peak = pool * (hpa.spec.maxReplicas + surge);
            r.check(peak <= PG_MAX_CONNECTIONS, `${tag} LEADS_DB_POOL_SIZE ${pool} x (maxReplicas ${hpa.spec.maxReplicas} + maxSurge ${surge}) = ${peak} connections > PostgreSQL's default max_connections ${PG_MAX_CONNECTIONS}`);
        }
        r.check(pdb, `${tag} PostgreSQL: a PodDisruptionBudget selecting the pods is expected`);
    }

    // Authentication: an explicit mode, with what that mode needs.
    const mode = effective(env, 'LEADS_AUTH_MODE', service).value;
    r.check(mode === 'jwt' || mode === 'gateway', `${tag} set LEADS_AUTH_MODE to jwt or gateway explicitly (unset + non-loopback address refuses to start)`);
    const jwtNames = ['LEADS_JWT_SECRET', 'LEADS_JWT_PUBLIC_KEY_FILE', 'LEADS_JWT_ISSUER', 'LEADS_JWT_AUDIENCE'];
    if (mode === 'jwt') {
        const secret = env.has('LEADS_JWT_SECRET');
        const file = env.has('LEADS_JWT_PUBLIC_KEY_FILE');
        r.check(secret !== file, `${tag} jwt mode needs exactly one of LEADS_JWT_SECRET and LEADS_JWT_PUBLIC_KEY_FILE (both is refused at start-up)`);
        const keyFile = env.get('LEADS_JWT_PUBLIC_KEY_FILE');
        if (keyFile && keyFile.value) {
            const m = mountFor(api, keyFile.value);
            if (r.check(m, `${tag} LEADS_JWT_PUBLIC_KEY_FILE=${keyFile.value} is not on any volume mount of container api`)) {
                const vol = (pod.volumes || []).find((v) => v.name === m.name);
                const rel = path.posix.relative(m.mountPath, keyFile.value);
                if (vol && vol.secret && vol.secret.items) {
                    r.check(vol.secret.items.some((i) => i.path === rel), `${tag} volume ${vol.name} does not project ${rel}`);
                }
            }
        }
        for (const n of ['LEADS_JWT_SECRET']) {
            const e = env.get(n);
            if (e) r.check(/^Secret /.test(e.source), `${tag} ${n} must come from a Secret, not ${e.source}`);
        }
    } else if (mode === 'gateway') {
        for (const n of jwtNames) r.check(!env.has(n), `${tag} gateway mode: ${n} is set but unused; remove it`);
    }
    const dbSource = env.get('LEADS_DATABASE_URL');
    if (dbSource && dbSource.value && /:\/\/[^/@]*:[^/@]*@/.test(dbSource.value)) {
        r.check(/^Secret /.test(dbSource.source), `${tag} LEADS_DATABASE_URL carries a password: it must come from a Secret, not ${dbSource.source}`);
    }

    // Service, NetworkPolicy, routes: all lead to the port the service listens on.
    const svc = byKind(objects, 'Service', 'leads-api')[0];
    let servicePort;
    if (r.check(svc, `${tag} Service leads-api is missing`)) {
        r.check(isSubset(svc.spec.selector, podLabels) && Object.keys(svc.spec.selector || {}).length > 0, `${tag} Service leads-api selector does not match the pod labels`);
        const p = (svc.spec.ports || []).find((x) => resolvePort(api, x.targetPort === undefined ? x.port : x.targetPort) === listenPort);
        r.check(p, `${tag} Service leads-api has no port whose targetPort reaches ${listenPort}`);
        servicePort = p && p.port;
    }
    const nps = byKind(objects, 'NetworkPolicy').filter((n) => isSubset(n.spec.podSelector.matchLabels, podLabels));
    if (r.check(nps.length > 0, `${tag} no NetworkPolicy selects the pods`)) {
        for (const np of nps) {
            const where = `${tag} NetworkPolicy ${np.metadata.name}`;
            r.check((np.spec.policyTypes || []).includes('Ingress'), `${where}: policyTypes must include Ingress`);
            for (const [i, rule] of (np.spec.ingress || []).entries()) {
                const peers = rule.from || [];
                r.check(peers.length > 0, `${where}: ingress[${i}] has no "from": it admits everyone`);
                for (const peer of peers) {
                    const open = peer.namespaceSelector && Object.keys(peer.namespaceSelector).length === 0 && !peer.podSelector;
                    const empty = !peer.namespaceSelector && !peer.podSelector && !peer.ipBlock;
                    r.check(!open && !empty, `${where}: ingress[${i}] admits every pod of every namespace`);
                }
                const ports = rule.ports || [];
                r.check(ports.length > 0 && ports.every((p) => resolvePort(api, p.port) === listenPort), `${where}: ingress[${i}] ports must be the service port ${listenPort}`);
            }
        }
    }
    const annotations = (dep.spec.template.metadata && dep.spec.template.metadata.annotations) || {};
    if (annotations['prometheus.io/scrape'] === 'true') {
        r.check(Number(annotations['prometheus.io/port']) === listenPort, `${tag} prometheus.io/port ${annotations['prometheus.io/port']} is not the service port ${listenPort}`);
        r.check(annotations['prometheus.io/path'] === METRICS_PATH, `${tag} prometheus.io/path must be ${METRICS_PATH}`);
        if (openapi) r.check(openapi.routes.has(METRICS_PATH), `${tag} ${METRICS_PATH} is not a route in ${openapi.file}`);
    }
    const routePathOk = (p) => p === API_PREFIX || p.startsWith(`${API_PREFIX}/`);
    if (openapi) {
        r.check([...openapi.routes.keys()].some(routePathOk), `${tag} ${openapi.file} has no route under ${API_PREFIX}`);
    }
    for (const route of byKind(objects, 'HTTPRoute')) {
        const where = `${tag} HTTPRoute ${route.metadata.name}`;
        for (const rule of route.spec.rules || []) {
            for (const m of rule.matches || [{}]) {
                r.check(m.path && routePathOk(m.path.value) && m.path.type !== 'RegularExpression', `${where}: only ${API_PREFIX} may be public (match ${JSON.stringify(m.path || 'everything')})`);
            }
            for (const b of rule.backendRefs || []) {
                r.check(b.name === 'leads-api' && b.port === servicePort, `${where}: backendRef ${b.name}:${b.port} is not Service leads-api:${servicePort}`);
            }
        }
        if (mode === 'gateway') {
            const policy = byKind(objects, 'SecurityPolicy').find((s) => (s.spec.targetRefs || [s.spec.targetRef]).some((t) => t && t.kind === 'HTTPRoute' && t.name === route.metadata.name));
            const forwards = policy && policy.spec.jwt && policy.spec.jwt.providers.some((p) => (p.claimToHeaders || []).some((c) => c.claim === 'tenant_id' && c.header.toLowerCase() === 'x-tenant-id'));
            r.check(forwards, `${where}: gateway auth mode needs the gateway to validate the JWT and set X-Tenant-Id from tenant_id (a SecurityPolicy on this route)`);
        }
    }
    for (const ing of byKind(objects, 'Ingress')) {
        const where = `${tag} Ingress ${ing.metadata.name}`;
        r.check(mode === 'jwt', `${where}: an Ingress does not validate tokens; use jwt auth mode with it`);
        for (const rule of ing.spec.rules || []) {
            for (const p of (rule.http && rule.http.paths) || []) {
                r.check(routePathOk(p.path) && p.pathType === 'Prefix', `${where}: only ${API_PREFIX} (pathType Prefix) may be public, not ${p.path}`);
                const b = p.backend.service || {};
                const port = b.port && (b.port.number !== undefined ? b.port.number : (svc.spec.ports.find((x) => x.name === b.port.name) || {}).port);
                r.check(b.name === 'leads-api' && port === servicePort, `${where}: backend ${b.name}:${port} is not Service leads-api:${servicePort}`);
            }
        }
    }
}

// docs/operations.md lists every setting with its default: the same set as the service's.
function checkDocs(r, repo, service) {
    const file = path.join(repo, 'docs', 'operations.md');
    if (!r.check(fs.existsSync(file), `${file} is missing`)) return;
    const text = fs.readFileSync(file, 'utf8');
    const rows = new Map();
    for (const line of text.split('\n')) {
        const m = /^\|\s*`(LEADS_[A-Z0-9_]+)`\s*\|\s*([^|]*)\|/.exec(line);
        if (m) rows.set(m[1], m[2].trim().replace(/^`|`$/g, ''));
    }
    r.check(rows.size > 0, `${file}: no configuration table rows (| \`LEADS_...\` | default | meaning |)`);
    if (!service) return;
    for (const [name, opt] of service.env) {
        if (!r.check(rows.has(name), `${file}: ${name} (from ${service.source}) is not documented`)) continue;
        const documented = rows.get(name);
        const none = /^(—|-|none|\(none\)|unset|\(unset\))$/i.test(documented) || documented === '';
        if (opt.default === undefined || opt.default === '') {
            r.check(none || !/^[\w./:-]+$/.test(documented), `${file}: ${name} is documented with default "${documented}" but the service has none`);
        } else if (opt.computedDefault) {
            const words = (t) => t.toLowerCase().replace(/^the /, '');
            r.check(words(documented) === words(opt.computedDefault), `${file}: ${name} default is "${documented}" in the docs; the service computes it: "${opt.computedDefault}"`);
        } else {
            r.check(documented === opt.default, `${file}: ${name} default is "${documented}" in the docs, "${opt.default}" in the service`);
        }
    }
    for (const name of rows.keys()) r.check(service.env.has(name), `${file}: documents ${name}, which the service does not have`);
}

module.exports = { checkDocs, checkOverlay, containerEnv, GRACE_MARGIN_S, UID };
