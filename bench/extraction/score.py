#!/usr/bin/env python3
"""Extraction quality harness: scores `crawlstream extract` on every labelled
set in ../shared/corpus and, in the same run, reference extractors on the same
pages.

usage: python3 bench/extraction/score.py [--set wcxb-dev|zh-news-dev]
           [--split train|validation|all] [--limit N] [--bin PATH]
           [--references none|readability|trafilatura|all] [--json FILE]
           [--per-page FILE.tsv] [--check FLOORS.json] [--corpus DIR]
           [--cache DIR] [--timeout S]

Sets (see each README in the corpus):
  wcxb-dev     html/<id>.html.gz (decompressed once into
               build/extraction-cache/html/) + ground-truth.jsonl.gz; the
               page's URL is passed to every extractor.
  zh-news-dev  html/<id>.html raw bytes + ground-truth.json; no URL (crawlstream
               sees file://PATH, the references none). Every page is an article.

Metrics (rules in bench/extraction/metrics.py), per set and split:
  F1w      WCXB word F1: `\\w+` tokens lower-cased, bag of words, F1 per page,
           averaged over pages. On Chinese text a `\\w+` token is a whole
           clause, so F1w is harsh there; F1-4g is the figure for zh.
  F1-4g    4-token shingle F1 (each CJK character one token, other \\w runs one
           token): P and R per page, averaged; F1 from the two averages.
           Both F1s: a rejected page (crawlstream `error`, a reference's empty
           output, error or timeout) scores 0. "art" = article pages only (the
           headline), "all" = every page.
  with%    share of wcxb `with` snippets found in the extracted text (white
           space collapsed, case-insensitive); w/o% share of `without`
           snippets wrongly present. Article pages only.
  rej-art% share of article pages rejected (no text).
  pub-non% share of non-article pages published (wcxb page_type != article).
           The references have no article classifier: for them these two
           columns only say how often they return nothing.
  title%   article pages with a title in the answer: normalised (NFKC, white
           space, case; the answer's HTML entities decoded, the extractor's
           not) titles equal, or one contains the other and the shorter is
           >= 80 % of the longer (--json and --per-page tell "exact" from
           "contains").
  author%  article pages whose answer names an author. wcxb: set of names,
           case-insensitive, "By " dropped, split on , ; & | and " and ",
           credentials ("MS", "Ph.D.") ignored. zh: the existing rule of
           scripts/score_extractor.py (authors, or editors when the page names
           no writer; answers "UNKNOWN" skipped). "-": the tool gives none.
  date%    article pages whose answer has a date. wcxb: same calendar day as
           publish_date (as written in published_at, before any UTC shift);
           zh: every component the answer gives (down to the second) must
           match, as in scripts/score_extractor.py (--json also gives
           date_day: same calendar day, on both sets).
  docs/s   crawlstream: pages / wall time of `crawlstream extract --manifest`
           run as 2 processes (half the pages each), process start included.
           References: pages / (sum of per-page seconds in the workers / 2),
           i.e. throughput of 2 workers, interpreter start and imports
           excluded; per-page seconds are cached with the output. --json also
           gives cpu_docs_per_s (the same from CPU time, immune to other load
           on the machine); a note follows the table when something else used
           the cores meanwhile (crawlstream: other processes took > 25 % of
           the machine's CPU during the run, from /proc/stat; references:
           per-page wall time > 1.3 x CPU time).
  Language: per page from the answer text: CJK letters > 30 % -> zh (ja/ko
           when kana/hangul dominate), other scripts likewise, else the most
           frequent of a few stop-word lists (en de fr es it pt nl), else
           "other" (in wcxb-dev: empty answers and product/price lists).

Split: bench/extraction/split.py documents the rule (sha1 of the site mod 10
< 3 -> validation); split.json holds the committed assignment. By default the
table shows train, validation and all side by side; breakdowns by page type
and by language cover the pages of the chosen split(s).

References (optional, in separate worker processes, cached under
build/extraction-cache/<tool>-<version>/<set>/<id>.json; crawlstream output is
never cached): readability-lxml from Debian (python3-readability +
python3-html-text) and trafilatura pinned in build/ref-venv; install both with
bench/extraction/install_references.sh.

--check FLOORS.json compares crawlstream's validation figures with the floors
({set: {"min": {metric: x}, "max": {metric: x}}}, metric names as in --json)
and exits 1 listing every figure past its floor. Exit 77 when the corpus is
absent (ctest SKIP_RETURN_CODE).

Standard library only (the references run under their own interpreters).
"""
import argparse
import collections
import dataclasses
import gzip
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)

