#!/usr/bin/env bash
# Builds the release binary and runs the service on SQLite (./leads.db by default).
# Every LEADS_* variable in the environment is passed through; see docs/operations.md.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release

export LEADS_DATABASE_URL="${LEADS_DATABASE_URL:-sqlite:leads.db}"
exec build/release/adapters/bootstrap/leads-api "$@"
