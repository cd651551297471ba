"""Shared pieces of the Python end-to-end tests and load benchmarks: the
protobuf classes generated from proto/, a fixture site served by nginx on
127.0.0.1, `crawlstream broker` as a separate process, and a real Apache
Kafka cluster from scripts/kafka.sh. Everything listens on 127.0.0.1 on
ports the OS picks and stops with its test."""
import json
import os
import re
import shutil
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def stamped_log(t0):
    """A log(msg) for a test's progress lines, each prefixed with the
    seconds since t0."""
    def log(msg):
        print("[%6.1fs] %s" % (time.time() - t0, msg), flush=True)
    return log


def end_run(procs, work):
    """Kills what still runs of `procs`, stops the scripts/kafka.sh cluster
    under work/kafka if there is one, and removes `work` unless KEEP_WORK
    is set (again after a second: kafka.sh's owner watcher may be removing
    work/kafka at the same moment)."""
    for p in procs:
        if p.poll() is None:
            p.kill()
            p.wait()
    stop_kafka(os.path.join(work, "kafka"), timeout_s=5)
    if os.environ.get("KEEP_WORK"):
        print("work directory kept: " + work)
        return
    for _ in range(3):
        shutil.rmtree(work, ignore_errors=True)
        if not os.path.exists(work):
            break
        time.sleep(1)


class AccessLog:
    """Tails an nginx access log (serve with --extra "access_log PATH;"):
    after each poll(), `gets` holds every GET as (time seen, path,
    status)."""
    LINE = re.compile(r'"GET (\S+) HTTP/[\d.]+" (\d+) ')

    def __init__(self, path):
        self.path, self.offset, self.gets = path, 0, []

    def poll(self):
        if not os.path.exists(self.path):
            return
        with open(self.path, errors="replace") as f:
            f.seek(self.offset)
            data = f.read()
        end = data.rfind("\n") + 1
        self.offset += len(data[:end].encode())
        for line in data[:end].splitlines():
            m = self.LINE.search(line)
            if m:
                self.gets.append((time.time(), m.group(1), m.group(2)))

    def of(self, path):
        """The statuses of the GETs of `path`, in order."""
        return [status for _, p, status in self.gets if p == path]


def wait_for_file(path, timeout_s=20):
    deadline = time.time() + timeout_s
    while not (os.path.exists(path) and os.path.getsize(path) > 0):
        if time.time() > deadline:
            raise RuntimeError("timed out waiting for " + path)
        time.sleep(0.05)
    return open(path).read().strip()


def gen_protos(work):
    """Generates Python classes for proto/crawlstream/v1 and makes
    `from crawlstream.v1 import article_pb2` work."""
    out = os.path.join(work, "py")
    os.makedirs(out, exist_ok=True)
    protos = ["crawlstream/v1/" + f for f in sorted(os.listdir(os.path.join(ROOT, "proto/crawlstream/v1")))]
    subprocess.run(["protoc", "-I", os.path.join(ROOT, "proto"), "--python_out", out] + protos, check=True)
    if out not in sys.path:
        sys.path.insert(0, out)
    return out


def serve_site(site, work, timeout_s=900, copy=True):
    """Serves `site` (copied into `work` first when `copy`, symlinks
    followed) and replaces {{BASE}} in its robots.txt and XML files with the
    server's base URL. Returns (base_url, process)."""
    root = site
    if copy:
        root = os.path.join(work, "site")
        shutil.copytree(site, root, symlinks=False)
    port_file = os.path.join(work, "port")
    proc = subprocess.Popen(["/usr/bin/python3", os.path.join(ROOT, "tests/support/nginx_site.py"),
                             "--root", root, "--port-file", port_file, "--timeout", str(timeout_s)],
                            stdout=subprocess.DEVNULL)
    base = "http://127.0.0.1:" + wait_for_file(port_file)
    for f in os.listdir(root):
        if f.endswith(".xml") or f == "robots.txt":
            path = os.path.join(root, f)
            text = open(path, encoding="utf-8").read().replace("{{BASE}}", base)
            open(path, "w", encoding="utf-8").write(text)
    return base, proc


def write_seeds(lines, base, work):
    """Writes seed URLs ({{BASE}} replaced) to work/seeds.txt."""
    path = os.path.join(work, "seeds.txt")
    with open(path, "w", encoding="utf-8") as f:
        for line in lines:
            f.write(line.replace("{{BASE}}", base).rstrip("\n") + "\n")
    return path


