"""A colon lost from a run of colons given back: ``::=`` read as ``:=``, ``::`` as ``:``.

A grammar's rules (``decl ::= type name``) and C++'s scopes (``std::map``) set two colons
side by side, and Tesseract's English model often reads one: camlidl's grammar kept 3 of 9
``::=`` on a born-digital page (raw RapidOCR 8). The ink still has both. A colon is two dots
of one size, one over the other with a blank between; so where a word's text has one run of
colons and its ink one colon more than that run, all side by side (:func:`_colons`), the run
is read with one colon more.

Forty-fifth round: the 219 tune pages' references hold 299 ``::`` (the gateway read 288);
the 45 scratch pages of GLPK and camlidl outside the corpus 30 (the gateway 9, raw RapidOCR
20).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from typing import Any

from PIL import Image

from . import fastops, glyphs
from .geometry import Line, Word
from .ink import Windows

__all__ = ("restore",)

DOT = 0.25
"""A dot is at most this many text heights wide and tall (a colon's: 0.11 at 300 DPI, 0.14
at 150)."""

REACH = 1.0
"""Text heights looked past a word's edge that its run of colons touches: Tesseract leaves
the colon it did not read out of the word's box as often as not (``::=`` boxed as ``:=``)."""

_RUN = re.compile(r":+")

Box = tuple[int, int, int, int]


def _dots(ink: Any, height: float) -> list[Box]:
    """Connected ink in ``ink`` (a word's boolean array) small and about square: dots."""
    found = fastops.boxes(ink)
    if found is None:
        return []
    out = []
    for x0, y0, x1, y1 in found.tolist():
        w, h = x1 - x0, y1 - y0
        if max(w, h) <= DOT * height and w <= 2 * h and h <= 2 * w:
            out.append((x0, y0, x1, y1))
    return out


def _colon(a: Box, b: Box) -> bool:
    """Dot ``b`` stands under dot ``a`` as a colon's: over half the narrower one's width
    shared, a blank at least a dot high between, neither over twice the other's size."""
    shared = min(a[2], b[2]) - max(a[0], b[0])
    narrow = min(a[2] - a[0], b[2] - b[0])
    size_a, size_b = (a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1])
    return (
        shared * 2 >= narrow
        and b[1] - a[3] >= min(a[3] - a[1], b[3] - b[1])
        and max(size_a, size_b) <= 2 * min(size_a, size_b)
    )


def _colons(ink: Any, height: float) -> list[Box] | None:
    """The colons in ``ink`` (each as the box of its two dots), left to right; ``None`` when
    a dot could be the partner of two (three dots stacked)."""
    dots = sorted(_dots(ink, height), key=lambda d: (d[0], d[1]))
    colons: list[Box] = []
    used: set[int] = set()
    for i, a in enumerate(dots):
        if i in used:
            continue
        under = [j for j, b in enumerate(dots) if j not in used and j != i and _colon(a, b)]
        if len(under) > 1:
            return None
        if under:
            used |= {i, under[0]}
            b = dots[under[0]]
            colons.append((min(a[0], b[0]), a[1], max(a[2], b[2]), b[3]))
    return colons


def _window(
    words: Sequence[Word], word: Word, run: re.Match[str], ink: Windows, height: float
) -> Any:
    """The ink of ``word``'s box, reaching :data:`REACH` text heights past an edge its run of
    colons touches (up to the next of the page's ``words`` on its row, unless that word's
    colons face the run) and a fifth of one up and down."""
    x0, x1 = word.x0, word.x1
    reach = round(REACH * height)
    # The page's words, not the line's: a line may have been cut in two by then.
    row = [w for w in words if w is not word and w.y0 < word.y1 and word.y0 < w.y1]
    before = max((w for w in row if w.x1 <= word.x0), key=lambda w: w.x1, default=None)
    after = min((w for w in row if w.x0 >= word.x1), key=lambda w: w.x0, default=None)
    # Not towards a word whose own colons face this run (``file_type:`` ``:not_found``, one
    # ``::`` read into two words): a box can stop short of its colon's ink.
    if run.start() == 0 and not (before and before.text.endswith(":")):
        x0 = max(x0 - reach, before.x1 + 1 if before else 0)
    if run.end() == len(word.text) and not (after and after.text.startswith(":")):
        x1 = min(x1 + reach, after.x0 - 1 if after else ink.gray.width)
    pad = round(0.2 * height)
    y0, y1 = max(0, word.y0 - pad), min(ink.gray.height, word.y1 + pad)
    return ink.window(x0, y0, max(x0 + 1, x1), y1)


def _read(words: Sequence[Word], word: Word, ink: Windows, height: float) -> str:
    """``word``'s text with its one run of colons one longer, when its ink holds one colon
    more than the run, side by side with nothing between them."""
    runs = list(_RUN.finditer(word.text))
    if len(runs) != 1:
        return word.text
    box = _window(words, word, runs[0], ink, height)
    colons = _colons(box, height)
    if colons is None or len(colons) != len(runs[0].group()) + 1:
        return word.text
    # Side by side: nothing between two of them (``key:value:`` read ``key:value`` has a run
    # of one and two colons in its ink, but a word between them).
    if any(box[:, a[2] : b[0]].any() for a, b in itertools.pairwise(colons)):
        return word.text
    return _RUN.sub(":" * len(colons), word.text, count=1)


def restore(img: Image.Image, lines: list[Line]) -> int:
    """Give, in place, each word of ``lines`` whose ink holds one colon more than its text's
    run of colons that colon (the module docstring). Returns how many words changed."""
    every = [w for ln in lines for w in ln.words]
    return glyphs.reread(
        img,
        lines,
        lambda w: ":" in w.text,
        lambda _, word, ink, height: _read(every, word, ink, height),
    )
