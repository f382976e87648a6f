"""A word's glyphs, found in its ink and paired with its characters.

Passes that read a glyph again from the ink (:mod:`.crossbars`, :mod:`.infinity`,
:mod:`.relations`, :mod:`.semicolons`) need to know which stretch of a word's ink is which of
its characters. Tesseract's word boxes say nothing
finer, so the word's ink is cut into glyphs here: connected ink (OpenCV's labelling; a flood
fill in Python would cost more than the reading), pieces of one glyph taken as one (an ``i``
and its dot, the bars of ``=``, the halves of a glyph a clean-up broke). When a word has as
many glyphs as characters (stops, commas, colons and quotes aside, which are too small to
find), each character stands on the glyph in its place; otherwise nothing is paired, and the
word stays as read. :func:`matched` checks that each letter stands on a glyph of its shape
(the count alone can match one place off), and :func:`reread` runs such a pass over the words
it wants, with the page's ink at its Otsu level.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Collection, Sequence
from typing import Any

import numpy as np
from PIL import Image

from . import fastops
from .geometry import Line, Word, body_height
from .ink import Windows, page_otsu
from .preprocess import as_gray

__all__ = ("GAP", "GLYPH", "SMALL", "Box", "find", "matched", "pair", "reread", "retext")

Box = tuple[int, int, int, int]

GLYPH = 0.3
"""Connected ink at least this many text heights tall is (part of) a glyph; less is an i's
dot, a stop, a hyphen or a speck."""

SMALL = frozenset(".,:;'`\"-_~^*\u00b7")
"""Characters whose glyphs are under :data:`GLYPH` tall (or, a colon's, in pieces that are)."""


GAP = 0.2
"""Text heights of blank between two glyphs of a word at most (letters stand a tenth apart)."""

_SHORT = frozenset("acemnorsuvwxzi")
_TALL = frozenset("bdfhklt") | frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
_LONG = frozenset("gjpqy")
_ROUND = frozenset("abcdeghnopqsuv")
_THIN = frozenset("ijl")


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


def matched(
    paired: Sequence[tuple[int, str, Box]], height: float, spaced: Collection[int] = ()
) -> bool:
    """Each letter stands on a glyph of its shape: short letters between the x-height and the
    baseline, tall ones (``d``, ``f``, capitals) over the x-height, those with a tail (``p``,
    ``y``) under the baseline; round ones about as wide as each other, and ``i``, ``l`` and
    ``j`` narrower. A glyph split in two, two run together or a ligature (``fi``) shifts the
    letters off their glyphs, and the count alone can match. ``spaced``: indices of
    characters a space is taken to stand before (the blank before their glyphs is not
    looked at)."""
    # Letters of a word stand close: a wide blank between two glyphs is a letter not found.
    if any(
        b[2][0] - a[2][2] > GAP * height and b[0] not in spaced
        for a, b in itertools.pairwise(paired)
    ):
        return False
    short = [g for _, ch, g in paired if ch in _SHORT]
    if not short:
        return False
    top = float(np.median([g[1] for g in short]))
    base = float(np.median([g[3] for g in short]))
    slack = 0.12 * height
    # Round letters are about as wide as each other; ``i``, ``l`` and ``j`` far narrower (an
    # ``h``'s right leg, split off its stem, stood for an ``e``).
    round_ = [g[2] - g[0] for _, ch, g in paired if ch in _ROUND]
    wide = float(np.median(round_)) if round_ else 0.0
    for _, ch, (x0, y0, x1, y1) in paired:
        if ch in _ROUND and x1 - x0 < 0.6 * wide:
            return False
        if ch in _THIN and x1 - x0 > 0.6 * wide > 0:
            return False
        if ch in _SHORT and (y0 < top - slack or y1 > base + slack):
            return False
        if ch in _TALL and y0 > top - slack:
            return False
        if ch in _LONG and y1 < base + slack:
            return False
    return True


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


def reread(
    img: Image.Image,
    lines: Sequence[Line],
    wanted: Callable[[Word], bool],
    read: Callable[[Line, Word, Windows, float], str],
) -> int:
    """Give each of ``lines``' ``wanted`` words, in place, the text ``read`` finds for it
    (its line, the word, the page's ink at its Otsu level, the body text's height), as
    :func:`retext` does. Returns how many changed (0 on a page without body text)."""
    words = [(ln, i) for ln in lines for i, w in enumerate(ln.words) if wanted(w)]
    height = body_height(lines)
    if not words or height <= 0:
        return 0
    gray = as_gray(img)
    ink = Windows(gray, page_otsu(gray))
    return retext(words, lambda ln, word: read(ln, word, ink, height))
