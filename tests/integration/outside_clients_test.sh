#!/usr/bin/env bash
# `crawlstream broker` serves outside clients: kcat (librdkafka) and
# python3-kafka (an independent implementation of the protocol) produce and
# consume through it. Usage: outside_clients_test.sh path/to/crawlstream
set -euo pipefail
bin=$1
work=$(mktemp -d)
broker_pid=""
cleanup() {
  [ -n "$broker_pid" ] && kill "$broker_pid" 2>/dev/null && wait "$broker_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

"$bin" broker --brokers 3 --topics.partitions 3 --bootstrap-file "$work/bootstrap" \
  >"$work/stdout" 2>"$work/stderr" &
broker_pid=$!
for _ in $(seq 1 100); do [ -s "$work/bootstrap" ] && break; sleep 0.1; done
bootstrap=$(cat "$work/bootstrap")
[ -n "$bootstrap" ] || { echo "FAIL: no bootstrap address"; cat "$work/stderr"; exit 1; }
grep -q "$bootstrap" "$work/stdout" || { echo "FAIL: bootstrap not printed on stdout"; exit 1; }
echo "broker at $bootstrap"

# The configured topics exist with their partition counts.
kcat -b "$bootstrap" -L -t crawl.pages -m 10 | grep -q "3 partitions" \
  || { echo "FAIL: crawl.pages should have 3 partitions"; kcat -b "$bootstrap" -L; exit 1; }

# kcat -> kcat
printf 'k1:hello from kcat\n' | kcat -b "$bootstrap" -P -t crawl.requests -K: -m 10
got=$(kcat -b "$bootstrap" -C -t crawl.requests -o beginning -c 1 -e -f '%k=%s' -m 10)
[ "$got" = "k1=hello from kcat" ] || { echo "FAIL: kcat read '$got'"; exit 1; }

# python3-kafka -> python3-kafka (consumer group with a committed offset)
timeout 90 /usr/bin/python3 - "$bootstrap" <<'PY'
import sys
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
bs = sys.argv[1].split(',')
p = KafkaProducer(bootstrap_servers=bs)
for i in range(5):
    p.send('articles', key=b'id%d' % i, value=('文章 %d' % i).encode()).get(timeout=20)
p.close()
c = KafkaConsumer('articles', bootstrap_servers=bs, group_id='outside',
                  auto_offset_reset='earliest', enable_auto_commit=False,
                  consumer_timeout_ms=15000)
seen = {}
for m in c:
    seen[m.key] = m.value.decode()
    if len(seen) == 5:
        break
c.commit()
assert sorted(seen) == [b'id%d' % i for i in range(5)], seen
assert seen[b'id3'] == '文章 3', seen
total = 0
for p_ in c.partitions_for_topic('articles'):
    off = c.committed(TopicPartition('articles', p_))
    total += off or 0
assert total == 5, total
c.close()
print('python3-kafka ok')
PY

# crawlstream seed: CrawlRequests an outside consumer decodes with the real
# schema (python3-protobuf generated from proto/), keyed by ASCII host; an
# invalid URL fails the command before anything is sent.
if "$bin" seed --brokers "$bootstrap" https://ok.example.com/ "ftp://bad/x" 2>"$work/seed.err"; then
  echo "FAIL: seed accepted an invalid URL"; exit 1
fi
grep -q '"ftp://bad/x"' "$work/seed.err" || { echo "FAIL: seed error does not name the URL"; cat "$work/seed.err"; exit 1; }
grep -q 'nothing sent' "$work/seed.err" || { echo "FAIL: seed error does not say nothing was sent"; exit 1; }
printf '# seeds\nhttps://news.example.com/sitemap.xml\n\n' >"$work/seeds.txt"
"$bin" seed --brokers "$bootstrap" --file "$work/seeds.txt" \
  "https://news.example.com/a.html?utm_source=x" "http://中国.cn/a" 2>"$work/seed.out" \
  || { echo "FAIL: seed"; cat "$work/seed.out"; exit 1; }
grep -q "3 request(s) on crawl.requests" "$work/seed.out" || { echo "FAIL: seed summary"; cat "$work/seed.out"; exit 1; }
proto_dir=$(cd "$(dirname "$0")/../../proto" && pwd)
mkdir -p "$work/py"
protoc -I "$proto_dir" -I /usr/include --python_out="$work/py" "$proto_dir"/crawlstream/v1/crawl_request.proto
timeout 90 env PYTHONPATH="$work/py" /usr/bin/python3 - "$bootstrap" <<'PY'
import sys
from kafka import KafkaConsumer
from crawlstream.v1 import crawl_request_pb2 as pb
c = KafkaConsumer('crawl.requests', bootstrap_servers=sys.argv[1].split(','),
                  auto_offset_reset='earliest', consumer_timeout_ms=15000)
got = {}
for m in c:
    if m.key in (b'k1',):
        continue  # the kcat record above
    r = pb.CrawlRequest()
    r.ParseFromString(m.value)
    got[r.url] = (m.key.decode(), r.kind, r.origin)
    if len(got) == 3:
        break
want = {
    'https://news.example.com/sitemap.xml': ('news.example.com', pb.CrawlRequest.KIND_SITEMAP, 'crawlstream-seed'),
    'https://news.example.com/a.html': ('news.example.com', pb.CrawlRequest.KIND_PAGE, 'crawlstream-seed'),
    'http://xn--fiqs8s.cn/a': ('xn--fiqs8s.cn', pb.CrawlRequest.KIND_PAGE, 'crawlstream-seed'),
}
assert got == want, got
print('crawlstream seed ok')
PY

# SIGTERM stops the broker with status 0.
kill -TERM "$broker_pid"
wait "$broker_pid"; rc=$?
broker_pid=""
[ "$rc" -eq 0 ] || { echo "FAIL: broker exited $rc"; exit 1; }
echo "PASS"
