#!/usr/bin/python3
"""A scriptable hostile HTTP server for the fetcher's http client tests.

Binds 127.0.0.1 on an ephemeral port, prints the port on stdout, and exits
on its own after TIMEOUT seconds (argv[1], default 60). Standard library
only. Each path is one misbehaviour; see ROUTES.
"""
import gzip
import os
import socket
import socketserver
import struct
import sys
import threading
import time

GZIP_BOMB = gzip.compress(b"\0" * (64 * 1024 * 1024), compresslevel=9)


def send(sock, status, headers=(), body=b""):
    head = "HTTP/1.1 %s\r\n" % status
    for k, v in headers:
        head += "%s: %s\r\n" % (k, v)
    sock.sendall(head.encode() + b"\r\n" + body)


def ok(sock, req):
    body = b"hello from hostile server"
    send(sock, "200 OK", [("Content-Type", "text/plain"), ("Content-Length", len(body))], body)


def echo_headers(sock, req):
    body = "\n".join("%s: %s" % kv for kv in req["headers"]).encode()
    send(sock, "200 OK", [("Content-Type", "text/plain"), ("Content-Length", len(body))], body)


def slow(sock, req):
    send(sock, "200 OK", [("Content-Type", "text/html")])
    while True:  # never ends, one byte at a time
        sock.sendall(b"x")
        time.sleep(0.5)


def gzip_bomb(sock, req):
    send(sock, "200 OK", [("Content-Type", "text/html"), ("Content-Encoding", "gzip"),
                          ("Content-Length", len(GZIP_BOMB))], GZIP_BOMB)


def big(sock, req):
    chunk = b"y" * 65536
    send(sock, "200 OK", [("Content-Type", "text/html")])  # no length: read until close
    for _ in range(64):  # 4 MiB
        sock.sendall(chunk)


def big_declared(sock, req):
    send(sock, "200 OK", [("Content-Type", "text/html"), ("Content-Length", 100 * 1024 * 1024)])


def redirect(location, code="302 Found"):
    def handler(sock, req):
        send(sock, code, [("Location", location), ("Content-Length", 0)])
    return handler


def too_many_requests(sock, req):
    send(sock, "429 Too Many Requests", [("Retry-After", "120"), ("Content-Length", 0)])


def unavailable_date(sock, req):
    send(sock, "503 Service Unavailable",
         [("Retry-After", "Fri, 31 Dec 2100 23:59:59 GMT"), ("Content-Length", 0)])


def reset(sock, req):
    send(sock, "200 OK", [("Content-Type", "text/html"), ("Content-Length", 100000)], b"z" * 1000)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()  # RST


def broken_chunked(sock, req):
    send(sock, "200 OK", [("Content-Type", "text/html"), ("Transfer-Encoding", "chunked")],
         b"5\r\nhello\r\nZZZZ\r\nnot a chunk\r\n0\r\n\r\n")


def etag(sock, req):
    if req["header_map"].get("if-none-match") == '"v1"':
        send(sock, "304 Not Modified", [("ETag", '"v1"')])
        return
    body = b"versioned"
    send(sock, "200 OK", [("ETag", '"v1"'), ("Last-Modified", "Fri, 05 Jul 2024 05:53:00 GMT"),
                          ("Content-Length", len(body))], body)


def gzip_ok(sock, req):
    body = gzip.compress("压缩的正文".encode() * 100)
    send(sock, "200 OK", [("Content-Type", "text/html; charset=utf-8"), ("Content-Encoding", "gzip"),
                          ("Content-Length", len(body))], body)


def robots_big(sock, req):
    body = b"User-agent: *\nDisallow: /early\n"
    filler = b"Disallow: /filler/path/that/is/long/enough\n"
    while len(body) < 600 * 1024:
        body += filler
    body += b"Disallow: /late\n"
    send(sock, "200 OK", [("Content-Type", "text/plain"), ("Content-Length", len(body))], body)


def robots_plain(sock, req):
    body = b"User-agent: *\nDisallow: /private\nCrawl-delay: 2\nSitemap: http://127.0.0.1/sitemap.xml\n"
    send(sock, "200 OK", [("Content-Type", "text/plain"), ("Content-Length", len(body))], body)


def gbk_page(sock, req):
    body = "<html><head><title>新闻</title></head><body><p>中文正文</p></body></html>".encode("gbk")
    send(sock, "200 OK", [("Content-Type", "text/html"), ("Content-Length", len(body))], body)


def server_error(sock, req):
    send(sock, "500 Internal Server Error", [("Content-Length", 0)])


