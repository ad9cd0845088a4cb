'use strict';
// Finding, rendering and loading the Kubernetes manifests under deploy/k8s.
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const { execFileSync, spawnSync } = require('child_process');
const YAML = require('yaml');

// Features used by the kustomizations (components, `labels`, `patches`, inline deletes)
// need kustomize v5; kubectl >= 1.27 embeds it.
const MIN_KUSTOMIZE_MAJOR = 5;

function k8sDir(repo) {
    return path.join(repo, 'deploy', 'k8s');
}

function overlayDirs(repo) {
    const root = path.join(k8sDir(repo), 'overlays');
    if (!fs.existsSync(root)) return [];
    return fs
        .readdirSync(root)
        .filter((name) => fs.existsSync(path.join(root, name, 'kustomization.yaml')))
        .sort()
        .map((name) => ({ name, dir: path.join(root, name) }));
}

// Kubernetes reads manifests as YAML 1.1 (sigs.k8s.io/yaml): parse them the same way.
function parseDocuments(text, source) {
    const docs = YAML.parseAllDocuments(text, { version: '1.1', uniqueKeys: true, prettyErrors: true });
    const objects = [];
    for (const doc of docs) {
        if (doc.errors.length > 0) {
            throw new Error(`${source}: ${doc.errors.map((e) => e.message).join('; ')}`);
        }
        const value = doc.toJS({ maxAliasCount: 0 });
        if (value !== null && value !== undefined) objects.push(value);
    }
    return objects;
}

function loadYamlFile(file) {
    return parseDocuments(fs.readFileSync(file, 'utf8'), file);
}

function run(cmd, args) {
    return spawnSync(cmd, args, { encoding: 'utf8', timeout: 120000, maxBuffer: 64 * 1024 * 1024 });
}

function onPath(name) {
    for (const dir of (process.env.PATH || '').split(path.delimiter)) {
        const candidate = path.join(dir, name);
        try {
            fs.accessSync(candidate, fs.constants.X_OK);
            return candidate;
        } catch {
            // not here
        }
    }
    return null;
}

function majorOf(version) {
    const m = /^v?(\d+)\./.exec(version || '');
    return m ? Number(m[1]) : null;
}

const kustomizeCache = new Map();

// Returns {tool, args, version} for a usable kustomize, or {reason} when there is none.
function findKustomize(kubectlHint) {
    const key = `${kubectlHint || ''}|${process.env.PATH}`;
    if (!kustomizeCache.has(key)) kustomizeCache.set(key, findKustomizeUncached(kubectlHint));
    return kustomizeCache.get(key);
}

function findKustomizeUncached(kubectlHint) {
    const reasons = [];
    const kubectl = kubectlHint && fs.existsSync(kubectlHint) ? kubectlHint : onPath('kubectl');
    if (kubectl) {
        const out = run(kubectl, ['version', '--client', '-o', 'json']);
        let info = null;
        try {
            info = JSON.parse(out.stdout);
        } catch {
            reasons.push(`${kubectl} version --client failed: ${(out.stderr || '').trim()}`);
        }
        if (info) {
            const client = (info.clientVersion && info.clientVersion.gitVersion) || 'unknown';
            const kv = info.kustomizeVersion;
            if (majorOf(kv) >= MIN_KUSTOMIZE_MAJOR) {
                return { tool: kubectl, args: ['kustomize'], version: `kubectl ${client}, kustomize ${kv}` };
            }
            reasons.push(
                `kubectl ${client} embeds kustomize ${kv || 'older than v4 (no version reported)'}; ` +
                    `the overlays need kustomize >= v${MIN_KUSTOMIZE_MAJOR} (kubectl >= 1.27). Debian 12's ` +
                    `kubernetes-client package is kubectl 1.20 with kustomize v2.0.3`,
            );
        }
    } else {
        reasons.push('kubectl is not on PATH');
    }
    const kustomize = onPath('kustomize');
    if (kustomize) {
        const out = run(kustomize, ['version']);
        const m = /v\d+\.\d+\.\d+/.exec(out.stdout || '');
        if (m && majorOf(m[0]) >= MIN_KUSTOMIZE_MAJOR) {
            return { tool: kustomize, args: ['build'], version: `kustomize ${m[0]}` };
        }
        reasons.push(`${kustomize} reports ${(out.stdout || '').trim() || 'no version'}`);
    }
    return { reason: reasons.join('; ') };
}

// The same tree renders the same: the self-test re-checks unchanged manifests many times.
const renderCache = new Map();

function treeDigest(dir) {
    const hash = crypto.createHash('sha256');
    const walk = (d) => {
        for (const e of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
            const p = path.join(d, e.name);
            if (e.isDirectory()) walk(p);
            else hash.update(`${p}\0`).update(fs.readFileSync(p)).update('\0');
        }
    };
    walk(dir);
    return hash.digest('hex');
}

