"""An ``e`` whose crossbar a grainy page's clean-up broke, read as ``c``, given back its bar.

A grainy page is read from its clean-up (:data:`~.preprocess.LADDER`): blurred, then
thresholded. The crossbar of a serif face's ``e`` is its thinnest stroke (a pixel and a half
at 300 DPI in Computer Modern), rendered grey rather than black, and the clean-up keeps it in
pieces or not at all: Tesseract reads ``gencral``, ``scction``, ``zcro``, ``cither``. On the
page before the clean-up the bar is still there: across the inside of the glyph, halfway up,
a row clearly darker than the paper, where a ``c`` is open paper.

So a word read from a clean-up is cut into glyphs on the page before it (:func:`_glyphs`:
connected ink much darker than the paper, where strokes are solid and the grey bar is left
out). When they are as many as its letters (stops and commas aside), each letter on a glyph
of its shape (:func:`_matched`), each glyph read as ``c`` is looked at there
(:func:`_barred`), and read as ``e`` when it has the bar.

Forty-fourth round: 219 tune pages 6861 to 6856 edits (five grainy pages, a word each, none
worse); 15 grainy GLPK and camlidl pages outside the corpus (scratch, tune sources) 370 to
356, 15 of their 21 such ``c`` read as ``e``. A first version that paired letters with
glyphs by count alone read a grainy C++ page's every ``class`` as ``elass`` (a Times ``c``'s
upper end reaches into its middle third): each check here stopped one such misreading.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import numpy as np
from PIL import Image

from . import fastops
from .geometry import Line, Word, body_height
from .preprocess import as_gray, page_histogram

__all__ = ("restore",)

GLYPH = 0.3
"""Connected ink at least this many text heights tall is (part of) a glyph; less is an i's
dot, a full stop or a speck."""

BAR = 0.65
"""A crossbar's row averages at most this share of the paper's grey level across the glyph's
inside (a grainy page's ``e``: 104-128 on paper of 208; a ``c``'s rows there 155 or more)."""

INK = 0.45
"""Glyphs are found on the page before its clean-up, as its pixels this share of the paper's
grey or darker: strokes are solid there (the clean-up broke an ``e`` or an ``h`` in two),
grain that dark a speck now and then, and an ``e``'s grey bar left out (it is looked for)."""

GAP = 0.2
"""Text heights of blank between two glyphs of a word at most (letters stand a tenth apart)."""

SET_OFF = 0.15
"""A crossbar's row is darker than the ``e``'s eye above it by this share of the paper's grey
(104 under 155-165 on paper of 208)."""

OPEN = 0.85
"""A row of the inside's middle third averages this share of the paper's grey at least."""


def _one(a: Sequence[int], b: Sequence[int]) -> bool:
    """Two pieces of ink, ``b`` starting right of ``a``'s start, are one glyph: they overlap
    across, or touch (a pixel apart at most) and one is a fragment, under three quarters of
    the other's height (an ``e``'s top right end, its bar broken off the rest)."""
    if min(a[2], b[2]) > max(a[0], b[0]):
        return True
    ha, hb = a[3] - a[1], b[3] - b[1]
    return b[0] - a[2] <= 1 and min(ha, hb) < 0.75 * max(ha, hb)


def _glyphs(ink: Any, height: float) -> list[tuple[int, int, int, int]] | None:
    """The word's glyphs, left to right: connected ink at least :data:`GLYPH` tall, pieces
    of one glyph (:func:`_one`) merged (``None`` without OpenCV)."""
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


_SMALL = frozenset(".,:;'`\"-_~^*\u00b7")
_SHORT = frozenset("acemnorsuvwxzi")
_TALL = frozenset("bdfhklt") | frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
_LONG = frozenset("gjpqy")
_ROUND = frozenset("abcdeghnopqsuv")
_THIN = frozenset("ijl")


