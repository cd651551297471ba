#!/usr/bin/env python3
"""Rebalances that lose nothing, on a real Apache Kafka (scripts/kafka.sh,
one node): a crawl of four origins (one nginx each, access log on; one
origin per crawl.requests partition, so that each partition is fetched in
order; transfers slowed to most of a second) by fetcher A, while fetcher B joins the group and leaves again
(SIGTERM), then A is SIGTERMed mid-crawl. Then fetcher C finishes the
crawl. Checked from the outside:
  - at A's SIGTERM, every offset below a partition's committed offset is a
    request that was fetched (nginx log) and whose page is on crawl.pages:
    none committed unfetched;
  - C fetches what was left (a restarted fetcher is not fooled by offsets
    committed past unfetched work);
  - in the end every URL was fetched and has a page, and a URL was fetched
    twice only if a transfer was cancelled in flight (handed back on
    revoke, or abandoned at SIGTERM) or its partition was lost before its
    commit was acknowledged (both counted from the fetchers' logs);
    nothing is fetched three times.
Prints the figures: GETs per fetcher, duplicates and cancellations, the
rebalances seen, committed offsets and pages at A's SIGTERM.

    rebalance_test.py BUILD_DIR [--pages-per-origin N] [--state]

--state runs the same with crawl state on (fetcher.state_dir).
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
ap.add_argument("--pages-per-origin", type=int, default=40)
ap.add_argument("--state", action="store_true",
                help="with crawl state (fetcher.state_dir, one directory per fetcher; crawl.state)")
args = ap.parse_args()
BUILD = os.path.abspath(args.build)
FETCHER = os.path.join(BUILD, "services/fetcher/crawlstream-fetcher")
ORIGINS = 4
TOPICS = {"crawl.requests": ORIGINS, "crawl.pages": 4, "articles.extracted": 1, "articles": 1,
          "articles.duplicates": 1, "crawl.deadletter": 1}
work = tempfile.mkdtemp(prefix="crawlstream-rebalance-")
procs = {}
stopped = set()  # fetchers SIGTERMed on purpose
others = []
T0 = time.time()


log = harness.stamped_log(T0)


def cleanup():
    harness.end_run(list(procs.values()) + others, work)


def fail(msg):
    print("FAIL: " + msg, flush=True)
    for name in sorted(procs):
        path = os.path.join(work, "fetcher-%s.log" % name)
        if os.path.exists(path):
            print("---- fetcher %s log (tail)" % name)
            print("".join(open(path, errors="replace").readlines()[-20:]))
    cleanup()
    sys.exit(1)


def serve_origin(i):
    """An nginx serving pages p/0.html.. of origin i, access log on."""
    root = os.path.join(work, "site-%d" % i)
    os.makedirs(os.path.join(root, "p"))
    for n in range(args.pages_per_origin):
        # ~12 KB that gzip cannot shrink much, sent at 4 KB/s: a transfer
        # takes most of a second, so revocations catch some in flight.
        filler = base64.b64encode(os.urandom(9000)).decode()
        with open(os.path.join(root, "p", "%d.html" % n), "w") as f:
            f.write("<html><head><title>Origin %d page %d</title></head><body><article><p>"
                    "Story %d of origin %d.</p><p>%s</p></article></body></html>\n"
                    % (i, n, n, i, filler))
    port_file = os.path.join(work, "port-%d" % i)
    access = os.path.join(work, "access-%d.log" % i)
    proc = subprocess.Popen(["/usr/bin/python3", os.path.join(ROOT, "tests/support/nginx_site.py"),
                             "--root", root, "--port-file", port_file, "--timeout", "900",
                             "--extra", "access_log %s; limit_rate 4k;" % access], stdout=subprocess.DEVNULL)
    others.append(proc)
    return "http://127.0.0.1:" + harness.wait_for_file(port_file), access


def gets(access_logs):
    """[(url, user_agent)] of the 200 answers to page GETs, in log order."""
    line_re = re.compile(r'"GET (\S+) HTTP/[\d.]+" (\d+) \d+ "[^"]*" "([^"]*)"')
    out = []
    for base, path in access_logs:
        if not os.path.exists(path):
            continue
        for line in open(path, errors="replace"):
            m = line_re.search(line)
            if m and m.group(2) == "200" and m.group(1).startswith("/p/"):
                out.append((base + m.group(1), m.group(3)))
    return out


def start_fetcher(name, env):
    logf = open(os.path.join(work, "fetcher-%s.log" % name), "w")
    e = dict(env, CRAWLSTREAM_FETCHER_USER_AGENT="crawlstream-test-%s (+http://example.invalid)" % name)
    if args.state:
        e["CRAWLSTREAM_FETCHER_STATE_DIR"] = os.path.join(work, "state-" + name)
    procs[name] = subprocess.Popen([FETCHER, "--config", os.path.join(ROOT, "config/fetcher.yaml")],
                                   stdout=logf, stderr=subprocess.STDOUT, env=e, cwd=ROOT)


def stop_fetcher(name, timeout_s=30):
    p = procs[name]
    stopped.add(name)
    p.send_signal(signal.SIGTERM)
    try:
        rc = p.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        fail("fetcher %s did not exit within %d s of SIGTERM" % (name, timeout_s))
    if rc != 0:
        fail("fetcher %s exited %d after SIGTERM" % (name, rc))


def fetcher_log(name):
    path = os.path.join(work, "fetcher-%s.log" % name)
    return open(path, errors="replace").read() if os.path.exists(path) else ""


def wait_until(what, cond, timeout_s=120):
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        if cond():
            return
        for name, p in procs.items():
            if p.poll() is not None and name not in stopped:
                fail("fetcher %s exited %d while waiting until %s" % (name, p.returncode, what))
        time.sleep(0.1)
    fail("timed out waiting until " + what)


def by(agent_tag, fetched):
    return [u for u, ua in fetched if ("crawlstream-test-%s " % agent_tag) in ua]


def committed_offsets(bootstrap):
    from kafka import KafkaConsumer, TopicPartition
    c = KafkaConsumer(bootstrap_servers=bootstrap.split(","), group_id="crawlstream-fetcher",
                      enable_auto_commit=False)
    try:
        return {p: c.committed(TopicPartition("crawl.requests", p)) or 0 for p in range(ORIGINS)}
    finally:
        c.close()


def pages_by_url(bootstrap):
    from crawlstream.v1 import fetched_page_pb2
    count = {}
    for _, _, _, value in harness.read_kcat(bootstrap, "crawl.pages"):
        page = fetched_page_pb2.FetchedPage()
        page.ParseFromString(value)
        count[page.requested_url] = count.get(page.requested_url, 0) + 1
    return count


def may_repeat(names):
    """(transfers cancelled in flight, records done but not committed when
    their partition was lost), from the fetchers' logs: the requests a next
    owner may fetch again. The first are handed back on revoke or abandoned
    at SIGTERM; the second happen when librdkafka 2.0.2 takes a commit
    refused during a rebalance for a lost assignment (kafka_consumer.h)."""
    cancelled = uncommitted = 0
    for name in names:
        text = fetcher_log(name)
        cancelled += sum(int(n) for n in re.findall(r"handed back \d+ queued and (\d+) in-flight", text))
        cancelled += sum(int(n) for n in re.findall(r"(\d+) transfers in flight cancelled", text))
        uncommitted += sum(int(n) for n in re.findall(r"(\d+) records done since the last acknowledged", text))
    return cancelled, uncommitted


def main():
    harness.gen_protos(work)
    from crawlstream.v1 import crawl_request_pb2
    from kafka import KafkaProducer
    origins = [serve_origin(i) for i in range(ORIGINS)]
    _, bootstrap = harness.start_kafka(work, nodes=1)
    if args.state:
        TOPICS["crawl.state"] = ORIGINS
    harness.create_topics(bootstrap, TOPICS, compacted=("crawl.state",))
    log("Kafka at %s; %d origins x %d pages" % (bootstrap, ORIGINS, args.pages_per_origin))

    # Origin i's requests go to partition i, in page order (key = host, as
    # the fetcher keys them).
    producer = KafkaProducer(bootstrap_servers=bootstrap.split(","), acks="all", retries=10,
                             max_in_flight_requests_per_connection=1)
    at = {}  # (partition, offset) -> url
    for i, (base, _) in enumerate(origins):
        for n in range(args.pages_per_origin):
            req = crawl_request_pb2.CrawlRequest()
            req.url = "%s/p/%d.html" % (base, n)
            req.kind = crawl_request_pb2.CrawlRequest.KIND_PAGE
            md = producer.send("crawl.requests", key=b"127.0.0.1", value=req.SerializeToString(),
                               partition=i).get(timeout=30)
            at[(i, md.offset)] = req.url
    producer.close()
    urls = set(at.values())
    total = len(urls)

    env = dict(os.environ, CRAWLSTREAM_KAFKA_BROKERS=bootstrap, CRAWLSTREAM_SERVICE_HTTP_PORT="0",
               CRAWLSTREAM_KAFKA_SESSION_TIMEOUT="6s", CRAWLSTREAM_KAFKA_COMMIT_INTERVAL="300ms",
               CRAWLSTREAM_FETCHER_ALLOW_CIDRS="127.0.0.1/32", CRAWLSTREAM_FETCHER_MIN_DELAY="400ms",
               CRAWLSTREAM_FETCHER_MAX_CONNECTIONS_PER_HOST="1", CRAWLSTREAM_SERVICE_DRAIN_TIMEOUT="2s")
    fetched = lambda: gets(origins)  # noqa: E731

    start_fetcher("A", env)
    wait_until("A fetched 16 pages", lambda: len(by("A", fetched())) >= 16)
    log("A fetched %d pages; B joins" % len(by("A", fetched())))
    start_fetcher("B", env)
    wait_until("B was assigned partitions", lambda: re.search(r"assigned [1-9]\d* partitions",
                                                              fetcher_log("B")))
    a_revoked = "kafka consumer: revoked" in fetcher_log("A")
    wait_until("B fetched 8 pages", lambda: len(by("B", fetched())) >= 8)
    log("B fetched %d pages; B leaves (SIGTERM)" % len(by("B", fetched())))
    stop_fetcher("B")
    assigned_a = len(re.findall(r"assigned [1-9]\d* partitions", fetcher_log("A")))
    wait_until("A got B's partitions back",
               lambda: len(re.findall(r"assigned [1-9]\d* partitions", fetcher_log("A"))) > assigned_a)
    mark = len(fetched())
    wait_until("A fetched 8 more pages", lambda: len(fetched()) >= mark + 8)
    if len(set(u for u, _ in fetched())) >= total:
        fail("the crawl ended before A's SIGTERM: nothing left to check (slower min_delay?)")
    log("A holds all partitions again; SIGTERM A mid-crawl (%d of %d URLs fetched)"
        % (len(set(u for u, _ in fetched())), total))
    stop_fetcher("A")

    # None committed unfetched.
    done_urls = set(u for u, _ in fetched())
    committed = committed_offsets(bootstrap)
    pages = pages_by_url(bootstrap)
    committed_total = sum(committed.values())
    for (p, off), url in sorted(at.items()):
        if off < committed[p]:
            if url not in done_urls:
                fail("partition %d offset %d (%s) committed but never fetched" % (p, off, url))
            if url not in pages:
                fail("partition %d offset %d (%s) committed but no page on crawl.pages" % (p, off, url))
    log("at A's SIGTERM: committed %d of %d offsets (%s), %d URLs fetched, %d with a page: "
        "none committed unfetched" % (committed_total, total, committed, len(done_urls), len(pages)))
    if committed_total >= total:
        fail("everything committed at A's SIGTERM although %d URLs were never fetched"
             % (total - len(done_urls)))

    # A restarted fetcher finishes the crawl.
    start_fetcher("C", env)
    wait_until("every URL fetched", lambda: set(u for u, _ in fetched()) >= urls, timeout_s=240)
    wait_until("every offset committed",
               lambda: sum(committed_offsets(bootstrap).values()) >= total, timeout_s=60)
    stop_fetcher("C")
    final = fetched()
    pages = pages_by_url(bootstrap)
    missing = urls - set(pages)
    if missing:
        fail("%d URLs without a page, e.g. %s" % (len(missing), sorted(missing)[:3]))
    counts = {}
    for u, _ in final:
        counts[u] = counts.get(u, 0) + 1
    dups = sum(n - 1 for n in counts.values())
    cancelled, uncommitted = may_repeat(["A", "B", "C"])
    revokes = sum(len(re.findall(r"kafka consumer: revoked [1-9]", fetcher_log(n))) for n in "ABC")
    log("GETs: A %d, B %d, C %d = %d for %d URLs; fetched twice %d, transfers cancelled in flight %d; "
        "done but uncommitted at a lost assignment %d; revocations (shutdowns included) %d; "
        "pages on crawl.pages %d"
        % (len(by("A", final)), len(by("B", final)), len(by("C", final)), len(final), total, dups,
           cancelled, uncommitted, revokes, sum(pages.values())))
    if not by("C", final):
        fail("the restarted fetcher fetched nothing")
    if max(counts.values()) > 2:
        fail("a URL fetched %d times: %s" % (max(counts.values()),
                                             [u for u, n in counts.items() if n > 2][:3]))
    if dups > cancelled + uncommitted:
        twice = sorted(u for u, n in counts.items() if n > 1)
        fail("%d URLs fetched twice but only %d transfers were cancelled in flight and %d done "
             "records lost uncommitted: %s" % (dups, cancelled, uncommitted, twice[:5]))
    if not a_revoked:
        fail("A gave up no partition when B joined: the test did not exercise a rebalance")
    log("PASS")
    cleanup()


if __name__ == "__main__":
    harness.run_main(main, fail)