import metrics  # noqa: E402
import split as splits  # noqa: E402

DEFAULT_CORPUS = os.path.join(REPO, "..", "shared", "corpus")
DEFAULT_BIN = os.path.join(REPO, "build", "services", "cli", "crawlstream")
DEFAULT_CACHE = os.path.join(REPO, "build", "extraction-cache")
VENV_PYTHON = os.path.join(REPO, "build", "ref-venv", "bin", "python")
REFERENCES_PY = os.path.join(HERE, "references.py")
INSTALL_HINT = "bash bench/extraction/install_references.sh"
SETS = ("wcxb-dev", "zh-news-dev")
SPLITS = ("train", "validation")
OURS = "crawlstream"
JOBS = 2
PAGE_TIMEOUT = 5  # s per page for a crawlstream process, before it is presumed hung
SKIP = 77


@dataclasses.dataclass
class Page:
    set: str
    id: str
    path: str  # HTML file given to the extractors
    url: str
    page_type: str
    text: str  # the answer's main text
    title: str
    author: str
    date: str
    with_: list
    without: list
    language: str = ""
    split: str = ""
    gz: str = ""  # gzipped original, decompressed to path when the page is used

    @property
    def is_article(self):
        return self.page_type == "article"


@dataclasses.dataclass
class Output:
    """One extractor's result on a page; None fields: the tool gives none."""
    body: str = ""
    title: str = ""
    authors: list = None
    date: str = None
    error: str = ""


@dataclasses.dataclass
class Speed:
    pages: int
    wall: float  # seconds (references: sum of per-page seconds / jobs)
    cpu: float  # CPU seconds of the extractor's processes
    jobs: int
    others_cpu: float = None  # CPU seconds used by other processes meanwhile

    @property
    def docs_per_s(self):
        return self.pages / self.wall if self.wall > 0 else 0.0

    @property
    def cpu_docs_per_s(self):
        """docs/s the jobs would reach with a core each to themselves."""
        return self.pages / (self.cpu / self.jobs) if self.cpu > 0 else 0.0

    def busy_note(self, tool):
        """Why docs/s is too low because the machine was shared, or ""."""
        if self.pages < 20 or self.wall <= 0:
            return ""
        cores = os.cpu_count() or 1
        if self.others_cpu is not None and self.others_cpu > 0.25 * self.wall * cores:
            return "other processes used %.0f %% of the cores while %s ran" % (
                100 * self.others_cpu / (self.wall * cores), tool)
        if self.others_cpu is None and self.cpu and self.wall * self.jobs > 1.3 * self.cpu:
            return "%s took %.1f s of wall time for %.1f s of CPU time" % (
                tool, self.wall * self.jobs, self.cpu)
        return ""


def machine_busy_cpu():
    """CPU seconds all processes have used since boot (Linux), or None."""
    try:
        with open("/proc/stat", encoding="ascii") as f:
            fields = [int(x) for x in f.readline().split()[1:9]]
    except (OSError, ValueError):
        return None
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


# --- corpus ------------------------------------------------------------------

def decompress_once(src, dst):
    if os.path.exists(dst) and os.path.getsize(dst) > 0:
        return
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    with gzip.open(src, "rb") as f:
        data = f.read()
    tmp = "%s.tmp%d" % (dst, os.getpid())
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, dst)