// Renders one overlay directory (deploy/k8s/overlays/NAME); throws with kustomize's message
// on error or warning.
function render(kustomize, dir) {
    const key = `${kustomize.tool} ${dir} ${treeDigest(path.resolve(dir, '..', '..'))}`;
    if (!renderCache.has(key)) {
        try {
            renderCache.set(key, { objects: renderUncached(kustomize, dir) });
        } catch (e) {
            renderCache.set(key, { error: e });
        }
    }
    const hit = renderCache.get(key);
    if (hit.error) throw hit.error;
    return JSON.parse(JSON.stringify(hit.objects));
}

function renderUncached(kustomize, dir) {
    const out = run(kustomize.tool, [...kustomize.args, dir]);
    if (out.error) throw new Error(`${dir}: ${out.error.message}`);
    if (out.status !== 0) throw new Error(`${dir}: ${(out.stderr || out.stdout).trim()}`);
    // Deprecation notices and the like: keep the manifests warning-free.
    const warnings = (out.stderr || '').trim();
    if (warnings) throw new Error(`${dir}: kustomize warned: ${warnings}`);
    return parseDocuments(out.stdout, `${dir} (rendered)`);
}

// Everything a kustomization refers to: resource files and directories, components, patch files,
// generator inputs.
function kustomizationRefs(dir) {
    const k = loadYamlFile(path.join(dir, 'kustomization.yaml'))[0] || {};
    const refs = { resources: [], components: [], files: [] };
    for (const r of k.resources || []) refs.resources.push(path.resolve(dir, r));
    for (const c of k.components || []) refs.components.push(path.resolve(dir, c));
    for (const p of k.patches || []) if (p.path) refs.files.push(path.resolve(dir, p.path));
    for (const g of [...(k.configMapGenerator || []), ...(k.secretGenerator || [])]) {
        for (const f of [...(g.envs || []), ...(g.files || [])]) {
            refs.files.push(path.resolve(dir, String(f).replace(/^[^=]*=/, '')));
        }
    }
    return refs;
}

// Without a usable kustomize: the complete objects (resource files, not patches) that the
// kustomizations list, plus the examples. Generated ConfigMaps and patches are not applied.
function rawResourceFiles(repo) {
    const files = new Set();
    const seen = new Set();
    const visit = (dir) => {
        if (seen.has(dir)) return;
        seen.add(dir);
        const refs = kustomizationRefs(dir);
        for (const r of refs.resources) {
            if (fs.statSync(r).isDirectory()) visit(r);
            else files.add(r);
        }
        refs.components.forEach(visit);
    };
    overlayDirs(repo).forEach((o) => visit(o.dir));
    return [...files].sort();
}

function exampleFiles(repo) {
    const out = [];
    const walk = (dir) => {
        if (!fs.existsSync(dir)) return;
        for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
            const p = path.join(dir, e.name);
            if (e.isDirectory()) walk(p);
            else if (/\.ya?ml$/.test(e.name)) out.push(p);
        }
    };
    walk(path.join(k8sDir(repo), 'examples'));
    return out.sort();
}

function allYamlFiles(repo) {
    const out = [];
    const walk = (dir) => {
        for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
            const p = path.join(dir, e.name);
            if (e.isDirectory()) walk(p);
            else if (/\.(ya?ml|env)$/.test(e.name)) out.push(p);
        }
    };
    walk(k8sDir(repo));
    return out.sort();
}

// KEY=VALUE lines as kustomize reads an env file (comments and blank lines skipped).
function parseEnvFile(file) {
    const out = {};
    for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
        const t = line.trim();
        if (!t || t.startsWith('#')) continue;
        const i = t.indexOf('=');
        if (i > 0) out[t.slice(0, i)] = t.slice(i + 1);
    }
    return out;
}

// Objects for every overlay: rendered when kustomize is usable, else the base's raw files
// with the ConfigMap generated from base/config.env (overlays' patches are then not applied).
function loadOverlays(repo, kustomize) {
    if (kustomize.tool) {
        return overlayDirs(repo).map((o) => ({ name: o.name, rendered: true, objects: render(kustomize, o.dir) }));
    }
    const base = path.join(k8sDir(repo), 'base');
    const refs = kustomizationRefs(base);
    const objects = [];
    for (const r of refs.resources) objects.push(...loadYamlFile(r));
    const k = loadYamlFile(path.join(base, 'kustomization.yaml'))[0] || {};
    for (const g of k.configMapGenerator || []) {
        const data = {};
        for (const f of g.envs || []) Object.assign(data, parseEnvFile(path.resolve(base, f)));
        for (const l of g.literals || []) data[l.slice(0, l.indexOf('='))] = l.slice(l.indexOf('=') + 1);
        objects.push({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: g.name }, data });
    }
    return [{ name: 'base (raw files)', rendered: false, objects }];
}

function byKind(objects, kind, name) {
    return objects.filter((o) => o.kind === kind && (name === undefined || (o.metadata && o.metadata.name === name)));
}

module.exports = {
    allYamlFiles,
    byKind,
    exampleFiles,
    execFileSync,
    findKustomize,
    k8sDir,
    kustomizationRefs,
    loadOverlays,
    loadYamlFile,
    overlayDirs,
    parseDocuments,
    parseEnvFile,
    rawResourceFiles,
    render,
};
