#!/usr/bin/env python3
"""What exactly-once costs: the extractor and dedup with kafka.exactly_once
off (idempotent producer, offsets committed after acknowledgement) and on
(transactional producer, offsets in the transaction), on the same input,
in the same run, on a real 3-node Apache Kafka 3.9.1 (scripts/kafka.sh;
replication factor 3, min.insync.replicas=2, acks=all).

    bench/kafka/exactly_once.py [BUILD_DIR] [--pages 4000] [--runs 3]

Once: a generated site (tests/support/make_site.py, 16 KB pages with real
boilerplate, one story per page) served by nginx on 127.0.0.1 is crawled
by crawlstream-fetcher into crawl.pages. Then, alternating the modes, each
run starts crawlstream-extractor and crawlstream-dedup (shipped configs,
kafka.commit_interval 1 s: a transaction lasts 1 s) with fresh consumer
groups and fresh output topics over that crawl.pages, and times them from
start until both have counted every page in
crawlstream_stage_records_total (at acknowledgement when idempotent, at
the transaction's commit when exactly-once; offsets cannot tell, since a
transactional topic's end holds a commit marker no consumer commits past). Reports the median pages/s of
each mode and the ratio, and checks that every page is live once on
`articles` (read_committed) in every run.
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests/support"))
import harness  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("build", nargs="?", default=os.path.join(ROOT, "build"))
ap.add_argument("--pages", type=int, default=4000)
ap.add_argument("--runs", type=int, default=3)
args = ap.parse_args()
BUILD = os.path.abspath(args.build)
BIN = {n: os.path.join(BUILD, "services/%s/crawlstream-%s" % (n, n)) for n in ("fetcher", "extractor", "dedup")}
PARTS = 4
work = tempfile.mkdtemp(prefix="crawlstream-eos-bench-")
procs = []
log = harness.stamped_log(time.time())


def group_position(bootstrap, group, topic):
    """(committed, end) summed over the topic's partitions."""
    from kafka import KafkaConsumer, TopicPartition
    c = KafkaConsumer(bootstrap_servers=bootstrap.split(","), group_id=group, enable_auto_commit=False)
    try:
        parts = [TopicPartition(topic, p) for p in range(PARTS)]
        ends = c.end_offsets(parts)
        return sum(c.committed(tp) or 0 for tp in parts), sum(ends.values())
    finally:
        c.close()


def admin_port(logpath, deadline_s=60):
    """The admin port a service logged (service.http_port=0)."""
    deadline = time.time() + deadline_s
    while time.time() < deadline:
        m = re.search(r"admin endpoint listening on 127\.0\.0\.1:(\d+)", open(logpath, errors="replace").read())
        if m:
            return int(m.group(1))
        time.sleep(0.1)
    raise SystemExit("no admin port in " + logpath)


def records_done(port, stage):
    """Sum of crawlstream_stage_records_total{stage=...} on /metrics."""
    body = urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=5).read().decode()
    return sum(float(line.rsplit(" ", 1)[1]) for line in body.splitlines()
               if line.startswith("crawlstream_stage_records_total{") and 'stage="%s"' % stage in line)


def start(name, env, extra=(), logname=None):
    logf = open(os.path.join(work, (logname or name) + ".log"), "a")
    p = subprocess.Popen([BIN[name], "--config", os.path.join(ROOT, "config", name + ".yaml")] + list(extra),
                         stdout=logf, stderr=subprocess.STDOUT, env=env, cwd=ROOT)
    procs.append(p)
    return p


