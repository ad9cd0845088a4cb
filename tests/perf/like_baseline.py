#!/usr/bin/env python3
"""The plain LIKE-scan baseline of issue 10: what a service that answers a search with a
LIKE over the workspace could at best do, measured on the benchmark's own SQLite file.

Each "request" does what such a service does for `GET /leads?workspace=bench&search=TERM`:
the total (`COUNT(*)` with `LIKE '%term%'`) and the first page of 50 in list order, rows
fetched. It runs in-process (Python's sqlite3, the C library doing all the work), with no
HTTP, JSON or authentication at all, one process per core: an upper bound for any real
LIKE-scan implementation, so a service that beats it by N× beats a real one by more.
It even reads the service's pre-folded `search_text` column instead of folding four
columns per row.

    python3 tests/perf/like_baseline.py build/bench/work-sqlite/run-100k-sqlite/leads.db --term son
"""

import argparse
import multiprocessing
import os
import sqlite3
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dataset  # noqa: E402

WHERE = "tenant_id = ? AND workspace = ? AND search_text LIKE ? ESCAPE '\\'"


def pattern(term):
    escaped = term.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def worker(path, term, seconds, out):
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    args = (dataset.MAIN_TENANT, dataset.MAIN_WORKSPACE, pattern(term))
    done = 0
    total = None
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        total = db.execute(f"SELECT COUNT(*) FROM leads WHERE {WHERE}", args).fetchone()[0]
        rows = db.execute(f"SELECT * FROM leads WHERE {WHERE} ORDER BY created_at DESC, id DESC LIMIT 50",
                          args).fetchall()
        assert len(rows) == min(50, total)
        done += 1
    out.put((done, total))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("database")
    parser.add_argument("--term", default="son")
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--processes", type=int, default=os.cpu_count() or 1)
    options = parser.parse_args()
    out = multiprocessing.Queue()
    workers = [multiprocessing.Process(target=worker, args=(options.database, options.term, options.seconds, out))
               for _ in range(options.processes)]
    started = time.monotonic()
    for w in workers:
        w.start()
    results = [out.get() for _ in workers]
    for w in workers:
        w.join()
    elapsed = time.monotonic() - started
    requests = sum(done for done, _ in results)
    print(f"plain LIKE scan, search={options.term!r}: {results[0][1]} matches, "
          f"{requests} requests in {elapsed:.1f} s over {options.processes} processes: "
          f"{requests / elapsed:.1f} req/s")


if __name__ == "__main__":
    main()
