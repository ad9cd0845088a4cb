'use strict';
// deploy/Dockerfile against the build (CMake preset, binary path, README packages), the
// binary (its shared libraries come from the runtime packages) and the Kubernetes manifests
// (uid, port).
const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');
const { DockerfileParser } = require('dockerfile-ast');
const dockerfileUtils = require('dockerfile-utils');
const { loadYamlFile, k8sDir } = require('./manifests');
const { UID } = require('./consistency');

// Already in debian:bookworm-slim (apt needs them), so the runtime stage need not name them.
const IN_SLIM_BASE = new Set(['libc6', 'libgcc-s1', 'libstdc++6', 'zlib1g']);
// -dev packages of the project's list that only the tests need (the fuzzer's runtime).
const TEST_ONLY_DEV = new Set(['libclang-rt-14-dev']);
// Sanitizer runtimes appear only in the debug/ci builds the tests run against.
const SANITIZER_LIB = /^lib(asan|ubsan|lsan|tsan|hwasan)\.so/;

// Package look-ups give the same answer within a run (the self-test asks many times).
const lookups = new Map();
function cachedSpawn(cmd, args) {
    const key = `${cmd}\0${args.join('\0')}`;
    if (!lookups.has(key)) lookups.set(key, spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20 }));
    return lookups.get(key);
}

function words(text) {
    return text.replace(/\\\n/g, ' ').split(/\s+/).filter(Boolean);
}

// Package names of every `apt-get install` in a RUN argument string.
function aptPackages(text) {
    const out = [];
    for (const part of text.split(/&&|;|\|\|/)) {
        const w = words(part);
        const i = w.findIndex((x, k) => (x === 'apt-get' || x === 'apt') && w[k + 1] === 'install');
        if (i < 0) continue;
        for (const x of w.slice(i + 2)) if (!x.startsWith('-')) out.push(x);
    }
    return out;
}

function stages(df) {
    const result = [];
    let current = null;
    for (const ins of df.getInstructions()) {
        if (ins.getKeyword() === 'FROM') {
            current = { from: ins, instructions: [] };
            result.push(current);
        } else if (current) {
            current.instructions.push(ins);
        }
    }
    return result;
}

function argDefault(df, name) {
    for (const ins of df.getInstructions()) {
        if (ins.getKeyword() !== 'ARG') continue;
        const m = new RegExp(`^${name}=(.*)$`).exec(ins.getArgumentsContent() || '');
        if (m) return m[1].replace(/^"|"$/g, '');
    }
    return undefined;
}

