#!/usr/bin/env python3
"""Serves a fixture site with nginx on 127.0.0.1, on a port the OS picks.

    nginx_site.py --root DIR [--port-file F] [--timeout SECONDS]

Prints the base URL (http://127.0.0.1:PORT) on stdout once nginx answers,
writes the port to F if given, and stops nginx by itself after --timeout
seconds (default 600), on SIGTERM/SIGINT, or when stdin closes with
--stop-on-eof. Used by tests, benchmarks and scripts/run-example.sh; it
never listens on anything but 127.0.0.1.
"""
import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

CONF = """
worker_processes 1;
{user}
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    include {mime};
    default_type application/octet-stream;
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 100000;
    keepalive_timeout 60s;
    gzip on;
    gzip_types text/plain text/css application/xml application/rss+xml application/atom+xml text/xml application/json;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    server {{
        listen 127.0.0.1:{port};
        server_name localhost;
        root {root};
        etag on;
        location / {{ try_files $uri $uri/index.html =404; }}
        {extra}
    }}
}}
"""


def die_with_parent():
    """Runs in the nginx child before exec: SIGTERM it when this script dies,
    even by SIGKILL, so no nginx outlives its test."""
    import ctypes
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def find_nginx():
    for candidate in ("/usr/sbin/nginx", shutil.which("nginx")):
        if candidate and os.path.exists(candidate):
            return candidate
    sys.exit("nginx_site: nginx is not installed (run scripts/install-deps.sh)")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", required=True)
    ap.add_argument("--port-file")
    ap.add_argument("--timeout", type=float, default=600)
    ap.add_argument("--extra", default="", help="extra nginx directives for the server block")
    ap.add_argument("--stop-on-eof", action="store_true")
    args = ap.parse_args()

    nginx = find_nginx()
    tmp = tempfile.mkdtemp(prefix="crawlstream-nginx-")
    root = os.path.abspath(args.root)
    proc = None
    for _ in range(5):
        port = free_port()
        with open(os.path.join(tmp, "nginx.conf"), "w") as f:
            f.write(CONF.format(tmp=tmp, port=port, root=root, mime="/etc/nginx/mime.types",
                                user="user root;" if os.geteuid() == 0 else "",
                                extra=args.extra))
        proc = subprocess.Popen([nginx, "-p", tmp, "-c", os.path.join(tmp, "nginx.conf"),
                                 "-g", "daemon off;"], stderr=subprocess.DEVNULL,
                                preexec_fn=die_with_parent)
        url = "http://127.0.0.1:%d" % port
        ok = False
        for _ in range(100):
            if proc.poll() is not None:
                break
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    ok = True
                    break
            except OSError:
                time.sleep(0.05)
        if ok:
            break
        if proc.poll() is None:
            proc.terminate()
        proc.wait()
        proc = None
    if proc is None:
        err = open(os.path.join(tmp, "error.log")).read() if os.path.exists(os.path.join(tmp, "error.log")) else ""
        sys.exit("nginx_site: nginx did not start: " + err)

    def stop(*_):
        if proc.poll() is None:
            proc.send_signal(signal.SIGQUIT)
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
        shutil.rmtree(tmp, ignore_errors=True)
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    if args.port_file:
        with open(args.port_file + ".tmp", "w") as f:
            f.write("%d\n" % port)
        os.rename(args.port_file + ".tmp", args.port_file)
    print(url, flush=True)
    if args.stop_on_eof:
        import threading
        threading.Thread(target=lambda: (sys.stdin.read(), os.kill(os.getpid(), signal.SIGTERM)),
                         daemon=True).start()
    deadline = time.time() + args.timeout
    while time.time() < deadline and proc.poll() is None:
        time.sleep(0.2)
    stop()


if __name__ == "__main__":
    main()
