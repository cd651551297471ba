#!/usr/bin/python3
"""Structural checks of docker/ and deploy/ that need neither a Docker engine
nor a cluster. Called by check_deploy.sh; run from the repository root.

    check_deploy.py compose
    check_deploy.py dockerfile [BUILD_DIR]
    check_deploy.py topics
    check_deploy.py seed
    check_deploy.py copies
    check_deploy.py manifests OVERLAY RENDERED.yaml

Each prints "ok: ..." lines, "FAIL: ..." lines for problems and
"skip: ..." lines, and exits 1 when anything failed.
"""
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile

import yaml

ROOT = os.getcwd()
SERVICES = ("fetcher", "extractor", "dedup")
INPUT_TOPIC = {"fetcher": "crawl.requests", "extractor": "crawl.pages", "dedup": "articles.extracted"}
TOPIC_VAR = {
    "crawl.requests": "PARTITIONS_REQUESTS", "crawl.pages": "PARTITIONS_PAGES",
    "articles.extracted": "PARTITIONS_EXTRACTED", "articles": "PARTITIONS_ARTICLES",
    "articles.duplicates": "PARTITIONS_DUPLICATES", "crawl.deadletter": "PARTITIONS_DEADLETTER",
    # co-partitioned with crawl.requests (the fetcher's crawl state)
    "crawl.state": "PARTITIONS_REQUESTS",
}
COMPACTED = ("articles", "crawl.state")
failures = []


def ok(msg):
    print(f"ok: {msg}")


def fail(msg):
    print(f"FAIL: {msg}")
    failures.append(msg)


def expect(cond, msg):
    (ok if cond else fail)(msg)
    return cond


