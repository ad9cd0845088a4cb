#!/usr/bin/env bash
# Fuzzes the API request path (JSON bodies, query strings, paths, bearer tokens) with
# libFuzzer for N seconds (default 20): clang, ASan + UBSan, its own build dir build/fuzz.
# Seeds: tests/fuzz/corpus (committed, read-only here); new inputs go to build/fuzz/corpus;
# a crash leaves its input in build/fuzz/artifacts/ and fails the script.
# Reproduce one: build/fuzz/tests/http/api/leads_request_fuzzer build/fuzz/artifacts/crash-...
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-20}"
build=build/fuzz
export CCACHE_DIR="${CCACHE_DIR:-$HOME/.cache/ccache}"

cmake -S . -B "$build" -G "Unix Makefiles" \
  -DCMAKE_CXX_COMPILER=clang++ \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer -fsanitize-ignorelist=$PWD/tests/fuzz/ubsan_ignorelist.txt" \
  -DLEADS_BUILD_FUZZERS=ON >/dev/null
cmake --build "$build" -j2 --target leads_request_fuzzer

mkdir -p "$build/corpus" "$build/artifacts"
"$build/tests/http/api/leads_request_fuzzer" \
  -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=16384 \
  -dict=tests/fuzz/json.dict -artifact_prefix="$build/artifacts/" -print_final_stats=1 \
  "$build/corpus" tests/fuzz/corpus
