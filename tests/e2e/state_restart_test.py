#!/usr/bin/env python3
"""Crawl state that survives restarts (issue 13 items 1-2), on a real
Apache Kafka (scripts/kafka.sh, one node) and one nginx origin (access log
on, transfers slowed to most of a second):

  1. fetcher A crawls the origin's pages with fetcher.state_dir set and a
     commit interval longer than the test, and is SIGKILLed mid-crawl: no
     input offset is committed, so every request is delivered again;
  2. fetcher B (another, empty state directory: the state comes from
     crawl.state) finishes the crawl: it fetches no page A completed
     (nginx log; only A's transfer in flight at the kill, or one whose
     state was not yet acknowledged, may repeat: at most 2 with one
     connection per host);
  3. scale-out: fetchers C1 and C2 (new directories) split the two
     crawl.requests partitions (C1 hands one over to C2: dropped by one,
     restored by the other); every request is produced again and neither
     fetches anything: every page is known, not due;
  4. every request is produced again and fetcher D, on C1's directory
     (C1 held both partitions when it was SIGTERMed: released with their
     checkpoints) and with fetcher.revisit_interval 1s (one revisit:
     fetcher.revisits 1, so that the back-off does not schedule another
     within the test), resumes from the local checkpoints (no record read
     back) and fetches every page again with the stored validators: every
     answer is a 304.
  5. a fetcher whose topics.state does not exist exits 2 naming the key;
  6. new pages: fetcher F on C1's directory is SIGKILLed mid-crawl with
     nothing committed and G restarts on the same directory (local
     checkpoint, F's unflushed writes maybe lost): G fetches none of the
     pages F completed (at most 2 repeat).
Prints the GETs per fetcher, the restore lines of the fetchers' logs and
D's crawlstream_fetch_state_* metrics (checked against what it holds).

    state_restart_test.py BUILD_DIR [--pages N]
"""
import argparse
import base64
import os
import re
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
ap.add_argument("--pages", type=int, default=24)
args = ap.parse_args()
BUILD = os.path.abspath(args.build)
FETCHER = os.path.join(BUILD, "services/fetcher/crawlstream-fetcher")
PARTITIONS = 2
TOPICS = {"crawl.requests": PARTITIONS, "crawl.state": PARTITIONS, "crawl.pages": 1,
          "articles.extracted": 1, "articles": 1, "articles.duplicates": 1, "crawl.deadletter": 1}
work = tempfile.mkdtemp(prefix="crawlstream-state-")
procs = {}
stopped = set()  # fetchers stopped on purpose
others = []
T0 = time.time()
log = harness.stamped_log(T0)


def cleanup():
    harness.end_run(list(procs.values()) + others, work)


def fetcher_log(name):
    path = os.path.join(work, "fetcher-%s.log" % name)
    return open(path, errors="replace").read() if os.path.exists(path) else ""


def fail(msg):
    print("FAIL: " + msg, flush=True)
    for name in sorted(procs):
        print("---- fetcher %s log (tail)" % name)
        print("".join(fetcher_log(name).splitlines(True)[-25:]))
    cleanup()
    sys.exit(1)


def serve_origin():
    """An nginx serving p/0.html.. and q/0.html.. (ETag and Last-Modified,
    as nginx sends for static files), access log on, 8 KB/s per transfer."""
    root = os.path.join(work, "site")
    for d in ("p", "q"):
        os.makedirs(os.path.join(root, d))
        for n in range(args.pages):
            filler = base64.b64encode(os.urandom(4500)).decode()
            with open(os.path.join(root, d, "%d.html" % n), "w") as f:
                f.write("<html><head><title>Page %s%d</title></head><body><article><p>Story %d.</p>"
                        "<p>%s</p></article></body></html>\n" % (d, n, n, filler))
    port_file = os.path.join(work, "port")
    access = os.path.join(work, "access.log")
    proc = subprocess.Popen(["/usr/bin/python3", os.path.join(ROOT, "tests/support/nginx_site.py"),
                             "--root", root, "--port-file", port_file, "--timeout", "600",
                             "--extra", "access_log %s; limit_rate 8k;" % access],
                            stdout=subprocess.DEVNULL)
    others.append(proc)
    return "http://127.0.0.1:" + harness.wait_for_file(port_file), access