def load_wcxb(corpus, cache):
    root = os.path.join(corpus, "wcxb-dev")
    pages = []
    with gzip.open(os.path.join(root, "ground-truth.jsonl.gz"), "rt", encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            gt = json.loads(line)
            pages.append(Page(
                set="wcxb-dev", id=gt["id"],
                path=os.path.join(cache, "html", "wcxb-dev", gt["id"] + ".html"),
                gz=os.path.join(root, "html", gt["id"] + ".html.gz"), url=gt.get("url") or "",
                page_type=gt.get("page_type") or "", text=gt.get("main_content") or "",
                title=gt.get("title") or "", author=gt.get("author") or "",
                date=gt.get("publish_date") or "", with_=gt.get("with") or [],
                without=gt.get("without") or []))
    return pages


def load_zh(corpus, cache):
    root = os.path.join(corpus, "zh-news-dev")
    with open(os.path.join(root, "ground-truth.json"), encoding="utf-8") as f:
        truth = json.load(f)
    pages = []
    for page_id in sorted(truth):
        gt = truth[page_id]
        author = gt.get("author") or ""
        pages.append(Page(
            set="zh-news-dev", id=page_id,
            path=os.path.join(root, "html", page_id + ".html"), url="",
            page_type="article", text=gt.get("articleBody") or "",
            title=gt.get("title") or "",
            author="" if author == "UNKNOWN" else author,
            date=gt.get("date") if metrics.is_date(gt.get("date")) else "",
            with_=[], without=[]))
    return pages


LOADERS = {"wcxb-dev": load_wcxb, "zh-news-dev": load_zh}


def assign_splits(pages, assignment):
    """Split from split.json; pages missing there get the rule's answer."""
    for page in pages:
        known = assignment.get(page.set, {}).get(page.id)
        page.split = known["split"] if known else splits.split_of(page.id)
        page.language = metrics.detect_language(page.text)


def select_pages(pages, split, limit):
    """Pages of the split (first `limit` of them), their HTML files in place."""
    chosen = [p for p in pages if split == "all" or p.split == split]
    chosen = chosen[:limit] if limit else chosen
    for p in chosen:
        if p.gz:
            decompress_once(p.gz, p.path)
    return chosen


# --- crawlstream -------------------------------------------------------------

def write_manifest(pages, path):
    with open(path, "w", encoding="utf-8") as f:
        for p in pages:
            f.write("%s\t%s\n" % (p.path, p.url) if p.url else p.path + "\n")


def read_jsonl(path):
    out = {}
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            if line.strip():
                try:
                    obj = json.loads(line)
                except json.JSONDecodeError:
                    continue
                out[obj.get("source_path")] = obj
    return out


def run_batch(binary, pages, workdir, tag, results):
    """One `crawlstream extract` process over pages. When it crashes (signal)
    or hangs, the first page without output is blamed and the rest rerun."""
    remaining, attempt = list(pages), 0
    while remaining:
        attempt += 1
        manifest = os.path.join(workdir, "%s-%d.tsv" % (tag, attempt))
        stdout = os.path.join(workdir, "%s-%d.jsonl" % (tag, attempt))
        write_manifest(remaining, manifest)
        status = run_to_file([binary, "extract", "--manifest", manifest], stdout,
                             timeout=60 + PAGE_TIMEOUT * len(remaining))
        got = read_jsonl(stdout)
        for p in remaining:
            if p.path in got:
                results[p.path] = got[p.path]
        missing = [p for p in remaining if p.path not in got]
        if not missing:
            return
        if status is not None and status >= 0:  # clean exit that skipped pages
            for p in missing:
                results[p.path] = {"error": "crawlstream exited %d without output" % status}
            return
        results[missing[0].path] = {"error": "crawlstream " + (
            "timed out" if status is None else "killed by signal %d" % -status)}
        remaining = missing[1:]


def run_to_file(cmd, stdout, timeout):
    """Exit status of cmd (stdout to a file, stderr beside it); None on timeout."""
    with open(stdout, "wb") as out, open(stdout + ".err", "wb") as err:
        try:
            return subprocess.run(cmd, stdout=out, stderr=err, check=False,
                                  timeout=timeout).returncode
        except subprocess.TimeoutExpired:
            return None


def crawlstream_output(obj, editors_as_authors):
    """Output of one JSON line; editors stand in for authors on zh pages
    (its answers give the editor when no writer is named)."""
    if obj.get("error"):
        return Output(error=obj["error"], authors=[], date="")
    authors = list(obj.get("authors") or [])
    if editors_as_authors and not authors:
        authors = list(obj.get("editors") or [])
    return Output(body=obj.get("body") or "", title=obj.get("title") or "",
                  authors=authors, date=obj.get("published_at") or "")


def run_crawlstream(binary, pages, jobs=JOBS):
    """{page id: Output} and Speed over `jobs` parallel processes."""
    results = {}
    with tempfile.TemporaryDirectory(prefix="score-") as workdir:
        batches = [pages[i::jobs] for i in range(jobs)]
        threads = [threading.Thread(target=run_batch, args=(binary, b, workdir, "b%d" % i, results))
                   for i, b in enumerate(batches) if b]
        start, cpu_start, machine_start = time.perf_counter(), children_cpu(), machine_busy_cpu()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        speed = Speed(len(pages), time.perf_counter() - start, children_cpu() - cpu_start, jobs)
        machine_end = machine_busy_cpu()
        if machine_start is not None and machine_end is not None:
            speed.others_cpu = max(0.0, machine_end - machine_start - speed.cpu)
    outputs = {p.id: crawlstream_output(results.get(p.path, {"error": "no output"}),
                                        p.set == "zh-news-dev") for p in pages}
    return outputs, speed


def children_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


# --- references --------------------------------------------------------------

def reference_interpreters(tool):
    if tool == "trafilatura":
        return [VENV_PYTHON]
    return [sys.executable, "/usr/bin/python3", VENV_PYTHON]


def find_reference(tool):
    """(python, version) of an interpreter that can run the tool, or None."""
    for python in reference_interpreters(tool):
        if not os.path.exists(python):
            continue
        proc = subprocess.run([python, REFERENCES_PY, "version", tool],
                              capture_output=True, text=True, check=False)
        if proc.returncode == 0 and proc.stdout.strip():
            return python, proc.stdout.strip()
    return None


def cache_path(cache, tool, version, page):
    return os.path.join(cache, "%s-%s" % (tool, version), page.set, page.id + ".json")


def run_reference(tool, python, version, pages, cache, timeout, jobs=JOBS):
    """{page id: Output} and Speed of one reference; only uncached pages run.
    Its wall time is the sum of per-page times over the workers."""
    todo = [{"path": p.path, "url": p.url, "out": cache_path(cache, tool, version, p)}
            for p in pages if not os.path.exists(cache_path(cache, tool, version, p))]
    if todo:
        print("  %s: extracting %d pages (%d cached)" % (tool, len(todo), len(pages) - len(todo)),
              file=sys.stderr)
        subprocess.run([python, REFERENCES_PY, "run", tool, "--jobs", str(jobs),
                        "--timeout", str(timeout)], input=json.dumps(todo).encode(),
                       check=False)
    outputs, seconds, cpu = {}, 0.0, 0.0
    for p in pages:
        obj = load_cached(cache_path(cache, tool, version, p))
        seconds += obj.get("seconds", 0.0)
        cpu += obj.get("cpu_seconds", 0.0)
        outputs[p.id] = reference_output(tool, obj)
    return outputs, Speed(len(pages), seconds / jobs, cpu, jobs)


def load_cached(path):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError):
        return {"error": "no output"}


