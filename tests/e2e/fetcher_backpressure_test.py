#!/usr/bin/env python3
"""Issue 15 item 5: a fetcher whose producer queue is full pauses intake
instead of blocking its loop. A crawl of 300 pages (about 115 KB each, from
nginx) with a 1 MiB producer queue; after some pages are acknowledged the
development broker's only broker goes down for 35 s, longer than the 30 s
after which /healthz reports a stalled loop. Throughout the outage /healthz
must stay 200, crawlstream_fetcher_intake_paused must be 1 with no transfer
running and at most a few pages waiting; once the broker is back intake
resumes, every page reaches `crawl.pages` (read back with kcat) and the
fetcher stops with exit 0 on SIGTERM. (The fetcher of main before this
change answered 503 from 31 s into the same outage: its loop was blocked
in Produce.)

    fetcher_backpressure_test.py BUILD_DIR
"""
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests/support"))
import harness  # noqa: E402

BUILD = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build"))
CLI = os.path.join(BUILD, "services/cli/crawlstream")
FETCHER = os.path.join(BUILD, "services/fetcher/crawlstream-fetcher")
PAGES = 300
OUTAGE_S = 35          # > Health's 30 s stall_after
PAGE_BYTES = 115_000
work = tempfile.mkdtemp(prefix="crawlstream-backpressure-")
procs = {}


def fail(msg):
    print("FAIL:", msg)
    for name in ("fetcher.log", "broker.log"):
        path = os.path.join(work, name)
        if os.path.exists(path):
            lines = [ln for ln in open(path, errors="replace") if "Connection refused" not in ln]
            print("--- %s (last 40 lines, connection errors left out)" % name)
            print("".join(lines[-40:]))
    cleanup()
    sys.exit(1)


def cleanup():
    for p in procs.values():
        if p.poll() is None:
            p.kill()
            p.wait()
    shutil.rmtree(work, ignore_errors=True)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def scrape(port):
    """(healthz status, {metric line name: value}) of the fetcher."""
    try:
        code = urllib.request.urlopen("http://127.0.0.1:%d/healthz" % port, timeout=3).status
    except urllib.error.HTTPError as e:
        code = e.code
    text = urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=3).read().decode()
    metrics = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            metrics[name] = float(value)
    return code, metrics


PAGES_OK = 'crawlstream_kafka_produced_total{outcome="ok",topic="crawl.pages"}'


def main():
    site = os.path.join(work, "fixture")
    os.makedirs(site)
    for i in range(PAGES):
        para = "<p>" + ("story %d lorem ipsum dolor sit amet " % i) * 40 + "</p>\n"
        body = "<html><head><title>Story %d</title></head><body><article>%s</article></body></html>" % (
            i, para * (PAGE_BYTES // len(para)))
        open(os.path.join(site, "p%03d.html" % i), "w").write(body)
    base, procs["nginx"] = harness.serve_site(site, work, timeout_s=600, copy=False)
    seeds = harness.write_seeds(["{{BASE}}/p%03d.html" % i for i in range(PAGES)], base, work)
    procs["broker"], bootstrap = harness.start_broker(CLI, work, brokers=1, partitions=2, control=True)
    admin = free_port()
    procs["fetcher"] = subprocess.Popen(
        [FETCHER, "--config", os.path.join(ROOT, "config/fetcher.yaml"),
         "--kafka.brokers=" + bootstrap, "--service.http_port=%d" % admin,
         "--service.log_format=text", "--fetcher.allow_cidrs=127.0.0.1/32",
         "--fetcher.min_delay=50ms", "--fetcher.seeds_file=" + seeds,
         "--kafka.max_message_bytes=256KiB", "--kafka.producer_queue_bytes=1MiB"],
        stdout=subprocess.DEVNULL, stderr=open(os.path.join(work, "fetcher.log"), "w"))

    deadline = time.time() + 60
    while True:
        try:
            _, m = scrape(admin)
            if m.get(PAGES_OK, 0) >= 20:
                break
        except OSError:
            pass
        if time.time() > deadline:
            fail("fewer than 20 pages acknowledged within 60 s")
        time.sleep(0.2)

    procs["broker"].stdin.write("down 1\n")
    procs["broker"].stdin.flush()
    start = time.time()
    paused_samples = 0
    while time.time() - start < OUTAGE_S:
        time.sleep(1)
        code, m = scrape(admin)
        t = time.time() - start
        if code != 200:
            fail("/healthz answered %d %.0f s into the outage: the loop stalled" % (code, t))
        if t >= 5:
            if m.get("crawlstream_fetcher_intake_paused") != 1:
                fail("intake not paused %.0f s into the outage" % t)
            if m.get("crawlstream_fetch_inflight", 0) != 0:
                fail("%d transfers running %.0f s into the outage (crawler not held)"
                     % (m["crawlstream_fetch_inflight"], t))
            waiting = m.get("crawlstream_kafka_produce_waiting_bytes", 0)
            # One host, one connection: at most the page in flight waits.
            if waiting > 2 * PAGE_BYTES:
                fail("%d bytes waiting outside the producer queue" % waiting)
            paused_samples += 1
    print("ok: /healthz 200 and intake paused through a %d s outage (%d samples)"
          % (OUTAGE_S, paused_samples))

    procs["broker"].stdin.write("up 1\n")
    procs["broker"].stdin.flush()
    deadline = time.time() + 120
    while True:
        code, m = scrape(admin)
        if code != 200:
            fail("/healthz answered %d after the outage" % code)
        if m.get(PAGES_OK, 0) >= PAGES and m.get("crawlstream_fetcher_intake_paused") == 0:
            break
        if time.time() > deadline:
            fail("%d of %d pages acknowledged 120 s after the broker came back"
                 % (m.get(PAGES_OK, 0), PAGES))
        time.sleep(0.5)
    paused_s = m.get("crawlstream_fetcher_intake_paused_seconds_total", 0)
    if paused_s < OUTAGE_S - 10:
        fail("crawlstream_fetcher_intake_paused_seconds_total %.1f for a %d s outage"
             % (paused_s, OUTAGE_S))
    print("ok: intake resumed; %d pages acknowledged; paused %.1f s; %d back-pressure events"
          % (m[PAGES_OK], paused_s, m.get("crawlstream_kafka_produce_backpressure_total", 0)))

    t0 = time.time()
    procs["fetcher"].send_signal(signal.SIGTERM)
    try:
        rc = procs["fetcher"].wait(timeout=60)
    except subprocess.TimeoutExpired:
        fail("fetcher did not stop within 60 s of SIGTERM")
    if rc != 0:
        fail("fetcher exited %d after SIGTERM" % rc)
    print("ok: fetcher stopped in %.1f s" % (time.time() - t0))

    records = harness.read_kcat(bootstrap, "crawl.pages", timeout_s=120)
    urls = {key for _, _, key, _ in records}
    if len(urls) != PAGES:
        fail("%d distinct pages in crawl.pages (%d records), expected %d"
             % (len(urls), len(records), PAGES))
    print("ok: crawl.pages holds all %d pages (%d records)" % (PAGES, len(records)))
    cleanup()
    print("PASS")


if __name__ == "__main__":
    harness.run_main(main, fail)
