"""Dot leaders read as words: a table of contents' rows of dots put back as dots.

A table of contents, an index or a form leads the eye along a row of dots from an entry to its
page number. Tesseract reads such a row as words of letters at confidence 0-20: ``1.
Introduction 6. nnn nent tebe tent ene ene eee 1`` for a DocBook guide's contents page, clean
at 300 DPI, every entry so. The ink tells: the words' own columns hold nothing but dots (small,
square, in the lower half of the line: :func:`.ellipses.dot_spans`), evenly spaced.

So a line's words whose ink is dots only, in a row of :data:`MIN_DOTS` or more standing
:data:`EVEN` evenly, are written as their dots: ``. . . .`` where the dots stand a space apart
(:data:`~.ellipses.SPACED`, DocBook's and TeX's leaders, as their text layers say), ``....``
where they stand close (a word processor's). They are then sure (:data:`SURE`): nothing reads
them again. A word already written as its dots is left as it is; so is a row of specks, which
stand unevenly.
"""

from __future__ import annotations

import itertools

from PIL import Image

from .ellipses import SPACED, dot_spans
from .geometry import Line, Word, body_height
from .ink import Windows, page_otsu
from .preprocess import as_gray

__all__ = ("MIN_DOTS", "is_leader", "restore")

MIN_DOTS = 4
"""Dots a row needs to be a leader (``...`` is an ellipsis, read as such)."""

EVEN = 0.5
"""The blanks between a leader's dots differ from their median by at most this share of it."""

DOUBT = 50.0
"""Only lines with a word read less surely than this are looked at (the ink is measured only
there): Tesseract is never sure of a leader read as letters."""

SURE = 95.0
"""The confidence a leader's words get: the re-reading leaves them alone."""


def is_leader(text: str) -> bool:
    """``text`` is a leader as this module writes one: :data:`MIN_DOTS` stops or more, alone
    or a space apart."""
    return text.count(".") >= MIN_DOTS and not text.replace(".", "").replace(" ", "")


def _dotted(spans: list[tuple[int, int, bool]], word: Word) -> bool:
    """``word``'s columns hold dots and nothing else (or no whole inked run at all: a word a
    pixel wide between two dots, which Tesseract makes of a leader too)."""
    return all(dot for a, b, dot in spans if a >= word.x0 - 1 and b <= word.x1 + 1)


def _gaps(dots: list[tuple[int, int, bool]]) -> list[int]:
    return [b[0] - a[1] for a, b in itertools.pairwise(dots)]


def _row(spans: list[tuple[int, int, bool]], words: list[Word]) -> tuple[int, int] | None:
    """The span indices (first, last) of the leader ``words`` stand on: every inked run from
    their first column to their last a dot, and the dots on either side that carry on at the
    same pitch (a leader's dots no word covers); ``None`` when that is not a leader."""
    x0, x1 = words[0].x0 - 1, words[-1].x1 + 1
    inside = [k for k, (a, b, _) in enumerate(spans) if a >= x0 and b <= x1]
    if not inside or not all(spans[k][2] for k in inside):
        return None
    first, last = inside[0], inside[-1]
    if last - first + 1 < 2:
        return None
    gaps = sorted(_gaps(spans[first : last + 1]))
    median = gaps[len(gaps) // 2]
    if median <= 0 or any(abs(g - median) > EVEN * median for g in gaps):
        return None

    def carries_on(k: int, nxt: int) -> bool:
        a, b = sorted((k, nxt))
        return spans[nxt][2] and abs(spans[b][0] - spans[a][1] - median) <= EVEN * median

    while first > 0 and carries_on(first, first - 1):
        first -= 1
    while last + 1 < len(spans) and carries_on(last, last + 1):
        last += 1
    return (first, last) if last - first + 1 >= MIN_DOTS else None


def _leader(row: list[Word], spans: list[tuple[int, int, bool]], height: float) -> Word | None:
    """The one word the leader ``row`` is: its dots, each written ``.``, a space between
    where they stand a space apart; ``None`` when the row is not a leader."""
    found = _row(spans, row)
    if found is None:
        return None
    dots = spans[found[0] : found[1] + 1]
    gaps = sorted(_gaps(dots))
    sep = " " if gaps[len(gaps) // 2] >= SPACED * height else ""
    text = sep.join("." * len(dots))
    y0, y1 = min(w.y0 for w in row), max(w.y1 for w in row)
    return Word(text, max(SURE, *(w.conf for w in row)), dots[0][0], y0, dots[-1][1], y1)


def _rewrite(ln: Line, spans: list[tuple[int, int, bool]], height: float) -> int:
    """Replace, in place, each row of ``ln``'s words made of dots by its leader word; how many
    words were replaced."""
    out: list[Word] = []
    row: list[Word] = []
    changed = 0
    for w in [*ln.words, None]:
        if w is not None and _dotted(spans, w):
            row.append(w)
            continue
        leader = _leader(row, spans, height) if row else None
        if leader is not None and [leader.text] != [r.text for r in row]:
            out.append(leader)
            changed += len(row)
        else:
            out.extend(row)
        row = []
        if w is not None:
            out.append(w)
    ln.words[:] = out
    return changed


def restore(img: Image.Image, lines: list[Line]) -> int:
    """Write, in place, the words of ``lines`` that are rows of leader dots as their dots (the
    module docstring). Returns how many words were replaced."""
    height = body_height(lines)
    maybe = [ln for ln in lines if any(w.conf < DOUBT for w in ln.words)]
    if not maybe or height <= 0:
        return 0
    gray = as_gray(img)
    ink = Windows(gray, page_otsu(gray))
    return sum(_rewrite(ln, dot_spans(ink, ln, height), height) for ln in maybe)
