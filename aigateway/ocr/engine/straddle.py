"""Words Tesseract cut across two lines, read again whole (``engine = "auto"``).

A table's cell of one line beside a cell of two (a ReportLab property table: ``tickUp``
centred beside two lines of its description) stands between the two lines' rows. Tesseract
can put the top of the word into the first line and its bottom into the second, each half read
as garbage with low confidence (``icky`` and ``“oer`` for ``tickUp``, ``:`` and ``N`` for
``categoryNames``); the re-reading of doubtful words then reads each half on its own
(``tickU``, ``ickUp``). Here such pairs are found, two doubtful words of consecutive lines, one
above the other, whose boxes share most of their width and part of their height; the box
around both is read by RapidOCR's recogniser, and a sure reading replaces the upper word (the
lower one is dropped).

Thirty-fifth round: a ReportLab property table (``more`` split) 233 to 165 edits, the ``more``
split 7204 to 7133 (born-digital 1730 to 1662, raw RapidOCR 1703), tune unchanged (a fax's
speck over a word had been taken for a half until the halves had to be alike in height).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from PIL import Image

from . import reread
from .geometry import Line, Word

__all__ = ("DOUBT", "join")

DOUBT = 60.0
"""Confidence (0-100) under which both halves must be: a word cut in two reads as garbage;
sure words of two lines that touch (descenders over ascenders) are left alone."""

WIDTH = 0.5
"""Share of the narrower half's width the two must share: one word, not neighbours."""

ALIKE = 0.5
"""The shorter half's box is at least this share of the taller one's height: Tesseract boxes
each half with its line's band (``icky`` and ``“oer``, 55 px each). A fax's speck read ``t``
(11 px) over a word (47 px) is no half of it."""

HEIGHT = 0.2
"""Share of the shorter half's height the two boxes must share: cut from one word, not two
words of consecutive lines (which meet at most at a descender's tip)."""


def _cut(a: Word, b: Word) -> bool:
    """``a`` and ``b`` look like the two halves of one word (see the module docstring)."""
    if max(a.conf, b.conf) >= DOUBT:
        return False
    wide = min(a.x1, b.x1) - max(a.x0, b.x0)
    tall = min(a.y1, b.y1) - max(a.y0, b.y0)
    narrower = min(a.x1 - a.x0, b.x1 - b.x0)
    shorter, taller = sorted((a.y1 - a.y0, b.y1 - b.y0))
    if shorter < ALIKE * taller:
        return False  # a speck or a dot above a word, not half of it
    return wide >= WIDTH * narrower > 0 and tall >= HEIGHT * shorter > 0


def join(
    img: Image.Image,
    lines: list[Line],
    use_rapid: bool = True,
    threads: int = 1,
    languages: Sequence[str] = ("eng",),
) -> int:
    """Replace, in place, words cut across consecutive lines by a reading of their union; a
    line left empty is dropped; nothing without the recogniser (``use_rapid`` false). Returns
    how many words were joined."""
    if not use_rapid:
        return 0
    pairs: list[tuple[Line, Word, Line, Word]] = []
    used: set[int] = set()
    for upper, lower in itertools.pairwise(lines):
        for a in upper.words:
            for b in lower.words:
                if id(a) in used or id(b) in used or not _cut(a, b):
                    continue
                pairs.append((upper, a, lower, b))
                used.update((id(a), id(b)))
    if not pairs:
        return 0
    boxes = [
        (min(a.x0, b.x0), min(a.y0, b.y0), max(a.x1, b.x1), max(a.y1, b.y1)) for _, a, _, b in pairs
    ]
    texts = reread.recognize(img, boxes, threads, languages)
    joined = 0
    for (upper, a, lower, b), box, (text, score) in zip(pairs, boxes, texts, strict=False):
        if score < reread.MIN_SCORE or not text or " " in text:
            continue
        upper.words[upper.words.index(a)] = Word(text, 100 * score, *box)
        lower.words.remove(b)
        joined += 1
    if joined:
        lines[:] = [ln for ln in lines if ln.words]
    return joined
