#!/usr/bin/python3
"""Scores `crawlstream extract` on a labelled corpus (zh-news-dev layout).

usage: score_extractor.py BINARY [CORPUS_DIR] [--verbose] [--json]

BINARY is the `crawlstream` CLI, run as `BINARY extract FILE...` (any
name or copy of it will do). CORPUS_DIR defaults to
../shared/corpus/zh-news-dev relative to the repository root and must hold
html/<id>.html and ground-truth.json.

Body F1 as the corpus README defines it: tokens are single Han/kana/hangul
characters and runs of other word characters; 4-token shingles as a
multiset; precision and recall per document, averaged over documents; F1
from the two averages. A page the extractor rejects scores P = R = 0.
Author accuracy: on pages whose answer is not UNKNOWN, the set of names
(split on white space, 、 and commas) must equal `authors`, or `editors`
when the page names no writer (the answers give the 责任编辑 as author on
such pages). Date accuracy: on pages
whose answer is a date, every component the answer gives (year, month, day,
hour, minute, second) must equal published_at's; a second, stricter figure
counts a month-precision published_at (published_precision MONTH: the first
of the month) only for an answer without a day ("1996-6"), never when the
answer's day happens to be the 1st.
Standard library only.
"""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))), "bench", "extraction"))
# The scoring rules live in bench/extraction/metrics.py, shared with the
# quality harness bench/extraction/score.py (which also scores wcxb-dev and
# runs reference extractors).
from metrics import date_ok, date_parts, is_date, precision_recall, split_names  # noqa: E402


def run_extract(binary, files):
    out = subprocess.run([binary, "extract"] + files, capture_output=True, check=False)
    results = {}
    for line in out.stdout.decode("utf-8", "replace").splitlines():
        if not line.strip():
            continue
        obj = json.loads(line)
        results[obj.get("source_path")] = obj
    return results


def main(argv):
    args = [a for a in argv[1:] if not a.startswith("--")]
    verbose = "--verbose" in argv
    if not args:
        print(__doc__, file=sys.stderr)
        return 2
    binary = os.path.abspath(args[0])
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    corpus = args[1] if len(args) > 1 else os.path.join(
        repo, "..", "shared", "corpus", "zh-news-dev")
    with open(os.path.join(corpus, "ground-truth.json"), encoding="utf-8") as f:
        truth = json.load(f)
    ids = sorted(truth)
    files = [os.path.join(corpus, "html", i + ".html") for i in ids]
    results = run_extract(binary, files)

    rows = []
    sum_p = sum_r = 0.0
    author_n = author_ok = date_n = date_hits = date_strict = 0
    for doc_id, path in zip(ids, files):
        gt = truth[doc_id]
        got = results.get(path, {"error": "missing output"})
        p, r = precision_recall(got.get("body", ""), gt.get("articleBody", ""))
        sum_p += p
        sum_r += r
        a_mark = d_mark = "-"
        if gt.get("author", "UNKNOWN") not in ("UNKNOWN", ""):
            author_n += 1
            names = got.get("authors") or got.get("editors") or []
            ok = split_names(gt["author"]) == split_names(" ".join(names))
            author_ok += ok
            a_mark = "ok" if ok else "MISS"
        if is_date(gt.get("date", "")):
            date_n += 1
            ok = date_ok(gt["date"], got.get("published_at", ""))
            date_hits += ok
            # A month-precision output (day 1) only counts for an answer
            # without a day: never by luck on the 1st.
            partial = len(date_parts(gt["date"])) < 3
            month = got.get("published_precision", "") == "TIME_PRECISION_MONTH"
            date_strict += ok and (partial or not month)
            d_mark = "ok" if ok else "MISS"
        rows.append((doc_id, p, r, a_mark, d_mark, got, gt))

    print("%-38s %6s %6s %6s %6s" % ("document", "P", "R", "author", "date"))
    for doc_id, p, r, a, d, got, gt in rows:
        print("%-38s %6.3f %6.3f %6s %6s" % (doc_id, p, r, a, d))
        if verbose and (a == "MISS" or d == "MISS" or p < 0.9 or r < 0.9):
            print("    error=%s" % got.get("error", ""))
            print("    author want=%r got=%r" % (gt.get("author"), got.get("authors")))
            print("    date   want=%r got=%r" % (gt.get("date"), got.get("published_at")))
    n = len(rows)
    avg_p, avg_r = sum_p / n, sum_r / n
    f1 = 2 * avg_p * avg_r / (avg_p + avg_r) if avg_p + avg_r else 0.0
    print()
    print("documents        %d" % n)
    print("body precision   %.4f" % avg_p)
    print("body recall      %.4f" % avg_r)
    print("body F1          %.4f   (target >= 0.93)" % f1)
    print("author accuracy  %.1f%%  (%d/%d pages with an author; target >= 85%%)" %
          (100.0 * author_ok / max(author_n, 1), author_ok, author_n))
    print("date accuracy    %.1f%%  (%d/%d pages with a date; target >= 85%%)" %
          (100.0 * date_hits / max(date_n, 1), date_hits, date_n))
    print("date (strict)    %.1f%%  (%d/%d; month precision counts only for "
          "answers without a day)" %
          (100.0 * date_strict / max(date_n, 1), date_strict, date_n))
    if "--json" in argv:
        print(json.dumps({"f1": f1, "precision": avg_p, "recall": avg_r,
                          "author": author_ok / max(author_n, 1),
                          "date": date_hits / max(date_n, 1),
                          "date_strict": date_strict / max(date_n, 1)}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
