#!/usr/bin/env python3
"""Delivery under real broker faults: a crawl of a generated site (one
distinct story per page, served by nginx on 127.0.0.1) through the three
services on a real 3-node Apache Kafka 3.9.1 (scripts/kafka.sh; every topic
replication factor 3, min.insync.replicas=2; the producers use acks=all and
idempotence), while the test
  - kill -9s the leader of an `articles` partition and restarts it (twice,
    each time the partition's current leader),
  - restarts all three nodes one after another (clean stop, start, wait
    until every partition has all three replicas in sync again),
  - SIGKILLs every stage process twice and restarts it.
The faults are spread over the crawl by progress (the n-th fires once the
`articles` log holds n/(faults+1) of the pages), so every one lands while
pages still flow however fast the machine is. After draining, kcat reads
`articles` with isolation.level=read_committed: every page is there exactly
once as a live record (the last record of its key, not a tombstone), none
missing, no story live under two ids, no tombstone at all (distinct
stories never replace each other). Prints the figures: pages, faults,
time, the peak consumer lag of each stage's group, records on `articles`.

With --exactly-once the extractor and dedup run with kafka.exactly_once
(transactional producers, input offsets in the transaction; each keeps its
transactional.id across restarts, as a pod keeps its name, so a restarted
stage fences its killed predecessor at once), and the extractor stage is
checked to be exactly-once across the kills: read_committed, every record
of crawl.pages gave exactly one record on articles.extracted (pages the
fetcher fetched twice are two inputs). dedup stops itself after an aborted
transaction (its index holds the aborted decisions; restarted, it restores
from the committed log): such exits are restarted as Kubernetes would.

    kafka_fault_test.py BUILD_DIR [--pages N] [--seed S] [--exactly-once]
"""
import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests/support"))
import harness  # noqa: E402
ap = argparse.ArgumentParser()
ap.add_argument("build", nargs="?", default=os.path.join(ROOT, "build"))
ap.add_argument("--pages", type=int, default=10000)
ap.add_argument("--seed", type=int, default=int(time.time()))
ap.add_argument("--exactly-once", action="store_true")
args = ap.parse_args()
BUILD = os.path.abspath(args.build)
BIN = {n: os.path.join(BUILD, "services/%s/crawlstream-%s" % (n, n)) for n in ("fetcher", "extractor", "dedup")}
GROUP_INPUT = {"fetcher": "crawl.requests", "extractor": "crawl.pages", "dedup": "articles.extracted"}
PARTITIONS = {"crawl.requests": 4, "crawl.pages": 4, "articles.extracted": 4, "articles": 4,
              "articles.duplicates": 2, "crawl.deadletter": 2}
rng = random.Random(args.seed)
work = tempfile.mkdtemp(prefix="crawlstream-kafka-fault-")
kafka_dir = os.path.join(work, "kafka")
procs = {}
others = []
T0 = time.time()


log = harness.stamped_log(T0)


def cleanup():
    harness.end_run(list(procs.values()) + others, work)


def fail(msg):
    print("FAIL (seed %d): %s" % (args.seed, msg), flush=True)
    for name in ("fetcher", "extractor", "dedup"):
        path = os.path.join(work, name + ".log")
        if os.path.exists(path):
            print("---- %s log (tail)" % name)
            print("".join(open(path, errors="replace").readlines()[-15:]))
    for node in (1, 2, 3):
        path = os.path.join(kafka_dir, "node-%d" % node, "server.log")
        if os.path.exists(path):
            print("---- kafka node %d log (last ERROR/WARN lines)" % node)
            lines = [l for l in open(path, errors="replace") if " ERROR " in l or " WARN " in l]
            print("".join(lines[-8:]))
    cleanup()
    sys.exit(1)


# Times in one run a stage may stop itself on an undeliverable output (or,
# exactly-once, dedup after an aborted transaction) and be restarted
# (check_alive).
MAX_SELF_EXITS = 6 if args.exactly_once else 3
SELF_EXIT_MARKS = ("could not be delivered; stopping without committing",
                   "stopping so that a restart restores the state from the committed log")


def start_service(name, env, extra=()):
    logf = open(os.path.join(work, name + ".log"), "a")
    argv = [BIN[name], "--config", os.path.join(ROOT, "config", name + ".yaml")] + list(extra)
    procs[name] = subprocess.Popen(argv, stdout=logf, stderr=subprocess.STDOUT, env=env, cwd=ROOT)


