#!/usr/bin/env python3
"""Adaptive re-polling of a news feed (issue 13 item 3), on a real Apache
Kafka (scripts/kafka.sh, one node) and one nginx origin (access log on):

  1. a fetcher with fetcher.feeds = the origin's feed.xml (two recent items,
     oldest first in the document, and one from 2001), repoll_interval 4s,
     repoll_min 2s, repoll_max 8s, max_age 1d: the recent pages are fetched
     newest first and the 2001 one never;
  2. the feed does not change: each poll answers 304 and the next comes
     later (about 4 s, 6 s, then 8 s = repoll_max);
  3. an item is added to the feed: its page is fetched within the interval
     in force (8 s) plus the crawl's latency, and the poll after the one
     that found it comes sooner (about 4 s);
  4. no page is fetched twice; /metrics counts the polls by finding and
     the entry too old.
Prints every feed poll with its time. About 45 s, Kafka start included.

    recrawl_feed_test.py BUILD_DIR
"""
import argparse
import email.utils
import os
import re
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
args = ap.parse_args()
BUILD = os.path.abspath(args.build)
FETCHER = os.path.join(BUILD, "services/fetcher/crawlstream-fetcher")
TOPICS = {"crawl.requests": 1, "crawl.state": 1, "crawl.pages": 1, "articles.extracted": 1,
          "articles": 1, "articles.duplicates": 1, "crawl.deadletter": 1}
REPOLL_INTERVAL, REPOLL_MIN, REPOLL_MAX = 4.0, 2.0, 8.0
SLACK = 1.5  # seconds either way on an observed poll gap
work = tempfile.mkdtemp(prefix="crawlstream-recrawl-")
procs = []
T0 = time.time()
log = harness.stamped_log(T0)
NOW = time.time()


def fetcher_log():
    path = os.path.join(work, "fetcher.log")
    return open(path, errors="replace").read() if os.path.exists(path) else ""


def fail(msg):
    print("FAIL: " + msg, flush=True)
    print("---- fetcher log (tail)")
    print("".join(fetcher_log().splitlines(True)[-30:]))
    harness.end_run(procs, work)
    sys.exit(1)


def item(path, age_s):
    return "<item><title>%s</title><link>{base}%s</link><pubDate>%s</pubDate></item>\n" % (
        path, path, email.utils.formatdate(NOW - age_s, usegmt=True))


def write_feed(root, base, items):
    """Rewrites feed.xml atomically (nginx never serves half a file)."""
    body = ('<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel>'
            "<title>news</title>\n" + "".join(items).replace("{base}", base) + "</channel></rss>\n")
    tmp = os.path.join(root, ".feed.tmp")
    with open(tmp, "w") as f:
        f.write(body)
    os.replace(tmp, os.path.join(root, "feed.xml"))


def feed_polls(access):
    return [g for g in access.gets if g[1] == "/feed.xml"]


def pages(access):
    return [g[1] for g in access.gets if g[1].startswith("/news/")]


def wait_until(what, cond, access, fetcher, timeout_s):
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        access.poll()
        if cond():
            return
        if fetcher.poll() is not None:
            fail("the fetcher exited %d while waiting until %s" % (fetcher.returncode, what))
        time.sleep(0.05)
    fail("timed out after %.0f s waiting until %s" % (timeout_s, what))


def metrics():
    port = re.search(r"admin endpoint listening on 127.0.0.1:(\d+)", fetcher_log()).group(1)
    with urllib.request.urlopen("http://127.0.0.1:%s/metrics" % port, timeout=5) as r:
        text = r.read().decode()
    return {m.group(1): float(m.group(2))
            for m in re.finditer(r"^(crawlstream_fetch_(?:listing_polls|too_old)_total\S*) (\S+)$", text, re.M)}


