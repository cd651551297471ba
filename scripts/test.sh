#!/usr/bin/env bash
# The whole test suite: installs dependencies, builds, runs every test
# (unit, integration against the development broker and a real Kafka from
# scripts/kafka.sh, nginx-served fixture sites, outside Kafka clients,
# deploy checks). `.ci/run` calls this via README.md. Extra arguments go to
# ctest (e.g. -L unit, -L kafka, -R Robots).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
start=$(date +%s)
ctest --test-dir build --output-on-failure -j "${CRAWLSTREAM_TEST_JOBS:-2}" --timeout 900 "$@"
echo "tests passed in $(( $(date +%s) - start ))s"
