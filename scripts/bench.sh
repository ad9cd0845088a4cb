#!/usr/bin/env bash
# The benchmark at scale (docs/performance.md):
#   scripts/bench.sh [--size 100k|1m|both] [--db sqlite|postgres|both|memory] [--duration 10s]
#                    [--scenarios a,b,...] [--profile] [--no-build]
# Builds the release binary, then for each size and database: starts leads-api on a free
# loopback port (JWT auth on; SQLite in a temporary file, or a throwaway PostgreSQL from
# scripts/with-postgres.sh), imports the generated leads, runs the wrk scenarios of
# tests/perf/scenario.lua, stops the server and rewrites the results table in
# docs/performance.md. Raw results and wrk logs stay in build/bench/.
# Server settings are taken from the environment (LEADS_THREADS, LEADS_DB_POOL_SIZE,
# LEADS_LOG_LEVEL) and recorded with the results.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() { sed -n '2,4p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

size=100k db=both duration=10s scenarios="" profile="" build=1
while (($#)); do
    case "$1" in
        --size) size="${2:?}"; shift 2 ;;
        --db) db="${2:?}"; shift 2 ;;
        --duration) duration="${2:?}"; shift 2 ;;
        --scenarios) scenarios="${2:?}"; shift 2 ;;
        --profile) profile=--profile; shift ;;
        --no-build) build=0; shift ;;
        -h|--help) usage ;;
        *) echo "bench.sh: unknown argument $1" >&2; usage ;;
    esac
done
case "$size" in 100k|1m) sizes=("$size") ;; both) sizes=(100k 1m) ;; *) echo "bench.sh: --size is 100k, 1m or both" >&2; exit 2 ;; esac
case "$db" in sqlite|postgres|memory) dbs=("$db") ;; both) dbs=(sqlite postgres) ;; *) echo "bench.sh: --db is sqlite, postgres, both or memory" >&2; exit 2 ;; esac
[[ "$duration" =~ ^[0-9]+[smh]?$ ]] || { echo "bench.sh: --duration like 10s or 1m" >&2; exit 2; }

for tool in wrk python3; do
    command -v "$tool" >/dev/null || { echo "bench.sh: $tool not found (scripts/install-deps.sh installs it)" >&2; exit 2; }
done

binary=build/release/adapters/bootstrap/leads-api
if ((build)); then
    export CCACHE_DIR="${CCACHE_DIR:-$HOME/.cache/ccache}"
    cmake --preset release >/dev/null
    cmake --build --preset release
fi
[[ -x "$binary" ]] || { echo "bench.sh: $binary was not built" >&2; exit 1; }

run=(python3 tests/perf/leadsbench.py run --binary "$binary" --duration "$duration")
[[ -n "$scenarios" ]] && run+=(--scenarios "$scenarios")
[[ -n "$profile" ]] && run+=("$profile")

started=$SECONDS
for s in "${sizes[@]}"; do
    for d in "${dbs[@]}"; do
        if [[ "$d" == postgres ]]; then
            scripts/with-postgres.sh "${run[@]}" --size "$s" --db postgres
        else
            "${run[@]}" --size "$s" --db "$d"
        fi
    done
done
python3 tests/perf/leadsbench.py report
echo "bench.sh: finished in $((SECONDS - started)) s; see docs/performance.md and build/bench/"