def start_broker(cli, work, brokers=3, partitions=4, control=False, log_name="broker.log"):
    """Starts `crawlstream broker`; returns (process, bootstrap). With
    `control`, fault commands can be written to process.stdin."""
    bs_file = os.path.join(work, "bootstrap-%d" % time.monotonic_ns())
    argv = [cli, "broker", "--brokers", str(brokers), "--topics.partitions", str(partitions),
            "--bootstrap-file", bs_file]
    if control:
        argv.append("--control-stdin")
    proc = subprocess.Popen(argv, stdin=subprocess.PIPE if control else subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=open(os.path.join(work, log_name), "w"),
                            text=True)
    return proc, wait_for_file(bs_file)


def stop_gracefully(procs, fail, timeout_s=10):
    """SIGTERMs every process of {name: Popen}; each must exit 0 within
    timeout_s, else fail(message)."""
    import signal
    for p in procs.values():
        p.send_signal(signal.SIGTERM)
    for name, p in procs.items():
        try:
            rc = p.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            fail("%s did not exit within %d s of SIGTERM" % (name, timeout_s))
        if rc != 0:
            fail("%s exited %d after SIGTERM" % (name, rc))


def run_main(main, fail):
    """Runs main(); an unexpected exception becomes fail(...) so that the
    test's processes are cleaned up and its logs printed."""
    try:
        main()
    except SystemExit:
        raise
    except BaseException as e:  # noqa: BLE001
        import traceback
        traceback.print_exc()
        fail(repr(e))


# --- a real Apache Kafka (scripts/kafka.sh) -------------------------------

KAFKA_SH = os.path.join(ROOT, "scripts/kafka.sh")


def start_kafka(work, nodes=1):
    """Starts a real Apache Kafka 3.9.1 cluster of `nodes` combined
    broker+controller nodes with its data under work/kafka; returns
    (dir, bootstrap). The cluster also stops, and its directory goes, when
    this process exits however it exits (kafka.sh --owner); stop_kafka()
    stops it at once."""
    d = os.path.join(work, "kafka")
    r = subprocess.run(["bash", KAFKA_SH, "start", "--nodes", str(nodes), "--dir", d,
                        "--owner", str(os.getpid())], stdout=subprocess.PIPE, text=True)
    if r.returncode != 0:
        raise RuntimeError("scripts/kafka.sh start exited %d (its stderr is above)" % r.returncode)
    bootstrap = r.stdout.strip().splitlines()[-1]
    if not all(e.startswith("127.0.0.1:") for e in bootstrap.split(",")):
        stop_kafka(d)
        raise RuntimeError("bootstrap %r is not 127.0.0.1 only" % bootstrap)
    return d, bootstrap


def stop_kafka(d, timeout_s=15):
    """Stops the cluster in `d` (SIGKILL after timeout_s); no-op if none."""
    if os.path.exists(os.path.join(d, "cluster.env")):
        subprocess.run(["bash", KAFKA_SH, "stop", "--dir", d, "--timeout", str(timeout_s)],
                       stdout=subprocess.DEVNULL)


def kafka_node(d, verb, node):
    """kill-node (SIGKILL), stop-node (clean) or start-node (returns once
    the cluster lists it again) for node 1..N of the cluster in `d`."""
    subprocess.run(["bash", KAFKA_SH, verb, "--dir", d, "--node", str(node)],
                   stdout=subprocess.DEVNULL, check=True)


def create_topics(bootstrap, partitions, replication=1, configs=None, compacted=()):
    """Creates topics {name: partitions} with the admin API, each with
    `configs` ({name: value}); those in `compacted` get
    cleanup.policy=compact."""
    from kafka.admin import KafkaAdminClient, NewTopic
    admin = KafkaAdminClient(bootstrap_servers=bootstrap.split(","), request_timeout_ms=30000)
    topics = []
    for name, n in partitions.items():
        c = dict(configs or {})
        if name in compacted:
            c["cleanup.policy"] = "compact"
        topics.append(NewTopic(name, n, replication, topic_configs=c))
    try:
        result = admin.create_topics(topics, timeout_ms=30000)
        for name, code, message in result.topic_errors:
            if code != 0:
                raise RuntimeError("creating topic %s: error %d %s" % (name, code, message))
    finally:
        admin.close()
    # Created is not ready: each partition needs its leader elected first.
    deadline = time.time() + 60
    while True:
        meta = kafka_metadata(bootstrap) or {}
        if all(name in meta and len(meta[name]) == n and all(p[1] > 0 for p in meta[name])
               for name, n in partitions.items()):
            return
        if time.time() > deadline:
            raise RuntimeError("topics %s have no leaders after 60 s" % sorted(partitions))
        time.sleep(0.2)


