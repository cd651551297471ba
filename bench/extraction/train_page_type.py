#!/usr/bin/env python3
"""Trains the extractor's page-type model (is this page an article?).

usage: train_page_type.py [--bin build/services/cli/crawlstream]
                          [--corpus ../shared/corpus] [--write]

Runs `crawlstream extract --features --keep-non-articles` over the wcxb-dev
pages of the *train* split (bench/extraction/split.json), fits an
L2-regularised logistic regression (label: page_type == "article") on the
standardised features, picks the threshold as the 0.25th percentile of
the train articles' probabilities (1 in 400 train articles falls below
it: when unsure, publish), and reports what that threshold does on the
validation split (articles rejected; non-articles still published, by
type) and on zh-news-dev (every page is an article). With --write it
rewrites services/extractor/page_type_model.inc, which the C++ model
compiles in; the run is deterministic (fixed iterations, no randomness),
so the same binary and corpus give the same weights.

Standard library only.
"""
import argparse
import collections
import gzip
import json
import math
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
MODEL_FILE = os.path.join(REPO, "services", "extractor", "page_type_model.inc")
L2 = 0.01
ITERATIONS = 3000
LEARNING_RATE = 0.5
ARTICLE_QUANTILE = 0.0025
# Features computed but given no weight: the URL's slug shape is an
# English-web habit (Chinese news URLs are numeric ids, /2024/0512/c1001-
# 4012.html), so it would reject the Chinese news the pipeline is for.
EXCLUDED = {"url_slug_words", "url_depth"}
# The model judges only languages it saw this many train pages of.
MIN_LANGUAGE_PAGES = 100


def cache_pages(corpus, cache):
    """Decompresses wcxb-dev pages once; returns {id: (path, url, type)}."""
    root = os.path.join(corpus, "wcxb-dev")
    out_dir = os.path.join(cache, "wcxb-dev", "html")
    os.makedirs(out_dir, exist_ok=True)
    pages = {}
    with gzip.open(os.path.join(root, "ground-truth.jsonl.gz"), "rt", encoding="utf-8") as f:
        for line in f:
            g = json.loads(line)
            path = os.path.join(out_dir, g["id"] + ".html")
            if not os.path.exists(path):
                with gzip.open(os.path.join(root, "html", g["id"] + ".html.gz"), "rb") as src:
                    data = src.read()
                with open(path, "wb") as dst:
                    dst.write(data)
            pages[g["id"]] = (path, g["url"], g["page_type"])
    return pages


def run_features(binary, items, cache):
    """{key: features dict or None} for [(key, path, url)]."""
    manifest = os.path.join(cache, "page-type-manifest.tsv")
    with open(manifest, "w", encoding="utf-8") as m:
        for _, path, url in items:
            m.write(path + ("\t" + url if url else "") + "\n")
    by_path = {path: key for key, path, _ in items}
    out = subprocess.run([binary, "extract", "--features", "--keep-non-articles",
                          "--manifest", manifest], check=True, capture_output=True,
                         text=True).stdout
    result = {}
    for line in out.splitlines():
        j = json.loads(line)
        pairs = j.get("page_features")
        # An ordered dict: the model's feature order is the binary's.
        result[by_path[j["source_path"]]] = dict(pairs) if pairs else None
        LANGUAGES[by_path[j["source_path"]]] = j.get("language", "")
    return result


LANGUAGES = {}  # page key -> language crawlstream gave it (empty when rejected)


def standardise(rows, names):
    means, scales = [], []
    for k in range(len(names)):
        col = [r[k] for r in rows]
        mean = sum(col) / len(col)
        var = sum((x - mean) ** 2 for x in col) / len(col)
        means.append(mean)
        scales.append(math.sqrt(var) if var > 1e-12 else 1.0)
    return means, scales


def sigmoid(z):
    if z < -40:
        return 0.0
    if z > 40:
        return 1.0
    return 1.0 / (1.0 + math.exp(-z))


def fit(xs, ys):
    """Batch gradient descent on mean log loss + L2/2 |w|^2 (bias free)."""
    n, d = len(xs), len(xs[0])
    w = [0.0] * (d + 1)
    for _ in range(ITERATIONS):
        grad = [0.0] * (d + 1)
        for x, y in zip(xs, ys):
            p = sigmoid(w[0] + sum(wi * xi for wi, xi in zip(w[1:], x)))
            e = p - y
            grad[0] += e
            for k in range(d):
                grad[k + 1] += e * x[k]
        for k in range(d + 1):
            reg = L2 * w[k] if k > 0 else 0.0
            w[k] -= LEARNING_RATE * (grad[k] / n + reg)
    return w


