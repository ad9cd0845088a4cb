#!/usr/bin/env python3
"""A tiny in-memory stand-in for leads-api, for checking the benchmark harness itself.

It speaks just enough of CONTRACT.md (JWT HS256 auth, import, list with filters and
pagination, get, create, patch, record activity, /readyz) for leadsbench.py and
scenario.lua to run end to end, and answers 400/401/404 where the real service would,
so a harness bug shows up as non-2xx. It says nothing about the real service's speed.
Configured like the real binary: LEADS_LISTEN, LEADS_JWT_SECRET.
"""

import base64
import hashlib
import hmac
import http.server
import itertools
import json
import os
import re
import threading
import time
import urllib.parse

API = "/api/v1/tenant/leads"
STATUSES = {"new", "contacted", "replied", "converted"}
ACTIVITY_TYPES = {"email_sent", "email_opened", "email_clicked", "email_replied", "email_bounced", "note"}
CREATE_FIELDS = {"workspace_slug", "email", "first_name", "last_name", "company", "status", "attributes"}
PATCH_FIELDS = CREATE_FIELDS - {"workspace_slug"}
EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$")

lock = threading.Lock()
leads = {}  # id -> lead (with "tenant")
by_email = {}  # (tenant, workspace, email) -> id
ids = itertools.count(1)


def b64url_decode(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def tenant_of(header, secret):
    if not header or not header.startswith("Bearer "):
        return None
    try:
        head, payload, signature = header[7:].split(".")
        expected = hmac.new(secret.encode(), f"{head}.{payload}".encode(), hashlib.sha256).digest()
        if json.loads(b64url_decode(head)).get("alg") != "HS256" or not hmac.compare_digest(expected, b64url_decode(signature)):
            return None
        claims = json.loads(b64url_decode(payload))
        if claims.get("exp", 0) + 60 < time.time():
            return None
        return claims.get("tenant_id")
    except ValueError:
        return None


def validate_lead(body, fields):
    unknown = set(body) - fields
    if unknown:
        return f"unknown field {sorted(unknown)[0]}"
    if "email" in body and not (isinstance(body["email"], str) and EMAIL_RE.match(body["email"].strip())):
        return "email"
    if "status" in body and body["status"] not in STATUSES:
        return "status"
    for name in ("first_name", "last_name", "company"):
        if body.get(name) is not None and not isinstance(body[name], str):
            return name
    if "attributes" in body and not isinstance(body["attributes"], dict):
        return "attributes"
    return None


def new_lead(tenant, workspace, body):
    now = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())
    lead = {
        "id": f"lead_{next(ids):020d}", "tenant": tenant, "workspace_slug": workspace,
        "email": body["email"].strip().lower(), "first_name": body.get("first_name"),
        "last_name": body.get("last_name"), "company": body.get("company"),
        "status": body.get("status", "new"), "attributes": body.get("attributes") or {},
        "created_at": now, "updated_at": now, "activity": [],
    }
    leads[lead["id"]] = lead
    by_email[(tenant, workspace, lead["email"])] = lead["id"]
    return lead