def reference_output(tool, obj):
    text = obj.get("text") or ""
    error = obj.get("error") or ("empty" if not text.strip() else "")
    has_meta = tool == "trafilatura"
    return Output(body="" if error else text, title=obj.get("title") or "",
                  authors=[obj.get("author") or ""] if has_meta else None,
                  date=(obj.get("date") or "") if has_meta else None, error=error)


# --- scoring -----------------------------------------------------------------

def score_page(page, out):
    """Per-page figures of one extractor (None: not applicable)."""
    rejected = bool(out.error)
    body = "" if rejected else out.body
    _, _, f1_word = metrics.word_prf(body, page.text) if not rejected else (0, 0, 0.0)
    p4, r4 = metrics.precision_recall(body, page.text)
    return {
        "rejected": rejected, "f1_word": f1_word, "p4": p4, "r4": r4,
        "with_found": metrics.snippet_hits(body, page.with_), "with_total": len(page.with_),
        "without_found": metrics.snippet_hits(body, page.without),
        "without_total": len(page.without),
        "title": metrics.title_match(out.title, page.title) if page.title else None,
        "author": author_ok(page, out), "date": date_ok(page, out),
        "date_day": date_ok(page, out, max_parts=3), "error": out.error,
    }


def author_ok(page, out):
    if not page.author or out.authors is None:
        return None
    if page.set == "zh-news-dev":
        return metrics.zh_author_match(out.authors, page.author)
    return metrics.wcxb_authors_match(out.authors, page.author)


