#!/usr/bin/env python3
"""Delivery under faults: a crawl of >= 2,000 pages through the three
services while each stage is killed with SIGKILL at random points several
times and restarted, a development broker is taken down and brought back,
and produce / fetch / offset-commit requests fail by injection. After
draining, every expected article appears in `articles` exactly once,
counted in the topic log (the development broker never compacts), and
none is missing. It stays on the development broker for the injected
request errors (specific error codes no real broker produces on demand);
kafka_fault_test.py runs a crawl under real broker faults on a real
3-node Kafka.

    fault_test.py BUILD_DIR [--pages N] [--seed S]

Exit 3 (instead of 1) when the only defect is pages that never reached
`crawl.pages` at all: seen once (2026-11-25, 1 page of 2,000, while the
fetcher instance that consumed its request counted as many acknowledged
pages as requests). The likely cause is the mock cluster: a Produce request
failed by injection is not appended, a later in-flight batch of the same
idempotent producer is accepted without the sequence check a real broker
makes, and librdkafka then reports the earlier messages delivered too
(librdkafka issue #2501 shows that reporting; later librdkafka versions
tightened mock injection, PR #5491). Not proven, so still counted.
run_fault_test.sh repeats the test once, with another seed, on exit 3 and
prints both outcomes; any other defect fails at once.
"""
import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests/support"))
import harness  # noqa: E402
ap = argparse.ArgumentParser()
ap.add_argument("build", nargs="?", default=os.path.join(ROOT, "build"))
ap.add_argument("--pages", type=int, default=2000)
ap.add_argument("--seed", type=int, default=int(time.time()))
args = ap.parse_args()
BUILD = os.path.abspath(args.build)
CLI = os.path.join(BUILD, "services/cli/crawlstream")
BIN = {n: os.path.join(BUILD, "services/%s/crawlstream-%s" % (n, n)) for n in ("fetcher", "extractor", "dedup")}
rng = random.Random(args.seed)
work = tempfile.mkdtemp(prefix="crawlstream-fault-")
procs = {}
others = []


def log(msg):
    print("[%6.1fs] %s" % (time.time() - T0, msg), flush=True)


def cleanup():
    for p in list(procs.values()) + others:
        if p.poll() is None:
            p.kill()
            p.wait()
    shutil.rmtree(work, ignore_errors=True)


def fail(msg):
    print("FAIL (seed %d): %s" % (args.seed, msg), flush=True)
    for name in ("fetcher", "extractor", "dedup"):
        path = os.path.join(work, name + ".log")
        if os.path.exists(path):
            print("---- %s log (tail)" % name)
            print("".join(open(path, errors="replace").readlines()[-15:]))
    cleanup()
    sys.exit(1)


def start_service(name, env, extra=()):
    logf = open(os.path.join(work, name + ".log"), "a")
    argv = [BIN[name], "--config", os.path.join(ROOT, "config", name + ".yaml")] + list(extra)
    procs[name] = subprocess.Popen(argv, stdout=logf, stderr=subprocess.STDOUT, env=env, cwd=ROOT)


T0 = time.time()