def main():
    site = os.path.join(work, "site")
    subprocess.run(["/usr/bin/python3", os.path.join(ROOT, "tests/support/make_site.py"), site,
                    "--pages", str(args.pages), "--page-kb", "16", "--seed", "7"],
                   check=True, stdout=subprocess.DEVNULL)
    base, nginx = harness.serve_site(site, work, copy=False)
    procs.append(nginx)
    seeds = harness.write_seeds(["{{BASE}}/sitemap.xml"], base, work)
    _, bootstrap = harness.start_kafka(work, nodes=3)
    harness.create_topics(bootstrap, {"crawl.requests": PARTS, "crawl.pages": PARTS, "crawl.deadletter": 1},
                          replication=3, configs={"min.insync.replicas": "2"})
    env = dict(os.environ, CRAWLSTREAM_KAFKA_BROKERS=bootstrap, CRAWLSTREAM_SERVICE_HTTP_PORT="0",
               CRAWLSTREAM_FETCHER_ALLOW_CIDRS="127.0.0.1/32", CRAWLSTREAM_FETCHER_MIN_DELAY="0s")
    fetcher = start("fetcher", env, ["--fetcher.seeds_file=" + seeds])
    deadline = time.time() + 900
    while True:
        _, end = group_position(bootstrap, "none", "crawl.pages")
        if end >= args.pages:
            break
        if time.time() > deadline or fetcher.poll() is not None:
            raise SystemExit("crawl.pages holds %d of %d pages" % (end, args.pages))
        time.sleep(1)
    fetcher.terminate()
    fetcher.wait()
    pages = group_position(bootstrap, "none", "crawl.pages")[1]
    log("crawl.pages holds %d records (%d pages)" % (pages, args.pages))

    harness.gen_protos(work)
    from crawlstream.v1 import article_pb2
    results = {"idempotent": [], "exactly_once": []}
    for run in range(args.runs):
        for mode in ("idempotent", "exactly_once"):
            tag = "%s-%d" % (mode, run)
            topics = {"extracted": "x." + tag, "articles": "a." + tag, "duplicates": "d." + tag,
                      "deadletter": "dl." + tag}
            harness.create_topics(bootstrap, {t: PARTS for t in topics.values()}, replication=3,
                                  configs={"min.insync.replicas": "2"}, compacted=(topics["articles"],))
            stage_env = dict(env, CRAWLSTREAM_KAFKA_EXACTLY_ONCE="true" if mode == "exactly_once" else "false",
                             **{"CRAWLSTREAM_TOPICS_" + k.upper(): v for k, v in topics.items()})
            t0 = time.time()
            ps = [start(n, dict(stage_env, CRAWLSTREAM_KAFKA_GROUP_ID="bench-%s-%s" % (n, tag),
                                CRAWLSTREAM_SERVICE_INFLIGHT_JOURNAL=os.path.join(work, n + tag)),
                        logname=n + "-" + tag)
                  for n in ("extractor", "dedup")]
            ports = {n: admin_port(os.path.join(work, "%s-%s.log" % (n, tag))) for n in ("extractor", "dedup")}
            while True:
                if (records_done(ports["extractor"], "extractor") >= pages
                        and records_done(ports["dedup"], "dedup") >= pages):
                    break
                if any(p.poll() is not None for p in ps) or time.time() - t0 > 900:
                    raise SystemExit("%s: a stage stopped or took over 900 s (logs in %s)" % (tag, work))
                time.sleep(0.2)
            seconds = time.time() - t0
            for p in ps:
                p.terminate()
            for p in ps:
                p.wait()
            live = {}
            for _, _, key, value in harness.read_kcat(bootstrap, topics["articles"]):
                live[key] = value
            urls = set()
            for value in live.values():
                if value is not None:
                    a = article_pb2.Article()
                    a.ParseFromString(value)
                    urls.add(a.url)
            if len(urls) != args.pages:
                raise SystemExit("%s: %d live articles for %d pages" % (tag, len(urls), args.pages))
            results[mode].append(pages / seconds)
            log("%s: %d pages in %.1f s = %.0f pages/s; %d live articles" % (tag, pages, seconds, pages / seconds, len(urls)))
    med = {m: statistics.median(v) for m, v in results.items()}
    print("exactly-once bench: %d pages of 16 KB, 3-node Kafka (rf 3, min.insync.replicas 2), "
          "%d cores, %d runs per mode" % (pages, os.cpu_count(), args.runs))
    for m, v in results.items():
        print("  %-13s median %.0f pages/s  (runs: %s)" % (m, med[m], ", ".join("%.0f" % x for x in v)))
    print("  exactly_once / idempotent = %.2f" % (med["exactly_once"] / med["idempotent"]))


try:
    main()
finally:
    harness.end_run(procs, work)