def date_ok(page, out, max_parts=None):
    """wcxb: same day; zh: every component the answer gives (or max_parts)."""
    if not page.date or out.date is None:
        return None
    if max_parts is None:
        max_parts = 3 if page.set == "wcxb-dev" else 6
    return metrics.date_ok(page.date, out.date, max_parts)


def mean(values):
    values = list(values)
    return sum(values) / len(values) if values else None


def share(flags):
    flags = [f for f in flags if f is not None]
    return sum(1 for f in flags if f) / len(flags) if flags else None


def ratio(num, den):
    return num / den if den else None


def f1_4gram(scores):
    if not scores:
        return None
    p, r = mean(s["p4"] for s in scores), mean(s["r4"] for s in scores)
    return metrics.f1(p, r)


def summarise(pages, scores):
    """Figures over pages (parallel list of score_page results)."""
    art = [s for p, s in zip(pages, scores) if p.is_article]
    non = [s for p, s in zip(pages, scores) if not p.is_article]
    with_total = sum(s["with_total"] for s in art)
    without_total = sum(s["without_total"] for s in art)
    return {
        "pages": len(scores), "articles": len(art),
        "f1_word_articles": mean(s["f1_word"] for s in art),
        "f1_word_all": mean(s["f1_word"] for s in scores),
        "f1_4gram_articles": f1_4gram(art),
        "f1_4gram_all": f1_4gram(scores),
        "precision_4gram_articles": mean(s["p4"] for s in art),
        "recall_4gram_articles": mean(s["r4"] for s in art),
        "with": ratio(sum(s["with_found"] for s in art), with_total),
        "without": ratio(sum(s["without_found"] for s in art), without_total),
        "rejected_articles": share(s["rejected"] for s in art),
        "published_non_articles": share(not s["rejected"] for s in non),
        "title": share(s["title"] != "" if s["title"] is not None else None for s in art),
        "title_exact": share(s["title"] == "exact" if s["title"] is not None else None
                             for s in art),
        "author": share(s["author"] for s in art),
        "date": share(s["date"] for s in art),
        "date_day": share(s["date_day"] for s in art),
    }


def group_summaries(pages, scores_by_tool, key, articles_only=False):
    """{group: {tool: summary}} with groups from key(page)."""
    groups = collections.defaultdict(list)
    for i, p in enumerate(pages):
        if p.is_article or not articles_only:
            groups[key(p)].append(i)
    out = {}
    for name in sorted(groups, key=lambda g: (-len(groups[g]), g)):
        idx = groups[name]
        out[name] = {tool: summarise([pages[i] for i in idx], [scores[i] for i in idx])
                     for tool, scores in scores_by_tool.items()}
    return out


# --- report ------------------------------------------------------------------

COLUMNS = [  # (header, summary key, kind)
    ("F1w art", "f1_word_articles", "f1"), ("F1w all", "f1_word_all", "f1"),
    ("4g art", "f1_4gram_articles", "f1"), ("4g all", "f1_4gram_all", "f1"),
    ("with%", "with", "pct"), ("w/o%", "without", "pct"),
    ("rej-art%", "rejected_articles", "pct"), ("pub-non%", "published_non_articles", "pct"),
    ("title%", "title", "pct"), ("author%", "author", "pct"), ("date%", "date", "pct"),
]


def fmt(value, kind):
    if value is None:
        return "-"
    return "%.3f" % value if kind == "f1" else "%.1f" % (100 * value)


def table_lines(label, rows, docs_per_s=None):
    """rows: [(group, tool, summary)]."""
    head = "%-14s %-12s %5s " % (label, "extractor", "pages")
    head += " ".join("%8s" % h for h, _, _ in COLUMNS)
    head += " %8s" % "docs/s" if docs_per_s is not None else ""
    lines = [head, "-" * len(head)]
    for i, (group, tool, s) in enumerate(rows):
        if i and group != rows[i - 1][0]:
            lines.append("")
        line = "%-14s %-12s %5d " % (group, tool, s["pages"])
        line += " ".join("%8s" % fmt(s[k], kind) for _, k, kind in COLUMNS)
        if docs_per_s is not None:
            line += " %8.1f" % docs_per_s[tool] if tool in docs_per_s else " %8s" % "-"
        lines.append(line)
    return lines