class LagWatcher(threading.Thread):
    """Samples each stage group's lag (end offset minus committed offset of
    its input topic) and the `articles` end offsets once a second, keeping
    the peaks. A sample that fails (a node restarting) is skipped, and so is
    one before the group's first commit (its lag is the whole input)."""

    def __init__(self, bootstrap):
        super().__init__(daemon=True)
        self.bootstrap = bootstrap.split(",")
        self.peak = {g: 0 for g in GROUP_INPUT}
        self.lag = {g: None for g in GROUP_INPUT}
        self.articles_end = 0
        self.samples = self.failed = 0
        self.stopping = threading.Event()

    def consumer(self, group):
        from kafka import KafkaConsumer
        return KafkaConsumer(bootstrap_servers=self.bootstrap, group_id=group, enable_auto_commit=False,
                             session_timeout_ms=6000, request_timeout_ms=8000, api_version_auto_timeout_ms=8000)

    def run(self):
        from kafka import TopicPartition
        consumers = {}
        while not self.stopping.wait(1.0):
            try:
                for group, topic in GROUP_INPUT.items():
                    if group not in consumers:
                        consumers[group] = self.consumer("crawlstream-" + group)
                    c = consumers[group]
                    parts = [TopicPartition(topic, p) for p in range(PARTITIONS[topic])]
                    ends = c.end_offsets(parts)
                    committed = [c.committed(tp) for tp in parts]
                    # No answer for a partition that has records (its
                    # coordinator moving): unknown, not the whole log.
                    if any(off is None and ends[tp] > 0 for tp, off in zip(parts, committed)):
                        raise RuntimeError("committed offsets unknown")
                    lag = sum(ends[tp] - (off or 0) for tp, off in zip(parts, committed))
                    self.lag[group] = lag
                    self.peak[group] = max(self.peak[group], lag)
                    if group == "dedup":
                        arts = [TopicPartition("articles", p) for p in range(PARTITIONS["articles"])]
                        self.articles_end = sum(c.end_offsets(arts).values())
                self.samples += 1
            except Exception:  # noqa: BLE001 (a node restarting: skip this sample)
                self.failed += 1
                for c in consumers.values():
                    c.close()
                consumers = {}
        for c in consumers.values():
            c.close()


def wait_in_sync(bootstrap, timeout_s=180):
    """Waits until every partition of every topic has a leader and all its
    replicas in sync."""
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        meta = harness.kafka_metadata(bootstrap)
        if meta and all(t in meta for t in PARTITIONS) and all(
                leader > 0 and isrs == replicas for parts in meta.values()
                for _, leader, replicas, isrs in parts):
            return
        time.sleep(0.5)
    fail("partitions not back in sync within %d s: %s" % (timeout_s, harness.kafka_metadata(bootstrap)))