def _matched(text: str, glyphs: list[tuple[int, int, int, int]], height: float) -> bool:
    """Each letter of ``text`` stands on a glyph of its shape: short letters between the
    x-height and the baseline, tall ones (``d``, ``f``, capitals) over the x-height, those with
    a tail (``p``, ``y``) under the baseline; round ones about as wide as each other, and
    ``i``, ``l`` and ``j`` narrower. A glyph split in two, two run together or a
    ligature (``fi``) shifts the letters off their glyphs, and the count alone can match."""
    # Letters of a word stand close: a wide blank between two glyphs is a letter not found.
    if any(b[0] - a[2] > GAP * height for a, b in itertools.pairwise(glyphs)):
        return False
    short = [g for ch, g in zip(text, glyphs, strict=True) if ch in _SHORT]
    if not short:
        return False
    top = float(np.median([g[1] for g in short]))
    base = float(np.median([g[3] for g in short]))
    slack = 0.12 * height
    # Round letters are about as wide as each other; ``i``, ``l`` and ``j`` far narrower (an
    # ``h``'s right leg, split off its stem, stood for an ``e``).
    round_ = [g[2] - g[0] for ch, g in zip(text, glyphs, strict=True) if ch in _ROUND]
    wide = float(np.median(round_)) if round_ else 0.0
    for ch, (x0, _, x1, _) in zip(text, glyphs, strict=True):
        if ch in _ROUND and x1 - x0 < 0.6 * wide:
            return False
        if ch in _THIN and x1 - x0 > 0.6 * wide > 0:
            return False
    for ch, (_, y0, _, y1) in zip(text, glyphs, strict=True):
        if ch in _SHORT and (y0 < top - slack or y1 > base + slack):
            return False
        if ch in _TALL and y0 > top - slack:
            return False
        if ch in _LONG and y1 < base + slack:
            return False
    return True


def _barred(grey: Any, glyph: tuple[int, int, int, int], paper: float) -> bool:
    """The glyph's box in ``grey`` (its word's box on the page before the clean-up) has an
    ``e``'s crossbar: over the glyph's inside (right of its left stroke), a row in its middle
    third averages :data:`BAR` of the paper's grey or darker, :data:`SET_OFF` of it darker
    than the rows two and three above it (the ``e``'s eye; a Times ``c``'s upper end reaches
    down into the middle third, dark all the way), and a row under it averages :data:`OPEN`
    of it or lighter (the ``e``'s mouth; an ``o`` read as ``c`` has its right stroke in
    every row)."""
    x0, y0, x1, y1 = glyph
    w, h = x1 - x0, y1 - y0
    rows = grey[y0:y1, x0 + (2 * w) // 5 : x1].mean(axis=1)
    if rows.size < 6:
        return False
    top, bottom = max(3, h // 3), h - h // 3
    if bottom <= top:
        return False
    bar = top + int(np.argmin(rows[top:bottom]))
    eye = rows[bar - 3 : bar - 1].mean()
    return bool(
        rows[bar] <= BAR * paper
        and eye - rows[bar] >= SET_OFF * paper
        and rows[bar + 1 :].max(initial=0.0) >= OPEN * paper
    )


def _read(word: Word, grey: Any, paper: float, height: float) -> str:
    """``word``'s text with each ``c`` whose glyph has a crossbar read as ``e``."""
    box = grey[word.y0 : word.y1, word.x0 : word.x1]
    glyphs = _glyphs(box <= INK * paper, height)
    # Stops, commas, colons and quotes are too small to be found as glyphs.
    at = [k for k, ch in enumerate(word.text) if ch not in _SMALL]
    letters = "".join(word.text[k] for k in at)
    if glyphs is None or len(glyphs) != len(at) or not _matched(letters, glyphs, height):
        return word.text
    text = list(word.text)
    for k, ch, glyph in zip(at, letters, glyphs, strict=True):
        if ch == "c" and _barred(box, glyph, paper):
            text[k] = "e"
    return "".join(text)


def _paper(hist: Sequence[int]) -> float:
    """The median grey of a page's pixels lighter than a quarter of the way from black: the
    paper's, its grain around it (ink is a few per cent of a page, and dark)."""
    light = hist[64:256]
    half, seen = sum(light) / 2, 0
    for level, count in enumerate(light, start=64):
        seen += count
        if seen >= half:
            return float(level)
    return 255.0


def restore(uncleaned: Image.Image, lines: list[Line]) -> int:
    """Read, in place, each ``c`` of ``lines`` (read from a clean-up of ``uncleaned``) that
    has an ``e``'s crossbar on the page before its clean-up as ``e`` (the module docstring).
    Returns how many words changed."""
    height = body_height(lines)
    words = [(ln, i) for ln in lines for i, w in enumerate(ln.words) if "c" in w.text]
    if not words or height <= 0:
        return 0
    gray = as_gray(uncleaned)
    paper = _paper(page_histogram(gray))
    grey = np.asarray(gray)
    changed = 0
    for ln, i in words:
        word = ln.words[i]
        new = _read(word, grey, paper, height)
        if new != word.text:
            ln.words[i] = Word(new, word.conf, word.x0, word.y0, word.x1, word.y1)
            changed += 1
    return changed
