"""Scoring rules shared by bench/extraction/score.py and scripts/score_extractor.py.

Standard library only. Every function takes plain strings (or lists of
strings) so the rules can be applied to any extractor's output.

Body text
  word_prf       WCXB's metric: `\\w+` tokens, lower-cased, bag of words;
                 precision, recall and F1 of one page.
  precision_recall
                 zh-news-dev's metric: tokens are single Han/kana/hangul
                 characters and runs of other word characters; 4-token
                 shingles as a multiset; precision and recall of one page
                 (averaged over pages by the caller, F1 from the averages).
  snippet_hits   how many snippets occur in a text (white space collapsed,
                 case-insensitive).

Metadata
  title_match    "exact" after normalisation (NFKC, white space, case; HTML
                 entities decoded in the answer), "contains" when one title
                 contains the other and the shorter is >= 0.8 of the longer,
                 else "".
  wcxb_authors_match
                 case-insensitive set of names; "By " prefixes dropped;
                 names split on ",", ";", "&", "|" and " and "; credentials
                 after a comma ("MS", "Ph.D.", "E-RYT 200") ignored.
  zh_author_match
                 zh-news-dev's rule: names split on white space, 、 and
                 commas must equal the extracted set.
  date_ok        every component (year, month, day, hour, minute, second)
                 that the answer gives equals the extracted date's; pass the
                 answer cut to (year, month, day) for a same-day rule.

Language
  detect_language
                 script shares first (CJK > 30 % of letters: zh, or ja/ko
                 when kana/hangul dominate; Cyrillic, Greek, Arabic, Hebrew,
                 Thai likewise), else the most frequent of a few stop-word
                 lists (en, de, fr, es, it, pt, nl), else "other".
"""
import collections
import html
import re
import unicodedata

CJK = ("\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
       "\uac00-\ud7af\u1100-\u11ff\u3130-\u318f\U00020000-\U0003134f")
TOKEN_RE = re.compile(r"[%s]|(?:(?![%s])\w)+" % (CJK, CJK))
WORD_RE = re.compile(r"\w+")
SPACE_RE = re.compile(r"\s+")


# --- body text ---------------------------------------------------------------

def tokens(text):
    """zh-news-dev tokens: one per CJK character, one per other \\w run."""
    return TOKEN_RE.findall(text or "")


def shingles(toks, k=4):
    if not toks:
        return collections.Counter()
    if len(toks) < k:
        return collections.Counter([tuple(toks)])
    return collections.Counter(tuple(toks[i:i + k]) for i in range(len(toks) - k + 1))


def precision_recall(predicted, expected):
    """4-gram shingle precision and recall of one page; (0, 0) if either is empty."""
    p, e = shingles(tokens(predicted)), shingles(tokens(expected))
    if not p or not e:
        return 0.0, 0.0
    common = sum((p & e).values())
    return common / sum(p.values()), common / sum(e.values())


def f1(p, r):
    return 2 * p * r / (p + r) if p + r else 0.0


def word_prf(predicted, expected):
    """WCXB word-level (precision, recall, F1) of one page.

    Both texts empty scores 1; exactly one empty scores 0.
    """
    p = collections.Counter(w.lower() for w in WORD_RE.findall(predicted or ""))
    e = collections.Counter(w.lower() for w in WORD_RE.findall(expected or ""))
    if not p and not e:
        return 1.0, 1.0, 1.0
    if not p or not e:
        return 0.0, 0.0, 0.0
    common = sum((p & e).values())
    prec, rec = common / sum(p.values()), common / sum(e.values())
    return prec, rec, f1(prec, rec)


def normalise_space(text):
    return SPACE_RE.sub(" ", text or "").strip().casefold()


def snippet_hits(text, snippets):
    """Number of snippets found in text (white space collapsed, case-insensitive)."""
    hay = normalise_space(text)
    return sum(1 for s in snippets if normalise_space(s) and normalise_space(s) in hay)


# --- title -------------------------------------------------------------------

def normalise_title(title):
    return normalise_space(unicodedata.normalize("NFKC", title or ""))


def title_match(predicted, expected, ratio=0.8):
    """"exact", "contains" (one inside the other, length ratio >= ratio) or "".

    HTML entities are decoded in the answer only (some answers were copied
    with "&gt;" in them): an extractor that leaks "&amp;" into a title misses.
    """
    p, e = normalise_title(predicted), normalise_title(html.unescape(expected or ""))
    if not p or not e:
        return ""
    if p == e:
        return "exact"
    short, long_ = sorted((p, e), key=len)
    if short in long_ and len(short) >= ratio * len(long_):
        return "contains"
    return ""