def probability(w, means, scales, feats, names):
    x = [(feats[name] - means[k]) / scales[k] for k, name in enumerate(names)]
    return sigmoid(w[0] + sum(wi * xi for wi, xi in zip(w[1:], x)))


def write_model(w, means, scales, threshold, names, languages):
    def arr(values):
        return ", ".join("%.6g" % v for v in values)
    with open(MODEL_FILE, "w", encoding="utf-8") as f:
        f.write("// Generated by bench/extraction/train_page_type.py; do not edit.\n")
        f.write("// Features, in order: %s.\n" % ", ".join(names))
        f.write("constexpr double kModelWeights[] = {%s};\n" % arr(w))
        f.write("constexpr double kModelMeans[] = {%s};\n" % arr(means))
        f.write("constexpr double kModelScales[] = {%s};\n" % arr(scales))
        f.write("constexpr double kModelThreshold = %.6g;\n" % threshold)
        f.write("// Languages with at least %d train pages; others are never rejected.\n"
                % MIN_LANGUAGE_PAGES)
        f.write("constexpr std::string_view kModelLanguages[] = {%s};\n" %
                ", ".join('"%s"' % l for l in languages))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bin", default=os.path.join(REPO, "build", "services", "cli", "crawlstream"))
    ap.add_argument("--corpus", default=os.path.join(REPO, "..", "shared", "corpus"))
    ap.add_argument("--write", action="store_true", help="rewrite page_type_model.inc")
    args = ap.parse_args()
    cache = os.path.join(REPO, "build", "extraction-cache")
    split = json.load(open(os.path.join(HERE, "split.json"), encoding="utf-8"))
    pages = cache_pages(args.corpus, cache)
    items = [(pid, path, url) for pid, (path, url, _) in pages.items()]
    zh_dir = os.path.join(args.corpus, "zh-news-dev", "html")
    zh_items = [("zh:" + f[:-5], os.path.join(zh_dir, f), "") for f in sorted(os.listdir(zh_dir))]
    feats = run_features(args.bin, items + zh_items, cache)
    names = list(next(f for f in feats.values() if f).keys())

    def rows(part):
        out = []
        for pid, (_, _, ptype) in pages.items():
            if split["wcxb-dev"][pid]["split"] == part and feats.get(pid):
                out.append((pid, ptype, feats[pid]))
        return out

    train, valid = rows("train"), rows("validation")
    raw = [[f[name] for name in names] for _, _, f in train]
    means, scales = standardise(raw, names)
    xs = [[(r[k] - means[k]) / scales[k] for k in range(len(names))] for r in raw]
    ys = [1.0 if t == "article" else 0.0 for _, t, _ in train]
    keep = [0.0 if name in EXCLUDED else 1.0 for name in names]
    xs = [[xi * k for xi, k in zip(x, keep)] for x in xs]
    w = fit(xs, ys)
    train_article_p = sorted(probability(w, means, scales, f, names)
                             for _, t, f in train if t == "article")
    threshold = train_article_p[int(ARTICLE_QUANTILE * len(train_article_p))]

    print("features (standardised weight):")
    for name, weight in sorted(zip(names, w[1:]), key=lambda p: -abs(p[1])):
        print("  %-26s %+.3f" % (name, weight))
    print("threshold %.4f (%.4gth percentile of %d train articles)" %
          (threshold, 100 * ARTICLE_QUANTILE, len(train_article_p)))
    for label, part in (("train", train), ("validation", valid)):
        rejected = collections.Counter()
        total = collections.Counter()
        for _, t, f in part:
            total[t] += 1
            if probability(w, means, scales, f, names) < threshold:
                rejected[t] += 1
        arts = total["article"]
        print("%-10s articles rejected %d/%d (%.1f%%); non-articles still published:" %
              (label, rejected["article"], arts, 100.0 * rejected["article"] / max(arts, 1)))
        for t in sorted(total):
            if t != "article":
                print("    %-14s %d/%d" % (t, total[t] - rejected[t], total[t]))
    zh = [f for key, f in feats.items() if key.startswith("zh:") and f]
    zh_rejected = sum(1 for f in zh if probability(w, means, scales, f, names) < threshold)
    print("zh-news-dev articles rejected %d/%d" % (zh_rejected, len(zh)))
    counts = collections.Counter(LANGUAGES.get(pid, "") for pid, _, _ in train)
    languages = sorted(l for l, n in counts.items() if l and n >= MIN_LANGUAGE_PAGES)
    print("train languages %s; the model judges %s" % (dict(counts.most_common(6)), languages))
    if args.write:
        write_model(w, means, scales, threshold, names, languages)
        print("wrote", os.path.relpath(MODEL_FILE, REPO))
    return 0


if __name__ == "__main__":
    sys.exit(main())