def main():
    log("seed %d, %d pages" % (args.seed, args.pages))
    site = os.path.join(work, "site")
    subprocess.run(["/usr/bin/python3", os.path.join(ROOT, "tests/support/make_site.py"), site,
                    "--pages", str(args.pages), "--page-kb", "16", "--seed", str(args.seed)],
                   check=True, stdout=subprocess.DEVNULL)
    base, nginx = harness.serve_site(site, work, copy=False, timeout_s=3600)
    others.append(nginx)
    seeds = harness.write_seeds(["{{BASE}}/sitemap.xml"], base, work)
    expected = {base + e["path"]: e["title"] for e in json.load(open(os.path.join(site, "expected.json")))}
    _, bootstrap = harness.start_kafka(work, nodes=3)
    harness.create_topics(bootstrap, PARTITIONS, replication=3, configs={"min.insync.replicas": "2"},
                          compacted=("articles",))
    wait_in_sync(bootstrap)
    log("3-node cluster at %s, topics created (replication 3, min.insync.replicas 2)" % bootstrap)

    env = dict(os.environ, CRAWLSTREAM_KAFKA_BROKERS=bootstrap, CRAWLSTREAM_SERVICE_HTTP_PORT="0",
               CRAWLSTREAM_SERVICE_LOG_FORMAT="json", CRAWLSTREAM_KAFKA_SESSION_TIMEOUT="6s",
               CRAWLSTREAM_KAFKA_COMMIT_INTERVAL="300ms", CRAWLSTREAM_FETCHER_ALLOW_CIDRS="127.0.0.1/32",
               # At most ~50 pages/s (one connection, 20 ms apart): unthrottled,
               # 2,000 pages went through in ~30 s here, faster than the nine
               # faults take (~70 s), so later faults would hit an idle pipeline.
               CRAWLSTREAM_FETCHER_MIN_DELAY="20ms", CRAWLSTREAM_FETCHER_MAX_CONNECTIONS_PER_HOST="1",
               CRAWLSTREAM_FETCHER_RETRY_BASE_DELAY="200ms", CRAWLSTREAM_FETCHER_MAX_ATTEMPTS="8")
    envs = {n: dict(env, CRAWLSTREAM_SERVICE_INFLIGHT_JOURNAL=os.path.join(work, n + ".inflight"))
            for n in ("extractor", "dedup")}
    for n in ("extractor", "dedup"):
        envs[n]["CRAWLSTREAM_KAFKA_EXACTLY_ONCE"] = "true" if args.exactly_once else "false"
        if args.exactly_once:
            envs[n]["CRAWLSTREAM_KAFKA_TRANSACTIONAL_ID"] = "fault-test-" + n
    envs["fetcher"] = env
    for name in ("extractor", "dedup"):
        start_service(name, envs[name])
    start_service("fetcher", env, ["--fetcher.seeds_file=" + seeds])  # seeding happens once

    watcher = LagWatcher(bootstrap)
    watcher.start()

    events = ["kill fetcher", "kill extractor", "kill dedup"] * 2 + ["leader", "leader", "rolling"]
    rng.shuffle(events)
    figures = {"stage_kills": 0, "leader_kills": 0, "node_restarts": 0, "during_crawl": 0,
               "self_exits": 0}

    def check_alive():
        """A stage that stopped on its own with status 1 because an output
        could not be delivered (e.g. the idempotent producer lost its
        sequence when a leader was killed mid-batch; nothing was committed
        for it) is restarted, as Kubernetes would, at most MAX_SELF_EXITS
        times in all; any other exit fails the test."""
        for name, p in procs.items():
            if p.poll() is None:
                continue
            tail = open(os.path.join(work, name + ".log"), errors="replace").read()[-20000:]
            undeliverable = any(m in tail for m in SELF_EXIT_MARKS)
            if p.returncode != 1 or not undeliverable or figures["self_exits"] >= MAX_SELF_EXITS:
                fail("%s exited with %d during the crawl" % (name, p.returncode))
            figures["self_exits"] += 1
            log("%s stopped itself (an output could not be delivered, nothing committed for it): "
                "restarted, as Kubernetes would" % name)
            start_service(name, envs[name])

    def leader_kill():
        meta = harness.kafka_metadata(bootstrap) or {}
        parts = meta.get("articles") or []
        if not parts:
            fail("no metadata for articles")
        part, leader, _, _ = parts[rng.randrange(len(parts))]
        harness.kafka_node(kafka_dir, "kill-node", leader)
        figures["leader_kills"] += 1
        log("kill -9 node %d, leader of articles/%d" % (leader, part))
        time.sleep(rng.uniform(3.0, 8.0))
        check_alive()
        harness.kafka_node(kafka_dir, "start-node", leader)
        log("node %d restarted" % leader)
        wait_in_sync(bootstrap)
        log("all partitions back in sync")

    def rolling():
        for node in (1, 2, 3):
            harness.kafka_node(kafka_dir, "stop-node", node)
            log("rolling restart: node %d stopped" % node)
            harness.kafka_node(kafka_dir, "start-node", node)
            figures["node_restarts"] += 1
            wait_in_sync(bootstrap)
            log("rolling restart: node %d back, all partitions in sync" % node)
            check_alive()

    # Wait for the first article, then fire fault i at progress i/(n+1).
    deadline = time.time() + 300
    while watcher.articles_end == 0:
        if time.time() > deadline:
            fail("no article within 300 s")
        check_alive()
        time.sleep(0.5)
    log("first article published")
    for i, ev in enumerate(events, 1):
        want = len(expected) * i // (len(events) + 1)
        stall_deadline = time.time() + 300
        while watcher.articles_end < want:
            check_alive()
            if time.time() > stall_deadline:
                fail("stuck at %d articles (waiting for %d), lag %s" % (watcher.articles_end, want, watcher.lag))
            time.sleep(0.2)
        if watcher.articles_end < len(expected):
            figures["during_crawl"] += 1
        log("at %d articles: %s" % (watcher.articles_end, ev))
        if ev.startswith("kill"):
            name = ev.split()[1]
            procs[name].send_signal(signal.SIGKILL)
            procs[name].wait()
            figures["stage_kills"] += 1
            time.sleep(rng.uniform(0.2, 1.5))
            start_service(name, envs[name])
            log("SIGKILLed and restarted %s" % name)
        elif ev == "leader":
            leader_kill()
        else:
            rolling()
        check_alive()
    t_faults = time.time() - T0
    log("all %d faults done" % len(events))

    # Drain: every stage's lag 0 and `articles` unchanged for 10 s.
    deadline = time.time() + 900
    last_end, last_change = -1, time.time()
    while time.time() < deadline:
        check_alive()
        if watcher.articles_end != last_end:
            last_end, last_change = watcher.articles_end, time.time()
        # dedup's input is transactional with --exactly-once: commit markers
        # (and aborted records) sit past the last offset a group commits, so
        # its lag never reaches 0; there the idle articles log says it is
        # done.
        drained = [g for g in watcher.lag if not (args.exactly_once and g == "dedup")]
        if all(watcher.lag[g] == 0 for g in drained) and time.time() - last_change > 10:
            break
        if time.time() - last_change > 180:
            log("no new article record for 180 s, lag %s" % watcher.lag)
            break
        time.sleep(1)
    t_drained = time.time() - T0
    watcher.stopping.set()
    watcher.join()
    log("drained: lag %s" % watcher.lag)

    harness.gen_protos(work)
    from crawlstream.v1 import article_pb2
    records = harness.read_kcat(bootstrap, "articles")
    last = {}  # key -> last value (None: tombstone)
    writes = {}  # key -> non-empty records in the log
    tombstones = 0
    for _, _, key, value in records:
        last[key] = value
        if value is None:
            tombstones += 1
        else:
            writes[key] = writes.get(key, 0) + 1
    live_by_url = {}
    for key, value in last.items():
        if value is None:
            continue
        a = article_pb2.Article()
        a.ParseFromString(value)
        live_by_url.setdefault(a.url.split("?")[0], []).append((key.decode(), a.title))
    repeated_log = sum(1 for n in writes.values() if n > 1)
    log("articles: %d records, %d live, %d tombstones, %d ids written more than once"
        % (len(records), sum(1 for v in last.values() if v is not None), tombstones, repeated_log))

    twice = {u: ids for u, ids in live_by_url.items() if len(ids) > 1}
    if twice:
        fail("%d stories live under more than one id, e.g. %s" % (len(twice), list(twice.items())[:3]))
    missing = [u for u in expected if u not in live_by_url]
    if missing:
        fail("%d pages missing from articles, e.g. %s" % (len(missing), missing[:3]))
    extra = [u for u in live_by_url if u not in expected]
    if extra:
        fail("%d live articles for pages the site does not have, e.g. %s" % (len(extra), extra[:3]))
    wrong = [u for u, t in expected.items() if live_by_url[u][0][1] != t]
    if wrong:
        fail("%d articles with a wrong title, e.g. %s" % (len(wrong), wrong[:3]))
    if tombstones:
        fail("%d tombstones: distinct stories must not replace each other" % tombstones)
    if figures["during_crawl"] < len(events):
        fail("only %d of %d faults happened during the crawl" % (figures["during_crawl"], len(events)))

    # The extractor stage: one articles.extracted record per crawl.pages
    # record (all generated pages are articles) means no input was
    # processed twice into the visible log. Counted in both modes;
    # required with --exactly-once.
    pages_in = len(harness.read_kcat(bootstrap, "crawl.pages"))
    extracted = len(harness.read_kcat(bootstrap, "articles.extracted"))
    log("crawl.pages %d records -> articles.extracted %d records (read_committed)" % (pages_in, extracted))
    if args.exactly_once and extracted != pages_in:
        fail("exactly-once extractor: %d inputs gave %d visible outputs" % (pages_in, extracted))

    harness.stop_gracefully(procs, fail)
    print("FIGURES mode=%s pages_in=%d extracted=%d pages=%d live=%d stage_kills=%d leader_kills=%d rolling_node_restarts=%d "
          "faults_during_crawl=%d/%d faults_done_s=%.0f drained_s=%.0f total_s=%.0f "
          "lag_peak_fetcher=%d lag_peak_extractor=%d lag_peak_dedup=%d articles_records=%d "
          "ids_written_twice=%d lag_samples=%d/%d self_exits=%d"
          % ("exactly_once" if args.exactly_once else "idempotent", pages_in, extracted,
             len(expected), len(live_by_url), figures["stage_kills"], figures["leader_kills"],
             figures["node_restarts"], figures["during_crawl"], len(events), t_faults, t_drained,
             time.time() - T0, watcher.peak["fetcher"], watcher.peak["extractor"], watcher.peak["dedup"],
             len(records), repeated_log, watcher.samples, watcher.samples + watcher.failed,
             figures["self_exits"]), flush=True)
    cleanup()
    print("PASS")


if __name__ == "__main__":
    harness.run_main(main, fail)
