#!/usr/bin/env bash
# Fails when a tracked C++ file differs from what clang-format (the repo's .clang-format) writes.
set -euo pipefail
cd "$1"
git ls-files -z '*.cpp' '*.hpp' | xargs -0 clang-format --dry-run --Werror
