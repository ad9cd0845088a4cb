#!/usr/bin/env python3
"""Loads the 1M dataset's main workspace (100 imports of 10,000 leads) into a fresh
leads-api with N import requests in flight at once, and prints the whole load's seconds:
what a bulk loader that keeps two requests going gets, beside leadsbench.py's one request
at a time (issue 14's "1M load <= 60 s").

  scripts/with-postgres.sh python3 tests/perf/parallel_load.py --binary build/release/adapters/bootstrap/leads-api \\
      --db postgres --in-flight 2

Uses the import bodies leadsbench.py caches in build/bench/data-1m (made on first use)."""
import argparse
import concurrent.futures
import os
import statistics
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import leadsbench as lb  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--binary", required=True)
    parser.add_argument("--db", choices=["sqlite", "postgres"], required=True)
    parser.add_argument("--in-flight", type=int, default=2)
    parser.add_argument("--batches", type=int, default=100)
    parser.add_argument("--data", default=os.path.join("build", "bench", "data-1m"))
    parser.add_argument("--each", action="store_true",
                        help="also print each import's seconds, in order (where the load slows down)")
    args = parser.parse_args()

    plan = lb.prepare_bodies(args.data, lb.SEED, 1_000_000)
    batches = plan["main"][: args.batches]
    url = lb.probe_database_url(args.db, "parallel-load-")
    port = lb.free_port()
    server = lb.Server(args.binary, url, port, {"LEADS_LOG_LEVEL": "warn"})
    local = threading.local()

    def post(batch):
        if not hasattr(local, "client"):
            local.client = lb.Client(port, lb.make_token(lb.JWT_SECRET, batch["tenant"]))
        with open(batch["file"], "rb") as f:
            body = f.read()
        started = time.perf_counter()
        status, doc = local.client.call("POST", f"{lb.API}/import", body)
        created = ((doc or {}).get("data") or {}).get("created")
        if status != 200 or created != batch["rows"]:
            raise RuntimeError(f"HTTP {status}, created {created}")
        return time.perf_counter() - started

    try:
        server.wait_ready()
        started = time.perf_counter()
        with concurrent.futures.ThreadPoolExecutor(args.in_flight) as pool:
            seconds = list(pool.map(post, batches))
        whole = time.perf_counter() - started
        rows = sum(batch["rows"] for batch in batches)
        if args.each:
            print(" ".join(f"{s:.2f}" for s in seconds))
        print(f"{rows:,} leads in {len(batches)} imports, {args.in_flight} in flight: {whole:.1f} s "
              f"({rows / whole:,.0f} leads/s); each import median {statistics.median(seconds):.2f} s, "
              f"max {max(seconds):.2f} s")
    finally:
        server.proc.terminate()
        server.proc.wait()


if __name__ == "__main__":
    main()
