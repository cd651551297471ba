#!/usr/bin/env bash
# Builds fuzz_extract (charset + prefilter + parse + extract) with clang-19,
# libFuzzer and AddressSanitizer in BUILD_DIR, then fuzzes it for 60 s from
# the extractor fixtures (new corpus entries go to a temporary directory,
# never into the source tree). A crash, leak, timeout (> 10 s per input)
# or RSS over 2 GiB fails the test; libFuzzer prints the input it saved.
# The seeds include attribute-heavy and element-heavy pages
# (fuzz_seed_*.html). FUZZ_SECONDS (default 60) sets the duration: the
# 10-minute run of BENCHMARKS.md is FUZZ_SECONDS=600, by hand.
#
#   [FUZZ_SECONDS=600] tests/extractor/libfuzzer_test.sh BUILD_DIR
set -euo pipefail
build=${1:?usage: libfuzzer_test.sh BUILD_DIR}
src=$(cd "$(dirname "$0")/../.." && pwd)
command -v clang++-19 >/dev/null || { echo "clang++-19 missing: run scripts/install-deps.sh"; exit 1; }
CC=clang-19 CXX=clang++-19 cmake -S "$src" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCRAWLSTREAM_BUILD_FUZZ=ON -DCRAWLSTREAM_BUILD_BENCH=OFF -DCRAWLSTREAM_STAGES=extractor >/dev/null
cmake --build "$build" --target fuzz_extract -j "${CRAWLSTREAM_JOBS:-2}" >/dev/null
corpus=$(mktemp -d)
artifacts=$(mktemp -d)
trap 'rm -rf "$corpus"' EXIT
"$build/tests/extractor/fuzz_extract" -max_total_time="${FUZZ_SECONDS:-60}" -max_len=1048576 -rss_limit_mb=2048 \
  -timeout=10 -print_final_stats=1 -artifact_prefix="$artifacts/" "$corpus" "$src/tests/fixtures/extractor"
