#!/usr/bin/env python3
"""What one create and one patch cost the service, measured without contention: a fresh
leads-api, a few 10,000-row imports, then sequential creates and patches on one keep-alive
connection. Prints per operation the service's CPU and its write system calls and bytes
(/proc/PID/io: SQLite's WAL frames, the response, the log line), so that two binaries can
be compared with far less noise than throughput under load (issue 13: what events add).

  python3 tests/perf/write_probe.py --binary A [--binary B ...] [--rounds 3] [--ops 2000]

Rounds alternate the binaries; the medians per binary come last. SQLite only."""
import argparse
import os
import statistics
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import leadsbench as lb  # noqa: E402


def service_cpu(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def service_writes(pid):
    io = dict(line.split(": ") for line in open(f"/proc/{pid}/io").read().splitlines())
    return int(io["syscw"]), int(io["wchar"])


def measure(pid, ops, call):
    cpu, (calls, written) = service_cpu(pid), service_writes(pid)
    for n in range(ops):
        call(n)
    calls2, written2 = service_writes(pid)
    return {"cpu_us": (service_cpu(pid) - cpu) * 1e6 / ops, "writes": (calls2 - calls) / ops,
            "kib": (written2 - written) / 1024 / ops}


def one_round(binary, plan, batches, ops, tag):
    work = tempfile.mkdtemp(prefix="write-probe-")
    port = lb.free_port()
    server = lb.Server(binary, "sqlite:" + os.path.join(work, "leads.db"), port, {"LEADS_LOG_LEVEL": "warn"})
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


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--binary", action="append", required=True)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--ops", type=int, default=2000)
    parser.add_argument("--batches", type=int, default=3, help="10,000-row imports before the operations")
    parser.add_argument("--data", default=os.path.join("build", "bench", "data-1m"))
    args = parser.parse_args()

    plan = lb.prepare_bodies(args.data, lb.SEED, 1_000_000)
    results = {binary: [] for binary in args.binary}
    for r in range(args.rounds):
        for binary in args.binary:
            result = one_round(binary, plan, args.batches, args.ops, f"r{r}")
            results[binary].append(result)
            print(f"round {r} {binary}: " + "; ".join(
                f"{op} {m['cpu_us']:.0f} µs CPU, {m['writes']:.1f} writes, {m['kib']:.1f} KiB" for op, m in result.items()),
                flush=True)
    for binary, rounds in results.items():
        print(f"median {binary}: " + "; ".join(
            f"{op} {statistics.median(r[op]['cpu_us'] for r in rounds):.0f} µs CPU, "
            f"{statistics.median(r[op]['writes'] for r in rounds):.1f} writes, "
            f"{statistics.median(r[op]['kib'] for r in rounds):.1f} KiB" for op in ("create", "patch")))


if __name__ == "__main__":
    main()
