#!/usr/bin/env python3
"""Times the 10,000-row imports of the 1M dataset's first batches into a fresh leads-api
(issue 13's "an import of 10,000 leads with events stays <= 1 s on SQLite"; issue 14's
0.6 s on PostgreSQL). Prints each batch's seconds and the service's CPU for it, then the
median. --suppressions N lists N other emails for the tenant first (a tenant with an
unsubscribe or a bounce, as every real one has).

  python3 tests/perf/import_probe.py --binary build/release/adapters/bootstrap/leads-api \
      --db sqlite [--batches 5]
  scripts/with-postgres.sh python3 tests/perf/import_probe.py --binary ... --db postgres

Uses the import bodies leadsbench.py caches in build/bench/data-1m (made on first use)."""
import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import leadsbench as lb  # noqa: E402


def service_cpu(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--binary", required=True)
    parser.add_argument("--db", choices=["sqlite", "postgres"], required=True)
    parser.add_argument("--batches", type=int, default=5)
    parser.add_argument("--data", default=os.path.join("build", "bench", "data-1m"))
    parser.add_argument("--suppressions", type=int, default=0,
                        help="emails each batch's tenant lists first (none of them imported)")
    args = parser.parse_args()

    plan = lb.prepare_bodies(args.data, lb.SEED, 1_000_000)
    url = lb.probe_database_url(args.db, "import-probe-")
    port = lb.free_port()
    server = lb.Server(args.binary, url, port, {"LEADS_LOG_LEVEL": "warn"})
    try:
        server.wait_ready()
        seconds = []
        for n, batch in enumerate(plan["main"][: args.batches]):
            client = lb.Client(port, lb.make_token(lb.JWT_SECRET, batch["tenant"]))
            for k in range(args.suppressions if n == 0 else 0):
                status, _ = client.call("POST", "/api/v1/tenant/suppressions",
                                        {"email": f"listed-{k}@probe.invalid", "reason": "unsubscribed"})
                if status not in (200, 201):
                    sys.exit(f"suppression {k}: HTTP {status}")
            with open(batch["file"], "rb") as f:
                body = f.read()
            cpu, started = service_cpu(server.proc.pid), time.perf_counter()
            status, doc = client.call("POST", f"{lb.API}/import", body)
            took = time.perf_counter() - started
            created = ((doc or {}).get("data") or {}).get("created")
            if status != 200 or created != batch["rows"]:
                sys.exit(f"batch {n}: HTTP {status}, created {created}")
            seconds.append(took)
            print(f"batch {n}: {batch['rows']} rows in {took:.3f} s, service CPU "
                  f"{service_cpu(server.proc.pid) - cpu:.2f} s", flush=True)
        print(f"median {statistics.median(seconds):.3f} s over {len(seconds)} batches")
    finally:
        server.proc.terminate()
        server.proc.wait()


if __name__ == "__main__":
    main()