def redirect_endless_body(sock, req):
    # A keep-alive 302 whose chunked body never ends: a client that drains
    # redirect bodies reads until its total timeout.
    send(sock, "302 Found", [("Location", "/ok"), ("Content-Type", "text/html"),
                             ("Transfer-Encoding", "chunked")])
    chunk = b"%x\r\n%s\r\n" % (65536, b"r" * 65536)
    while True:
        sock.sendall(chunk)


def redirect_with_body(sock, req):
    body = b"<html><body>moved <a href=/ok>here</a></body></html>" * 40  # ~2 KB
    send(sock, "302 Found", [("Location", "/ok"), ("Content-Type", "text/html"),
                             ("Content-Length", len(body))], body)


def trailer_flood(sock, req):
    # A 2-byte chunked body followed by 1 KB trailer lines (4 MiB in all).
    send(sock, "200 OK", [("Content-Type", "text/html"), ("Transfer-Encoding", "chunked")],
         b"2\r\nhi\r\n0\r\n")
    line = b"X-Trailer: " + b"t" * 1011 + b"\r\n"
    for _ in range(4096):
        sock.sendall(line)
    sock.sendall(b"\r\n")


def header_flood(sock, req):
    # 400 header lines of 1 KB: over libcurl's own 300 KB total.
    head = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n"
    head += (b"X-Flood: " + b"h" * 1013 + b"\r\n") * 400
    sock.sendall(head + b"\r\nok")


def continue_flood(sock, req):
    # 40,000 interim "100 Continue" responses (1 MB) before the real one.
    sock.sendall(b"HTTP/1.1 100 Continue\r\n\r\n" * 40000)
    send(sock, "200 OK", [("Content-Length", 2)], b"ok")


def huge_header_line(sock, req):
    # One 4 MB header line: over libcurl's 100 KB per line.
    sock.sendall(b"HTTP/1.1 200 OK\r\nX-Big: " + b"b" * (4 << 20) + b"\r\nContent-Length: 2\r\n\r\nok")


def sitemap_index(children):
    body = '<?xml version="1.0" encoding="UTF-8"?>\n'
    body += '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
    for c in children:
        body += "<sitemap><loc>%s</loc></sitemap>\n" % c
    return (body + "</sitemapindex>\n").encode()


def sitemap_chain(sock, req):
    # /sitemap-chain/N lists /sitemap-chain/N+1, without end.
    n = int(req["path"].rsplit("/", 1)[1] or 0)
    body = sitemap_index(["/sitemap-chain/%d" % (n + 1)])
    send(sock, "200 OK", [("Content-Type", "application/xml"), ("Content-Length", len(body))], body)


def sitemap_fanout(sock, req):
    # /sitemap-fanout/P lists /sitemap-fanout/P-0 ... /sitemap-fanout/P-4.
    path = req["path"]
    body = sitemap_index(["%s-%d" % (path, i) for i in range(5)])
    send(sock, "200 OK", [("Content-Type", "application/xml"), ("Content-Length", len(body))], body)


def index_as_page(sock, req):
    # A URL that looks like a page but answers with a sitemap index.
    body = sitemap_index(["/sitemap-chain/100"])
    send(sock, "200 OK", [("Content-Type", "application/xml"), ("Content-Length", len(body))], body)


# /news-feed: an RSS feed that gains items as it is polled. The n-th
# request (304s included) sees NEWS_FEED_ITEMS[n-1] dated items (the last
# count from then on), oldest first in the document, plus one item from
# 2001; the ETag names the count, so an unchanged feed answers 304.
NEWS_FEED_ITEMS = [1, 1, 2, 3]
news_feed_polls = [0]
news_feed_lock = threading.Lock()


def news_feed(sock, req):
    with news_feed_lock:
        news_feed_polls[0] += 1
        n = NEWS_FEED_ITEMS[min(news_feed_polls[0], len(NEWS_FEED_ITEMS)) - 1]
    tag = '"items-%d"' % n
    if req["header_map"].get("if-none-match") == tag:
        send(sock, "304 Not Modified", [("ETag", tag)])
        return
    body = '<?xml version="1.0"?>\n<rss version="2.0"><channel><title>news</title>\n'
    body += ('<item><link>/news/ancient</link>'
             '<pubDate>Mon, 01 Jan 2001 00:00:00 GMT</pubDate></item>\n')
    for i in range(1, n + 1):
        body += ('<item><link>/news/%d</link><pubDate>Wed, 0%d Jul 2024 10:00:00 +0000</pubDate>'
                 '</item>\n' % (i, i))
    body = (body + "</channel></rss>\n").encode()
    send(sock, "200 OK", [("Content-Type", "application/rss+xml"), ("ETag", tag),
                          ("Content-Length", len(body))], body)


