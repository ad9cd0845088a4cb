#!/usr/bin/env node
'use strict';
// Offline checks of the deployment (ctest label "deploy"; see CMakeLists.txt beside this file).
//
//   node tests/deploy/check.js COMMAND [--repo DIR] [--binary FILE] [--build-dir DIR]
//                                      [--kubectl FILE] [--help-file FILE]
//   render       every overlay renders with `kubectl kustomize` (kustomize >= v5), warning-free,
//                and every manifest file is used by some overlay
//   schema       every rendered object (or, without kustomize, every resource file) and every
//                example validates against the Kubernetes and Gateway API schemas, strictly
//   consistency  probes, ports, env names and values, grace period, storage and replicas agree
//                with the service (`leads-api --help`, docs/openapi.json) and with each other
//   image        deploy/Dockerfile agrees with the CMake presets, the README, the binary's
//                shared libraries and the manifests
//   smoke        runs the binary with each overlay's settings: migrate, probes, /metrics, JSON
//                logs, SIGTERM -> exit 0 within the grace (loopback only)
//   selftest     breaks a copy of the manifests in many ways and expects each check to fail
//
// Exit status: 0 passed, 1 failed, 77 part skipped for a missing input (ctest SKIP_RETURN_CODE).
// Needs the pinned packages: npm ci --prefix tests/deploy

const fs = require('fs');
const path = require('path');

function parseArgs(argv) {
    const opts = { command: argv[0] };
    for (let i = 1; i < argv.length; i += 2) {
        const key = argv[i].replace(/^--/, '').replace(/-(\w)/g, (_, c) => c.toUpperCase());
        opts[key] = argv[i + 1];
    }
    opts.repo = path.resolve(opts.repo || path.join(__dirname, '..', '..'));
    if (opts.binary === '') delete opts.binary;
    return opts;
}

function requireDependencies() {
    try {
        require.resolve('yaml');
        require.resolve('kubernetes-models/apps/v1/Deployment');
        require.resolve('dockerfile-ast');
        return true;
    } catch {
        return false;
    }
}

// The commands, each filling a Report. Selftest calls them on mutated copies of the repository.
function runRender(r, opts) {
    const m = require('./lib/manifests');
    const overlays = m.overlayDirs(opts.repo);
    if (!r.check(overlays.length > 0, `no overlays under ${m.k8sDir(opts.repo)}/overlays`)) return;

    // Every file under deploy/k8s (but examples/) must be reachable from some overlay.
    const used = new Set();
    const visit = (dir) => {
        const k = path.join(dir, 'kustomization.yaml');
        if (used.has(k)) return;
        if (!r.check(fs.existsSync(k), `${dir} is referenced as a kustomization but has no kustomization.yaml`)) return;
        used.add(k);
        let refs;
        try {
            refs = m.kustomizationRefs(dir);
        } catch (e) {
            r.fail(e.message);
            return;
        }
        for (const f of [...refs.resources, ...refs.components, ...refs.files]) {
            if (!r.check(fs.existsSync(f), `${path.relative(opts.repo, k)} refers to ${path.relative(opts.repo, f)}, which does not exist`)) continue;
            if (fs.statSync(f).isDirectory()) visit(f);
            else used.add(f);
        }
    };
    for (const o of overlays) visit(o.dir);
    const examples = path.join(m.k8sDir(opts.repo), 'examples') + path.sep;
    for (const f of m.allYamlFiles(opts.repo)) {
        if (f.startsWith(examples)) continue;
        r.check(used.has(f), `${path.relative(opts.repo, f)} is not used by any overlay (stale file, or a missing reference?)`);
    }

    const kustomize = m.findKustomize(opts.kubectl);
    if (!kustomize.tool) {
        // Still parse every file, so a syntax error shows without kustomize.
        for (const f of m.allYamlFiles(opts.repo).filter((x) => /\.ya?ml$/.test(x))) {
            try {
                m.loadYamlFile(f);
                r.check(true, '');
            } catch (e) {
                r.fail(e.message);
            }
        }
        r.skip(`overlays not rendered: ${kustomize.reason}. Checked references and YAML syntax only`);
        return;
    }
    r.note(`rendering with ${kustomize.version}`);
    for (const o of overlays) {
        try {
            const objects = m.render(kustomize, o.dir);
            r.check(objects.length > 0, `${o.name}: rendered nothing`);
            r.note(`${o.name}: ${objects.map((x) => x.kind).join(', ')}`);
        } catch (e) {
            r.fail(`${o.name} does not render: ${e.message}`);
        }
    }
}