def gets(access):
    """[(path, status, fetcher name)] of the page GETs, in log order."""
    line_re = re.compile(r'"GET (/[pq]/\S+) HTTP/[\d.]+" (\d+) \d+ "[^"]*" "crawlstream-test-(\w+) ')
    if not os.path.exists(access):
        return []
    out = []
    for line in open(access, errors="replace"):
        m = line_re.search(line)
        if m:
            out.append((m.group(1), m.group(2), m.group(3)))
    return out


def start_fetcher(name, env, extra_env=None, state_of=None):
    """Starts fetcher `name` on its own state directory (or on the one
    fetcher `state_of` used)."""
    logf = open(os.path.join(work, "fetcher-%s.log" % name), "w")
    e = dict(env, CRAWLSTREAM_FETCHER_USER_AGENT="crawlstream-test-%s (+http://example.invalid)" % name,
             CRAWLSTREAM_FETCHER_STATE_DIR=os.path.join(work, "state-" + (state_of or name)))
    e.update(extra_env or {})
    procs[name] = subprocess.Popen([FETCHER, "--config", os.path.join(ROOT, "config/fetcher.yaml")],
                                   stdout=logf, stderr=subprocess.STDOUT, env=e, cwd=ROOT)


def stop_fetcher(name, sig=signal.SIGTERM, timeout_s=30):
    p = procs[name]
    stopped.add(name)
    p.send_signal(sig)
    try:
        rc = p.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        fail("fetcher %s did not exit within %d s of %s" % (name, timeout_s, sig.name))
    if sig == signal.SIGTERM and rc != 0:
        fail("fetcher %s exited %d after SIGTERM" % (name, rc))


def wait_until(what, cond, timeout_s=60):
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        if cond():
            return
        for name, p in procs.items():
            if p.poll() is not None and name not in stopped:
                fail("fetcher %s exited %d while waiting until %s" % (name, p.returncode, what))
        time.sleep(0.1)
    fail("timed out waiting until " + what)


def scrape_state_metrics(name):
    """crawlstream_fetch_state_* from fetcher `name`'s /metrics (its admin
    port from its log), once they reflect a restore (updated every 5 s)."""
    import urllib.request
    port = re.search(r"admin endpoint listening on 127.0.0.1:(\d+)", fetcher_log(name)).group(1)
    deadline = time.time() + 15
    while True:
        with urllib.request.urlopen("http://127.0.0.1:%s/metrics" % port, timeout=5) as r:
            text = r.read().decode()
        out = {m.group(1): float(m.group(2))
               for m in re.finditer(r"^(crawlstream_fetch_state_\w+) (\S+)$", text, re.M)}
        if out.get("crawlstream_fetch_state_urls", 0) > 0 or time.time() > deadline:
            return out
        time.sleep(0.5)


def committed(bootstrap):
    from kafka import KafkaConsumer, TopicPartition
    c = KafkaConsumer(bootstrap_servers=bootstrap.split(","), group_id="crawlstream-fetcher",
                      enable_auto_commit=False)
    try:
        return sum(c.committed(TopicPartition("crawl.requests", p)) or 0 for p in range(PARTITIONS))
    finally:
        c.close()


