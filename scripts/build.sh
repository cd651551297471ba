#!/usr/bin/env bash
# Installs the dependencies (scripts/install-deps.sh) and builds everything
# into build/ with warnings as errors. Extra arguments go to cmake.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
jobs=${CRAWLSTREAM_JOBS:-$(nproc)}
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCRAWLSTREAM_WERROR=ON "$@" >/dev/null
cmake --build build -j "$jobs"