def main():
    root = os.path.join(work, "site")
    os.makedirs(os.path.join(root, "news"))
    for name in ("1", "2", "3", "ancient"):
        with open(os.path.join(root, "news", name + ".html"), "w") as f:
            f.write("<html><head><title>Story %s</title></head><body><article><p>Story %s.</p>"
                    "</article></body></html>\n" % (name, name))
    port_file = os.path.join(work, "port")
    access_path = os.path.join(work, "access.log")
    procs.append(subprocess.Popen(
        ["/usr/bin/python3", os.path.join(ROOT, "tests/support/nginx_site.py"), "--root", root,
         "--port-file", port_file, "--timeout", "300", "--extra", "access_log %s;" % access_path],
        stdout=subprocess.DEVNULL))
    base = "http://127.0.0.1:" + harness.wait_for_file(port_file)
    items = [item("/news/1.html", 2 * 3600), item("/news/2.html", 3600),
             item("/news/ancient.html", (NOW - 978307200))]  # 2001-01-01
    write_feed(root, base, items)

    _, bootstrap = harness.start_kafka(work, nodes=1)
    harness.create_topics(bootstrap, TOPICS, compacted=("crawl.state",))
    log("Kafka at %s; feed at %s/feed.xml" % (bootstrap, base))
    env = dict(os.environ, CRAWLSTREAM_KAFKA_BROKERS=bootstrap, CRAWLSTREAM_SERVICE_HTTP_PORT="0",
               CRAWLSTREAM_FETCHER_ALLOW_CIDRS="127.0.0.1/32", CRAWLSTREAM_FETCHER_MIN_DELAY="100ms",
               CRAWLSTREAM_FETCHER_FEEDS=base + "/feed.xml",
               CRAWLSTREAM_FETCHER_REPOLL_INTERVAL="%ds" % REPOLL_INTERVAL,
               CRAWLSTREAM_FETCHER_REPOLL_MIN="%ds" % REPOLL_MIN,
               CRAWLSTREAM_FETCHER_REPOLL_MAX="%ds" % REPOLL_MAX,
               CRAWLSTREAM_FETCHER_MAX_AGE="24h",
               CRAWLSTREAM_SERVICE_DRAIN_TIMEOUT="2s", CRAWLSTREAM_SERVICE_LOG_LEVEL="debug")
    logf = open(os.path.join(work, "fetcher.log"), "w")
    fetcher = subprocess.Popen([FETCHER, "--config", os.path.join(ROOT, "config/fetcher.yaml")],
                               stdout=logf, stderr=subprocess.STDOUT, env=env, cwd=ROOT)
    procs.append(fetcher)
    access = harness.AccessLog(access_path)

    # 1. First poll: the two recent pages, newest first; the 2001 one never.
    wait_until("both recent pages fetched", lambda: len(pages(access)) >= 2, access, fetcher, 60)
    if pages(access)[:2] != ["/news/2.html", "/news/1.html"]:
        fail("pages not fetched newest first: %s" % pages(access))

    # 2. Unchanged: 304s, each wait longer, up to repoll_max.
    wait_until("four feed polls", lambda: len(feed_polls(access)) >= 4, access, fetcher, 40)
    polls = feed_polls(access)
    gaps = [b[0] - a[0] for a, b in zip(polls, polls[1:4])]
    log("feed polls: %s; gaps %s" % ([p[2] for p in polls], ["%.1f" % g for g in gaps]))
    if [p[2] for p in polls[:4]] != ["200", "304", "304", "304"]:
        fail("an unchanged feed should answer 304 after its first poll: %s" % [p[2] for p in polls])
    for got, want in zip(gaps, (REPOLL_INTERVAL, REPOLL_INTERVAL * 1.5, REPOLL_MAX)):
        if abs(got - want) > SLACK:
            fail("poll gaps %s, expected about 4, 6, 8 s (growing to repoll_max)" % gaps)

    # 3. A new item: fetched within the interval in force, and the next
    # poll comes sooner.
    added = time.time()
    write_feed(root, base, [item("/news/3.html", 60)] + items)
    wait_until("the new page fetched", lambda: "/news/3.html" in pages(access), access, fetcher,
               REPOLL_MAX + 10)
    got_after = next(g[0] for g in access.gets if g[1] == "/news/3.html") - added
    log("new item added; its page fetched %.1f s later (interval in force %.0f s)" % (got_after, REPOLL_MAX))
    if got_after > REPOLL_MAX + 3:
        fail("the new page came %.1f s after it was listed, over %.0f s + 3 s" % (got_after, REPOLL_MAX))
    found = [p for p in feed_polls(access) if p[2] == "200"][-1]
    wait_until("the poll after the one that found it", lambda: feed_polls(access)[-1][0] > found[0],
               access, fetcher, REPOLL_MAX + 5)
    gap = feed_polls(access)[-1][0] - found[0]
    log("poll after the new item came %.1f s later" % gap)
    if abs(gap - REPOLL_MAX / 2) > SLACK:
        fail("after new items the interval should halve to about %.0f s, took %.1f s" % (REPOLL_MAX / 2, gap))

    # 4. Nothing fetched twice, the 2001 item never; /metrics agrees.
    fetched = pages(access)
    if sorted(fetched) != ["/news/1.html", "/news/2.html", "/news/3.html"]:
        fail("page GETs %s, expected 1, 2 and 3 once each" % fetched)
    m = metrics()
    log("/metrics: %s" % m)
    if m.get("crawlstream_fetch_too_old_total", 0) < 1:
        fail("crawlstream_fetch_too_old_total did not count the 2001 item")
    if m.get('crawlstream_fetch_listing_polls_total{finding="new_items"}', 0) < 1 or \
            m.get('crawlstream_fetch_listing_polls_total{finding="not_modified"}', 0) < 3:
        fail("crawlstream_fetch_listing_polls_total does not match the polls seen")
    fetcher.terminate()
    fetcher.wait(timeout=30)
    harness.end_run(procs, work)
    log("PASS")


harness.run_main(main, fail)