def report_set(name, result):
    lines = ["", "== %s: %d pages (%d articles) ==" % (
        name, result["pages"], result["articles"])]
    rows = [(split, tool, s) for split, by_tool in result["splits"].items()
            for tool, s in by_tool.items()]
    lines += table_lines("split", rows, result["docs_per_s"])
    for note in result["busy"].values():
        lines.append("note: %s: its docs/s is too low (cpu_docs_per_s in --json)" % note)
    for title, key in (("by page type (all pages of the type)", "by_page_type"),
                       ("article pages by language", "by_language")):
        groups = result.get(key)
        if groups and len(groups) > 1:
            lines += ["", "%s %s, %s:" % (name, title, result["breakdown_scope"])]
            rows = [(g, tool, s) for g, by_tool in groups.items() for tool, s in by_tool.items()]
            lines += table_lines(key.replace("by_", ""), rows)
    return lines


# --- per-page TSV ------------------------------------------------------------

def per_page_rows(pages, scores_by_tool):
    tools = list(scores_by_tool)
    header = ["set", "id", "split", "page_type", "language"]
    for tool in tools:
        header += [tool + "_f1_word", tool + "_f1_4gram"]
    header += ["title", "author", "date", "error"]
    rows = [header]
    for i, p in enumerate(pages):
        row = [p.set, p.id, p.split, p.page_type, p.language]
        for tool in tools:
            s = scores_by_tool[tool][i]
            row += ["%.4f" % s["f1_word"], "%.4f" % metrics.f1(s["p4"], s["r4"])]
        ours = scores_by_tool[OURS][i]
        row += [mark(ours["title"]), mark(ours["author"]), mark(ours["date"]), ours["error"]]
        rows.append(row)
    return rows


def mark(value):
    if value is None:
        return "-"
    if isinstance(value, str):
        return value or "miss"
    return "ok" if value else "miss"


def write_tsv(path, rows):
    with open(path, "w", encoding="utf-8") as f:
        for row in rows:
            f.write("\t".join(str(c).replace("\t", " ").replace("\n", " ") for c in row) + "\n")


# --- floors ------------------------------------------------------------------

def check_floors(results, floors):
    """Messages for every crawlstream validation figure past its floor."""
    failures = []
    for set_name, limits in sorted(floors.items()):
        if set_name.startswith("_") or set_name not in results:
            continue
        summary = results[set_name]["splits"].get("validation", {}).get(OURS)
        if summary is None:
            failures.append("%s: no validation figures" % set_name)
            continue
        for bound, cmp in (("min", lambda v, f: v >= f), ("max", lambda v, f: v <= f)):
            for metric, floor in sorted(limits.get(bound, {}).items()):
                value = summary.get(metric)
                if value is None or not cmp(value, floor):
                    failures.append("%s validation %s = %s, %s %s" % (
                        set_name, metric, "n/a" if value is None else "%.4f" % value,
                        bound, floor))
    return failures


# --- main --------------------------------------------------------------------

def parse_args(argv):
    ap = argparse.ArgumentParser(description="Extraction quality harness (see module docstring).")
    ap.add_argument("--set", choices=SETS, help="one set only (default: every set present)")
    ap.add_argument("--split", choices=("train", "validation", "all"),
                    help="default: train and validation side by side, plus all")
    ap.add_argument("--limit", type=int, default=0, help="first N pages of each set")
    ap.add_argument("--bin", default=DEFAULT_BIN, help="crawlstream binary")
    ap.add_argument("--references", default="all",
                    choices=("none", "readability", "trafilatura", "all"))
    ap.add_argument("--json", help="write every figure to this file")
    ap.add_argument("--per-page", help="write per-page scores (TSV) to this file")
    ap.add_argument("--check", help="floors JSON: exit 1 when a validation figure is past it")
    ap.add_argument("--corpus", default=DEFAULT_CORPUS)
    ap.add_argument("--cache", default=DEFAULT_CACHE)
    ap.add_argument("--timeout", type=int, default=30, help="per-page timeout of references (s)")
    return ap.parse_args(argv[1:])