def main():
    log("seed %d, %d pages" % (args.seed, args.pages))
    site = os.path.join(work, "site")
    subprocess.run(["/usr/bin/python3", os.path.join(ROOT, "tests/support/make_site.py"), site,
                    "--pages", str(args.pages), "--page-kb", "16", "--seed", str(args.seed)], check=True)
    base, nginx = harness.serve_site(site, work, copy=False)
    others.append(nginx)
    seeds = harness.write_seeds(["{{BASE}}/sitemap.xml"], base, work)
    expected = {base + e["path"]: e["title"] for e in json.load(open(os.path.join(site, "expected.json")))}
    broker, bootstrap = harness.start_broker(CLI, work, brokers=3, partitions=4, control=True)
    others.append(broker)
    env = dict(os.environ, CRAWLSTREAM_KAFKA_BROKERS=bootstrap, CRAWLSTREAM_SERVICE_HTTP_PORT="0",
               CRAWLSTREAM_SERVICE_LOG_FORMAT="json", CRAWLSTREAM_KAFKA_SESSION_TIMEOUT="6s",
               CRAWLSTREAM_KAFKA_COMMIT_INTERVAL="300ms", CRAWLSTREAM_FETCHER_ALLOW_CIDRS="127.0.0.1/32",
               # The development broker is not trusted with transactions.
               CRAWLSTREAM_KAFKA_EXACTLY_ONCE="false",
               # ~60 pages/s on one host, so the faults land mid-crawl.
               CRAWLSTREAM_FETCHER_MIN_DELAY="15ms", CRAWLSTREAM_FETCHER_MAX_CONNECTIONS_PER_HOST="1",
               CRAWLSTREAM_FETCHER_RETRY_BASE_DELAY="200ms", CRAWLSTREAM_FETCHER_MAX_ATTEMPTS="8")
    for name in ("dedup", "extractor"):
        start_service(name, env)
    start_service("fetcher", env, ["--fetcher.seeds_file=" + seeds])  # seeding happens once

    def control(cmd):
        broker.stdin.write(cmd + "\n")
        broker.stdin.flush()
        log("broker: " + cmd)

    # Chaos: every stage is killed at least twice, the broker faults once each.
    events = ["kill fetcher", "kill extractor", "kill dedup"] * 2 + \
             ["kill " + rng.choice(["fetcher", "extractor", "dedup"])] + \
             ["down", "errors 0 6,7,6,7", "errors 1 6,6", "errors 8 27,27"]
    rng.shuffle(events)
    from kafka import KafkaConsumer, TopicPartition
    watcher = KafkaConsumer(bootstrap_servers=bootstrap.split(","), group_id=None)
    parts = [TopicPartition("articles", p) for p in range(4)]

    def published():
        try:
            return sum(watcher.end_offsets(parts).values())
        except Exception:  # broker briefly down
            return -1

    during_crawl = 0
    for ev in events:
        time.sleep(rng.uniform(1.0, 4.0))
        if ev.startswith("kill"):
            name = ev.split()[1]
            procs[name].send_signal(signal.SIGKILL)
            procs[name].wait()
            log("SIGKILL %s" % name)
            time.sleep(rng.uniform(0.2, 1.5))
            start_service(name, env)
            log("restarted %s" % name)
        elif ev == "down":
            broker_id = rng.choice([1, 2, 3])
            control("down %d" % broker_id)
            time.sleep(rng.uniform(2.0, 5.0))
            control("up %d" % broker_id)
        else:
            control(ev)
        for name, p in procs.items():
            if p.poll() is not None:
                fail("%s exited with %d during the crawl" % (name, p.returncode))
        n = published()
        log("  articles log holds %d records" % n)
        if 0 <= n < len(expected):
            during_crawl += 1
    watcher.close()
    if during_crawl < len(events) // 2:
        fail("only %d of %d faults happened during the crawl" % (during_crawl, len(events)))

    # Drain: wait until every expected article is live and nothing new
    # arrives for a while.
    harness.gen_protos(work)
    from crawlstream.v1 import article_pb2
    consumer = KafkaConsumer("articles", bootstrap_servers=bootstrap.split(","), group_id=None,
                             auto_offset_reset="earliest", enable_auto_commit=False,
                             consumer_timeout_ms=1000)
    records = {}  # id -> count of non-empty records
    titles = {}
    tombstones = 0
    deadline = time.time() + 600
    last_new = time.time()
    while time.time() < deadline:
        got = False
        for m in consumer:
            got = True
            key = m.key.decode()
            if not m.value:
                tombstones += 1
                continue
            a = article_pb2.Article()
            a.ParseFromString(m.value)
            records[key] = records.get(key, 0) + 1
            titles[key] = (a.url, a.title)
        if got:
            last_new = time.time()
        if len(records) >= len(expected) and time.time() - last_new > 15:
            break
        if time.time() - last_new > 120:  # stalled: nothing new for two minutes
            log("no new article for 120 s; %d/%d" % (len(records), len(expected)))
            break
        if int(time.time()) % 15 == 0:
            log("articles so far: %d/%d" % (len(records), len(expected)))
            time.sleep(1)
    consumer.close()

    repeated = {k: n for k, n in records.items() if n != 1}
    if repeated:
        fail("%d articles appear more than once in the log, e.g. %s" % (len(repeated), list(repeated.items())[:3]))
    got_titles = {}
    for key, (url, title) in titles.items():
        got_titles[url.split("?")[0]] = title
    missing = [u for u in expected if u not in got_titles]
    if missing:
        from crawlstream.v1 import fetched_page_pb2
        pages = KafkaConsumer("crawl.pages", bootstrap_servers=bootstrap.split(","), group_id=None,
                              auto_offset_reset="earliest", enable_auto_commit=False,
                              consumer_timeout_ms=3000)
        fetched = set()
        for m in pages:
            p = fetched_page_pb2.FetchedPage()
            p.ParseFromString(m.value)
            fetched.add(p.requested_url.split("?")[0])
            fetched.add(p.final_url.split("?")[0])
        pages.close()
        never_fetched = [u for u in missing if u not in fetched]
        if len(never_fetched) == len(missing):
            print("FAIL-UNFETCHED (seed %d): %d pages never reached crawl.pages, e.g. %s"
                  % (args.seed, len(missing), missing[:3]), flush=True)
            cleanup()
            sys.exit(3)
        fail("%d articles missing, e.g. %s (%d of them never reached crawl.pages)"
             % (len(missing), missing[:3], len(never_fetched)))
    wrong = [u for u, t in expected.items() if got_titles[u] != t]
    if wrong:
        fail("%d articles with a wrong title, e.g. %s" % (len(wrong), wrong[:3]))
    if tombstones:
        fail("%d tombstones: distinct stories must not replace each other" % tombstones)
    log("all %d articles present exactly once in the articles log" % len(expected))

    harness.stop_gracefully(procs, fail)
    cleanup()
    print("PASS")


if __name__ == "__main__":
    harness.run_main(main, fail)
