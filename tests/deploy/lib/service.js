'use strict';
// What the service says about itself: `leads-api --help` (CLI11, one "(Env:NAME)" per option)
// and docs/openapi.json (its routes).
const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');

// Runs `leads-api --help` with no LEADS_* variables set, so the text shows compiled-in defaults.
function helpFromBinary(binary) {
    const env = {};
    for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('LEADS_')) env[k] = v;
    const out = spawnSync(binary, ['--help'], { encoding: 'utf8', env, timeout: 20000 });
    if (out.error) throw new Error(`${binary} --help: ${out.error.message}`);
    if (out.status !== 0) throw new Error(`${binary} --help exited ${out.status}: ${out.stderr}`);
    return out.stdout;
}

// Splits CLI11's "TYPE[:VALIDATOR][=DEFAULT]" (2.1) or "TYPE [DEFAULT]" (2.2+) into parts.
function parseSpec(spec) {
    let depth = 0;
    for (let i = 0; i < spec.length; i++) {
        const c = spec[i];
        if (c === '[' || c === '{' || c === '(') depth++;
        else if (c === ']' || c === '}' || c === ')') depth--;
        else if (c === '=' && depth === 0) return { type: spec.slice(0, i), default: spec.slice(i + 1) };
    }
    const m = /^(\S+(?::\S.*?)?)\s+\[([^\]]*)\]$/.exec(spec);
    if (m) return { type: m[1], default: m[2] };
    return { type: spec, default: undefined };
}

// Returns {env: Map(NAME -> {option, type, default, choices, min, max}), subcommands: Set}.
function parseHelp(text) {
    const env = new Map();
    const subcommands = new Set();
    let section = null;
    let last = null;
    for (const line of text.split('\n')) {
        // A description line under an option: "(default: the number of CPUs)" marks a default
        // computed at run time, which the help shows for this machine only.
        if (last && /^\s{8,}\S/.test(line)) {
            const computed = /default:\s*([^)]+)\)/i.exec(line);
            if (computed) last.computedDefault = computed[1].trim();
            continue;
        }
        last = null;
        if (/^\S.*:$/.test(line)) {
            section = line.slice(0, -1).trim().toLowerCase();
            continue;
        }
        const m = /^\s+(?:-\w,)?(--[\w-]+)(?:\s+(.*?))?\s+\(Env:([A-Za-z0-9_]+)\)/.exec(line);
        if (m) {
            const { type, default: def } = parseSpec((m[2] || '').trim());
            const entry = { option: m[1], type: type.split(':')[0], default: def };
            const choices = /\{([^}]*)\}/.exec(type);
            if (choices) entry.choices = choices[1].split(',').map((s) => s.trim());
            const range = /\[\s*(-?[\d.]+)\s*-\s*(-?[\d.]+)\s*\]/.exec(type);
            if (range) [entry.min, entry.max] = [Number(range[1]), Number(range[2])];
            env.set(m[3], entry);
            last = entry;
            continue;
        }
        if (section === 'subcommands') {
            const s = /^ {2}([a-z][\w-]*)\s/.exec(line);
            if (s) subcommands.add(s[1]);
        }
    }
    return { env, subcommands };
}

// Loads the service's facts. binary wins; helpFile is for the self-test. Returns null with a
// reason when neither is available.
function loadService({ binary, helpFile }) {
    let text;
    let source;
    if (binary) {
        text = helpFromBinary(binary);
        source = `${binary} --help`;
    } else if (helpFile) {
        text = fs.readFileSync(helpFile, 'utf8');
        source = helpFile;
    } else {
        return null;
    }
    const parsed = parseHelp(text);
    if (parsed.env.size === 0) throw new Error(`${source}: no "(Env:LEADS_...)" options found in the help text`);
    return { source, ...parsed };
}

function loadOpenApi(repo) {
    const file = path.join(repo, 'docs', 'openapi.json');
    if (!fs.existsSync(file)) return null;
    const doc = JSON.parse(fs.readFileSync(file, 'utf8'));
    const paths = doc.paths || {};
    const routes = new Map();
    for (const [p, item] of Object.entries(paths)) {
        const methods = Object.keys(item || {}).filter((k) =>
            ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'].includes(k),
        );
        routes.set(p, new Set(methods.map((m) => m.toUpperCase())));
    }
    return { file, routes };
}

module.exports = { loadOpenApi, loadService, parseHelp };
