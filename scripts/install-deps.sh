#!/usr/bin/env bash
# Installs every Debian 12 package the build, the service and the tests need, and the npm
# package the build compiles in (the API reference page's renderer).
# Idempotent: apt is only asked when something is missing. Run as root.
set -euo pipefail

packages=(
  build-essential cmake pkg-config ccache git ca-certificates
  libboost-dev libboost-system-dev
  libsoci-dev libsqlite3-dev sqlite3 libpq-dev
  rapidjson-dev catch2 libfmt-dev libspdlog-dev libcli11-dev libjwt-dev libssl-dev openssl
  clang-format
  # tests: a throwaway PostgreSQL, the fuzzer's compiler, HTTP tools, the linters' runtime
  postgresql postgresql-contrib clang libclang-rt-14-dev curl python3
  # benchmarks
  wrk
  # the API reference page's test: a real headless browser
  chromium
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

# Node.js runs the OpenAPI and manifest linters; a machine that already has node and npm
# (from any source) keeps them, since Debian's npm conflicts with other Node.js builds.
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)

if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# The API reference page's renderer (Redoc's standalone bundle, compiled into the binary):
# installed from npm as package-lock.json pins it, again only when the lock changed.
reference=adapters/http/reference
cd "$(dirname "$0")/.."
if [[ ! -f $reference/node_modules/redoc/bundles/redoc.standalone.js ||
      $reference/package-lock.json -nt $reference/node_modules/.package-lock.json ]]; then
  npm ci --prefix "$reference" --no-audit --no-fund --loglevel=error
fi
