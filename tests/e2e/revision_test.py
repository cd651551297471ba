#!/usr/bin/env python3
"""Article revisions (issue 13 item 3), on a real Apache Kafka
(scripts/kafka.sh, one node), one nginx origin (access log on) and the three
services (exactly-once stages, the default on a real broker):

  1. the fetcher (crawl state on, fetcher.revisit_interval 4s, revisits 2)
     reads a feed listing two stories; both are published on `articles`
     as revision 0;
  2. right after its first fetch, story A is corrected on the server;
  3. A's first revisit (about 4 s later) gets the new body: the extractor
     and dedup publish it again under the same id (same key) as revision 1
     with updated_at = the revisit's fetch time, not as a duplicate; B's
     revisit answers 304 and nothing more is published for it;
  4. the second revisits (about 8 s later) find nothing new (304s); then
     the revisits are used up: no page is fetched again;
  5. /metrics: crawlstream_fetch_revisits_total{finding="changed"} 1,
     {finding="not_modified"} 3.
About 60 s, Kafka start included.

    revision_test.py BUILD_DIR
"""
import argparse
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
BINARIES = {name: os.path.join(BUILD, "services/%s/crawlstream-%s" % (name, name))
            for name in ("fetcher", "extractor", "dedup")}
TOPICS = {"crawl.requests": 1, "crawl.state": 1, "crawl.pages": 1, "articles.extracted": 1,
          "articles": 1, "articles.duplicates": 1, "crawl.deadletter": 1}
REVISIT_INTERVAL = 4
work = tempfile.mkdtemp(prefix="crawlstream-revision-")
procs = []
services = {}
T0 = time.time()
log = harness.stamped_log(T0)

STORY = """<html><head><title>%(title)s</title>
<meta property="article:published_time" content="2026-11-30T08:00:00+00:00"></head>
<body><article><h1>%(title)s</h1>
%(paragraphs)s
</article></body></html>
"""


def story_html(title, sentences):
    return STORY % {"title": title,
                    "paragraphs": "\n".join("<p>%s</p>" % s for s in sentences)}


def write_atomically(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def service_log(name):
    path = os.path.join(work, name + ".log")
    return open(path, errors="replace").read() if os.path.exists(path) else ""


def fail(msg):
    print("FAIL: " + msg, flush=True)
    for name in BINARIES:
        print("---- %s log (tail)" % name)
        print("".join(service_log(name).splitlines(True)[-20:]))
    harness.end_run(procs, work)
    sys.exit(1)


class Articles:
    """A downstream reader of `articles` (read_committed), kept open."""

    def __init__(self, bootstrap):
        from confluent_kafka import Consumer
        self.consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "revision-reader",
                                  "auto.offset.reset": "earliest", "enable.auto.commit": False,
                                  "isolation.level": "read_committed"})
        self.consumer.subscribe(["articles"])
        self.records = []  # (key, Article or None)

    def poll(self):
        from crawlstream.v1 import article_pb2
        while True:
            m = self.consumer.poll(0.1)
            if m is None:
                return
            if m.error():
                continue
            article = None
            if m.value():
                article = article_pb2.Article()
                article.ParseFromString(m.value())
            self.records.append((m.key().decode(), article))

    def of(self, title):
        return [(k, a) for k, a in self.records if a is not None and a.title == title]


def wait_until(what, cond, pollers, timeout_s):
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        for p in pollers:
            p.poll()
        if cond():
            return
        for name, p in services.items():
            if p.poll() is not None:
                fail("the %s exited %d while waiting until %s" % (name, p.returncode, what))
        time.sleep(0.05)
    fail("timed out after %.0f s waiting until %s" % (timeout_s, what))


def fetcher_metrics():
    port = re.search(r"admin endpoint listening on 127.0.0.1:(\d+)", service_log("fetcher")).group(1)
    with urllib.request.urlopen("http://127.0.0.1:%s/metrics" % port, timeout=5) as r:
        text = r.read().decode()
    return {m.group(1): float(m.group(2))
            for m in re.finditer(r"^(crawlstream_fetch_revisits_total\S*) (\S+)$", text, re.M)}