def load(path):
    with open(os.path.join(ROOT, path), encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def duration_seconds(text):
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*", str(text))
    if not m:
        return None
    v = float(m.group(1))
    return v * {"ms": 0.001, "s": 1, "m": 60, "h": 3600, None: 1}[m.group(2)]


def byte_size(text):
    """Bytes of a config size ("5MiB", "64KiB", "10MB", config.cc) or a
    Kubernetes quantity ("1600Mi", "1Gi", "1G"), or None."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([A-Za-z]*)\s*", str(text))
    if not m:
        return None
    mult = {"": 1, "b": 1, "kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30, "ki": 1 << 10,
            "mi": 1 << 20, "gi": 1 << 30, "kb": 1000, "mb": 1000 ** 2, "gb": 1000 ** 3,
            "k": 1000, "m": 1000 ** 2, "g": 1000 ** 3}.get(m.group(2).lower())
    return None if mult is None else int(float(m.group(1)) * mult)


# Fetcher memory (deploy/README.md, "Fetcher memory"): the limit must hold
# global_concurrency bodies of max_body_bytes, the producer queue
# (kafka.producer_queue_bytes, raised to max_message_bytes + framing) and a
# baseline for everything else.
FETCHER_BASELINE_BYTES = 256 << 20
# With fetcher.state_dir: RocksDB's block cache, memtables and table
# readers (services/fetcher/state_store.cc: 32 MiB + 2 x 32 MiB + readers).
FETCHER_STATE_BYTES = 128 << 20
KAFKA_FRAMING_BYTES = 65536  # kKafkaFramingBytes, services/common/kafka_options.h
# Fetcher shutdown after SIGTERM (deploy/README.md, "Shutdown"): one
# drain_timeout for the crawl drain and the producer flush, then the
# producer's close (its last flush, 10 s in kafka_producer.cc) and the
# final commit and leaving the group (a 10 s budget), plus a margin.
FETCHER_CLOSE_SECONDS = 10 + 10
GRACE_MARGIN_SECONDS = 15


def service_setting(key, container_env, shared_env, config_doc):
    """A config key as the container sees it: its own env, then the shared
    env ConfigMap, then its config file (CRAWLSTREAM_<SECTION>_<KEY> wins
    over the file), or None."""
    var = "CRAWLSTREAM_" + key.replace(".", "_").upper()
    for source in (container_env, shared_env):
        if source.get(var) is not None:
            return source[var]
    section, name = key.split(".", 1)
    return ((config_doc or {}).get(section) or {}).get(name)


def check_fetcher_memory(w, name, container, container_env, shared_env, config_text):
    doc = yaml.safe_load(config_text or "") or {}
    keys = ("fetcher.global_concurrency", "fetcher.max_body_bytes", "kafka.producer_queue_bytes",
            "kafka.max_message_bytes")
    vals = {k: service_setting(k, container_env, shared_env, doc) for k in keys}
    state = FETCHER_STATE_BYTES if service_setting("fetcher.state_dir", container_env, shared_env,
                                                   doc) else 0
    missing = [k for k, v in vals.items() if v is None]
    if not expect(not missing, f"{w} {name} memory formula inputs set in config/fetcher.yaml ({missing} missing)"):
        return
    concurrency = int(vals["fetcher.global_concurrency"])
    body = byte_size(vals["fetcher.max_body_bytes"])
    queue = max(byte_size(vals["kafka.producer_queue_bytes"]),
                byte_size(vals["kafka.max_message_bytes"]) + KAFKA_FRAMING_BYTES)
    need = concurrency * body + queue + FETCHER_BASELINE_BYTES + state
    limit_text = container.get("resources", {}).get("limits", {}).get("memory", "")
    limit = byte_size(limit_text)
    expect(limit is not None and limit >= need,
           f"{w} {name} memory limit {limit_text} >= global_concurrency {concurrency} x max_body_bytes "
           f"{vals['fetcher.max_body_bytes']} + producer queue {queue >> 20}MiB + baseline "
           f"{FETCHER_BASELINE_BYTES >> 20}MiB + crawl state {state >> 20}MiB = {-(-need // (1 << 20))}Mi")


def config_value(service, key):
    """service.drain_timeout etc. from config/<service>.yaml, or None."""
    path = os.path.join(ROOT, "config", f"{service}.yaml")
    if not os.path.exists(path):
        return None
    doc = yaml.safe_load(open(path, encoding="utf-8")) or {}
    section, name = key.split(".", 1)
    return (doc.get(section) or {}).get(name)


# ------------------------------------------------------------------ topics
def run_topics_script(env_overrides, describe_counts=None):
    """Runs deploy/base/kafka/create-topics.sh against stub Kafka tools and
    returns the list of argument vectors they were called with."""
    tmp = tempfile.mkdtemp()
    try:
        log = os.path.join(tmp, "calls.log")
        counts = describe_counts or {}
        for tool in ("kafka-topics.sh", "kafka-configs.sh", "kafka-broker-api-versions.sh"):
            stub = os.path.join(tmp, tool)
            describe = ""
            if tool == "kafka-topics.sh":
                cases = "".join(
                    f'    {shlex.quote(t)}) echo "Topic: {t}\tPartitionCount: {n}\tReplicationFactor: 1";;\n'
                    for t, n in counts.items())
                describe = ('if [[ " $* " == *" --describe "* ]]; then\n'
                            '  t=""; prev=""; for a in "$@"; do [ "$prev" = --topic ] && t=$a; prev=$a; done\n'
                            f'  case "$t" in\n{cases}    *) exit 1;;\n  esac\n  exit 0\nfi\n')
            with open(stub, "w") as fh:
                fh.write("#!/usr/bin/env bash\n" + describe +
                         f'printf "%s" "{tool}" >>{shlex.quote(log)}\n'
                         f'for a in "$@"; do printf "\\t%s" "$a" >>{shlex.quote(log)}; done\n'
                         f'echo >>{shlex.quote(log)}\n')
            os.chmod(stub, 0o755)
        env = dict(os.environ, KAFKA_BIN=tmp, WAIT_SECONDS="5")
        env.update({k: str(v) for k, v in env_overrides.items()})
        r = subprocess.run(["bash", os.path.join(ROOT, "deploy/base/kafka/create-topics.sh")],
                           env=env, capture_output=True, text=True, timeout=60)
        if r.returncode != 0:
            raise RuntimeError(f"create-topics.sh exited {r.returncode}: {r.stderr.strip()}")
        calls = []
        if os.path.exists(log):
            calls = [line.rstrip("\n").split("\t") for line in open(log) if line.strip()]
        return calls
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def created_topics(calls):
    """{topic: {"partitions": int, "rf": int, "config": {k: v}}} from --create calls."""
    out = {}
    for c in calls:
        if c[0] != "kafka-topics.sh" or "--create" not in c:
            continue
        args = c[1:]
        t = {"config": {}}
        name = None
        for i, a in enumerate(args):
            if a == "--topic":
                name = args[i + 1]
            elif a == "--partitions":
                t["partitions"] = int(args[i + 1])
            elif a == "--replication-factor":
                t["rf"] = int(args[i + 1])
            elif a == "--config":
                k, v = args[i + 1].split("=", 1)
                t["config"][k] = v
        out[name] = t
    return out


def check_topic_settings(topics, where, rf):
    expect(set(topics) == set(TOPIC_VAR), f"{where}: creates exactly the topics {sorted(TOPIC_VAR)}"
           f" (got {sorted(topics)})")
    expect(topics.get("crawl.state", {}).get("partitions") == topics.get("crawl.requests", {}).get("partitions"),
           f"{where}: crawl.state has as many partitions as crawl.requests")
    st = topics.get("crawl.state", {}).get("config", {})
    expect(st.get("cleanup.policy") == "compact" and "retention.ms" not in st,
           f"{where}: crawl.state is compacted, without time retention")
    art = topics.get("articles", {}).get("config", {})
    expect(art.get("cleanup.policy") == "compact", f"{where}: articles is compacted")
    expect("retention.ms" not in art, f"{where}: articles has no time retention (compaction keeps one record per key)")
    for name, t in topics.items():
        cfg = t["config"]
        if name not in COMPACTED:
            expect(cfg.get("cleanup.policy") == "delete" and cfg.get("retention.ms", "").isdigit(),
                   f"{where}: {name} has delete retention ({cfg.get('retention.ms')} ms)")
        expect(t.get("rf") == rf, f"{where}: {name} replication factor {t.get('rf')} == {rf}")
        expect(int(cfg.get("min.insync.replicas", 0)) <= t.get("rf", 0),
               f"{where}: {name} min.insync.replicas <= replication factor")
    for name in ("crawl.pages", "articles.extracted", "articles", "crawl.deadletter"):
        mmb = int(topics.get(name, {}).get("config", {}).get("max.message.bytes", 0))
        expect(mmb >= 8 * 1024 * 1024 + 65536,
               f"{where}: {name} max.message.bytes {mmb} >= kafka.max_message_bytes (8MiB) + 64KiB")


def cmd_topics():
    calls = run_topics_script({"REPLICATION_FACTOR": 3, "MIN_INSYNC_REPLICAS": 2})
    check_topic_settings(created_topics(calls), "create-topics.sh defaults", 3)
    # Existing topics: settings are updated, partitions only grow, never for articles.
    calls = run_topics_script({"PARTITIONS_REQUESTS": 24, "PARTITIONS_ARTICLES": 12},
                              describe_counts={t: 6 for t in TOPIC_VAR})
    alters = [c for c in calls if c[0] == "kafka-topics.sh" and "--alter" in c]
    altered = {c[c.index("--topic") + 1] for c in alters}
    expect("crawl.requests" in altered, "create-topics.sh: grows partitions of an existing topic")
    expect("articles" not in altered, "create-topics.sh: never changes the partitions of compacted articles")
    expect(not any("--create" in c for c in calls), "create-topics.sh: does not re-create existing topics")
    configs = [c for c in calls if c[0] == "kafka-configs.sh"]
    expect(len(configs) == len(TOPIC_VAR), "create-topics.sh: updates the settings of every existing topic")


# ------------------------------------------------------------------ compose
def cmd_compose():
    c = load("docker/compose.yaml")
    svcs = c.get("services", {})
    need = {"kafka", "topics-init", "fetcher", "extractor", "dedup", "prometheus", "grafana", "kafka-exporter"}
    expect(need <= set(svcs), f"compose: services {sorted(need)} present")
    k = svcs.get("kafka", {})
    expect(str(k.get("image", "")).startswith("apache/kafka:") and ":latest" not in k.get("image", ""),
           f"compose: kafka uses the official apache/kafka image pinned to a version ({k.get('image')})")
    env = k.get("environment", {})
    expect("controller" in str(env.get("KAFKA_PROCESS_ROLES", "")) and "broker" in str(env.get("KAFKA_PROCESS_ROLES", "")),
           "compose: kafka runs in KRaft mode (process.roles broker,controller)")
    expect(str(env.get("KAFKA_AUTO_CREATE_TOPICS_ENABLE")).lower() == "false",
           "compose: topic auto-creation is off (topics come from topics-init)")
    cid = str(env.get("CLUSTER_ID", ""))
    expect(re.fullmatch(r"[A-Za-z0-9_-]{22}", cid) is not None, "compose: CLUSTER_ID is a base64 UUID")
    expect(bool(k.get("healthcheck", {}).get("test")), "compose: kafka has a healthcheck")
    ktest = " ".join(k.get("healthcheck", {}).get("test", []))
    expect("KAFKA_HEAP_OPTS=" in ktest,
           "compose: kafka's health-check JVM sets its own heap (not the broker's -Xms256m)")
    for name, s in svcs.items():
        img = str(s.get("image", ""))
        if name in SERVICES:
            continue
        expect(img and not img.endswith(":latest") and ":" in img, f"compose: {name} image pinned ({img})")
    ti = svcs.get("topics-init", {})
    expect(ti.get("depends_on", {}).get("kafka", {}).get("condition") == "service_healthy",
           "compose: topics-init waits for a healthy kafka")
    expect(any("create-topics.sh" in str(v) for v in ti.get("volumes", [])),
           "compose: topics-init runs deploy/base/kafka/create-topics.sh")
    for name in SERVICES:
        s = svcs.get(name, {})
        where = f"compose: {name}"
        expect(s.get("image") == svcs["fetcher"].get("image") and s.get("build"),
               f"{where} uses the one crawlstream image, built from docker/Dockerfile")
        cmd = s.get("command") or []
        expect(isinstance(cmd, list) and cmd[:1] == [f"/usr/local/bin/crawlstream-{name}"]
               and f"/etc/crawlstream/{name}.yaml" in cmd, f"{where} runs crawlstream-{name} --config /etc/crawlstream/{name}.yaml")
        expect(any(str(v).startswith(f"../config/{name}.yaml:/etc/crawlstream/{name}.yaml") for v in s.get("volumes", [])),
               f"{where} mounts config/{name}.yaml")
        e = s.get("environment", {})
        expect(e.get("CRAWLSTREAM_KAFKA_BROKERS") == "kafka:9092", f"{where} CRAWLSTREAM_KAFKA_BROKERS=kafka:9092")
        expect(e.get("CRAWLSTREAM_SERVICE_HTTP_HOST") == "0.0.0.0", f"{where} admin endpoint binds 0.0.0.0")
        for var in e:
            # Shared keys, or the service's own section (the fetcher's crawl
            # state, which needs the volume compose mounts).
            own = f"CRAWLSTREAM_(SERVICE|KAFKA|TOPICS|{name.upper()})_[A-Z0-9_]+"
            expect(re.fullmatch(own, var) is not None,
                   f"{where} env {var} is a shared key or one of {name}'s own")
        dep = s.get("depends_on", {})
        expect(dep.get("kafka", {}).get("condition") == "service_healthy", f"{where} depends on healthy kafka")
        expect(dep.get("topics-init", {}).get("condition") == "service_completed_successfully",
               f"{where} depends on topics-init completed_successfully")
        hc = s.get("healthcheck", {}).get("test", [])
        expect(hc[:3] == ["CMD", "/usr/local/bin/crawlstream", "healthcheck"], f"{where} healthcheck is `crawlstream healthcheck` (no shell)")
        if name == "dedup":
            restore = duration_seconds(config_value("dedup", "dedup.restore_timeout") or "10m")
            start = duration_seconds(s.get("healthcheck", {}).get("start_period", "0s"))
            expect(start is not None and restore is not None and start > restore,
                   f"{where} healthcheck start_period {start}s > dedup.restore_timeout {restore}s")
        expect(s.get("read_only") is True and "ALL" in s.get("cap_drop", []), f"{where} read-only root, capabilities dropped")
        grace = duration_seconds(s.get("stop_grace_period", "10s"))
        drain = duration_seconds(e.get("CRAWLSTREAM_SERVICE_DRAIN_TIMEOUT") or config_value(name, "service.drain_timeout") or "10s")
        expect(grace > drain, f"{where} stop_grace_period {grace}s > drain_timeout {drain}s")
    # The topic settings that compose really applies.
    env = {k: v for k, v in ti.get("environment", {}).items()}
    topics = created_topics(run_topics_script(env))
    check_topic_settings(topics, "compose topics-init", int(env.get("REPLICATION_FACTOR", 3)))
    # Prometheus scrapes every service and the exporter.
    prom = load("docker/prometheus/prometheus.yml")
    targets = {t for sc in prom.get("scrape_configs", []) for st in sc.get("static_configs", []) for t in st.get("targets", [])}
    jobs = {sc["job_name"] for sc in prom.get("scrape_configs", [])}
    for name in SERVICES:
        expect(f"{name}:9464" in targets and f"crawlstream-{name}" in jobs,
               f"prometheus: scrapes {name}:9464 as job crawlstream-{name}")
    expect(any(t.startswith("kafka-exporter:") for t in targets), "prometheus: scrapes kafka-exporter (consumer lag)")
    g = svcs.get("grafana", {})
    vols = " ".join(map(str, g.get("volumes", [])))
    expect("../deploy/grafana/crawlstream.json" in vols and "provisioning" in vols,
           "grafana: provisioned datasource and the deploy/grafana dashboard mounted")
    ds = yaml.safe_load(open(os.path.join(ROOT, "docker/grafana/provisioning/datasources/prometheus.yaml")))
    expect(ds["datasources"][0]["url"] == "http://prometheus:9090", "grafana: datasource points at prometheus")
    dash = json.load(open(os.path.join(ROOT, "deploy/grafana/crawlstream.json")))
    titles = " ".join(p.get("title", "") for p in dash["panels"]).lower()
    for word in ("stage", "fetch", "latency", "dedup", "dead letter", "lag"):
        expect(word in titles, f"dashboard: has a panel about {word}")
    # Alert rules: compose copy equals the PrometheusRule.
    pr = load("deploy/base/monitoring/prometheusrule.yaml")
    al = load("docker/prometheus/alerts.yml")
    expect(pr["spec"]["groups"] == al["groups"], "alerts: docker/prometheus/alerts.yml equals the PrometheusRule groups")
    names = {r["alert"] for g in al["groups"] for r in g["rules"]}
    readme = open(os.path.join(ROOT, "deploy/README.md"), encoding="utf-8").read()
    for n in sorted(names):
        expect(f"### {n}" in readme, f"alerts: {n} is explained in deploy/README.md")
    kinds = " ".join(names).lower()
    for word in ("lag", "error", "deadletter", "fetchfailure", "targetmissing", "kafkaexporterdown",
                 "restarts", "oomkilled", "noarticles"):
        expect(word in kinds, f"alerts: an alert on {word}")
    check_alert_rules(al["groups"], jobs)


# Every outcome label of crawlstream_fetch_requests_total, by how the
# fetcher sets it (services/fetcher/crawler.cc, Count(...)), and whether
# it is a failed fetch for CrawlstreamFetchFailureRatio. Dynamic outcomes
# are represented by examples: retry_<FetchErrorName>, http_<status>,
# fetch_failed:<FetchErrorName> (page.cc DeadLetterReason).
FETCH_OUTCOMES = {
    "ok": False, "not_modified": False, "robots": False, "robots_denied": False,
    "ssrf_refused": False, "sitemap_too_deep": False, "sitemap_budget_exhausted": False,
    "cancelled": False,
    "robots_error": True, "retry_status": True, "retry_timeout": True, "retry_dns": True,
    "retry_connect": True, "retry_reset": True, "http_404": True, "http_403": True, "http_410": True,
    "fetch_failed:tls": True, "fetch_failed:protocol": True, "fetch_failed:internal": True,
    "oversize": True, "headers_too_large": True, "too_many_redirects": True,
}


def label_matcher(expr, metric, label):
    """(op, value) of the first `label` matcher on `metric` in expr, or None."""
    m = re.search(re.escape(metric) + r"\{([^}]*)\}", expr)
    if not m:
        return None
    mm = re.search(label + r'\s*(=~|!~|!=|=)\s*"([^"]*)"', m.group(1))
    return (mm.group(1), mm.group(2)) if mm else None


def matches(op, value, text):
    full = re.fullmatch(value, text) is not None if op in ("=~", "!~") else value == text
    return full if op in ("=", "=~") else not full


def check_alert_rules(groups, compose_jobs):
    rules = [r for g in groups for r in g["rules"]]
    by = {}
    for r in rules:
        by.setdefault(r["alert"], []).append(r)
    # Fetch failures: the numerator counts exactly the failures.
    ffr = by.get("CrawlstreamFetchFailureRatio", [{}])[0].get("expr", "")
    num = label_matcher(ffr.split("/")[0], "crawlstream_fetch_requests_total", "outcome")
    if expect(num is not None, "alerts: CrawlstreamFetchFailureRatio selects fetch outcomes"):
        wrong = sorted(o for o, failure in FETCH_OUTCOMES.items() if matches(*num, o) != failure)
        expect(not wrong, f"alerts: CrawlstreamFetchFailureRatio counts failures only as failures (wrong: {wrong})")
    src = open(os.path.join(ROOT, "services/fetcher/crawler.cc"), encoding="utf-8").read()
    # String literals in Count(...) calls (prefixes such as "retry_" aside).
    literal = {w for call in re.findall(r"\bCount\(([^;]*)\);", src)
               for w in re.findall(r'"([a-z_:]+)"', call) if not w.endswith("_")}
    unknown = sorted(literal - set(FETCH_OUTCOMES))
    expect(literal and not unknown,
           f"alerts: every fetch outcome crawler.cc counts is classified in check_deploy.py FETCH_OUTCOMES (new: {unknown})")
    # A rule per service for a target that is gone (up == 0 needs a target).
    absent = " ".join(r["expr"] for r in by.get("CrawlstreamTargetMissing", []))
    for s in SERVICES:
        expect(f'absent(up{{job="crawlstream-{s}"}})' in absent and f"crawlstream-{s}" in compose_jobs,
               f"alerts: CrawlstreamTargetMissing for job crawlstream-{s} (the compose job and the Service name)")
    exp = " ".join(r["expr"] for r in by.get("CrawlstreamKafkaExporterDown", []))
    job = re.search(r'up\{job=~"([^"]+)"\}', exp)
    expect(job is not None and any(re.fullmatch(job.group(1), j) for j in compose_jobs)
           and "absent(kafka_consumergroup_lag" in exp,
           "alerts: CrawlstreamKafkaExporterDown on the exporter's up (compose job) and on missing lag series")
    pods = " ".join(r["expr"] for n in ("CrawlstreamContainerRestarts", "CrawlstreamOOMKilled") for r in by.get(n, []))
    pod_res = set(re.findall(r'pod=~"([^"]+)"', pods))
    expect(len(pod_res) == 1 and all(re.fullmatch(next(iter(pod_res)), f"crawlstream-{s}-0") for s in SERVICES)
           and not re.fullmatch(next(iter(pod_res)), "crawlstream-topics-abcde"),
           f"alerts: restart/OOM rules select the pods of the three workloads and not the topics Job ({pod_res})")
    expect('reason="OOMKilled"' in pods, "alerts: CrawlstreamOOMKilled on kube-state-metrics' last terminated reason")
    lag = " ".join(r["expr"] for r in by.get("CrawlstreamConsumerLagHigh", []))
    expect('consumergroup!="crawlstream-fetcher"' in lag,
           "alerts: CrawlstreamConsumerLagHigh leaves out the fetcher (its lag is politeness, on purpose)")
    behind = " ".join(r["expr"] for r in by.get("CrawlstreamFetcherBehind", []))
    expect(BEHIND_TRIGGERS["fetcher"] in behind,
           f"alerts: CrawlstreamFetcherBehind on {BEHIND_TRIGGERS['fetcher']}, what the fetcher scales on")
    noart = " ".join(r["expr"] for r in by.get("CrawlstreamNoArticles", []))
    expect('topic="articles"' in noart and "or vector(0)" in noart,
           "alerts: CrawlstreamNoArticles fires also when dedup never produced to articles (or vector(0))")


# ------------------------------------------------------------------ dockerfile
def dockerfile_packages(text, section):
    m = re.search(rf"# {section}:begin.*?\n(.*?)# {section}:end", text, re.S)
    if not m:
        return None
    body = m.group(1).split("--no-install-recommends", 1)[1].split("&&")[0]
    return set(body.replace("\\", " ").split())


def cmd_dockerfile(build_dir):
    text = open(os.path.join(ROOT, "docker/Dockerfile"), encoding="utf-8").read()
    froms = re.findall(r"^FROM\s+(\S+)(?:\s+AS\s+(\S+))?", text, re.M)
    args = dict(re.findall(r"^ARG\s+(\w+)=(\S*)", text, re.M))
    # FROM debian:${TAG}${DIGEST:+@}${DIGEST}: the tag, pinned by digest when given.
    pinned = [re.fullmatch(r"debian:\$\{(\w+)\}\$\{(\w+):\+@\}\$\{(\w+)\}", f[0]) for f in froms]
    images = [f"debian:{args.get(m.group(1))}" if m else f[0] for m, f in zip(pinned, froms)]
    expect(images == ["debian:12", "debian:12-slim"], f"Dockerfile: debian:12 build stage, debian:12-slim runtime ({images})")
    digest_args = [m.group(2) for m in pinned if m and m.group(2) == m.group(3)]
    expect(len(digest_args) == len(froms) == 2,
           f"Dockerfile: every FROM takes its base image's digest from an ARG ({[f[0] for f in froms]})")
    for a in digest_args:
        v = args.get(a, "")
        expect(v == "" or re.fullmatch(r"sha256:[0-9a-f]{64}", v) is not None,
               f"Dockerfile: ARG {a} is empty or a sha256 digest ({v!r})")
        if os.environ.get("REQUIRE_IMAGE_DIGESTS") == "1":
            expect(v != "", f"Dockerfile: ARG {a} pins the base image (REQUIRE_IMAGE_DIGESTS=1)")
        elif not v:
            print(f"skip: Dockerfile ARG {a} has no default digest: base images resolve by tag unless "
                  f"--build-arg {a}=sha256:... is given (docker/README.md, \"Base image digests\"; "
                  "REQUIRE_IMAGE_DIGESTS=1 makes this a failure)")
    expect("-DCRAWLSTREAM_BUILD_TESTS=OFF" in text and "-DCRAWLSTREAM_BUILD_BENCH=OFF" in text,
           "Dockerfile: builds without tests and benchmarks")
    runtime = text.split("AS runtime", 1)[1]
    expect(re.search(r"^USER\s+10001(:10001)?\s*$", runtime, re.M) is not None, "Dockerfile: runs as numeric non-root UID 10001")
    hc = re.search(r"^HEALTHCHECK.*?CMD\s+(\[.*?\])", runtime, re.M | re.S)
    expect(hc is not None and json.loads(hc.group(1))[:2] == ["/usr/local/bin/crawlstream", "healthcheck"],
           "Dockerfile: exec-form HEALTHCHECK with `crawlstream healthcheck` (no shell, no curl)")
    for line in re.findall(r"^(CMD|ENTRYPOINT)\s+(.*)$", runtime, re.M):
        expect(line[1].strip().startswith("["), f"Dockerfile: {line[0]} is exec form")
    expect("CRAWLSTREAM_SERVICE_HTTP_HOST=0.0.0.0" in runtime, "Dockerfile: admin endpoint binds 0.0.0.0 in the container")
    for b in ("crawlstream", "crawlstream-fetcher", "crawlstream-extractor", "crawlstream-dedup"):
        expect(b in text, f"Dockerfile: ships {b}")
    # `cmake --install` must put every binary into /usr/local/bin.
    for d, b in (("cli", "crawlstream"), ("fetcher", "crawlstream-fetcher"),
                 ("extractor", "crawlstream-extractor"), ("dedup", "crawlstream-dedup")):
        cm_path = os.path.join(ROOT, "services", d, "CMakeLists.txt")
        cm = open(cm_path, encoding="utf-8").read() if os.path.exists(cm_path) else ""
        if not re.search(rf"add_executable\(\s*{re.escape(b)}[\s)]", cm):
            print(f"skip: services/{d}/CMakeLists.txt defines no {b} yet: its install rule not checked")
            continue
        expect(re.search(rf"install\(\s*TARGETS\s+[^)]*\b{re.escape(b)}\b[^)]*DESTINATION\s+bin", cm) is not None,
               f"services/{d}/CMakeLists.txt installs {b} (the image takes the binaries from `cmake --install`)")
    build_pkgs = dockerfile_packages(text, "build-packages")
    run_pkgs = dockerfile_packages(text, "runtime-packages")
    if not expect(build_pkgs is not None and run_pkgs is not None, "Dockerfile: package lists are marked"):
        return
    # Build stage: every library of scripts/install-deps.sh except test, bench and fuzz tools.
    deps = open(os.path.join(ROOT, "scripts/install-deps.sh"), encoding="utf-8").read()
    m = re.search(r"packages=\((.*?)\n\)", deps, re.S)
    listed = set(re.sub(r"#.*", "", m.group(1)).split()) if m else set()
    not_needed = {"libgtest-dev", "libgmock-dev", "googletest", "libbenchmark-dev", "libfuzzer-14-dev",
                  "libfuzzer-19-dev", "libclang-rt-19-dev", "clang", "clang-19", "git"}
    libs = {p for p in listed if p.endswith("-dev") or p == "protobuf-compiler"} - not_needed
    missing = sorted(libs - build_pkgs)
    expect(not missing, f"Dockerfile: build stage installs every library of scripts/install-deps.sh (missing: {missing})")
    for p in sorted(run_pkgs):
        expect(not p.endswith("-dev"), f"Dockerfile: runtime package {p} is not a -dev package")
    # Runtime stage: owners of the binaries' NEEDED libraries.
    base = {"libc6", "libstdc++6", "libgcc-s1", "zlib1g"}
    bins = [os.path.join(build_dir, p) for p in (
        "services/cli/crawlstream", "services/fetcher/crawlstream-fetcher",
        "services/extractor/crawlstream-extractor", "services/dedup/crawlstream-dedup")]
    present = [b for b in bins if os.path.exists(b)]
    if not present:
        print(f"skip: no binaries under {build_dir}: runtime libraries not compared")
        return
    for b in bins:
        if b not in present:
            print(f"skip: {b} not built: its runtime libraries not compared")
    if not shutil.which("objdump") or not shutil.which("dpkg"):
        print("skip: objdump or dpkg missing: runtime libraries not compared")
        return
    for b in present:
        needed = re.findall(r"NEEDED\s+(\S+)", subprocess.run(["objdump", "-p", b], capture_output=True, text=True).stdout)
        ldd = subprocess.run(["ldd", b], capture_output=True, text=True).stdout
        paths = dict(re.findall(r"^\s*(\S+) => (\S+)", ldd, re.M))
        owners = set()
        for lib in needed:
            path = paths.get(lib)
            if not path:
                fail(f"Dockerfile: {b} needs {lib}, which ldd cannot find")
                continue
            cands = {path, os.path.realpath(path)}
            for c in list(cands):
                cands.add(c.replace("/usr/lib/", "/lib/", 1) if c.startswith("/usr/lib/") else c.replace("/lib/", "/usr/lib/", 1))
            owner = None
            for c in cands:
                r = subprocess.run(["dpkg", "-S", c], capture_output=True, text=True)
                if r.returncode == 0:
                    owner = r.stdout.split(":")[0].strip()
                    break
            if owner is None:
                fail(f"Dockerfile: no Debian package owns {path} ({lib}, needed by {os.path.basename(b)})")
            else:
                owners.add(owner)
        missing = sorted(owners - run_pkgs - base)
        expect(not missing, f"Dockerfile: runtime stage has the libraries {os.path.basename(b)} links ({sorted(owners)}); missing: {missing}")


# ------------------------------------------------------------------ seed
def cmd_seed():
    if not shutil.which("protoc"):
        print("skip: protoc not installed: seed.sh encoding not decoded")
        return
    tmp = tempfile.mkdtemp()
    try:
        url = "https://News.Example.com:8443/2024/07/05/" + "long-path-" * 20 + "a.html?x=1"
        out = os.path.join(tmp, "req.bin")
        r = subprocess.run(["bash", "docker/seed.sh", "--kind", "feed", "--out", out, url], capture_output=True, text=True)
        if not expect(r.returncode == 0, f"seed.sh encodes a request ({r.stderr.strip()})"):
            return
        dec = subprocess.run(["protoc", "--decode=crawlstream.v1.CrawlRequest", "-I", "proto", "-I", "/usr/include",
                              "proto/crawlstream/v1/crawl_request.proto"], stdin=open(out, "rb"), capture_output=True, text=True)
        expect(dec.returncode == 0 and f'url: "{url}"' in dec.stdout and "kind: KIND_FEED" in dec.stdout
               and 'origin: "cli"' in dec.stdout and "requested_at" in dec.stdout,
               "seed.sh writes a CrawlRequest that protoc decodes (url, kind, requested_at, origin)")
        r = subprocess.run(["bash", "docker/seed.sh", "--out", out, "ftp://x/"], capture_output=True, text=True)
        expect(r.returncode != 0, "seed.sh refuses a non-http URL")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# ------------------------------------------------------------------ copies
def cmd_copies():
    for s in SERVICES:
        src = os.path.join(ROOT, "config", f"{s}.yaml")
        dst = os.path.join(ROOT, "deploy/base/config", f"{s}.yaml")
        if not os.path.exists(src):
            print(f"skip: config/{s}.yaml does not exist yet: deploy/base/config/{s}.yaml not compared")
            continue
        expect(open(src, "rb").read() == open(dst, "rb").read(),
               f"deploy/base/config/{s}.yaml equals config/{s}.yaml (refresh: bash deploy/sync-config.sh)")


# ------------------------------------------------------------------ manifests
def cmd_manifests(overlay, rendered):
    docs = [d for d in yaml.safe_load_all(open(rendered, encoding="utf-8")) if d]
    by = {}
    for d in docs:
        by.setdefault(d["kind"], {})[d["metadata"]["name"]] = d
    w = f"{overlay}:"
    cms = by.get("ConfigMap", {})
    env_cm = next((v for k, v in cms.items() if k.startswith("crawlstream-env")), None)
    topics_cm = next((v for k, v in cms.items() if k.startswith("crawlstream-topics-") and "script" not in k), None)
    if not expect(env_cm and topics_cm, f"{w} crawlstream-env and crawlstream-topics ConfigMaps rendered"):
        return
    env = env_cm["data"]
    expect(env.get("CRAWLSTREAM_SERVICE_HTTP_HOST") == "0.0.0.0", f"{w} admin endpoint binds 0.0.0.0")
    for k in env:
        expect(re.fullmatch(r"CRAWLSTREAM_(SERVICE|KAFKA|TOPICS)_[A-Z0-9_]+", k) is not None, f"{w} env {k} is a shared key")
    ns = {d["metadata"].get("namespace") for d in docs if d["kind"] != "Namespace"}
    expect(len(ns) == 1 and None not in ns, f"{w} every object in one namespace ({ns})")
    for s in SERVICES:
        name = f"crawlstream-{s}"
        dep = by.get("Deployment", {}).get(name) or by.get("StatefulSet", {}).get(name)
        if not expect(dep is not None, f"{w} workload {name}"):
            continue
        pod = dep["spec"]["template"]["spec"]
        c = pod["containers"][0]
        psc = pod.get("securityContext", {})
        csc = c.get("securityContext", {})
        expect(psc.get("runAsNonRoot") is True and psc.get("seccompProfile", {}).get("type") == "RuntimeDefault",
               f"{w} {name} pod runAsNonRoot, seccomp RuntimeDefault")
        expect(csc.get("readOnlyRootFilesystem") is True and csc.get("allowPrivilegeEscalation") is False
               and csc.get("capabilities", {}).get("drop") == ["ALL"] and csc.get("runAsNonRoot") is True,
               f"{w} {name} container read-only root, no privilege escalation, drop ALL")
        expect(c.get("livenessProbe", {}).get("httpGet", {}).get("path") == "/healthz", f"{w} {name} liveness on /healthz")
        expect(c.get("readinessProbe", {}).get("httpGet", {}).get("path") == "/readyz", f"{w} {name} readiness on /readyz")
        res = c.get("resources", {})
        expect(all(k in res.get("requests", {}) for k in ("cpu", "memory")) and "memory" in res.get("limits", {}),
               f"{w} {name} resource requests and memory limit")
        img = c.get("image", "")
        if overlay != "dev":  # dev loads the local crawlstream:dev into kind/minikube
            first = img.split("/", 1)[0] if "/" in img else ""
            expect(("." in first or ":" in first or first == "localhost") and not first.startswith("docker.io")
                   and re.search(r"(:[\w.-]+|@sha256:[0-9a-f]{64})$", img.split("/")[-1]) is not None
                   and not img.endswith(":latest"),
                   f"{w} {name} image {img} names its registry (not docker.io/library) and a tag or digest")
        expect(c.get("command") == [f"/usr/local/bin/crawlstream-{s}"] and c.get("args") == ["--config", f"/etc/crawlstream/{s}.yaml"],
               f"{w} {name} runs crawlstream-{s} --config /etc/crawlstream/{s}.yaml")
        vols = {v["name"]: v for v in pod.get("volumes", [])}
        cmv = [v for v in vols.values() if v.get("configMap", {}).get("name", "").startswith("crawlstream-config")]
        cm = cms.get(cmv[0]["configMap"]["name"]) if cmv else None
        expect(cm is not None and f"{s}.yaml" in cm.get("data", {}), f"{w} {name} mounts its config file from the generated ConfigMap")
        expect(cm is not None and set(cm.get("data", {})) == {f"{s}.yaml"},
               f"{w} {name} has a ConfigMap of its own (an edit of another service's file does not roll it)")
        startup = c.get("startupProbe", {})
        startup_budget = startup.get("periodSeconds", 10) * startup.get("failureThreshold", 3) if startup else 0
        expect(dep["spec"].get("progressDeadlineSeconds", 600) > startup_budget,
               f"{w} {name} progressDeadlineSeconds {dep['spec'].get('progressDeadlineSeconds', 600)} > startup budget {startup_budget}s")
        if cm is not None and os.path.exists(os.path.join(ROOT, "config", f"{s}.yaml")):
            expect(cm["data"].get(f"{s}.yaml") == open(os.path.join(ROOT, "config", f"{s}.yaml"), encoding="utf-8").read(),
                   f"{w} {name} ConfigMap holds config/{s}.yaml as it is")
        envs = {e["name"]: e.get("value") for e in c.get("env", [])}
        drain_text = envs.get("CRAWLSTREAM_SERVICE_DRAIN_TIMEOUT") or env.get("CRAWLSTREAM_SERVICE_DRAIN_TIMEOUT") \
            or config_value(s, "service.drain_timeout") or "10s"
        drain = duration_seconds(drain_text)
        grace = pod.get("terminationGracePeriodSeconds", 30)
        expect(drain is not None and grace >= drain + 15,
               f"{w} {name} terminationGracePeriodSeconds {grace} >= drain_timeout {drain_text} + 15s for flush/commit/leave")
        if s == "fetcher":
            worst = (drain or 0) + FETCHER_CLOSE_SECONDS
            expect(drain is not None and grace >= worst + GRACE_MARGIN_SECONDS,
                   f"{w} {name} terminationGracePeriodSeconds {grace} >= worst-case shutdown {worst:g}s "
                   f"(drain_timeout {drain_text} + {FETCHER_CLOSE_SECONDS}s close) + {GRACE_MARGIN_SECONDS}s margin")
            check_fetcher_memory(w, name, c, envs, env, cm["data"].get("fetcher.yaml") if cm else None)
        expect(pod.get("automountServiceAccountToken") is False, f"{w} {name} does not mount an API token")
        svc = by.get("Service", {}).get(name)
        expect(svc is not None and any(p.get("name") == "metrics" and p.get("port") == 9464 for p in svc["spec"]["ports"]),
               f"{w} {name} Service exposes metrics on 9464")
        pdb = by.get("PodDisruptionBudget", {}).get(name)
        expect(pdb is not None and pdb["spec"]["selector"]["matchLabels"].items() <= dep["spec"]["template"]["metadata"]["labels"].items(),
               f"{w} {name} PodDisruptionBudget selects its pods")
        expect(pdb is not None and pdb["spec"].get("unhealthyPodEvictionPolicy") == "AlwaysAllow",
               f"{w} {name} PodDisruptionBudget lets NotReady pods be evicted (drains during a Kafka outage)")
        so = by.get("ScaledObject", {}).get(name)
        if not expect(so is not None, f"{w} {name} ScaledObject"):
            continue
        topic = INPUT_TOPIC[s]
        trig = so["spec"]["triggers"][0]
        md = trig.get("metadata", {})
        if s in BEHIND_TRIGGERS:
            check_behind_triggers(w, name, so["spec"]["triggers"], dep)
        else:
            expect(trig.get("type") == "kafka" and md.get("topic") == topic and md.get("consumerGroup") == name,
                   f"{w} {name} scales on the lag of {name} on {topic}")
            expect(md.get("bootstrapServers") == env.get("CRAWLSTREAM_KAFKA_BROKERS"),
                   f"{w} {name} KEDA reads the same brokers as the services ({md.get('bootstrapServers')})")
            expect(str(md.get("allowIdleConsumers")).lower() == "false", f"{w} {name} no idle consumers beyond partitions")
        parts = int(topics_cm["data"][TOPIC_VAR[topic]])
        expect(so["spec"].get("maxReplicaCount") == parts,
               f"{w} {name} maxReplicaCount {so['spec'].get('maxReplicaCount')} == partitions of {topic} ({parts})")
        expect(1 <= so["spec"].get("minReplicaCount", 0) <= so["spec"].get("maxReplicaCount", 0),
               f"{w} {name} 1 <= minReplicaCount <= maxReplicaCount")
        expect(so["spec"]["scaleTargetRef"]["name"] == name, f"{w} {name} ScaledObject targets its workload")
    check_kafka_secret(w, by)
    job = by.get("Job", {}).get("crawlstream-topics")
    if expect(job is not None, f"{w} topics Job"):
        jc = job["spec"]["template"]["spec"]["containers"][0]
        expect(jc["image"].startswith("apache/kafka:"), f"{w} topics Job uses apache/kafka")
        rf = int(topics_cm["data"]["REPLICATION_FACTOR"])
        isr = int(topics_cm["data"]["MIN_INSYNC_REPLICAS"])
        expect(1 <= isr <= rf and (rf == 1 or isr < rf), f"{w} min.insync.replicas {isr} allows one broker down (RF {rf})")
        topics = created_topics(run_topics_script(topics_cm["data"]))
        check_topic_settings(topics, f"{w} topics Job", rf)
    # ServiceMonitor selects every metrics Service.
    sm = by.get("ServiceMonitor", {}).get("crawlstream")
    if expect(sm is not None, f"{w} ServiceMonitor"):
        sel = sm["spec"]["selector"]
        vals = set(next((e["values"] for e in sel.get("matchExpressions", []) if e["key"] == "app.kubernetes.io/name"), []))
        expect({f"crawlstream-{s}" for s in SERVICES} <= vals and sm["spec"]["endpoints"][0]["port"] == "metrics",
               f"{w} ServiceMonitor scrapes the metrics port of every service")
    expect("crawlstream" in by.get("PrometheusRule", {}), f"{w} PrometheusRule")
    # NetworkPolicy: fetcher egress to the internet but not private ranges.
    nps = by.get("NetworkPolicy", {})
    fetch_np = [n for n in nps.values() if n["spec"]["podSelector"].get("matchLabels", {}).get("app.kubernetes.io/name") == "crawlstream-fetcher"]
    blocks = [t["ipBlock"] for n in fetch_np for e in n["spec"].get("egress", []) for t in e.get("to", []) if "ipBlock" in t]
    v4 = next((b for b in blocks if b["cidr"] == "0.0.0.0/0"), None)
    if expect(v4 is not None, f"{w} fetcher may reach 0.0.0.0/0"):
        for cidr in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16", "127.0.0.0/8", "100.64.0.0/10"):
            expect(cidr in v4.get("except", []), f"{w} fetcher internet egress excludes {cidr}")
    v6 = next((b for b in blocks if b["cidr"] == "::/0"), None)
    if v6 is not None:
        for cidr in ("fc00::/7", "fe80::/10", "::ffff:0:0/96"):
            expect(cidr in v6.get("except", []), f"{w} fetcher IPv6 egress excludes {cidr}")
    others = [n for n in nps.values() if n not in fetch_np]
    expect(not any("ipBlock" in t for n in others for e in n["spec"].get("egress", []) for t in e.get("to", [])),
           f"{w} only the fetcher has internet egress")
    deny = [n for n in nps.values() if not n["spec"].get("ingress") and not n["spec"].get("egress")
            and set(n["spec"].get("policyTypes", [])) == {"Ingress", "Egress"}]
    expect(bool(deny), f"{w} default-deny policy")
    egress_ports = {(p.get("protocol"), p.get("port")) for n in others for e in n["spec"].get("egress", []) for p in e.get("ports", [])}
    expect(("UDP", 53) in egress_ports and ("TCP", 9092) in egress_ports, f"{w} DNS and Kafka egress allowed")


KAFKA_SECRET = "crawlstream-kafka-client"
# Property names whose values are credentials (kafka_options.h,
# IsSecretKafkaProperty), as they would appear in a ConfigMap.
CREDENTIAL = re.compile(r"(?im)^\s*-?\s*['\"]?([a-z0-9_.]*(sasl\.|password|secret|jaas)[a-z0-9_.]*)\s*[=:]\s*\S")


# Services scaled on being behind rather than on consumer lag: the fetcher
# holds up to fetcher.max_queued requests uncommitted on purpose (politeness
# delays), so its lag would keep it at maxReplicaCount. Metric -> the
# Prometheus trigger must read it (an exported gauge, tests/deploy
# exported_metrics.txt) as a Value target; plus a CPU trigger.
BEHIND_TRIGGERS = {"fetcher": "crawlstream_fetch_due_queue_age_seconds"}


def check_behind_triggers(w, name, triggers, dep):
    metric = BEHIND_TRIGGERS[name.removeprefix("crawlstream-")]
    types = [t.get("type") for t in triggers]
    expect("kafka" not in types, f"{w} {name} does not scale on consumer lag ({types})")
    prom = [t for t in triggers if t.get("type") == "prometheus"]
    if expect(len(prom) == 1, f"{w} {name} has one prometheus trigger"):
        md = prom[0].get("metadata", {})
        expect(metric in md.get("query", "") and f'job="{name}"' in md.get("query", ""),
               f"{w} {name} prometheus trigger reads {metric} of job {name} ({md.get('query')})")
        expect(prom[0].get("metricType") == "Value",
               f"{w} {name} prometheus trigger is a Value target (an age does not add up over pods)")
        expect(float(md.get("threshold", "0")) > 0 and md.get("serverAddress", "").startswith("http"),
               f"{w} {name} prometheus trigger has a threshold and a server address")
    cpu = [t for t in triggers if t.get("type") == "cpu"]
    requests = dep["spec"]["template"]["spec"]["containers"][0].get("resources", {}).get("requests", {})
    expect(len(cpu) == 1 and cpu[0].get("metricType") == "Utilization" and "cpu" in requests,
           f"{w} {name} has a CPU utilization trigger and a CPU request to measure it against")


def secret_file(pod, container, path):
    """(secret name, key) of the Secret volume item mounted at `path`, or None."""
    vols = {v["name"]: v for v in pod.get("volumes", [])}
    for m in container.get("volumeMounts", []):
        mp = m["mountPath"].rstrip("/") + "/"
        if not path.startswith(mp):
            continue
        sec = vols.get(m["name"], {}).get("secret")
        if not sec:
            return None
        rel = path[len(mp):]
        for item in sec.get("items", []):
            if item["path"] == rel:
                return sec["secretName"], item["key"]
        return (sec["secretName"], rel) if not sec.get("items") else None
    return None


def check_kafka_secret(w, by):
    """Kafka credentials come from one Secret: the services' kafka.extra_file,
    KEDA's TriggerAuthentication, the topics Job's --command-config; none is
    in a ConfigMap; a rendered Secret (dev) holds no password."""
    for s in SERVICES:
        name = f"crawlstream-{s}"
        dep = by.get("Deployment", {}).get(name) or by.get("StatefulSet", {}).get(name)
        if dep is None:
            continue
        pod = dep["spec"]["template"]["spec"]
        c = pod["containers"][0]
        envs = {e["name"]: e.get("value") for e in c.get("env", [])}
        path = envs.get("CRAWLSTREAM_KAFKA_EXTRA_FILE")
        ref = secret_file(pod, c, path) if path else None
        expect(ref == (KAFKA_SECRET, "librdkafka.properties"),
               f"{w} {name} reads kafka.extra_file {path} from Secret {KAFKA_SECRET} key librdkafka.properties ({ref})")
        expect("CRAWLSTREAM_KAFKA_EXTRA" not in envs or envs["CRAWLSTREAM_KAFKA_EXTRA"] is None,
               f"{w} {name} has no literal CRAWLSTREAM_KAFKA_EXTRA (credentials belong in the Secret)")
        so = by.get("ScaledObject", {}).get(name)
        kafka_triggers = [t for t in (so or {}).get("spec", {}).get("triggers", []) if t.get("type") == "kafka"]
        if kafka_triggers:
            trig = kafka_triggers[0]
            auth = by.get("TriggerAuthentication", {}).get(trig.get("authenticationRef", {}).get("name"))
            refs = {r["parameter"]: (r["name"], r["key"]) for r in (auth or {}).get("spec", {}).get("secretTargetRef", [])}
            expect(auth is not None and {"sasl", "tls", "username", "password"} <= set(refs)
                   and {n for n, _ in refs.values()} == {KAFKA_SECRET},
                   f"{w} {name} ScaledObject authenticates with a TriggerAuthentication on Secret {KAFKA_SECRET}")
    job = by.get("Job", {}).get("crawlstream-topics")
    if job is not None:
        pod = job["spec"]["template"]["spec"]
        c = pod["containers"][0]
        envs = {e["name"]: e.get("value") for e in c.get("env", [])}
        path = envs.get("COMMAND_CONFIG")
        ref = secret_file(pod, c, path) if path else None
        expect(ref == (KAFKA_SECRET, "client.properties"),
               f"{w} topics Job's COMMAND_CONFIG {path} is client.properties of Secret {KAFKA_SECRET} ({ref})")
    for cm_name, cm in by.get("ConfigMap", {}).items():
        found = sorted({m.group(1) for v in (cm.get("data") or {}).values() for m in CREDENTIAL.finditer(str(v))})
        found += [k for k in (cm.get("data") or {}) if k == "CRAWLSTREAM_KAFKA_EXTRA"]
        expect(not found, f"{w} ConfigMap {cm_name} holds no Kafka credential ({found})")
    import base64
    for sec_name, sec in by.get("Secret", {}).items():
        data = {k: base64.b64decode(v).decode() for k, v in (sec.get("data") or {}).items()}
        data.update(sec.get("stringData") or {})
        leaked = [k for k, v in data.items() if (k == "password" and v) or CREDENTIAL.search(v)]
        expect(not leaked, f"{w} Secret {sec_name} rendered from git holds no credential ({leaked}); "
                           "production creates it outside git")
    if KAFKA_SECRET in by.get("Secret", {}):
        keys = set((by["Secret"][KAFKA_SECRET].get("data") or {}))
        need = {"librdkafka.properties", "client.properties", "sasl", "tls", "username", "password"}
        expect(need <= keys, f"{w} Secret {KAFKA_SECRET} has the keys {sorted(need)} ({sorted(keys)})")


def main():
    cmd = sys.argv[1]
    if cmd == "compose":
        cmd_compose()
    elif cmd == "dockerfile":
        cmd_dockerfile(sys.argv[2] if len(sys.argv) > 2 else "build")
    elif cmd == "topics":
        cmd_topics()
    elif cmd == "seed":
        cmd_seed()
    elif cmd == "copies":
        cmd_copies()
    elif cmd == "manifests":
        cmd_manifests(sys.argv[2], sys.argv[3])
    else:
        print(__doc__)
        sys.exit(2)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