// The project's list of Debian packages: scripts/install-deps.sh's packages=( ... ), else the
// README's `apt-get install` command that names the build libraries.
function projectPackages(repo) {
    const script = path.join(repo, 'scripts', 'install-deps.sh');
    if (fs.existsSync(script)) {
        const m = /^packages=\(([\s\S]*?)^\)/m.exec(fs.readFileSync(script, 'utf8'));
        if (m) {
            const list = m[1].split('\n').map((l) => l.replace(/#.*$/, '')).join(' ');
            return { file: script, packages: words(list) };
        }
    }
    const readme = path.join(repo, 'README.md');
    if (!fs.existsSync(readme)) return null;
    const text = fs.readFileSync(readme, 'utf8');
    const commands = [];
    const re = /apt(?:-get)?\s+install[^\n]*(?:\\\n[^\n]*)*/g;
    let m;
    while ((m = re.exec(text))) commands.push(m[0]);
    const build = commands.find((c) => /\blibsoci-dev\b/.test(c));
    return build ? { file: readme, packages: aptPackages(build) } : null;
}

function neededLibraries(binary) {
    const r = cachedSpawn('readelf', ['-d', binary]);
    if (r.status !== 0) return null;
    return [...r.stdout.matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g)].map((m) => m[1]);
}

function libraryPaths(binary) {
    const r = cachedSpawn('ldd', [binary]);
    const map = new Map();
    for (const m of (r.stdout || '').matchAll(/^\s*(\S+)\s+=>\s+(\S+)/gm)) map.set(m[1], m[2]);
    return map;
}

function packageOwning(file) {
    for (const candidate of [file, fs.existsSync(file) ? fs.realpathSync(file) : file]) {
        const r = cachedSpawn('dpkg', ['-S', candidate]);
        if (r.status === 0) return r.stdout.split(':')[0].trim();
        // usrmerge: /lib/x86_64-linux-gnu/... is registered under /usr/lib or the reverse.
        const alt = candidate.startsWith('/usr/') ? candidate.slice(4) : `/usr${candidate}`;
        const r2 = cachedSpawn('dpkg', ['-S', alt]);
        if (r2.status === 0) return r2.stdout.split(':')[0].trim();
    }
    return null;
}

function checkImage(r, { repo, binary, buildDir }) {
    const file = path.join(repo, 'deploy', 'Dockerfile');
    if (!r.check(fs.existsSync(file), `${file} is missing`)) return;
    const text = fs.readFileSync(file, 'utf8');
    const problems = dockerfileUtils.validate(text, {});
    for (const p of problems) r.fail(`${file}:${p.range.start.line + 1}: ${p.message}`);
    r.check(problems.length === 0, `${file} lints clean`);

    const df = DockerfileParser.parse(text);
    const st = stages(df);
    // The last two stages build and run the binary; any before them only prepare build
    // inputs (the API reference page's npm bundle) and reach the image only through build.
    if (!r.check(st.length >= 2, `${file}: expected the stages build and runtime, found ${st.length}`)) return;
    const [build, runtime] = st.slice(-2);
    r.check(build.from.getImageName() === 'debian' && build.from.getImageTag() === 'bookworm', `${file}: build stage must be FROM debian:bookworm (Debian 12), is ${build.from.getImage()}`);
    r.check(runtime.from.getImageName() === 'debian' && runtime.from.getImageTag() === 'bookworm-slim', `${file}: runtime stage must be FROM debian:bookworm-slim, is ${runtime.from.getImage()}`);
    const runs = (stage) => stage.instructions.filter((i) => i.getKeyword() === 'RUN').map((i) => i.getArgumentsContent() || '');

    // The build: `cmake --preset P && cmake --build --preset P`, as the README says.
    const presetsFile = path.join(repo, 'CMakePresets.json');
    const presets = JSON.parse(fs.readFileSync(presetsFile, 'utf8'));
    const buildCmd = runs(build).find((x) => /cmake\s+--preset/.test(x)) || '';
    const configure = /cmake\s+--preset\s+(\S+)/.exec(buildCmd);
    const buildPreset = /cmake\s+--build\s+--preset\s+(\S+)/.exec(buildCmd);
    let binaryDir;
    if (r.check(configure && buildPreset, `${file}: the build stage must run "cmake --preset P && cmake --build --preset P"`)) {
        const cp = presets.configurePresets.find((p) => p.name === configure[1]);
        const bp = (presets.buildPresets || []).find((p) => p.name === buildPreset[1]);
        r.check(cp, `${file}: configure preset ${configure[1]} is not in ${presetsFile}`);
        r.check(bp && bp.configurePreset === configure[1], `${file}: build preset ${buildPreset[1]} does not build configure preset ${configure[1]}`);
        r.check(configure[1] === 'release', `${file}: the image should be the release build, not ${configure[1]}`);
        if (cp) {
            // binaryDir is inherited from "base": ${sourceDir}/build/${presetName}.
            let p = cp;
            while (p && !p.binaryDir && p.inherits) p = presets.configurePresets.find((x) => x.name === [].concat(p.inherits)[0]);
            if (p && p.binaryDir) binaryDir = p.binaryDir.replace('${sourceDir}/', '').replace('${presetName}', cp.name);
        }
    }
    const binaryArg = argDefault(df, 'LEADS_BINARY');
    if (r.check(binaryArg, `${file}: ARG LEADS_BINARY=<path of the built binary> is required`)) {
        if (binaryDir) r.check(binaryArg.startsWith(`${binaryDir}/`), `${file}: LEADS_BINARY=${binaryArg} is not inside the preset's build directory ${binaryDir}`);
        if (binary && buildDir && binaryDir) {
            const rel = path.relative(buildDir, binary).split(path.sep).join('/');
            r.check(binaryArg === `${binaryDir}/${rel}`, `${file}: LEADS_BINARY=${binaryArg}, but CMake puts leads-api at ${binaryDir}/${rel}`);
        } else {
            r.skip('binary path not compared with CMake: the leads-api target is not in this build');
        }
    }

    // Build packages: the project's own list (which also has test-only tools).
    const buildPkgs = [...new Set(runs(build).flatMap(aptPackages))];
    const project = projectPackages(repo);
    if (!project) r.skip('neither scripts/install-deps.sh nor README.md lists the Debian packages: build packages not compared');
    else {
        for (const p of buildPkgs) r.check(project.packages.includes(p), `${file}: build stage installs ${p}, which ${project.file} does not`);
        for (const p of project.packages) {
            if (buildPkgs.includes(p)) continue;
            if (/-dev$/.test(p) && !TEST_ONLY_DEV.has(p)) r.fail(`${file}: ${project.file} installs library ${p}; the build stage does not (a build dependency?)`);
        }
    }

    // Runtime: no -dev packages, and a package for every library the binary links.
    const runtimePkgs = new Set(runs(runtime).flatMap(aptPackages));
    // Every name must be a Debian package (a typo fails only at `docker build` otherwise).
    const names = [...new Set(['apt', ...buildPkgs, ...runtimePkgs])];
    const shown = cachedSpawn('apt-cache', ['show', '--no-all-versions', ...names.sort()]);
    const found = new Set([...(shown.stdout || '').matchAll(/^Package: (\S+)$/gm)].map((m) => m[1]));
    if (!found.has('apt')) r.skip('apt-cache has no package lists here: package names not looked up');
    else for (const p of names) r.check(found.has(p), `${file}: ${p} is not a Debian package (apt-cache show)`);
    for (const p of runtimePkgs) r.check(!/-dev$/.test(p), `${file}: runtime stage installs development package ${p}`);
    if (binary) {
        const needed = neededLibraries(binary);
        const paths = libraryPaths(binary);
        if (!needed) r.skip('readelf is not available: linked libraries not checked');
        else {
            const used = new Set();
            for (const soname of needed) {
                if (SANITIZER_LIB.test(soname)) continue;
                const where = paths.get(soname);
                const pkg = where && packageOwning(where);
                if (!r.check(pkg, `${binary} needs ${soname}, which no installed Debian package provides (${where || 'not found'})`)) continue;
                const name = pkg.replace(/:.*$/, '');
                used.add(name);
                r.check(IN_SLIM_BASE.has(name) || runtimePkgs.has(name), `${file}: the binary links ${soname} from package ${name}, which the runtime stage does not install`);
            }
            for (const p of runtimePkgs) {
                // SOCI may load its backends at run time, so an unlinked soci package is expected.
                if (!used.has(p) && p !== 'tini' && !/^libsoci-/.test(p)) r.note(`runtime package ${p} is not linked by ${path.basename(binary)} (kept for a dependency loaded at run time?)`);
            }
        }
    } else {
        r.skip('runtime packages not checked against the binary: the leads-api target is not in this build');
    }

    // The user, the entrypoint, the port and the environment.
    const last = (stage, kw) => stage.instructions.filter((i) => i.getKeyword() === kw).pop();
    const user = last(runtime, 'USER');
    r.check(user && user.getArgumentsContent() === `${UID}:${UID}`, `${file}: runtime USER must be the numeric ${UID}:${UID} (Kubernetes runAsNonRoot can only verify a numeric user)`);
    const copy = runtime.instructions.find((i) => i.getKeyword() === 'COPY' && /\$\{?LEADS_BINARY\}?/.test(i.getArgumentsContent() || ''));
    const target = copy && words(copy.getArgumentsContent()).filter((w) => !w.startsWith('--')).pop();
    r.check(copy && copy.getFromFlag && copy.getFromFlag() && copy.getFromFlag().getValue() === 'build', `${file}: runtime stage must COPY --from=build the \${LEADS_BINARY}`);
    const ep = last(runtime, 'ENTRYPOINT');
    let argv = null;
    try {
        argv = ep && JSON.parse(ep.getArgumentsContent());
    } catch {
        argv = null;
    }
    if (r.check(Array.isArray(argv), `${file}: ENTRYPOINT must be in exec (JSON) form so the process receives SIGTERM`)) {
        const viaTini = /(^|\/)tini$/.test(argv[0]);
        if (viaTini) {
            r.check(runtimePkgs.has('tini'), `${file}: ENTRYPOINT uses tini but the runtime stage does not install it`);
            r.check(argv[1] === '--' && argv[2] === target, `${file}: ENTRYPOINT must be [tini, --, ${target}]`);
        } else {
            r.check(argv[0] === target, `${file}: ENTRYPOINT must start the binary ${target} (as PID 1) or tini`);
        }
    }
    const expose = last(runtime, 'EXPOSE');
    const envText = runtime.instructions.filter((i) => i.getKeyword() === 'ENV').map((i) => i.getArgumentsContent()).join(' ');
    const listen = /LEADS_LISTEN=(\S+)/.exec(envText);
    r.check(!/LEADS_JWT_SECRET|:\/\/[^\s/@]*:[^\s/@]*@/.test(envText), `${file}: no secrets in ENV`);
    if (r.check(listen && /:(\d+)$/.test(listen[1]), `${file}: runtime ENV LEADS_LISTEN=0.0.0.0:PORT expected (the default 127.0.0.1 is unreachable in a container)`)) {
        const port = Number(/:(\d+)$/.exec(listen[1])[1]);
        r.check(expose && expose.getArgumentsContent().split(/\s+/).some((p) => Number(p.split('/')[0]) === port), `${file}: EXPOSE must list ${port} (LEADS_LISTEN)`);
        const dep = loadYamlFile(path.join(k8sDir(repo), 'base', 'deployment.yaml'))[0];
        const api = dep.spec.template.spec.containers.find((c) => c.name === 'api');
        r.check(api.ports.some((p) => p.containerPort === port), `deploy/k8s/base/deployment.yaml: container port is not the image's ${port}`);
        const sc = dep.spec.template.spec.securityContext || {};
        r.check(sc.runAsUser === UID && sc.runAsGroup === UID, `deploy/k8s/base/deployment.yaml: runAsUser/runAsGroup are not the image's ${UID}`);
    }
    const sqlite = /LEADS_DATABASE_URL=sqlite:(\/\S+)/.exec(envText);
    if (sqlite) {
        const dir = path.posix.dirname(sqlite[1]);
        r.check(runs(runtime).some((x) => new RegExp(`install -d -o ${UID} -g ${UID}[^&]*${dir.replace(/\//g, '\\/')}`).test(x)), `${file}: ${dir} (SQLite) must be created owned by ${UID}`);
    }

    // .dockerignore: never send a host build tree (its CMakeCache would break the image build).
    const ignore = path.join(repo, '.dockerignore');
    if (r.check(fs.existsSync(ignore), `${ignore} is missing`)) {
        const lines = fs.readFileSync(ignore, 'utf8').split('\n').map((l) => l.trim());
        r.check(lines.some((l) => /^\/?build\/?$/.test(l)), `${ignore} must exclude build/`);
        r.check(lines.some((l) => /^\/?\.git\/?$/.test(l)), `${ignore} must exclude .git`);
        r.check(lines.some((l) => /node_modules/.test(l)), `${ignore} must exclude node_modules`);
        // ...but keep what the build reads, docs/openapi.json (compiled into the binary) included.
        const globRe = (g) =>
            new RegExp(`^${g.replace(/^\/|\/$/g, '').replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*\*/g, '\0').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]').replace(/\0/g, '.*')}$`);
        const patterns = lines.filter((l) => l && !l.startsWith('#') && !l.startsWith('!')).map(globRe);
        const needed = ['CMakeLists.txt', 'CMakePresets.json', 'cmake/LeadsWarnings.cmake', 'domain/CMakeLists.txt', 'ports/CMakeLists.txt', 'application/CMakeLists.txt', 'adapters/CMakeLists.txt', 'docs/openapi.json'];
        for (const f of needed) {
            const parts = f.split('/');
            const prefixes = parts.map((_, i) => parts.slice(0, i + 1).join('/'));
            r.check(!prefixes.some((p) => patterns.some((re) => re.test(p))), `${ignore} excludes ${f}, which the build reads`);
        }
    }
}

module.exports = { aptPackages, checkImage };
