#!/usr/bin/env python3
"""Runs a reference extractor over pages; called by score.py.

usage: PYTHON references.py version TOOL
       PYTHON references.py run TOOL [--jobs N] [--timeout S] < tasks.json

PYTHON is an interpreter that can import the tool: Debian's /usr/bin/python3
for readability (python3-readability, python3-html-text), build/ref-venv for
trafilatura (bench/extraction/install_references.sh). `version` prints the
tool's version (exit 1 when it cannot be imported). `run` reads a JSON list of
{"path", "url", "out"} from stdin, extracts each page in a pool of N worker
processes with a per-page timeout (SIGALRM), and writes one JSON object per
page to its "out" path: text, title, author, date, seconds and cpu_seconds
(wall and CPU time spent on the page inside the worker), error ("" or what
went wrong). Pages are given as
raw bytes: each tool decodes them itself, as crawlstream does.

Extraction calls:
  readability   Document(html, url=url); html_text.extract_text(doc.summary(
                html_partial=True)); title = doc.short_title(); no author
                or date.
  trafilatura   bare_extraction(html, url=url, include_comments=False,
                include_tables=True, favor_precision=False, with_metadata=True)
                whose .text is what trafilatura.extract() returns with the same
                options; date asked with a time of day ("%Y-%m-%dT%H:%M:%S").
"""
import json
import logging
import multiprocessing
import os
import signal
import sys
import time


class PageTimeout(Exception):
    pass


def _on_alarm(signum, frame):
    raise PageTimeout()


def readability_version():
    import html_text
    import readability
    return "%s+html_text-%s" % (readability.__version__, html_text.__version__)


def trafilatura_version():
    import trafilatura
    return trafilatura.__version__


def readability_extract(raw, url):
    import html_text
    from readability import Document
    doc = Document(raw, url=url or None)
    text = html_text.extract_text(doc.summary(html_partial=True))
    return {"text": text, "title": doc.short_title(), "author": "", "date": ""}


def trafilatura_extract(raw, url):
    import trafilatura
    from trafilatura.settings import set_date_params
    date_params = dict(set_date_params(True), outputformat="%Y-%m-%dT%H:%M:%S")
    doc = trafilatura.bare_extraction(
        raw, url=url or None, include_comments=False, include_tables=True,
        favor_precision=False, with_metadata=True,
        date_extraction_params=date_params)
    if doc is None:
        return {"text": "", "title": "", "author": "", "date": "",
                "error": "no_output"}
    return {"text": doc.text or "", "title": doc.title or "",
            "author": doc.author or "", "date": doc.date or ""}


TOOLS = {
    "readability": (readability_version, readability_extract),
    "trafilatura": (trafilatura_version, trafilatura_extract),
}


def _init_worker(timeout):
    signal.signal(signal.SIGALRM, _on_alarm)
    logging.disable(logging.CRITICAL)
    _init_worker.timeout = timeout


def _extract_one(args):
    tool, task = args
    start, cpu_start = time.perf_counter(), time.process_time()
    result = {"text": "", "title": "", "author": "", "date": "", "error": ""}
    try:
        with open(task["path"], "rb") as f:
            raw = f.read()
        signal.alarm(_init_worker.timeout)
        try:
            result.update(TOOLS[tool][1](raw, task.get("url", "")))
        finally:
            signal.alarm(0)
    except PageTimeout:
        result["error"] = "timeout"
    except Exception as e:  # a reference failing on a page scores 0 there
        result["error"] = "%s: %s" % (type(e).__name__, str(e)[:200])
    result["seconds"] = time.perf_counter() - start
    result["cpu_seconds"] = time.process_time() - cpu_start
    _write_json(task["out"], result)
    return task["out"]


def _write_json(path, obj):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = "%s.tmp%d" % (path, os.getpid())
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(obj, f, ensure_ascii=False)
    os.replace(tmp, path)


def run(tool, tasks, jobs, timeout):
    """Extracts every task; returns how many finished. A lost worker stops the run."""
    done = 0
    with multiprocessing.Pool(jobs, initializer=_init_worker, initargs=(timeout,)) as pool:
        it = pool.imap_unordered(_extract_one, [(tool, t) for t in tasks], chunksize=1)
        for _ in tasks:
            try:
                it.next(timeout=2 * timeout + 30)
            except multiprocessing.TimeoutError:
                print("references: %s: a worker stopped answering; %d of %d pages done"
                      % (tool, done, len(tasks)), file=sys.stderr)
                pool.terminate()
                break
            done += 1
    return done


def main(argv):
    if len(argv) < 3 or argv[1] not in ("version", "run") or argv[2] not in TOOLS:
        print(__doc__, file=sys.stderr)
        return 2
    tool = argv[2]
    if argv[1] == "version":
        try:
            print(TOOLS[tool][0]())
        except ImportError as e:
            print("cannot import %s: %s" % (tool, e), file=sys.stderr)
            return 1
        return 0
    opts = dict(zip(argv[3::2], argv[4::2]))
    jobs = int(opts.get("--jobs", 2))
    timeout = int(opts.get("--timeout", 30))
    tasks = json.load(sys.stdin)
    done = run(tool, tasks, jobs, timeout)
    return 0 if done == len(tasks) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
