'use strict';
// Offline validation of Kubernetes objects against the OpenAPI schemas shipped by the pinned
// npm packages kubernetes-models (core API) and @kubernetes-models/gateway-api, made strict:
// a field the schema does not know (a typo such as `readinesProbe`) is an error, as with
// `kubectl apply --validate=strict`.

// Custom resources no pinned package describes: only their envelope is checked.
const ENVELOPE_ONLY_GROUPS = new Set(['gateway.envoyproxy.io']);

function splitApiVersion(apiVersion) {
    const i = apiVersion.lastIndexOf('/');
    return i < 0 ? { group: '', version: apiVersion } : { group: apiVersion.slice(0, i), version: apiVersion.slice(i + 1) };
}

function modelFor(apiVersion, kind) {
    const { group, version } = splitApiVersion(apiVersion);
    if (!/^[A-Za-z0-9]+$/.test(kind) || !/^[a-z0-9]+$/.test(version) || !/^[a-z0-9.-]*$/.test(group)) return null;
    const candidates = [];
    if (group === 'gateway.networking.k8s.io') {
        candidates.push(`@kubernetes-models/gateway-api/${group}/${version}/${kind}`);
    } else {
        candidates.push(group ? `kubernetes-models/${group}/${version}/${kind}` : `kubernetes-models/${version}/${kind}`);
    }
    for (const id of candidates) {
        try {
            const mod = require(id);
            if (typeof mod[kind] === 'function') return mod[kind];
        } catch (e) {
            if (e.code !== 'MODULE_NOT_FOUND' && e.code !== 'ERR_PACKAGE_PATH_NOT_EXPORTED') throw e;
        }
    }
    return null;
}

// Runs the model's schema validation on a proxy that records every property the validator
// reads; whatever it never read is not in the schema. Map-typed fields (labels, data) are
// iterated by the validator, so their keys count as read.
function strictValidate(Model, object) {
    const read = new WeakMap();
    const proxies = new WeakMap();
    const wrap = (v) => {
        if (v === null || typeof v !== 'object') return v;
        if (proxies.has(v)) return proxies.get(v);
        read.set(v, new Set());
        const p = new Proxy(v, {
            get(target, key, receiver) {
                if (typeof key === 'string') read.get(target).add(key);
                return wrap(Reflect.get(target, key, receiver));
            },
        });
        proxies.set(v, p);
        return p;
    };
    const instance = new Model(JSON.parse(JSON.stringify(object)));
    try {
        wrap(instance).validate();
    } catch (e) {
        // Unknown fields are only meaningful once the document is otherwise valid.
        return [e.message];
    }
    const unknown = [];
    const walk = (v, where) => {
        if (v === null || typeof v !== 'object') return;
        if (Array.isArray(v)) {
            v.forEach((item, i) => walk(item, `${where}[${i}]`));
            return;
        }
        const seen = read.get(v);
        for (const key of Object.keys(v)) {
            if (!seen || !seen.has(key)) unknown.push(`unknown field ${where}.${key}`);
            else walk(v[key], `${where}.${key}`);
        }
    };
    walk(instance, '');
    return unknown.map((u) => u.replace(/^unknown field \./, 'unknown field '));
}

function envelopeErrors(object) {
    const errors = [];
    if (!object.metadata || typeof object.metadata.name !== 'string' || !object.metadata.name) {
        errors.push('metadata.name is missing');
    }
    if (!object.spec || typeof object.spec !== 'object') errors.push('spec is missing');
    return errors;
}

// Returns {errors: [...], envelopeOnly: bool} for one object.
function validateObject(object) {
    if (!object || typeof object !== 'object' || Array.isArray(object)) {
        return { errors: ['not a mapping'], envelopeOnly: false };
    }
    if (typeof object.apiVersion !== 'string' || typeof object.kind !== 'string') {
        return { errors: ['apiVersion and kind are required'], envelopeOnly: false };
    }
    const Model = modelFor(object.apiVersion, object.kind);
    if (Model) return { errors: strictValidate(Model, object), envelopeOnly: false };
    if (ENVELOPE_ONLY_GROUPS.has(splitApiVersion(object.apiVersion).group)) {
        return { errors: envelopeErrors(object), envelopeOnly: true };
    }
    return { errors: [`no schema for ${object.apiVersion} ${object.kind} (unknown or misspelt apiVersion/kind)`], envelopeOnly: false };
}

function describe(object) {
    const md = (object && object.metadata) || {};
    return `${object && object.kind}/${md.name || '?'}${md.namespace ? ` (namespace ${md.namespace})` : ''}`;
}

module.exports = { describe, validateObject };
