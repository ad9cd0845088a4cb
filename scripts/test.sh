#!/usr/bin/env bash
# Builds with sanitizers and warnings as errors (and the release binary scripts/run.sh
# makes, warnings as errors too), then runs every test: unit, contract
# (memory, SQLite, and a throwaway PostgreSQL started here), HTTP, end-to-end, deploy
# checks, the OpenAPI lint and a short fuzzing run.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
export CCACHE_DIR="${CCACHE_DIR:-$HOME/.cache/ccache}"

cmake --preset ci
cmake --build --preset ci
# The release build scripts/run.sh makes: optimisation brings warnings of its own
# (-Werror there too), so the run command is built here as well.
cmake --preset release >/dev/null
cmake --build --preset release

# A short fuzzing run of the request-decoding path (clang + libFuzzer, its own build dir).
scripts/fuzz.sh "${LEADS_FUZZ_SECONDS:-20}"

# The deploy checks' pinned npm packages (kubernetes-models, yaml, ...), and puppeteer-core
# for the API reference page's test in chromium.
npm ci --prefix tests/deploy --no-audit --no-fund --loglevel=error
npm ci --prefix tests/docs --no-audit --no-fund --loglevel=error
# standardwebhooks, the independent implementation the webhook signatures are checked with.
npm ci --prefix tests/webhooks --no-audit --no-fund --loglevel=error

# ctest runs inside a PostgreSQL started for this run only (and stopped afterwards).
scripts/with-postgres.sh ctest --preset ci
