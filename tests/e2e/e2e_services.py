#!/usr/bin/env python3
"""End-to-end: nginx (examples/site) -> crawlstream broker -> the three
services as separate processes -> an outside consumer (python3-kafka,
decoding with python3-protobuf generated from proto/) checks exactly what
downstream sees on `articles`, `articles.duplicates` and
`crawl.deadletter`. Then SIGTERM: every service exits 0 within 10 s with
its offsets committed. Finally `crawlstream run` over the same site must
publish the same articles.

    e2e_services.py BUILD_DIR [--kafka]

With --kafka the broker is a real Apache Kafka 3.9.1 (one node started by
scripts/kafka.sh, topics created by the test with 3 partitions, `articles`
compacted) instead of the development broker, and `crawlstream run
--brokers` runs on it too, over its own topics (run.*) and groups.
"""
import collections
import json
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests/support"))
import harness  # noqa: E402
ARGS = [a for a in sys.argv[1:] if a != "--kafka"]
REAL_KAFKA = "--kafka" in sys.argv[1:]
BUILD = os.path.abspath(ARGS[0] if ARGS else os.path.join(ROOT, "build"))
CLI = os.path.join(BUILD, "services/cli/crawlstream")
SERVICES = {
    "fetcher": os.path.join(BUILD, "services/fetcher/crawlstream-fetcher"),
    "extractor": os.path.join(BUILD, "services/extractor/crawlstream-extractor"),
    "dedup": os.path.join(BUILD, "services/dedup/crawlstream-dedup"),
}
# Topic names by their topics.* config key.
TOPICS = {"requests": "crawl.requests", "pages": "crawl.pages", "extracted": "articles.extracted",
          "articles": "articles", "duplicates": "articles.duplicates", "deadletter": "crawl.deadletter"}
INPUT_TOPIC = {"fetcher": "crawl.requests", "extractor": "crawl.pages", "dedup": "articles.extracted"}
EXPECTED = json.load(open(os.path.join(ROOT, "tests/e2e/expected_example.json"), encoding="utf-8"))

procs = []
work = tempfile.mkdtemp(prefix="crawlstream-e2e-")


def fail(msg):
    print("FAIL: " + msg, flush=True)
    for name in ("fetcher", "extractor", "dedup", "broker"):
        log = os.path.join(work, name + ".log")
        if os.path.exists(log):
            print("---- %s log (tail)" % name)
            print("".join(open(log, errors="replace").readlines()[-25:]))
    cleanup()
    sys.exit(1)


def cleanup():
    harness.end_run(procs, work)


def start(name, argv, env=None):
    log = open(os.path.join(work, name + ".log"), "w")
    p = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=ROOT)
    procs.append(p)
    return p


Record = collections.namedtuple("Record", "topic partition offset key value")


def read_topics(bootstrap, topics, settle_s=6.0, timeout_s=150.0, want=None):
    """Reads every record of `topics` until nothing new arrives for settle_s
    seconds after `want(records)` holds (or timeout), as a downstream
    Python consumer would: confluent-kafka with isolation.level=
    read_committed (the stages' transactions; python3-kafka 2.0.2 would
    hand out commit markers and aborted records as if they were data)."""
    from confluent_kafka import Consumer
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "e2e-reader-%d" % os.getpid(),
                  "auto.offset.reset": "earliest", "enable.auto.commit": False,
                  "isolation.level": "read_committed"})
    c.subscribe(topics)
    records = []
    deadline = time.time() + timeout_s
    last_new = time.time()
    while time.time() < deadline:
        m = c.poll(0.5)
        if m is not None and not m.error():
            records.append(Record(m.topic(), m.partition(), m.offset(), m.key(), m.value()))
            last_new = time.time()
            continue
        if (want is None or want(records)) and time.time() - last_new > settle_s:
            break
    c.close()
    return records


