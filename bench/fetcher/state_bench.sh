#!/usr/bin/env bash
# Crawl-state store benchmark (BENCHMARKS.md "Crawl state"): starts a
# one-node Apache Kafka (scripts/kafka.sh) in a temporary directory,
# creates crawl.requests and crawl.state (compacted, 1 partition each),
# runs build/bench/fetcher/fetcher_state_bench and stops Kafka.
#
#   bash bench/fetcher/state_bench.sh [URLS]      # default 1000000
set -euo pipefail
cd "$(dirname "$0")/../.."
urls=${1:-1000000}
work=$(mktemp -d /tmp/crawlstream-state-bench.XXXXXX)
trap 'bash scripts/kafka.sh stop --dir "$work/kafka" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
bootstrap=$(bash scripts/kafka.sh start --nodes 1 --dir "$work/kafka" | tail -n 1)
/usr/bin/python3 - "$bootstrap" <<'PY'
import sys
sys.path.insert(0, "tests/support")
import harness
harness.create_topics(sys.argv[1], {"crawl.requests": 1, "crawl.state": 1}, compacted=("crawl.state",))
PY
build/bench/fetcher/fetcher_state_bench --brokers "$bootstrap" --urls "$urls" --dir "$work/store" --runs 3
