#!/usr/bin/env python3
"""Writes a new file in 256 MiB steps and prints each step's seconds and the kernel CPU it
took: how fast this host gives out new page-cache memory, which is what a growing database
writes into. On the benchmark VM the first ~1.8 GiB go at ~3 GiB/s and later steps 10-25
times slower, all of it kernel CPU (docs/performance.md, "The 1M load and this host's
memory"): run it before a load to know which kind of hour it is.

  python3 tests/perf/page_cache_probe.py [--gib 3] [--dir /tmp]"""
import argparse
import os
import resource
import tempfile
import time

STEP = 256 << 20
BLOCK = b"\0" * 8192  # PostgreSQL's page: how it extends a relation


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gib", type=float, default=3.0, help="how much to write in all")
    parser.add_argument("--dir", default=tempfile.gettempdir(), help="where (the database's file system)")
    args = parser.parse_args()

    fd, path = tempfile.mkstemp(prefix="page-cache-probe-", dir=args.dir)
    try:
        steps = []
        for step in range(max(1, int(args.gib * (1 << 30) // STEP))):
            started, before = time.perf_counter(), resource.getrusage(resource.RUSAGE_SELF).ru_stime
            for _ in range(STEP // len(BLOCK)):
                os.write(fd, BLOCK)
            took = time.perf_counter() - started
            kernel = resource.getrusage(resource.RUSAGE_SELF).ru_stime - before
            steps.append(took)
            print(f"{(step + 1) * STEP >> 20:>6} MiB: {took:5.2f} s ({STEP / took / (1 << 30):5.2f} GiB/s), "
                  f"kernel CPU {kernel:5.2f} s", flush=True)
        fast = min(steps)
        print(f"slowest step {max(steps) / fast:.1f}x the fastest")
    finally:
        os.close(fd)
        os.unlink(path)


if __name__ == "__main__":
    main()