def same_from_outside(bootstrap):
    """With the services stopped: kcat and Kafka's own Java console consumer
    read the three output topics and see exactly the records the Python
    client sees (partition, offset, key, value bytes; a tombstone as null);
    every value decodes as the topic's protobuf message."""
    from crawlstream.v1 import article_pb2, duplicate_pb2, dead_letter_pb2
    schema = {"articles": article_pb2.Article, "articles.duplicates": duplicate_pb2.Duplicate,
              "crawl.deadletter": dead_letter_pb2.DeadLetter}
    records = read_topics(bootstrap, list(schema), settle_s=2.0)
    for topic, message in schema.items():
        python = sorted((m.partition, m.offset, m.key or b"", m.value)
                        for m in records if m.topic == topic)
        for name, read in (("kcat", harness.read_kcat), ("ConsoleConsumer", harness.read_console_consumer)):
            got = sorted((p, o, k or b"", v) for p, o, k, v in read(bootstrap, topic))
            if got != python:
                fail("%s read %d records of %s, the Python client %d (first difference: %s)" %
                     (name, len(got), topic, len(python),
                      next(((a[:3], b[:3]) for a, b in zip(got, python) if a != b), "lengths")))
            for _, _, _, value in got:
                if value is not None:
                    message().ParseFromString(value)  # raises on bytes that are not the message
        print("%s: kcat, ConsoleConsumer and the Python client read the same %d records" %
              (topic, len(python)))


def live_articles(records):
    from crawlstream.v1 import article_pb2
    live = {}
    for m in records:
        if m.topic != "articles":
            continue
        key = m.key.decode()
        if not m.value:
            live.pop(key, None)
            continue
        a = article_pb2.Article()
        a.ParseFromString(m.value)
        live[a.id] = a
    return live


def check_expected(records, label):
    from crawlstream.v1 import duplicate_pb2, dead_letter_pb2
    live = live_articles(records)
    by_title = {a.title: a for a in live.values()}
    titles = sorted(by_title)
    want_titles = sorted(e["title"] for e in EXPECTED["articles"])
    if titles != want_titles:
        fail("%s: live articles %s, expected %s" % (label, titles, want_titles))
    for e in EXPECTED["articles"]:
        a = by_title[e["title"]]
        for field in ("published_at", "publisher", "original_source", "script"):
            if field in e and getattr(a, field) != e[field]:
                fail("%s: %s: %s=%r, expected %r" % (label, e["title"], field, getattr(a, field), e[field]))
        for field in ("authors", "editors"):
            if field in e and list(getattr(a, field)) != e[field]:
                fail("%s: %s: %s=%r, expected %r" % (label, e["title"], field, list(getattr(a, field)), e[field]))
        if not a.body or not a.canonical_url or len(a.id) != 32:
            fail("%s: %s: body/canonical_url/id missing" % (label, e["title"]))
    # Every id appears exactly once among live records of the log.
    counts = {}
    for m in records:
        if m.topic == "articles" and m.value:
            counts[m.key.decode()] = counts.get(m.key.decode(), 0) + 1
    for id_, n in counts.items():
        if id_ in live and n != 1:
            fail("%s: article %s appears %d times in the articles log" % (label, id_, n))
    dups = []
    for m in records:
        if m.topic == "articles.duplicates":
            d = duplicate_pb2.Duplicate()
            d.ParseFromString(m.value)
            dups.append(d)
    canonical_ids = {by_title[d["title_of_canonical"]].id for d in EXPECTED["duplicates"]}
    if len(dups) != len(EXPECTED["duplicates"]) or {d.duplicate_of for d in dups} != canonical_ids:
        fail("%s: duplicates %s, expected one per %s" % (label, [(d.id, d.duplicate_of) for d in dups], canonical_ids))
    # Every Duplicate names both pages (duplicate.proto), whichever copy won.
    for d in dups:
        if not d.url or d.url == d.duplicate_of_url or d.duplicate_of_url != live[d.duplicate_of].canonical_url:
            fail("%s: duplicate %s names url=%r duplicate_of_url=%r, canonical is %r" %
                 (label, d.id, d.url, d.duplicate_of_url, live[d.duplicate_of].canonical_url))
    dls = []
    for m in records:
        if m.topic == "crawl.deadletter":
            dl = dead_letter_pb2.DeadLetter()
            dl.ParseFromString(m.value)
            dls.append((dl.stage, dl.reason, dl.url))
    for e in EXPECTED["dead_letters"]:
        if not any(r == e["reason"] and u.endswith(e["url_suffix"]) for _, r, u in dls):
            fail("%s: missing dead letter %s; got %s" % (label, e, dls))
    print("%s: %d articles, %d duplicates, %d dead letters as expected" % (label, len(live), len(dups), len(dls)))
    return {a.id: a.title for a in live.values()}


