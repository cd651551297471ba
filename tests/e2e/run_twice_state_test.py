#!/usr/bin/env python3
"""Two consecutive `crawlstream run --brokers` over one site and one real
Apache Kafka (scripts/kafka.sh, one node), with crawl state on
(fetcher.state_dir, crawl.state): the second run reads the feed and the
sitemap again (conditionally: 304) but requests no page the first run
downloaded (nginx access log), and exits 0. Issue 13 item 2.

    run_twice_state_test.py BUILD_DIR
"""
import argparse
import collections
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests/support"))
import harness  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("build", nargs="?", default=os.path.join(ROOT, "build"))
args = ap.parse_args()
CLI = os.path.join(os.path.abspath(args.build), "services/cli/crawlstream")
TOPICS = {"crawl.requests": 2, "crawl.state": 2, "crawl.pages": 2, "articles.extracted": 2,
          "articles": 2, "articles.duplicates": 1, "crawl.deadletter": 1}
LISTINGS = ("/feed.xml", "/sitemap.xml", "/robots.txt")
work = tempfile.mkdtemp(prefix="crawlstream-run-twice-")
others = []
log = harness.stamped_log(time.time())


def cleanup():
    harness.end_run(others, work)


def fail(msg):
    print("FAIL: " + msg, flush=True)
    cleanup()
    sys.exit(1)


def serve_example_site():
    """examples/site on nginx with an access log ({{BASE}} replaced as
    harness.serve_site does)."""
    root = os.path.join(work, "site")
    shutil.copytree(os.path.join(ROOT, "examples/site"), root)
    port_file = os.path.join(work, "port")
    access = os.path.join(work, "access.log")
    others.append(subprocess.Popen(
        ["/usr/bin/python3", os.path.join(ROOT, "tests/support/nginx_site.py"), "--root", root,
         "--port-file", port_file, "--timeout", "300", "--extra", "access_log %s;" % access],
        stdout=subprocess.DEVNULL))
    base = "http://127.0.0.1:" + harness.wait_for_file(port_file)
    for f in os.listdir(root):
        if f.endswith(".xml") or f == "robots.txt":
            path = os.path.join(root, f)
            text = open(path, encoding="utf-8").read().replace("{{BASE}}", base)
            open(path, "w", encoding="utf-8").write(text)
    return base, access


def gets(access):
    """Counter of (path, status) of the GETs."""
    line_re = re.compile(r'"GET (\S+) HTTP/[\d.]+" (\d+) ')
    c = collections.Counter()
    for line in open(access, errors="replace") if os.path.exists(access) else []:
        m = line_re.search(line)
        if m:
            c[(m.group(1), m.group(2))] += 1
    return c


def run(n, bootstrap, seeds):
    out = os.path.join(work, "run%d.jsonl" % n)
    r = subprocess.run([CLI, "run", "--seeds", seeds, "--brokers", bootstrap, "--allow-cidr", "127.0.0.1/32",
                        "--out", out, "--duplicates-out", os.path.join(work, "dups%d.jsonl" % n),
                        "--fetcher.min_delay=20ms", "--fetcher.state_dir=" + os.path.join(work, "state%d" % n),
                        "--kafka.commit_interval=200ms"],
                       cwd=ROOT, capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        print(r.stderr[-3000:])
        fail("run %d exited %d" % (n, r.returncode))
    return sum(1 for _ in open(out, encoding="utf-8")) if os.path.exists(out) else 0


def main():
    base, access = serve_example_site()
    seeds = harness.write_seeds(open(os.path.join(ROOT, "examples/seeds.txt"), encoding="utf-8"), base, work)
    _, bootstrap = harness.start_kafka(work, nodes=1)
    harness.create_topics(bootstrap, TOPICS, compacted=("articles", "crawl.state"))
    log("Kafka at %s; example site at %s" % (bootstrap, base))

    articles1 = run(1, bootstrap, seeds)
    first = gets(access)
    pages1 = {p: n for (p, _), n in first.items() if p not in LISTINGS}
    log("run 1: %d articles out; GETs %s" % (articles1, dict(first)))
    if not pages1:
        fail("run 1 downloaded no page")
    if max(pages1.values()) > 1:
        fail("run 1 downloaded a page twice: %s" % pages1)

    articles2 = run(2, bootstrap, seeds)
    second = gets(access) - first
    log("run 2: %d articles out; GETs %s" % (articles2, dict(second)))
    again = sorted(p for p, _ in second if p not in LISTINGS)
    if again:
        fail("run 2 downloaded pages run 1 had downloaded: %s" % again)
    for listing in ("/feed.xml", "/sitemap.xml"):
        # Read again, conditionally: nginx answers 304 (unchanged).
        if not any(p == listing for p, _ in second):
            fail("run 2 did not read %s again" % listing)
    log("PASS")
    cleanup()


if __name__ == "__main__":
    harness.run_main(main, fail)