def public(lead, with_activity=False):
    out = {k: v for k, v in lead.items() if k not in ("tenant", "activity")}
    if with_activity:
        out["activity"] = lead["activity"][-100:][::-1]
        out["activity_total"] = len(lead["activity"])
    return out


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body are separate writes

    def log_message(self, *args):
        pass

    def reply(self, status, document=None):
        raw = json.dumps(document if document is not None else {}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def ok(self, status, data, **extra):
        self.reply(status, {"success": True, "data": data, **extra})

    def fail(self, status, code, message=""):
        self.reply(status, {"success": False, "error": {"code": code, "message": message, "details": []}})

    def body(self):
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if not self.headers.get("Content-Type", "").startswith("application/json"):
            raise ValueError("media type")
        document = json.loads(raw)
        if not isinstance(document, dict):
            raise ValueError("not an object")
        return document

    def route(self, method):
        url = urllib.parse.urlsplit(self.path)
        if url.path == "/readyz" or url.path == "/healthz":
            return self.ok(200, {})
        if not url.path.startswith(API):
            return self.fail(404, "not_found")
        tenant = tenant_of(self.headers.get("Authorization"), os.environ["LEADS_JWT_SECRET"])
        if tenant is None:
            return self.fail(401, "unauthorized")
        parts = url.path[len(API):].strip("/").split("/") if url.path != API else []
        try:
            body = self.body() if method in ("POST", "PATCH") else None
        except ValueError as e:
            return self.fail(400, "invalid_json", str(e))
        with lock:
            if not parts and method == "GET":
                return self.list(tenant, urllib.parse.parse_qs(url.query, keep_blank_values=True))
            if not parts and method == "POST":
                problem = validate_lead(body, CREATE_FIELDS) or (None if "workspace_slug" in body and "email" in body else "required")
                if problem:
                    return self.fail(400, "validation_failed", problem)
                if (tenant, body["workspace_slug"], body["email"].strip().lower()) in by_email:
                    return self.fail(409, "duplicate_email")
                return self.ok(201, public(new_lead(tenant, body["workspace_slug"], body)))
            if parts == ["import"] and method == "POST":
                return self.bulk(tenant, body)
            lead = leads.get(parts[0]) if parts else None
            if lead is None or lead["tenant"] != tenant:
                return self.fail(404, "not_found")
            if len(parts) == 1 and method == "GET":
                return self.ok(200, public(lead, with_activity=True))
            if len(parts) == 1 and method == "PATCH":
                problem = validate_lead(body, PATCH_FIELDS)
                if problem:
                    return self.fail(400, "validation_failed", problem)
                for key, value in body.items():
                    if key == "attributes":
                        lead["attributes"].update(value)
                    else:
                        lead[key] = value
                return self.ok(200, public(lead))
            if parts[1:] == ["activity"] and method == "POST":
                if body.get("type") not in ACTIVITY_TYPES or set(body) - {"type", "campaign_id", "timestamp", "data"}:
                    return self.fail(400, "validation_failed", "type")
                entry = {"id": f"act_{next(ids)}", "type": body["type"], "timestamp": body.get("timestamp", ""),
                         "campaign_id": body.get("campaign_id"), "data": body.get("data") or {}}
                lead["activity"].append(entry)
                return self.ok(201, entry)
        return self.fail(405, "method_not_allowed")

    def list(self, tenant, query):
        def one(name, default=None):
            values = query.get(name)
            return values[0] if values else default

        workspace, status, search = one("workspace"), one("status"), one("search")
        sort = one("sort", "-created_at")
        try:
            # The stub's cursor is simply the next offset (the real one is a keyset position).
            limit, offset = int(one("limit", 50)), int(one("cursor", one("offset", 0)))
        except ValueError:
            return self.fail(400, "validation_failed", "limit/offset/cursor")
        allowed = {"workspace", "status", "search", "limit", "offset", "sort", "cursor", "do_not_contact"}
        if (not workspace or not 1 <= limit <= 200 or offset < 0 or (status and status not in STATUSES)
                or sort not in ("-created_at", "created_at", "-updated_at", "updated_at")
                or (search is not None and not 1 <= len(search) <= 200) or set(query) - allowed):
            return self.fail(400, "validation_failed")
        ordered = list(leads.values())  # oldest first
        if sort.lstrip("-") == "updated_at":
            ordered.sort(key=lambda lead: (lead["updated_at"], lead["id"]))
        if sort.startswith("-"):
            ordered.reverse()
        matches = []
        for lead in ordered:
            if lead["tenant"] != tenant or lead["workspace_slug"] != workspace or (status and lead["status"] != status):
                continue
            if search:
                text = f"{lead['email']} {lead['first_name'] or ''} {lead['last_name'] or ''}".lower()
                if search.lower() not in text:
                    continue
            matches.append(lead)
        page = [public(lead) for lead in matches[offset:offset + limit]]
        more = offset + len(page) < len(matches)
        pagination = {"total": len(matches), "limit": limit, "offset": None if one("cursor") else offset,
                      "has_more": more, "next_cursor": str(offset + len(page)) if more else None}
        return self.ok(200, page, pagination=pagination)

    def bulk(self, tenant, body):
        rows = body.get("leads")
        if not isinstance(rows, list) or len(rows) > 10000 or not body.get("workspace_slug"):
            return self.fail(400, "validation_failed")
        created, skipped, errors = 0, 0, []
        for index, row in enumerate(rows):
            problem = validate_lead(row, PATCH_FIELDS) or (None if "email" in row else "email")
            if problem:
                errors.append({"index": index, "field": problem, "issue": "invalid"})
            elif (tenant, body["workspace_slug"], row["email"].strip().lower()) in by_email:
                skipped += 1
            else:
                new_lead(tenant, body["workspace_slug"], row)
                created += 1
        return self.ok(200, {"created": created, "updated": 0, "skipped": skipped, "errors": errors})

    def do_GET(self):
        self.route("GET")

    def do_POST(self):
        self.route("POST")

    def do_PATCH(self):
        self.route("PATCH")


def main():
    host, port = os.environ.get("LEADS_LISTEN", "127.0.0.1:8080").rsplit(":", 1)
    server = http.server.ThreadingHTTPServer((host, int(port)), Handler)
    server.daemon_threads = True
    server.serve_forever()


if __name__ == "__main__":
    main()