def main():
    harness.gen_protos(work)
    root = os.path.join(work, "site")
    os.makedirs(os.path.join(root, "news"))
    a_path, b_path = os.path.join(root, "news", "a.html"), os.path.join(root, "news", "b.html")
    a_first = ["The city council approved the new budget on Monday evening after a debate that "
               "lasted more than six hours and drew a crowd of residents to the town hall.",
               "The budget funds twelve new schools and repairs to three bridges.",
               "Council members from both groups praised the compromise reached over the weekend, "
               "which moved money from road widening to school buildings and bus routes.",
               "Residents who spoke at the meeting asked for more parks in the northern districts, "
               "and the council promised a study of green spaces before the next budget.",
               "The mayor said the vote showed the council could work together on hard choices, "
               "and that construction of the first schools would start in the spring."]
    a_fixed = a_first[:1] + ["The budget funds fourteen new schools and repairs to three bridges, "
                             "the council said in a correction on Tuesday."] + a_first[2:]
    write_atomically(a_path, story_html("Council approves budget", a_first))
    write_atomically(b_path, story_html("River festival returns", [
        "The river festival returns this weekend with boats, music and food stalls along both "
        "banks of the river, after two years in which it could not take place.",
        "Organisers expect more than twenty thousand visitors over the two days, and have asked "
        "people to come by train or bicycle because parking near the water will be limited.",
        "Roads near the harbour will be closed from Friday evening until Sunday night, and the "
        "city will run extra buses from the central station every ten minutes.",
        "The programme includes a rowing race, a night parade of lit boats and concerts by local "
        "bands on a stage built on a barge in the old harbour basin."]))
    port_file = os.path.join(work, "port")
    access_path = os.path.join(work, "access.log")
    procs.append(subprocess.Popen(
        ["/usr/bin/python3", os.path.join(ROOT, "tests/support/nginx_site.py"), "--root", root,
         "--port-file", port_file, "--timeout", "300", "--extra", "access_log %s;" % access_path],
        stdout=subprocess.DEVNULL))
    base = "http://127.0.0.1:" + harness.wait_for_file(port_file)
    write_atomically(os.path.join(root, "feed.xml"),
                     '<?xml version="1.0"?>\n<rss version="2.0"><channel><title>news</title>\n'
                     '<item><link>%s/news/a.html</link></item>\n'
                     '<item><link>%s/news/b.html</link></item>\n</channel></rss>\n' % (base, base))

    _, bootstrap = harness.start_kafka(work, nodes=1)
    harness.create_topics(bootstrap, TOPICS, compacted=("crawl.state", "articles"))
    log("Kafka at %s; feed at %s/feed.xml" % (bootstrap, base))
    env = dict(os.environ, CRAWLSTREAM_KAFKA_BROKERS=bootstrap, CRAWLSTREAM_SERVICE_HTTP_PORT="0",
               CRAWLSTREAM_FETCHER_ALLOW_CIDRS="127.0.0.1/32", CRAWLSTREAM_FETCHER_MIN_DELAY="100ms",
               CRAWLSTREAM_FETCHER_FEEDS=base + "/feed.xml",
               CRAWLSTREAM_FETCHER_REPOLL_INTERVAL="0s",
               CRAWLSTREAM_FETCHER_STATE_DIR=os.path.join(work, "state"),
               CRAWLSTREAM_FETCHER_REVISIT_INTERVAL="%ds" % REVISIT_INTERVAL,
               CRAWLSTREAM_FETCHER_REVISITS="2",
               CRAWLSTREAM_SERVICE_DRAIN_TIMEOUT="2s")
    for name, binary in BINARIES.items():
        logf = open(os.path.join(work, name + ".log"), "w")
        services[name] = subprocess.Popen(
            [binary, "--config", os.path.join(ROOT, "config/%s.yaml" % name)],
            stdout=logf, stderr=subprocess.STDOUT, env=env, cwd=ROOT)
        procs.append(services[name])
    access = harness.AccessLog(access_path)
    articles = Articles(bootstrap)

    # 1, 2. A is corrected as soon as its first fetch is over.
    wait_until("story A fetched", lambda: access.of("/news/a.html"), [access], 60)
    write_atomically(a_path, story_html("Council approves budget", a_fixed))
    log("story A fetched (%s) and corrected on the server" % access.of("/news/a.html"))
    wait_until("both stories published", lambda: articles.of("Council approves budget") and
               articles.of("River festival returns"), [access, articles], 60)

    # 3. A's revisit: published again, same key, revision 1.
    wait_until("story A published again", lambda: len(articles.of("Council approves budget")) >= 2,
               [access, articles], 4 * REVISIT_INTERVAL + 30)
    (key0, first), (key1, second) = articles.of("Council approves budget")[:2]
    log("story A: %s revision %d, then %s revision %d updated_at %s" % (
        key0, first.revision, key1, second.revision, second.updated_at.ToJsonString()))
    if key0 != key1 or first.id != second.id:
        fail("the corrected story came out under another key/id: %s / %s" % (key0, key1))
    if first.revision != 0 or second.revision != 1:
        fail("revisions %d then %d, expected 0 then 1" % (first.revision, second.revision))
    if "fourteen new schools" not in second.body or "twelve" in second.body:
        fail("revision 1 does not carry the corrected body: %r" % second.body)
    if not second.HasField("updated_at") or first.HasField("updated_at"):
        fail("updated_at must be set on revision 1 only")
    if abs(second.updated_at.seconds - second.fetched_at.seconds) > 1:
        fail("updated_at %s is not the revisit's fetch time %s" % (
            second.updated_at.ToJsonString(), second.fetched_at.ToJsonString()))

    # 4. The second revisits find nothing new; then no more page fetches.
    wait_until("two revisits of each story", lambda: len(access.of("/news/a.html")) >= 3 and
               len(access.of("/news/b.html")) >= 3, [access, articles], 3 * REVISIT_INTERVAL + 30)
    time.sleep(2 * REVISIT_INTERVAL + 4)  # past when a third revisit would come
    access.poll()
    articles.poll()
    log("GETs of A %s, of B %s" % (access.of("/news/a.html"), access.of("/news/b.html")))
    if access.of("/news/a.html") != ["200", "200", "304"]:
        fail("story A fetched %s, expected 200 (first), 200 (corrected), 304" % access.of("/news/a.html"))
    if access.of("/news/b.html") != ["200", "304", "304"]:
        fail("story B fetched %s, expected 200 then two 304 revisits" % access.of("/news/b.html"))
    revisions_a = [a.revision for _, a in articles.of("Council approves budget")]
    revisions_b = [a.revision for _, a in articles.of("River festival returns")]
    if revisions_a != [0, 1] or revisions_b != [0]:
        fail("articles holds revisions %s of A and %s of B, expected [0, 1] and [0]" % (
            revisions_a, revisions_b))
    dups = [k for k, a in articles.records if a is None]
    if dups:
        fail("tombstones on articles: %s (a revision must not replace itself)" % dups)

    # 5. The fetcher counted what it found.
    m = fetcher_metrics()
    log("/metrics: %s" % m)
    if m.get('crawlstream_fetch_revisits_total{finding="changed"}') != 1 or \
            m.get('crawlstream_fetch_revisits_total{finding="not_modified"}') != 3:
        fail("crawlstream_fetch_revisits_total does not match the revisits seen")
    articles.consumer.close()
    harness.stop_gracefully(services, fail)
    harness.end_run(procs, work)
    log("PASS")


harness.run_main(main, fail)