# /edited: an article page without validators that is corrected once: the
# first EDITED_AFTER requests get version 1, the later ones version 2.
EDITED_AFTER = 2
edited_requests = [0]


def edited(sock, req):
    with news_feed_lock:
        edited_requests[0] += 1
        version = 1 if edited_requests[0] <= EDITED_AFTER else 2
    body = ("<html><head><title>Story</title></head><body><article><p>Version %d of the "
            "story.</p></article></body></html>" % version).encode()
    send(sock, "200 OK", [("Content-Type", "text/html"), ("Content-Length", len(body))], body)


ROUTES = {
    "/news-feed": news_feed,
    "/edited": edited,
    "/ok": ok,
    "/echo-headers": echo_headers,
    "/slow": slow,
    "/gzip-bomb": gzip_bomb,
    "/gzip": gzip_ok,
    "/big": big,
    "/big-declared": big_declared,
    "/redirect-loop": redirect("/redirect-loop-b"),
    "/redirect-loop-b": redirect("/redirect-loop"),
    "/redirect-chain": redirect("/redirect-chain-2", "301 Moved Permanently"),
    "/redirect-chain-2": redirect("/ok"),
    "/redirect-private": redirect("http://10.0.0.1:8080/secret"),
    "/redirect-metadata": redirect("http://169.254.169.254/latest/meta-data/"),
    "/redirect-ftp": redirect("ftp://127.0.0.1/file"),
    "/429": too_many_requests,
    "/503-date": unavailable_date,
    "/reset": reset,
    "/broken-chunked": broken_chunked,
    "/etag": etag,
    "/500": server_error,
    "/gbk": gbk_page,
    "/robots-big": robots_big,
    "/robots-plain": robots_plain,
    "/robots-redirect": redirect("/robots-plain", "301 Moved Permanently"),
    "/redirect-endless-body": redirect_endless_body,
    "/redirect-with-body": redirect_with_body,
    "/trailer-flood": trailer_flood,
    "/header-flood": header_flood,
    "/continue-flood": continue_flood,
    "/huge-header-line": huge_header_line,
    "/index-as-page": index_as_page,
}

# Paths served by one handler whatever follows the prefix.
PREFIX_ROUTES = {
    "/sitemap-chain/": sitemap_chain,
    "/sitemap-fanout/": sitemap_fanout,
}

# Handlers after which the connection is closed (their responses have no
# usable end, or the client gave up on them).
CLOSING = {slow, big, reset, broken_chunked, redirect_endless_body, trailer_flood, header_flood,
           continue_flood, huge_header_line}


def route(path):
    if path in ROUTES:
        return ROUTES[path]
    for prefix, handler in PREFIX_ROUTES.items():
        if path.startswith(prefix):
            return handler
    return None


class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        sock = self.request
        sock.settimeout(30)
        data = b""
        try:
            while True:  # keep-alive: serve requests until the client closes
                while b"\r\n\r\n" not in data:
                    more = sock.recv(65536)
                    if not more:
                        return
                    data += more
                head, data = data.split(b"\r\n\r\n", 1)
                lines = head.decode("latin-1").split("\r\n")
                parts = lines[0].split(" ")
                path = parts[1].split("?")[0] if len(parts) > 1 else "/"
                headers = [tuple(x.strip() for x in line.split(":", 1)) for line in lines[1:] if ":" in line]
                req = {"path": path, "headers": headers,
                       "header_map": {k.lower(): v for k, v in headers}}
                handler = route(path)
                if handler is None:
                    send(sock, "404 Not Found", [("Content-Length", 0)])
                else:
                    handler(sock, req)
                    if handler in CLOSING:
                        return
        except OSError:
            return
        finally:
            try:
                sock.close()
            except OSError:
                pass


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


# /robots.txt answers as HOSTILE_ROBOTS says: "404" (default), "500",
# "redirect", "big" or "plain" (crawler tests set it per server).
ROBOTS_MODES = {"500": server_error, "redirect": redirect("/robots-plain", "301 Moved Permanently"),
                "big": robots_big, "plain": robots_plain}


def main():
    timeout = float(sys.argv[1]) if len(sys.argv) > 1 else 60.0
    mode = os.environ.get("HOSTILE_ROBOTS", "404")
    if mode in ROBOTS_MODES:
        ROUTES["/robots.txt"] = ROBOTS_MODES[mode]
    server = Server(("127.0.0.1", 0), Handler)
    print(server.server_address[1], flush=True)
    threading.Timer(timeout, lambda: os._exit(0)).start()
    server.serve_forever()


if __name__ == "__main__":
    main()