# --- authors -----------------------------------------------------------------

NAME_SPLIT_RE = re.compile(r"\s*(?:[,;&|]|\band\b)\s*", re.IGNORECASE)
BY_RE = re.compile(r"^(?:written\s+)?by[:\s]+", re.IGNORECASE)


def _is_credential(part):
    """Post-nominal letters after a comma: "MS", "RD", "Ph.D.", "E-RYT 200"."""
    if any(c.isdigit() for c in part):
        return True
    if " " in part:
        return False
    letters = re.sub(r"[^A-Za-z]", "", part)
    return bool(letters) and len(letters) <= 6 and (letters.isupper() or "." in part)


def wcxb_author_names(authors):
    """Normalised set of names from a string or a list of strings."""
    if isinstance(authors, str):
        authors = [authors]
    names = set()
    for entry in authors or []:
        for part in NAME_SPLIT_RE.split(BY_RE.sub("", (entry or "").strip())):
            part = BY_RE.sub("", part.strip(" .\t\n"))
            if part and not _is_credential(part):
                names.add(normalise_space(part))
    return names


def wcxb_authors_match(predicted, expected):
    want = wcxb_author_names(expected)
    return bool(want) and wcxb_author_names(predicted) == want


def split_names(s):
    return {n for n in re.split(r"[\s、,，;；/]+", s or "") if n}


def zh_author_match(predicted, expected):
    """predicted: list of names (authors, or editors when there is no writer)."""
    return split_names(expected) == split_names(" ".join(predicted or []))


# --- dates -------------------------------------------------------------------

DATETIME_RE = re.compile(
    r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ](\d{1,2}):(\d{2})(?::(\d{2}))?)?")


def date_parts(s):
    return [int(x) for x in re.findall(r"\d+", s or "")]


def is_date(s):
    return bool(re.match(r"^\d{4}", s or ""))


def date_ok(expected, published_at, max_parts=6):
    """Every component of `expected` (up to max_parts) equals published_at's.

    published_at is RFC 3339 or "YYYY-MM-DD[ HH:MM[:SS]]"; components it
    does not give (a date-only value) never match an answer that gives them.
    """
    m = DATETIME_RE.match(published_at or "")
    if not m:
        return False
    got = [int(x) for x in m.groups() if x is not None]
    want = date_parts(expected)[:max_parts]
    return bool(want) and len(got) >= len(want) and all(
        w == g for w, g in zip(want, got))


# --- language ----------------------------------------------------------------

SCRIPTS = [  # (language, regex of its letters), checked in order
    ("ja", re.compile(r"[\u3040-\u30ff\u31f0-\u31ff]")),
    ("ko", re.compile(r"[\uac00-\ud7af\u1100-\u11ff\u3130-\u318f]")),
    ("zh", re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")),
    ("ru", re.compile(r"[\u0400-\u04ff]")),
    ("el", re.compile(r"[\u0370-\u03ff]")),
    ("ar", re.compile(r"[\u0600-\u06ff]")),
    ("he", re.compile(r"[\u0590-\u05ff]")),
    ("th", re.compile(r"[\u0e00-\u0e7f]")),
]
STOPWORDS = {
    "en": "the and of to in is that for it with as was on are this be by you",
    "de": "der die und das ist nicht mit den sich auf für ein eine dem zu auch",
    "fr": "le la les et des est une pour que qui dans du pas sur au avec",
    "es": "el la los las que del por para una con es se no su al lo como",
    "it": "il di che la per non una sono della del con gli le questo anche",
    "pt": "de que não uma para com os as do da em por mais se ao são",
    "nl": "de het een en van is dat op te zijn niet voor met ook er maar",
}
STOPWORDS = {lang: set(words.split()) for lang, words in STOPWORDS.items()}


def detect_language(text):
    sample = (text or "")[:20000]
    letters = sum(1 for c in sample if c.isalpha()) or 1
    cjk = sum(len(rx.findall(sample)) for lang, rx in SCRIPTS[:3])
    if cjk / letters > 0.3:
        kana, hangul = (len(rx.findall(sample)) for _, rx in SCRIPTS[:2])
        return "ja" if kana > 0.1 * cjk else "ko" if hangul > 0.5 * cjk else "zh"
    for lang, rx in SCRIPTS[3:]:
        if len(rx.findall(sample)) / letters > 0.3:
            return lang
    words = collections.Counter(w.lower() for w in WORD_RE.findall(sample))
    scores = {lang: sum(words[w] for w in stop) for lang, stop in STOPWORDS.items()}
    best = max(scores, key=scores.get)
    total = sum(words.values()) or 1
    return best if scores[best] / total > 0.05 else "other"
