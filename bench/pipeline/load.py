#!/usr/bin/env python3
"""Load benchmark of the fetcher alone and of the whole pipeline.

    bench/pipeline/load.py [--build build] [--pages 10000] [--page-kb 50]
                           [--mode fetcher|pipeline|both] [--connections 64]

Serves a generated site (tests/support/make_site.py: distinct stories,
realistic boilerplate and inline script padding) with nginx on 127.0.0.1
and runs the real binaries against `crawlstream broker`:

  fetcher   crawlstream-fetcher alone, robots on, delay 0, publishing every
            page to crawl.pages. Reports pages/s (first to last crawl.pages
            record), CPU seconds per page of the fetcher process, and wrk
            fetching the same URLs in the same run as the reference.
  pipeline  fetcher + extractor + dedup as separate processes. Reports
            pages/s from the first page fetched to the last article
            published, p50/p99 of (articles record time - fetched_at) per
            article, and peak RSS (VmHWM) of every process.

Prints one summary block; BENCHMARKS.md explains the method.
"""
import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests/support"))
import harness  # noqa: E402


def proc_cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def proc_hwm_mib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    return 0.0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--pages", type=int, default=10000)
    ap.add_argument("--page-kb", type=int, default=50)
    ap.add_argument("--mode", default="both", choices=["fetcher", "pipeline", "both"])
    ap.add_argument("--connections", type=int, default=64)
    args = ap.parse_args()
    build = os.path.abspath(args.build)
    cli = os.path.join(build, "services/cli/crawlstream")
    bins = {n: os.path.join(build, "services/%s/crawlstream-%s" % (n, n)) for n in ("fetcher", "extractor", "dedup")}
    work = tempfile.mkdtemp(prefix="crawlstream-load-")
    os.chmod(work, 0o755)
    procs = []
    print("machine: %d cores; %d pages of ~%d KB" % (os.cpu_count(), args.pages, args.page_kb), flush=True)
    try:
        site = os.path.join(work, "site")
        t = time.time()
        subprocess.run(["/usr/bin/python3", os.path.join(ROOT, "tests/support/make_site.py"), site,
                        "--pages", str(args.pages), "--page-kb", str(args.page_kb)], check=True)
        print("site generated in %.1fs" % (time.time() - t), flush=True)
        base, nginx = harness.serve_site(site, work, timeout_s=3600, copy=False)
        procs.append(nginx)
        seeds = harness.write_seeds(["{{BASE}}/sitemap.xml"], base, work)
        harness.gen_protos(work)
        modes = ["fetcher", "pipeline"] if args.mode == "both" else [args.mode]
        results = {}
        if "fetcher" in modes:
            results["wrk"] = run_wrk(work, base, args.pages, args.connections)
            results["fetcher"] = run_stages(cli, bins, ["fetcher"], seeds, work, args, "crawl.pages")
        if "pipeline" in modes:
            results["pipeline"] = run_stages(cli, bins, ["dedup", "extractor", "fetcher"], seeds, work, args,
                                             "articles")
        print("\n==== summary (%d cores, %d pages of ~%d KB)" % (os.cpu_count(), args.pages, args.page_kb))
        for k, v in results.items():
            print("%-9s %s" % (k, "  ".join("%s=%s" % (a, b) for a, b in v.items())))
        if "wrk" in results and "fetcher" in results:
            print("ratio fetcher/wrk = %.3f" % (results["fetcher"]["pages_per_s"] / results["wrk"]["pages_per_s"]))
    finally:
        for p in procs:
            if p.poll() is None:
                p.terminate()
                p.wait()
        shutil.rmtree(work, ignore_errors=True)


def free_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_wrk(work, base, pages, connections):
    lua = os.path.join(work, "paths.lua")
    with open(lua, "w") as f:
        f.write("local i = 0\nrequest = function()\n  i = i + 1\n"
                "  return wrk.format('GET', '/news/' .. (i %% %d) .. '.html')\nend\n" % pages)
    out = subprocess.run(["wrk", "-t1", "-c%d" % connections, "-d10s", "-s", lua, base + "/"],
                         capture_output=True, text=True).stdout
    rps = float([l for l in out.splitlines() if "Requests/sec" in l][0].split()[1])
    return {"pages_per_s": round(rps, 1), "threads": 1, "connections": connections}