function runSchema(r, opts) {
    const m = require('./lib/manifests');
    const { validateObject, describe } = require('./lib/schema');
    const sets = [];
    const kustomize = m.findKustomize(opts.kubectl);
    if (kustomize.tool) {
        for (const o of m.overlayDirs(opts.repo)) {
            try {
                sets.push({ name: `overlay ${o.name}`, objects: m.render(kustomize, o.dir) });
            } catch (e) {
                r.fail(`${o.name} does not render: ${e.message}`);
            }
        }
    } else {
        r.skip(`overlays not rendered (${kustomize.reason}): validating the resource files as written, without patches`);
        for (const f of m.rawResourceFiles(opts.repo)) {
            try {
                sets.push({ name: path.relative(opts.repo, f), objects: m.loadYamlFile(f) });
            } catch (e) {
                r.fail(e.message);
            }
        }
    }
    for (const f of m.exampleFiles(opts.repo)) {
        try {
            sets.push({ name: path.relative(opts.repo, f), objects: m.loadYamlFile(f) });
        } catch (e) {
            r.fail(e.message);
        }
    }
    for (const set of sets) {
        const ids = new Set();
        for (const object of set.objects) {
            const { errors, envelopeOnly } = validateObject(object);
            for (const e of errors) r.fail(`${set.name}: ${describe(object)}: ${e}`);
            r.check(errors.length === 0, `${set.name}: ${describe(object)}`);
            if (envelopeOnly) r.note(`${set.name}: ${describe(object)}: no offline schema for ${object.apiVersion}; checked apiVersion, kind, metadata.name and spec only`);
            const md = object.metadata || {};
            const id = `${String(object.apiVersion).split('/')[0]}/${object.kind}/${md.namespace || ''}/${md.name}`;
            r.check(!ids.has(id), `${set.name}: ${describe(object)} appears twice`);
            ids.add(id);
        }
    }
}

function runConsistency(r, opts) {
    const m = require('./lib/manifests');
    const { loadService, loadOpenApi } = require('./lib/service');
    const { checkOverlay, checkDocs } = require('./lib/consistency');
    const kustomize = m.findKustomize(opts.kubectl);
    if (!kustomize.tool) r.skip(`overlays not rendered (${kustomize.reason}): checking the base's files only`);
    let overlays = [];
    try {
        overlays = m.loadOverlays(opts.repo, kustomize);
    } catch (e) {
        r.fail(e.message);
    }
    let service = null;
    try {
        service = loadService(opts);
    } catch (e) {
        r.fail(e.message);
    }
    if (service) r.note(`service settings from ${service.source}: ${[...service.env.keys()].join(', ')}`);
    else r.skip('service side not checked: the leads-api target is not in this build (no --help to compare env names and defaults with)');
    const openapi = loadOpenApi(opts.repo);
    if (!openapi) r.skip(`routes not compared with docs/openapi.json: ${path.join(opts.repo, 'docs', 'openapi.json')} does not exist yet`);
    for (const o of overlays) checkOverlay(r, o, service, openapi);
    checkDocs(r, opts.repo, service);
}

function runImage(r, opts) {
    require('./lib/image').checkImage(r, opts);
}

// Runs the binary: not part of the self-test, which works without one.
async function runSmoke(r, opts) {
    const m = require('./lib/manifests');
    const kustomize = m.findKustomize(opts.kubectl);
    if (!kustomize.tool) r.skip(`overlays not rendered (${kustomize.reason}): running the base's settings only`);
    await require('./lib/smoke').smoke(r, { ...opts, overlays: m.loadOverlays(opts.repo, kustomize) });
}

const COMMANDS = { render: runRender, schema: runSchema, consistency: runConsistency, image: runImage };
const ALL = { ...COMMANDS, smoke: runSmoke };

async function main() {
    const opts = parseArgs(process.argv.slice(2));
    const { Report } = require('./lib/report');
    if (!ALL[opts.command] && opts.command !== 'selftest') {
        console.log(`usage: check.js {${Object.keys(ALL).join('|')}|selftest} [--repo DIR] [--binary FILE] [--build-dir DIR] [--kubectl FILE] [--help-file FILE]`);
        return 2;
    }
    if (!requireDependencies()) {
        console.log(`SKIP: the pinned npm packages are not installed; run: npm ci --prefix ${path.relative(process.cwd(), __dirname) || '.'}`);
        return 77;
    }
    const r = new Report(`deploy ${opts.command}`);
    try {
        if (opts.command === 'selftest') {
            require('./lib/selftest').selftest(r, opts, COMMANDS);
        } else {
            await ALL[opts.command](r, opts);
        }
    } catch (e) {
        // A broken input (unparsable YAML, say) is a failure with its message, not a crash.
        r.fail(e.message);
    }
    console.log(r.summary());
    return r.exitCode();
}

main().then((code) => {
    process.exitCode = code;
});
