"""Shared pieces of the Python end-to-end tests and load benchmarks: the
protobuf classes generated from proto/, a fixture site served by nginx on
127.0.0.1, and `crawlstream broker` as a separate process. Everything
listens on 127.0.0.1 on ports the OS picks and stops with its test."""
import os
import shutil
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


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
