#!/usr/bin/env python3
"""A fetcher at its backlog cap keeps its group membership, on a real
Apache Kafka (scripts/kafka.sh, one node). fetcher.max_queued is 1 and the
one origin's politeness delay (9 s) is longer than max.poll.interval.ms
(7 s, the least above the 6 s session timeout): before, the fetcher stopped
polling at the cap, librdkafka left the group at every delay ("Application
maximum poll interval exceeded"), the partition was lost each time and the
work fetched since the last commit went back to the next owner. Now the
partition is paused and Poll() keeps running. Checked: no poll-interval
overrun and no lost partition in the log, the backlog stays at the cap
while paused (crawlstream_fetch_queued), every URL fetched once and paged,
and every offset committed at SIGTERM.

    backlog_cap_test.py BUILD_DIR
"""
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests/support"))
import harness  # noqa: E402

BUILD = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build"))
FETCHER = os.path.join(BUILD, "services/fetcher/crawlstream-fetcher")
PAGES = 4
TOPICS = {"crawl.requests": 1, "crawl.pages": 1, "crawl.deadletter": 1, "articles.extracted": 1,
          "articles": 1, "articles.duplicates": 1}
work = tempfile.mkdtemp(prefix="crawlstream-backlog-")
procs = []
T0 = time.time()


log = harness.stamped_log(T0)


def cleanup():
    harness.end_run(procs, work)


def fetcher_log():
    return open(os.path.join(work, "fetcher.log"), errors="replace").read()


def fail(msg):
    print("FAIL: " + msg, flush=True)
    if os.path.exists(os.path.join(work, "fetcher.log")):
        print("---- fetcher log (tail)")
        print("".join(fetcher_log().splitlines(True)[-20:]))
    cleanup()
    sys.exit(1)


def queued(port):
    text = urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=5).read().decode()
    m = re.search(r"^crawlstream_fetch_queued (\S+)$", text, re.M)
    return float(m.group(1)) if m else None


def main():
    harness.gen_protos(work)
    from crawlstream.v1 import crawl_request_pb2
    from kafka import KafkaConsumer, KafkaProducer, TopicPartition
    site = os.path.join(work, "site")
    os.makedirs(os.path.join(site, "p"))
    for n in range(PAGES):
        with open(os.path.join(site, "p", "%d.html" % n), "w") as f:
            f.write("<html><head><title>Page %d</title></head><body><p>Story %d.</p></body></html>\n" % (n, n))
    access = os.path.join(work, "access.log")
    port_file = os.path.join(work, "port")
    procs.append(subprocess.Popen(
        ["/usr/bin/python3", os.path.join(ROOT, "tests/support/nginx_site.py"), "--root", site,
         "--port-file", port_file, "--timeout", "600", "--extra", "access_log %s;" % access],
        stdout=subprocess.DEVNULL))
    base = "http://127.0.0.1:" + harness.wait_for_file(port_file)
    _, bootstrap = harness.start_kafka(work, nodes=1)
    harness.create_topics(bootstrap, TOPICS)
    producer = KafkaProducer(bootstrap_servers=bootstrap.split(","), acks="all", retries=10,
                             max_in_flight_requests_per_connection=1)
    for n in range(PAGES):
        req = crawl_request_pb2.CrawlRequest()
        req.url = "%s/p/%d.html" % (base, n)
        producer.send("crawl.requests", key=b"127.0.0.1", value=req.SerializeToString()).get(timeout=30)
    producer.close()

    env = dict(os.environ, CRAWLSTREAM_KAFKA_BROKERS=bootstrap, CRAWLSTREAM_SERVICE_HTTP_PORT="0",
               CRAWLSTREAM_KAFKA_SESSION_TIMEOUT="6s", CRAWLSTREAM_KAFKA_COMMIT_INTERVAL="300ms",
               CRAWLSTREAM_FETCHER_ALLOW_CIDRS="127.0.0.1/32", CRAWLSTREAM_FETCHER_MIN_DELAY="9s",
               CRAWLSTREAM_FETCHER_MAX_QUEUED="1", CRAWLSTREAM_KAFKA_EXTRA="max.poll.interval.ms=7000")
    logf = open(os.path.join(work, "fetcher.log"), "w")
    fetcher = subprocess.Popen([FETCHER, "--config", os.path.join(ROOT, "config/fetcher.yaml")],
                               stdout=logf, stderr=subprocess.STDOUT, env=env, cwd=ROOT)
    procs.append(fetcher)
    deadline = time.time() + 20
    port = None
    while port is None and time.time() < deadline:
        m = re.search(r"admin endpoint listening on 127\.0\.0\.1:(\d+)", fetcher_log())
        port = int(m.group(1)) if m else None
        time.sleep(0.1)
    if port is None:
        fail("the fetcher's admin endpoint did not come up")

    # PAGES - 1 delays of 9 s, each longer than max.poll.interval.ms.
    peak = 0.0
    fetched = []
    deadline = time.time() + 9 * PAGES + 30
    while time.time() < deadline:
        if fetcher.poll() is not None:
            fail("the fetcher exited %d" % fetcher.returncode)
        q = queued(port)
        peak = max(peak, q or 0)
        fetched = [l for l in open(access, errors="replace") if "/p/" in l] if os.path.exists(access) else []
        if len(fetched) >= PAGES:
            break
        time.sleep(0.5)
    time.sleep(1)  # the last page's acknowledgement and commit
    fetcher.send_signal(signal.SIGTERM)
    if fetcher.wait(timeout=30) != 0:
        fail("the fetcher exited %d after SIGTERM" % fetcher.returncode)
    text = fetcher_log()
    c = KafkaConsumer(bootstrap_servers=bootstrap.split(","), group_id="crawlstream-fetcher",
                      enable_auto_commit=False)
    committed = c.committed(TopicPartition("crawl.requests", 0)) or 0
    c.close()
    pages = harness.read_kcat(bootstrap, "crawl.pages")
    log("GETs %d for %d URLs, peak backlog %g, committed %d, pages %d"
        % (len(fetched), PAGES, peak, committed, len(pages)))
    if "maximum poll interval" in text:
        fail("the fetcher overran max.poll.interval.ms at its backlog cap")
    if re.search(r"kafka consumer: lost", text):
        fail("the fetcher lost its partition")
    if peak < 1:
        fail("the backlog never reached fetcher.max_queued: the test did not exercise the cap")
    if peak > 2:
        fail("backlog %g above fetcher.max_queued 1 (+1 fetched before the pause)" % peak)
    if len(fetched) != PAGES or len(set(l.split('"')[1] for l in fetched)) != PAGES:
        fail("%d GETs for %d URLs: every URL once expected" % (len(fetched), PAGES))
    if committed != PAGES or len(pages) != PAGES:
        fail("committed %d, %d pages; %d expected" % (committed, len(pages), PAGES))
    log("PASS")
    cleanup()


if __name__ == "__main__":
    harness.run_main(main, fail)