def admin_port(name):
    import re
    for line in open(os.path.join(work, name + ".log"), errors="replace"):
        m = re.search(r"admin endpoint listening on 127\.0\.0\.1:(\d+)", line)
        if m:
            return int(m.group(1))
    fail("%s logged no admin endpoint" % name)


def check_admin_endpoints(services):
    """Each running service answers /healthz and /readyz with 200 and
    exports its metrics; the scrapes are saved when
    CRAWLSTREAM_E2E_METRICS_DIR is set (tests/deploy/update_exported_metrics.sh
    turns them into the list the dashboard check uses)."""
    import urllib.request
    save = os.environ.get("CRAWLSTREAM_E2E_METRICS_DIR")
    want = {"fetcher": "crawlstream_fetch_requests_total", "extractor": "crawlstream_stage_records_total",
            "dedup": "crawlstream_dedup_decisions_total"}
    for name in services:
        port = admin_port(name)
        for path in ("/healthz", "/readyz"):
            with urllib.request.urlopen("http://127.0.0.1:%d%s" % (port, path), timeout=5) as r:
                if r.status != 200:
                    fail("%s %s answered %d" % (name, path, r.status))
        with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=5) as r:
            text = r.read().decode()
        for metric in ("crawlstream_build_info", "crawlstream_kafka_produced_total", want[name]):
            if metric not in text:
                fail("%s does not export %s" % (name, metric))
        # Issue 15: every stage counts its inputs, so the dead-letter alert
        # sees the fetcher's dead letters too.
        if 'crawlstream_stage_records_total{' not in text or 'stage="%s"' % name not in text:
            fail("%s does not count its inputs in crawlstream_stage_records_total" % name)
        if save:
            os.makedirs(save, exist_ok=True)
            open(os.path.join(save, name + ".txt"), "w").write(text)
    print("every service answers /healthz and /readyz with 200 and exports its metrics")


def committed_everything(bootstrap):
    """Every group committed past the last record of its input a
    read_committed reader sees (a transactional input's end offset is one
    past its commit marker, which no group commits past)."""
    from kafka import KafkaConsumer, TopicPartition
    for name, topic in INPUT_TOPIC.items():
        last = {}
        for part, offset, _, _ in harness.read_kcat(bootstrap, topic):
            last[part] = max(last.get(part, -1), offset)
        c = KafkaConsumer(bootstrap_servers=bootstrap.split(","), group_id="crawlstream-" + name,
                          enable_auto_commit=False)
        parts = [TopicPartition(topic, p) for p in c.partitions_for_topic(topic)]
        ends = c.end_offsets(parts)
        for tp in parts:
            committed = c.committed(tp) or 0
            want = last.get(tp.partition, -1) + 1
            if not want <= committed <= ends[tp]:
                c.close()
                fail("%s: committed %s for %s/%d, last visible record %d, end %d"
                     % (name, committed, topic, tp.partition, want - 1, ends[tp]))
        c.close()
    print("every group committed its input past its last visible record")


