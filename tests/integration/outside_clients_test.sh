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

# SIGTERM stops the broker with status 0.
kill -TERM "$broker_pid"
wait "$broker_pid"; rc=$?
broker_pid=""
[ "$rc" -eq 0 ] || { echo "FAIL: broker exited $rc"; exit 1; }
echo "PASS"
