#!/usr/bin/env python3
"""What one create and one patch cost, measured without contention: a fresh leads-api, a
few 10,000-row imports, then sequential creates and patches on one keep-alive connection.
Prints per operation the wall time, the service's CPU, PostgreSQL's CPU (every `postgres`
process), and the service's file write system calls and bytes (/proc/PID/io: on SQLite its
WAL frames and checkpoints; a socket's send is not counted), so that two binaries can be compared with far less noise than
throughput under load (issue 13: what events add).

  python3 tests/perf/write_probe.py --binary A [--binary B ...] [--rounds 3] [--ops 2000]
  scripts/with-postgres.sh python3 tests/perf/write_probe.py --db postgres --binary A ...

Rounds alternate the binaries (a fresh database each); the medians per binary come last."""
import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import leadsbench as lb  # noqa: E402


def service_cpu(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def service_writes(pid):
    io = dict(line.split(": ") for line in open(f"/proc/{pid}/io").read().splitlines())
    return int(io["syscw"]), int(io["wchar"])


def postgres_cpu():
    total = 0.0
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat") as f:
                head, tail = f.read().rsplit(")", 1)
        except OSError:
            continue
        if head.endswith("(postgres"):
            fields = tail.split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def measure(pid, ops, call):
    cpu, pg, (calls, written) = service_cpu(pid), postgres_cpu(), service_writes(pid)
    started = time.perf_counter()
    for n in range(ops):
        call(n)
    wall = time.perf_counter() - started
    calls2, written2 = service_writes(pid)
    return {"wall_us": wall * 1e6 / ops, "cpu_us": (service_cpu(pid) - cpu) * 1e6 / ops,
            "pg_us": (postgres_cpu() - pg) * 1e6 / ops, "writes": (calls2 - calls) / ops,
            "kib": (written2 - written) / 1024 / ops}


def database_url(db, work, tag):
    if db == "sqlite":
        return "sqlite:" + os.path.join(work, "leads.db")
    base = os.environ.get("LEADS_TEST_POSTGRES_URL")
    if not base:
        sys.exit("--db postgres needs LEADS_TEST_POSTGRES_URL (run under scripts/with-postgres.sh)")
    name = "probe_" + re.sub(r"[^a-z0-9]", "_", tag.lower())
    subprocess.run(["psql", "-q", "-c", f"DROP DATABASE IF EXISTS {name}", "-c", f"CREATE DATABASE {name}"],
                   check=True)
    # The URL scripts/with-postgres.sh exports names its database leads_test.
    if "/leads_test" not in base:
        sys.exit("LEADS_TEST_POSTGRES_URL does not name the database leads_test")
    return base.replace("/leads_test", "/" + name)


def one_round(binary, plan, batches, ops, tag, db):
    work = tempfile.mkdtemp(prefix="write-probe-")
    port = lb.free_port()
    server = lb.Server(binary, database_url(db, work, tag), port, {"LEADS_LOG_LEVEL": "warn"})
    try:
        server.wait_ready()
        main = plan["main"][:batches]
        client = lb.Client(port, lb.make_token(lb.JWT_SECRET, main[0]["tenant"]))
        for batch in main:
            with open(batch["file"], "rb") as f:
                status, _ = client.call("POST", f"{lb.API}/import", f.read())
            if status != 200:
                sys.exit(f"import: HTTP {status}")
        workspace = main[0]["workspace"]
        ids = []

        def create(n):
            status, doc = client.call("POST", lb.API, {
                "workspace_slug": workspace, "email": f"probe.{tag}.{n}@example.com", "first_name": "Probe",
                "last_name": f"User{n}", "company": "Load Test Ltd", "status": "new",
                "attributes": {"source": "probe", "seq": n}})
            if status != 201:
                sys.exit(f"create: HTTP {status}: {doc}")
            ids.append(doc["data"]["id"] if "data" in doc else doc["id"])

        def patch(n):
            status, doc = client.call("PATCH", f"{lb.API}/{ids[(n * 7919) % len(ids)]}",
                                      {"company": f"Patched {n}", "attributes": {"bench_seq": n}})
            if status != 200:
                sys.exit(f"patch: HTTP {status}: {doc}")

        return {"create": measure(server.proc.pid, ops, create), "patch": measure(server.proc.pid, ops, patch)}
    finally:
        server.stop()


def describe(m):
    text = f"{m['wall_us']:.0f} µs wall, {m['cpu_us']:.0f} µs service CPU"
    if m["pg_us"] > 0:
        text += f", {m['pg_us']:.0f} µs postgres CPU"
    if m["writes"] > 0:  # file writes: SQLite's (a socket's send is not counted)
        text += f", {m['writes']:.1f} write calls, {m['kib']:.1f} KiB"
    return text


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--binary", action="append", required=True)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--ops", type=int, default=2000)
    parser.add_argument("--batches", type=int, default=3, help="10,000-row imports before the operations")
    parser.add_argument("--data", default=os.path.join("build", "bench", "data-1m"))
    args = parser.parse_args()

    plan = lb.prepare_bodies(args.data, lb.SEED, 1_000_000)
    results = {binary: [] for binary in args.binary}
    for r in range(args.rounds):
        for binary in args.binary:
            result = one_round(binary, plan, args.batches, args.ops, f"r{r}_{os.path.basename(binary)}", args.db)
            results[binary].append(result)
            print(f"round {r} {binary}: " + "; ".join(f"{op} {describe(m)}" for op, m in result.items()), flush=True)
    for binary, rounds in results.items():
        medians = {op: {k: statistics.median(r[op][k] for r in rounds) for k in rounds[0][op]} for op in rounds[0]}
        print(f"median {binary}: " + "; ".join(f"{op} {describe(m)}" for op, m in medians.items()))


if __name__ == "__main__":
    main()