def kafka_metadata(bootstrap, timeout_s=10):
    """{topic: [(partition, leader, replicas, isrs)]} from kcat -L -J (an
    outside client), or None when the cluster does not answer."""
    try:
        r = subprocess.run(["kcat", "-L", "-J", "-b", bootstrap, "-m", str(timeout_s)],
                           capture_output=True, text=True, timeout=timeout_s + 5)
    except subprocess.TimeoutExpired:
        return None
    if r.returncode != 0:
        return None
    out = {}
    for t in json.loads(r.stdout).get("topics", []):
        out[t["topic"]] = [(p["partition"], p["leader"], sorted(i["id"] for i in p["replicas"]),
                            sorted(i["id"] for i in p["isrs"])) for p in t["partitions"]]
    return out


def read_console_consumer(bootstrap, topic, timeout_s=120):
    """Every record of `topic` from the beginning, read by Apache Kafka's
    own Java console consumer (org.apache.kafka.tools.consumer.ConsoleConsumer
    from the jars scripts/kafka.sh resolves) with read_committed:
    [(partition, offset, key, value)] with value None for a tombstone.
    No deserializer is set, so DefaultMessageFormatter writes the raw bytes;
    records and fields are split on markers no protobuf here contains."""
    cp = subprocess.run(["bash", KAFKA_SH, "classpath"], stdout=subprocess.PIPE, text=True,
                        check=True).stdout.strip().splitlines()[-1]
    rec, field, null = "<<crawlstream-record>>", "<<crawlstream-field>>", "<<crawlstream-null>>"
    r = subprocess.run(
        ["java", "-Xmx256m", "-cp", cp, "-Dlog4j.configuration=file:/dev/null",
         "org.apache.kafka.tools.consumer.ConsoleConsumer", "--bootstrap-server", bootstrap,
         "--topic", topic, "--from-beginning", "--timeout-ms", "10000",
         "--isolation-level", "read_committed",
         "--property", "print.partition=true", "--property", "print.offset=true",
         "--property", "print.key=true", "--property", "key.separator=" + field,
         "--property", "line.separator=" + rec, "--property", "null.literal=" + null],
        capture_output=True, timeout=timeout_s)
    if r.returncode != 0:
        raise RuntimeError("ConsoleConsumer exited %d: %s" % (r.returncode, r.stderr[-800:]))
    # Each record: "Partition:P<field>Offset:O<field>KEY<field>VALUE<rec>".
    out = []
    for chunk in r.stdout.split(rec.encode())[:-1]:
        part, offset, key, value = chunk.split(field.encode(), 3)
        out.append((int(part.split(b":")[1]), int(offset.split(b":")[1]),
                    b"" if key == null.encode() else key, None if value == null.encode() else value))
    return out


def read_kcat(bootstrap, topic, timeout_s=300):
    """Every record of `topic` from the beginning to its end, read by kcat
    with isolation.level=read_committed: [(partition, offset, key, value)],
    value None for a tombstone. Keys and values are bytes."""
    r = subprocess.run(["kcat", "-q", "-C", "-b", bootstrap, "-t", topic, "-o", "beginning", "-e",
                        "-X", "isolation.level=read_committed", "-f", "%p %o %K %S\n%k%s\n"],
                       capture_output=True, timeout=timeout_s)
    if r.returncode != 0:
        raise RuntimeError("kcat exited %d: %s" % (r.returncode, r.stderr[-500:]))
    out, data, pos = [], r.stdout, 0
    while pos < len(data):
        nl = data.index(b"\n", pos)
        part, offset, klen, vlen = (int(x) for x in data[pos:nl].split())
        pos = nl + 1
        key = data[pos:pos + max(klen, 0)]
        pos += max(klen, 0)
        value = data[pos:pos + vlen] if vlen >= 0 else None
        pos += max(vlen, 0) + 1
        out.append((part, offset, key, value))
    return out
