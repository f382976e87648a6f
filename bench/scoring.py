"""How the OCR quality bench scores a reading against its ground truth (no OCR imports).

* :func:`plain` turns the gateway's Markdown back into plain text: table rows become their
  cells separated by spaces (the reference text layers have no markup), separator rows,
  ``#`` heading marks, image placeholders and HTML tags go, an escaped ``\\#`` at a line's
  start is a ``#``. Raw engines emit plain text, which is scored as it is
  (``markdown=False``): read as Markdown, a line such as ``## note`` would lose its ``##``.
* :func:`normalize` makes what CER compares: NFKC, typographic quotes folded, words
  hyphenated across lines rejoined, whitespace collapsed.
* :func:`cer` is Levenshtein distance / reference length; "micro" CER over a category is the
  sum of distances over the sum of reference lengths, so long pages weigh more.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections import Counter

__all__ = ("bow_error", "cer", "distance", "levenshtein", "normalize", "plain", "unescape")

_SEPARATOR = re.compile(r"^\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?$")
_CELL_SPLIT = re.compile(r"(?<!\\)\|")
_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_TABLE_LINK = re.compile(r"\[tbl-\d+\.(?:md|html)\]\(tbl-\d+\.(?:md|html)\)")
_HTML_TABLE = re.compile(r"<table>.*?</table>", re.S)
_TAG = re.compile(r"</?(?:table|tr|th|td|thead|tbody)>")


_ESCAPED_HASH = re.compile(r"^( {0,3})\\#", re.MULTILINE)


def unescape(markdown: str) -> str:
    """The text behind the gateway's escaped ``#`` at a line's start (``\\## note`` is a line
    of text, ``## note``, not a heading)."""
    return _ESCAPED_HASH.sub(r"\1#", markdown)


def plain(markdown: str) -> str:
    """Markdown to the plain text a text layer would hold (see the module docstring)."""
    out = []
    for line in markdown.split("\n"):
        s = line.strip()
        if s.startswith("|") and s.endswith("|") and len(s) > 1:
            if _SEPARATOR.match(s):
                continue
            cells = [c.strip().replace("\\|", "|") for c in _CELL_SPLIT.split(s[1:-1])]
            out.append(" ".join(c for c in cells if c))
            continue
        s = re.sub(r"^#{1,6}\s+", "", s)
        s = unescape(s)
        s = _IMAGE.sub("", s)
        s = _TABLE_LINK.sub("", s)
        s = _HTML_TABLE.sub(lambda m: html.unescape(_TAG.sub(" ", m.group(0))), s)
        out.append(s)
    return "\n".join(out)


def levenshtein(a: str, b: str) -> int:
    """Edit distance, Myers/Hyyrö bit-parallel (Python ints as bit vectors): O(len(b)) steps."""
    if not a:
        return len(b)
    if not b:
        return len(a)
    m = len(a)
    full = (1 << m) - 1
    top = 1 << (m - 1)
    peq: dict[str, int] = {}
    for i, ch in enumerate(a):
        peq[ch] = peq.get(ch, 0) | (1 << i)
    pv, mv, score = full, 0, m
    for ch in b:
        eq = peq.get(ch, 0)
        xv = eq | mv
        xh = (((eq & pv) + pv) ^ pv) | eq
        ph = (mv | ~(xh | pv)) & full
        mh = pv & xh
        if ph & top:
            score += 1
        elif mh & top:
            score -= 1
        ph = ((ph << 1) | 1) & full
        mh = (mh << 1) & full
        pv = (mh | ~(xv | ph)) & full
        mv = ph & xv
    return score


def slow_levenshtein(a: str, b: str) -> int:
    """The textbook dynamic programme, to check :func:`levenshtein` against."""
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def normalize(text: str) -> str:
    """What CER compares: NFKC, words hyphenated across lines rejoined, whitespace collapsed."""
    text = unicodedata.normalize("NFKC", text).replace("\ufffe", "").replace("\u00ad", "")
    text = re.sub(r"(?<=[a-z])-\s+(?=[a-z])", "", text)
    text = re.sub(r"[\u2018\u2019\u201a\u2032]", "'", text)
    text = re.sub(r"[\u201c\u201d\u201e\u2033]", '"', text)
    text = re.sub(r"[\u2010\u2011\u2012\u2013\u2212]", "-", text)
    return " ".join(text.split())


def distance(ref: str, hyp: str, markdown: bool = True) -> tuple[int, int]:
    """(edit distance, reference length) after :func:`normalize` (and :func:`plain` when
    ``hyp`` is Markdown)."""
    r, h = normalize(ref), normalize(plain(hyp) if markdown else hyp)
    return levenshtein(r, h), len(r)


def cer(ref: str, hyp: str, markdown: bool = True) -> float:
    """Character error rate of one page."""
    d, n = distance(ref, hyp, markdown)
    return d / max(1, n)


def bow_error(ref: str, hyp: str) -> float:
    """1 - shared words / max(word counts): reading-order-blind word error."""
    rw = Counter(re.findall(r"\w+", normalize(ref).lower()))
    hw = Counter(re.findall(r"\w+", normalize(plain(hyp)).lower()))
    shared = sum((rw & hw).values())
    return 1.0 - shared / max(1, sum(rw.values()), sum(hw.values()))