def available_references(choice):
    """{tool: (python, version)}; prints how to install what is missing."""
    wanted = ["readability", "trafilatura"] if choice == "all" else (
        [] if choice == "none" else [choice])
    found = {}
    for tool in wanted:
        ref = find_reference(tool)
        if ref:
            found[tool] = ref
        else:
            print("%s: not installed, skipped (install with: %s)" % (tool, INSTALL_HINT))
    return found


def score_set(name, args, refs, assignment):
    pages = LOADERS[name](args.corpus, args.cache)
    assign_splits(pages, assignment)
    pages = select_pages(pages, args.split or "all", args.limit)
    print("%s: %d pages: crawlstream..." % (name, len(pages)), file=sys.stderr)
    outputs, docs = {}, {}
    outputs[OURS], docs[OURS] = run_crawlstream(args.bin, pages)
    for tool, (python, version) in refs.items():
        outputs[tool], docs[tool] = run_reference(tool, python, version, pages,
                                                  args.cache, args.timeout)
    scores = {tool: [score_page(p, outs[p.id]) for p in pages] for tool, outs in outputs.items()}
    return pages, scores, docs


def summarise_set(pages, scores, docs, split_choice):
    shown = list(SPLITS) + ["all"] if split_choice is None else [split_choice]
    result = {"pages": len(pages), "articles": sum(p.is_article for p in pages),
              "docs_per_s": {t: s.docs_per_s for t, s in docs.items()},
              "cpu_docs_per_s": {t: s.cpu_docs_per_s for t, s in docs.items()},
              "busy": {t: s.busy_note(t) for t, s in docs.items() if s.busy_note(t)},
              "splits": {},
              "breakdown_scope": "split " + (split_choice or "train+validation")}
    for split in shown:
        idx = [i for i, p in enumerate(pages) if split == "all" or p.split == split]
        result["splits"][split] = {
            tool: summarise([pages[i] for i in idx], [s[i] for i in idx])
            for tool, s in scores.items()}
    result["by_page_type"] = group_summaries(pages, scores, lambda p: p.page_type)
    result["by_language"] = group_summaries(pages, scores, lambda p: p.language,
                                            articles_only=True)
    return result


def main(argv):
    sys.stdout.reconfigure(line_buffering=True)  # interleave with progress on stderr
    args = parse_args(argv)
    names = [n for n in ([args.set] if args.set else SETS)
             if os.path.isdir(os.path.join(args.corpus, n))]
    if not names:
        print("SKIP: no labelled set under %s" % os.path.abspath(args.corpus))
        return SKIP
    if not os.access(args.bin, os.X_OK):
        print("score.py: crawlstream binary %s not found (build it, or pass --bin)" % args.bin)
        return 2
    refs = available_references(args.references)
    if args.references not in ("all", "none") and not refs:
        return 2
    assignment = splits.load()
    print("crawlstream: %s (%d processes)" % (os.path.relpath(args.bin), JOBS))
    for tool, (python, version) in refs.items():
        print("reference: %s %s (%s, %d workers, %d s timeout per page)" % (
            tool, version, python, JOBS, args.timeout))
    results, tsv = {}, []
    for name in names:
        pages, scores, docs = score_set(name, args, refs, assignment)
        results[name] = summarise_set(pages, scores, docs, args.split)
        rows = per_page_rows(pages, scores)
        tsv += rows if not tsv else rows[1:]
        print("\n".join(report_set(name, results[name])))
    print("\nF1 of a rejected page counts as 0. Figures: see the docstring of "
          "bench/extraction/score.py.")
    status = 0
    failures = None
    if args.check:
        with open(args.check, encoding="utf-8") as f:
            failures = check_floors(results, json.load(f))
        for msg in failures:
            print("FLOOR: " + msg)
        print("quality floors: %s" % ("%d failed" % len(failures) if failures else "all met"))
        status = 1 if failures else 0
    if args.json:
        write_json(args.json, args, refs, results, failures)
    if args.per_page:
        write_tsv(args.per_page, tsv)
    return status


def write_json(path, args, refs, results, failures):
    doc = {"binary": os.path.abspath(args.bin), "split": args.split or "train+validation",
           "limit": args.limit,
           "references": {tool: version for tool, (_, version) in refs.items()},
           "sets": results, "floor_failures": failures}
    with open(path, "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=1, ensure_ascii=False)
        f.write("\n")


if __name__ == "__main__":
    sys.exit(main(sys.argv))
