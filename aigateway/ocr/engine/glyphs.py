"""A word's glyphs, found in its ink and paired with its characters.

Passes that read a glyph again from the ink (:mod:`.crossbars`, :mod:`.infinity`) need to know
which stretch of a word's ink is which of its characters. Tesseract's word boxes say nothing
finer, so the word's ink is cut into glyphs here: connected ink (OpenCV's labelling; a flood
fill in Python would cost more than the reading), pieces of one glyph taken as one (an ``i``
and its dot, the bars of ``=``, the halves of a glyph a clean-up broke). When a word has as
many glyphs as characters (stops, commas, colons and quotes aside, which are too small to
find), each character stands on the glyph in its place; otherwise nothing is paired, and the
word stays as read.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from . import fastops
from .geometry import Line, Word

__all__ = ("GLYPH", "SMALL", "Box", "find", "pair", "retext")

Box = tuple[int, int, int, int]

GLYPH = 0.3
"""Connected ink at least this many text heights tall is (part of) a glyph; less is an i's
dot, a stop, a hyphen or a speck."""

SMALL = frozenset(".,:;'`\"-_~^*\u00b7")
"""Characters whose glyphs are under :data:`GLYPH` tall (or, a colon's, in pieces that are)."""


def _one(a: Sequence[int], b: Sequence[int]) -> bool:
    """Two pieces of ink, ``b`` starting right of ``a``'s start, are one glyph: they overlap
    across, or touch (a pixel apart at most) and one is a fragment, under three quarters of
    the other's height (an ``e``'s top right end, its bar broken off the rest)."""
    if min(a[2], b[2]) > max(a[0], b[0]):
        return True
    ha, hb = a[3] - a[1], b[3] - b[1]
    return b[0] - a[2] <= 1 and min(ha, hb) < 0.75 * max(ha, hb)


def find(ink: Any, height: float) -> list[Box] | None:
    """The glyphs of a word's ink (a boolean array, its box), left to right, as boxes within
    it: connected ink at least :data:`GLYPH` text heights tall, pieces of one glyph
    (:func:`_one`) merged. ``None`` without OpenCV."""
    found = fastops.boxes(ink)
    if found is None:
        return None
    out: list[list[int]] = []
    for x0, y0, x1, y1 in sorted(found.tolist()):
        if y1 - y0 < GLYPH * height:
            continue
        if out and _one(out[-1], (x0, y0, x1, y1)):
            last = out[-1]
            out[-1] = [min(last[0], x0), min(last[1], y0), max(last[2], x1), max(last[3], y1)]
        else:
            out.append([x0, y0, x1, y1])
    return [(a, b, c, d) for a, b, c, d in out]


def pair(text: str, glyphs: Sequence[Box]) -> list[tuple[int, str, Box]] | None:
    """Each character of ``text`` not in :data:`SMALL`, with its index, on the glyph in its
    place; ``None`` when the glyphs are not as many."""
    at = [k for k, ch in enumerate(text) if ch not in SMALL]
    if len(at) != len(glyphs):
        return None
    return [(k, text[k], g) for k, g in zip(at, glyphs, strict=True)]


def retext(words: Sequence[tuple[Line, int]], read: Callable[[Line, Word], str]) -> int:
    """Give each of ``words`` (a line and a word's index in it) the text ``read`` finds for
    it on its line, in place, its box and confidence kept. Returns how many changed."""
    changed = 0
    for ln, i in words:
        word = ln.words[i]
        new = read(ln, word)
        if new != word.text:
            ln.words[i] = Word(new, word.conf, word.x0, word.y0, word.x1, word.y1)
            changed += 1
    return changed
