#!/usr/bin/env python3
"""Fixed train/validation split of the labelled sets, by site.

usage: split.py [--corpus DIR] [--out FILE]   (rewrites split.json)

Rule (deterministic, no randomness):
  1. Each page gets a host:
     - wcxb-dev: the ground truth's `domain` field;
     - zh-news-dev (no URL in its answers): from the raw bytes, the first of
       <link rel=canonical href>, <meta property=og:url content>, or the
       first <a href="http(s)://..."> on the page ("//host/..." and
       "host.tld/..." forms are read as http URLs); a page with none of
       these uses its own id as its host, so it forms a site of its own.
  2. The host is reduced to its site: lower-cased, port dropped, then the
     last two labels, or the last three when the second-to-last label is a
     generic second level under a two-letter country code ("co.uk",
     "com.cn", "gov.cn", ...). So business.sohu.com and www.sohu.com are one
     site, and so are cloud.google.com and google.com.
  3. validation if int(sha1(site).hexdigest(), 16) % 10 < 3, else train
     (~30 % of sites in validation). All pages of a site share a split.

The result is committed as split.json ({set: {page id: {site, split}}}) so
the assignment stays put even if this rule or the corpus changes; score.py
reads split.json and falls back to this rule only for pages missing from it.
Standard library only.
"""
import argparse
import gzip
import hashlib
import json
import os
import re
import sys
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
DEFAULT_CORPUS = os.path.join(REPO, "..", "shared", "corpus")
SPLIT_FILE = os.path.join(HERE, "split.json")
VALIDATION_BUCKETS = 3  # of 10

SECOND_LEVEL = {"ac", "co", "com", "edu", "go", "gob", "gouv", "gov", "ltd",
                "mil", "ne", "net", "or", "org", "plc", "sch"}

CANONICAL_RE = re.compile(
    r"<link\b[^>]*\brel\s*=\s*[\"']?canonical\b[^>]*>", re.IGNORECASE)
OG_URL_RE = re.compile(r"<meta\b[^>]*\bog:url\b[^>]*>", re.IGNORECASE)
ANCHOR_RE = re.compile(
    r"<a\b[^>]*?\bhref\s*=\s*[\"']?(https?://[^\"'\s>]+)", re.IGNORECASE)


def attr(tag, name):
    m = re.search(r"\b%s\s*=\s*[\"']?([^\"'\s>]+)" % name, tag, re.IGNORECASE)
    return m.group(1) if m else ""


def host_of(url):
    """Host of an absolute, protocol-relative or scheme-less URL, or ""."""
    url = (url or "").strip()
    if url.startswith("//"):
        url = "http:" + url
    elif not re.match(r"^[a-z][a-z0-9+.-]*://", url, re.IGNORECASE):
        if not re.match(r"^[\w-]+(\.[\w-]+)+(/|$)", url):
            return ""
        url = "http://" + url
    try:
        return (urllib.parse.urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


def site_of(host):
    """Registrable part of a host (approximation, see module docstring)."""
    labels = [l for l in host.lower().split(":")[0].strip(".").split(".") if l]
    if all(l.isdigit() for l in labels):
        return ".".join(labels)  # an IP address is its own site
    if len(labels) >= 3 and len(labels[-1]) == 2 and labels[-2] in SECOND_LEVEL:
        return ".".join(labels[-3:])
    return ".".join(labels[-2:])


def host_from_html(raw):
    """Host named by a page's canonical link, og:url or first absolute link."""
    text = raw.decode("latin-1")
    for tag_re, name in ((CANONICAL_RE, "href"), (OG_URL_RE, "content")):
        for tag in tag_re.findall(text):
            host = host_of(attr(tag, name))
            if host:
                return host
    for url in ANCHOR_RE.findall(text):
        host = host_of(url)
        if host:
            return host
    return ""


def split_of(site):
    bucket = int(hashlib.sha1(site.encode("utf-8")).hexdigest(), 16) % 10
    return "validation" if bucket < VALIDATION_BUCKETS else "train"


def assign(site):
    return {"site": site, "split": split_of(site)}


def wcxb_sites(corpus):
    path = os.path.join(corpus, "wcxb-dev", "ground-truth.jsonl.gz")
    out = {}
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for line in f:
            if line.strip():
                gt = json.loads(line)
                out[gt["id"]] = site_of(gt["domain"])
    return out


def zh_sites(corpus):
    root = os.path.join(corpus, "zh-news-dev")
    with open(os.path.join(root, "ground-truth.json"), encoding="utf-8") as f:
        ids = sorted(json.load(f))
    out = {}
    for page_id in ids:
        with open(os.path.join(root, "html", page_id + ".html"), "rb") as f:
            host = host_from_html(f.read())
        out[page_id] = site_of(host) if host else page_id
    return out


SITE_FUNCTIONS = {"wcxb-dev": wcxb_sites, "zh-news-dev": zh_sites}


def build(corpus):
    result = {}
    for name, fn in SITE_FUNCTIONS.items():
        if os.path.isdir(os.path.join(corpus, name)):
            result[name] = {pid: assign(site) for pid, site in sorted(fn(corpus).items())}
    return result


def write(result, path):
    """split.json with one page per line, so diffs stay readable."""
    with open(path, "w", encoding="utf-8") as f:
        f.write("{\n")
        for i, (name, pages) in enumerate(sorted(result.items())):
            f.write("%s: {\n" % json.dumps(name))
            lines = ["  %s: %s" % (json.dumps(pid), json.dumps(v, sort_keys=True))
                     for pid, v in sorted(pages.items())]
            f.write(",\n".join(lines))
            f.write("\n}%s\n" % ("," if i + 1 < len(result) else ""))
        f.write("}\n")


def load(path=SPLIT_FILE):
    """{set: {page id: {"site", "split"}}} from split.json ({} if absent)."""
    if not os.path.exists(path):
        return {}
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", default=DEFAULT_CORPUS)
    ap.add_argument("--out", default=SPLIT_FILE)
    args = ap.parse_args(argv[1:])
    result = build(args.corpus)
    write(result, args.out)
    for name, pages in result.items():
        val = sum(1 for p in pages.values() if p["split"] == "validation")
        sites = {p["site"] for p in pages.values()}
        val_sites = {p["site"] for p in pages.values() if p["split"] == "validation"}
        print("%-12s %5d pages, %4d validation (%.0f%%); %4d sites, %4d validation" %
              (name, len(pages), val, 100.0 * val / max(len(pages), 1),
               len(sites), len(val_sites)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