def main():
    for path in [CLI] + list(SERVICES.values()):
        if not os.path.exists(path):
            fail("missing binary " + path)
    harness.gen_protos(work)
    base, nginx = harness.serve_site(os.path.join(ROOT, "examples/site"), work, timeout_s=600)
    procs.append(nginx)
    seeds = harness.write_seeds(open(os.path.join(ROOT, "examples/seeds.txt"), encoding="utf-8"), base, work)
    print("site at " + base)
    if REAL_KAFKA:
        _, bootstrap = harness.start_kafka(work, nodes=1)
        harness.create_topics(bootstrap, {t: 3 for t in TOPICS.values()}, compacted=("articles",))
        print("real Kafka at " + bootstrap)
    else:
        broker, bootstrap = harness.start_broker(CLI, work, brokers=3, partitions=3)
        procs.append(broker)
    env = dict(os.environ, CRAWLSTREAM_KAFKA_BROKERS=bootstrap, CRAWLSTREAM_SERVICE_HTTP_PORT="0",
               CRAWLSTREAM_SERVICE_LOG_FORMAT="json", CRAWLSTREAM_KAFKA_COMMIT_INTERVAL="200ms",
               # Exactly-once (the default) on real Kafka; the development
               # broker is not trusted with transactions.
               CRAWLSTREAM_KAFKA_EXACTLY_ONCE="true" if REAL_KAFKA else "false")
    services = {}
    for name, binary in SERVICES.items():
        args = [binary, "--config", os.path.join(ROOT, "config", name + ".yaml")]
        if name == "fetcher":
            args += ["--fetcher.seeds_file=" + seeds, "--fetcher.allow_cidrs=127.0.0.1/32",
                     "--fetcher.min_delay=50ms"]
        else:  # its own crash journal, not the shared /tmp default
            args += ["--service.inflight_journal=" + os.path.join(work, name + ".inflight")]
        services[name] = start(name, args, env)

    want_live = len(EXPECTED["articles"])
    records = read_topics(bootstrap, ["articles", "articles.duplicates", "crawl.deadletter"],
                          want=lambda r: len(live_articles(r)) >= want_live)
    services_result = check_expected(records, "services")

    check_admin_endpoints(services)
    harness.stop_gracefully(services, fail)
    print("all services exited 0 within 10 s of SIGTERM")
    committed_everything(bootstrap)
    if REAL_KAFKA:
        same_from_outside(bootstrap)

    out = os.path.join(work, "run.jsonl")
    dups = os.path.join(work, "run-dups.jsonl")
    run_args = []
    if REAL_KAFKA:  # the same cluster, fresh topics and groups
        harness.create_topics(bootstrap, {"run." + t: 3 for t in TOPICS.values()}, compacted=("run.articles",))
        run_args = ["--brokers", bootstrap, "--kafka.group_id=run"] + [
            "--topics.%s=run.%s" % (key, t) for key, t in TOPICS.items()]
    r = subprocess.run([CLI, "run", "--seeds", seeds, "--allow-cidr", "127.0.0.1/32", "--out", out,
                        "--duplicates-out", dups, "--fetcher.min_delay=50ms"] + run_args,
                       cwd=ROOT, capture_output=True, text=True, timeout=300)
    if r.returncode != 0:
        print(r.stderr[-3000:])
        fail("crawlstream run exited %d" % r.returncode)
    run_result = {}
    for line in open(out, encoding="utf-8"):
        a = json.loads(line)
        run_result[a["id"]] = a["title"]
    if run_result != services_result:
        fail("crawlstream run published %s, the services %s" % (run_result, services_result))
    if sum(1 for _ in open(dups, encoding="utf-8")) != len(EXPECTED["duplicates"]):
        fail("crawlstream run wrote a different number of duplicates")
    print("crawlstream run published the same %d articles" % len(run_result))
    cleanup()
    print("PASS")


if __name__ == "__main__":
    harness.run_main(main, fail)