def main():
    harness.gen_protos(work)
    from crawlstream.v1 import crawl_request_pb2
    from kafka import KafkaProducer
    base, access = serve_origin()
    _, bootstrap = harness.start_kafka(work, nodes=1)
    harness.create_topics(bootstrap, TOPICS, compacted=("crawl.state",))
    log("Kafka at %s; %d pages at %s" % (bootstrap, args.pages, base))
    producer = KafkaProducer(bootstrap_servers=bootstrap.split(","), acks="all", retries=10,
                             max_in_flight_requests_per_connection=1)

    def publish(d="p"):
        # Pages alternate between the two partitions (as two hosts would).
        for n in range(args.pages):
            req = crawl_request_pb2.CrawlRequest()
            req.url = "%s/%s/%d.html" % (base, d, n)
            req.kind = crawl_request_pb2.CrawlRequest.KIND_PAGE
            producer.send("crawl.requests", key=b"127.0.0.1", value=req.SerializeToString(),
                          partition=n % PARTITIONS).get(timeout=30)

    env = dict(os.environ, CRAWLSTREAM_KAFKA_BROKERS=bootstrap, CRAWLSTREAM_SERVICE_HTTP_PORT="0",
               CRAWLSTREAM_KAFKA_SESSION_TIMEOUT="6s", CRAWLSTREAM_KAFKA_COMMIT_INTERVAL="300ms",
               CRAWLSTREAM_FETCHER_ALLOW_CIDRS="127.0.0.1/32", CRAWLSTREAM_FETCHER_MIN_DELAY="100ms",
               CRAWLSTREAM_FETCHER_MAX_CONNECTIONS_PER_HOST="1", CRAWLSTREAM_SERVICE_DRAIN_TIMEOUT="2s")
    by = lambda name: [g for g in gets(access) if g[2] == name]  # noqa: E731

    # 1. A crawls, nothing committed, SIGKILL mid-crawl.
    publish()
    start_fetcher("A", env, {"CRAWLSTREAM_KAFKA_COMMIT_INTERVAL": "60s"})
    kill_at = args.pages // 3
    wait_until("A fetched %d pages" % kill_at, lambda: len(by("A")) >= kill_at)
    stop_fetcher("A", signal.SIGKILL)
    time.sleep(0.5)  # nginx logs the transfer the kill cut
    a_done = [g for g in by("A") if g[1] == "200"]
    if committed(bootstrap) != 0:
        fail("A committed offsets: the restart would not exercise the crawl state")
    log("A SIGKILLed after %d GETs (nothing committed)" % len(by("A")))

    # 2. B finishes from an empty directory: the state comes from crawl.state.
    start_fetcher("B", env)
    wait_until("every page fetched", lambda: {g[0] for g in gets(access)} >= {"/p/%d.html" % n for n in range(args.pages)})
    wait_until("every request committed", lambda: committed(bootstrap) >= args.pages)
    stop_fetcher("B")
    twice = sorted({g[0] for g in by("A")} & {g[0] for g in by("B")})
    log("B: %d GETs; fetched by both A and B: %s" % (len(by("B")), twice))
    restore_b = re.findall(r"restored the crawl state of [^\"]*", fetcher_log("B"))
    log("B: %s" % restore_b)
    if len(twice) > 2:
        fail("%d pages A completed were fetched again after its SIGKILL: %s" % (len(twice), twice))
    if len(a_done) - len(twice) < kill_at - 2:
        fail("A completed %d pages, B skipped only %d of them" % (len(a_done), len(a_done) - len(twice)))
    for path in {g[0] for g in by("B")}:
        if sum(1 for g in by("B") if g[0] == path) > 1:
            fail("B fetched %s twice" % path)

    # 3. Scale-out to two fresh fetchers, the same requests again: nothing fetched.
    mark = len(gets(access))
    start_fetcher("C1", env)
    wait_until("C1 restored both partitions", lambda: "crawl state of 2 partitions" in fetcher_log("C1"))
    start_fetcher("C2", env)
    wait_until("C1 handed a partition over to C2",
               lambda: "crawl state of 1 partitions" in fetcher_log("C2")
               and "revoked 1 partitions" in fetcher_log("C1"))
    publish()
    wait_until("C1 and C2 committed the repeated requests", lambda: committed(bootstrap) >= 2 * args.pages)
    stop_fetcher("C2")
    wait_until("C1 took C2's partition back",
               lambda: "crawl state of 1 partitions" in fetcher_log("C1"))
    stop_fetcher("C1")
    if len(gets(access)) != mark:
        fail("C1/C2 fetched pages fetched before: %s" % gets(access)[mark:])
    for name in ("C1", "C2"):
        log("%s: %s" % (name, re.findall(r"restored the crawl state of [^\"]*", fetcher_log(name))))
    log("C1 and C2: every repeated request skipped (0 GETs)")

    # 4. Due again: fetched conditionally, with the validators from crawl.state.
    time.sleep(1.1)
    publish()
    start_fetcher("D", env, {"CRAWLSTREAM_FETCHER_REVISIT_INTERVAL": "1s",
                             "CRAWLSTREAM_FETCHER_REVISITS": "1"}, state_of="C1")
    wait_until("D committed the requests", lambda: committed(bootstrap) >= 3 * args.pages)
    metrics = scrape_state_metrics("D")
    log("D /metrics: %s" % metrics)
    if metrics.get("crawlstream_fetch_state_partitions") != 2 or \
            metrics.get("crawlstream_fetch_state_urls", 0) < args.pages or \
            "crawlstream_fetch_state_restore_seconds" not in metrics or \
            "crawlstream_fetch_state_restored_urls_total" not in metrics or \
            metrics.get("crawlstream_fetch_state_disk_bytes", -1) < 0 or \
            metrics.get("crawlstream_fetch_state_memory_bytes", 0) <= 0:
        fail("D's crawl-state metrics are not what it holds: %s" % metrics)
    stop_fetcher("D")
    d = by("D")
    statuses = sorted({g[1] for g in d})
    log("D: %d GETs, statuses %s" % (len(d), statuses))
    if len(d) != args.pages or len({g[0] for g in d}) != args.pages:
        fail("D fetched %d times %d pages, expected each of the %d once" % (len(d), len({g[0] for g in d}), args.pages))
    if statuses != ["304"]:
        fail("D's conditional GETs were answered %s, expected only 304" % statuses)
    restore_d = re.findall(r"restored the crawl state of [^\"]*", fetcher_log("D"))
    log("D: %s" % restore_d)
    if not restore_d or "(2 from a local checkpoint): 0 records" not in restore_d[0]:
        fail("D did not resume both partitions from C1's local checkpoints: %s" % restore_d)

    # 5. A changelog topic that does not exist: exit 2 naming the key.
    start_fetcher("E", env, {"CRAWLSTREAM_TOPICS_STATE": "crawl.no-such-state",
                             "CRAWLSTREAM_FETCHER_STATE_RESTORE_TIMEOUT": "1s"})
    stopped.add("E")
    try:
        rc = procs["E"].wait(timeout=30)
    except subprocess.TimeoutExpired:
        fail("a fetcher without its crawl.state topic kept running")
    if rc != 2 or "topics.state" not in fetcher_log("E"):
        fail("a fetcher without its crawl.state topic exited %d: %s" % (rc, fetcher_log("E")[-500:]))
    log("E (no crawl state topic): exit 2 naming topics.state")

    # 6. SIGKILL and restart on the same directory (a local checkpoint, the
    # writes since maybe lost with the unflushed memtable): new pages q/,
    # nothing committed by F, none F completed fetched again by G.
    publish("q")
    start_fetcher("F", env, {"CRAWLSTREAM_KAFKA_COMMIT_INTERVAL": "60s"}, state_of="C1")
    wait_until("F fetched %d new pages" % kill_at, lambda: len(by("F")) >= kill_at)
    stop_fetcher("F", signal.SIGKILL)
    time.sleep(0.5)
    start_fetcher("G", env, state_of="C1")
    wait_until("every new page fetched",
               lambda: {g[0] for g in gets(access)} >= {"/q/%d.html" % n for n in range(args.pages)})
    wait_until("G committed the new requests", lambda: committed(bootstrap) >= 4 * args.pages)
    stop_fetcher("G")
    twice = sorted({g[0] for g in by("F")} & {g[0] for g in by("G")})
    log("F: %d GETs, SIGKILLed; G on the same directory: %d GETs, %s; fetched by both: %s"
        % (len(by("F")), len(by("G")), re.findall(r"restored the crawl state of [^\"]*", fetcher_log("G")),
           twice))
    if len(twice) > 2:
        fail("%d pages F completed were fetched again after its SIGKILL: %s" % (len(twice), twice))
    if any(g[0].startswith("/p/") for g in by("F") + by("G")):
        fail("F or G fetched an old page again")
    producer.close()
    log("PASS")
    cleanup()


if __name__ == "__main__":
    harness.run_main(main, fail)
