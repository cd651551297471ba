#!/usr/bin/env bash
# The main job on the bundled example site: installs the dependencies,
# builds, serves examples/site with nginx on 127.0.0.1 (a port the OS
# picks), and runs `crawlstream run` over its feed, sitemap and a page with
# the in-process development broker. Articles land in out/articles.jsonl,
# duplicate decisions in out/duplicates.jsonl.
#
#   bash scripts/run-example.sh [extra crawlstream run flags]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
bin=build/services/cli/crawlstream

work=$(mktemp -d)
server_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

cp -rL examples/site "$work/site"
/usr/bin/python3 tests/support/nginx_site.py --root "$work/site" --port-file "$work/port" \
  --timeout 900 >/dev/null &
server_pid=$!
for _ in $(seq 1 100); do [ -s "$work/port" ] && break; sleep 0.1; done
[ -s "$work/port" ] || { echo "run-example: nginx did not start" >&2; exit 1; }
base="http://127.0.0.1:$(cat "$work/port")"
for f in robots.txt feed.xml sitemap.xml; do sed -i "s#{{BASE}}#$base#g" "$work/site/$f"; done
sed "s#{{BASE}}#$base#g" examples/seeds.txt >"$work/seeds.txt"
echo "example site at $base"

mkdir -p out
"$bin" run --seeds "$work/seeds.txt" --allow-cidr 127.0.0.1/32 \
  --out out/articles.jsonl --duplicates-out out/duplicates.jsonl \
  --fetcher.min_delay=100ms "$@"

/usr/bin/python3 - <<'PY'
import json
print("\nout/articles.jsonl:")
for line in open("out/articles.jsonl", encoding="utf-8"):
    a = json.loads(line)
    print("  %-34s %-25s %-10s %s" % (a["id"][:32], a.get("published_at", ""), a.get("script", ""),
                                     a.get("title", "")[:40]))
print("out/duplicates.jsonl:")
for line in open("out/duplicates.jsonl", encoding="utf-8"):
    d = json.loads(line)
    print("  %s duplicate of %s (%s, similarity %.2f)" % (d["id"][:12], d["duplicate_of"][:12],
                                                        d.get("method", ""), d.get("similarity", 0)))
PY