def run_stages(cli, bins, stages, seeds, work, args, out_topic):
    from kafka import KafkaConsumer, TopicPartition
    from crawlstream.v1 import article_pb2
    broker, bootstrap = harness.start_broker(cli, work, brokers=1, partitions=16,
                                             log_name="broker-%s.log" % out_topic)
    env = dict(os.environ, CRAWLSTREAM_KAFKA_BROKERS=bootstrap, CRAWLSTREAM_SERVICE_HTTP_PORT="0",
               CRAWLSTREAM_SERVICE_LOG_LEVEL="warn", CRAWLSTREAM_FETCHER_ALLOW_CIDRS="127.0.0.1/32",
               CRAWLSTREAM_KAFKA_EXACTLY_ONCE="false",  # the development broker
               CRAWLSTREAM_FETCHER_MIN_DELAY="0",
               CRAWLSTREAM_FETCHER_MAX_CONNECTIONS_PER_HOST=str(args.connections),
               CRAWLSTREAM_FETCHER_GLOBAL_CONCURRENCY=str(args.connections))
    procs = {}
    admin_port = free_port()
    for name in stages:
        argv = [bins[name], "--config", os.path.join(ROOT, "config", name + ".yaml")]
        if name == "fetcher":
            argv += ["--fetcher.seeds_file=" + seeds, "--service.http_port=%d" % admin_port]
        procs[name] = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL,
                                       stderr=open(os.path.join(work, name + ".log"), "w"))
    first_fetch, last_out, lat, seen = None, None, [], set()
    deadline = time.time() + 1800
    peak = {}
    if out_topic == "articles":
        # Articles are small: an outside Python consumer reads them and
        # their fetched_at.
        c = KafkaConsumer(bootstrap_servers=bootstrap.split(","), group_id=None,
                          auto_offset_reset="earliest", enable_auto_commit=False, consumer_timeout_ms=1000)
        c.assign([TopicPartition(out_topic, p) for p in range(16)])
        while len(seen) < args.pages and time.time() < deadline:
            for m in c:
                if not m.value:
                    continue
                a = article_pb2.Article()
                a.ParseFromString(m.value)
                if a.id in seen:
                    continue
                seen.add(a.id)
                fetched = a.fetched_at.seconds + a.fetched_at.nanos / 1e9
                t_out = m.timestamp / 1000.0
                first_fetch = fetched if first_fetch is None else min(first_fetch, fetched)
                last_out = t_out if last_out is None else max(last_out, t_out)
                lat.append(t_out - fetched)
                if len(seen) >= args.pages:
                    break
            for name, p in procs.items():
                if p.poll() is None:
                    peak[name] = proc_hwm_mib(p.pid)
        c.close()
    else:
        # Pages are big (reading 500 MB back in Python would measure the
        # reader): watch the fetcher's own count of acknowledged pages on
        # /metrics every 50 ms instead.
        import re
        import urllib.request
        url = "http://127.0.0.1:%d/metrics" % admin_port
        pattern = re.compile(r'crawlstream_kafka_produced_total\{outcome="ok",topic="crawl.pages"\} (\d+)')
        while time.time() < deadline:
            try:
                text = urllib.request.urlopen(url, timeout=5).read().decode()
            except OSError:
                time.sleep(0.05)
                continue
            m = pattern.search(text)
            n = int(m.group(1)) if m else 0
            now = time.time()
            if n > 0 and first_fetch is None:
                first_fetch = now
            if n > len(seen):
                seen = set(range(n))
                last_out = now
            peak["fetcher"] = proc_hwm_mib(procs["fetcher"].pid)
            if n >= args.pages:
                break
            time.sleep(0.05)
    cpu = {name: proc_cpu_seconds(p.pid) for name, p in procs.items() if p.poll() is None}
    peak["broker"] = proc_hwm_mib(broker.pid)
    for p in list(procs.values()) + [broker]:
        p.send_signal(signal.SIGTERM)
    for p in list(procs.values()) + [broker]:
        try:
            p.wait(timeout=20)
        except subprocess.TimeoutExpired:
            p.kill()
    n = len(seen)
    elapsed = (last_out - first_fetch) if n else float("nan")
    lat.sort()
    res = {"pages": n, "seconds": round(elapsed, 2), "pages_per_s": round(n / elapsed, 1) if n else 0}
    if out_topic == "articles":
        res["p50_ms"] = round(1000 * statistics.median(lat), 1)
        res["p99_ms"] = round(1000 * lat[int(0.99 * (len(lat) - 1))], 1)
    if "fetcher" in cpu and n:
        res["fetcher_cpu_ms_per_page"] = round(1000 * cpu["fetcher"] / n, 3)
    for name, mib in peak.items():
        res["rss_" + name + "_mib"] = round(mib, 1)
    return res


if __name__ == "__main__":
    main()
