"""An ``e`` whose crossbar a grainy page's clean-up broke, read as ``c``, given back its bar.

A grainy page is read from its clean-up (:data:`~.preprocess.LADDER`): blurred, then
thresholded. The crossbar of a serif face's ``e`` is its thinnest stroke (a pixel and a half
at 300 DPI in Computer Modern), rendered grey rather than black, and the clean-up keeps it in
pieces or not at all: Tesseract reads ``gencral``, ``scction``, ``zcro``, ``cither``. On the
page before the clean-up the bar is still there: across the inside of the glyph, halfway up,
a row clearly darker than the paper, where a ``c`` is open paper.

So a word read from a clean-up is cut into glyphs on the page before it (:func:`.glyphs.find`:
connected ink much darker than the paper, where strokes are solid and the grey bar is left
out). When they are as many as its letters (stops and commas aside), each letter on a glyph
of its shape (:func:`.glyphs.matched`), each glyph read as ``c`` is looked at there
(:func:`_barred`), and read as ``e`` when it has the bar.

Forty-fourth round: 219 tune pages 6861 to 6856 edits (five grainy pages, a word each, none
worse); 15 grainy GLPK and camlidl pages outside the corpus (scratch, tune sources) 370 to
356, 15 of their 21 such ``c`` read as ``e``. A first version that paired letters with
glyphs by count alone read a grainy C++ page's every ``class`` as ``elass`` (a Times ``c``'s
upper end reaches into its middle third): each check here stopped one such misreading.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from PIL import Image

from . import glyphs
from .geometry import Line, Word, body_height
from .ink import median_level
from .preprocess import as_gray, page_histogram

__all__ = ("restore",)

BAR = 0.65
"""A crossbar's row averages at most this share of the paper's grey level across the glyph's
inside (a grainy page's ``e``: 104-128 on paper of 208; a ``c``'s rows there 155 or more)."""

INK = 0.45
"""Glyphs are found on the page before its clean-up, as its pixels this share of the paper's
grey or darker: strokes are solid there (the clean-up broke an ``e`` or an ``h`` in two),
grain that dark a speck now and then, and an ``e``'s grey bar left out (it is looked for)."""

SET_OFF = 0.15
"""A crossbar's row is darker than the ``e``'s eye above it by this share of the paper's grey
(104 under 155-165 on paper of 208)."""

OPEN = 0.85
"""A row of the inside's middle third averages this share of the paper's grey at least."""


def _barred(grey: Any, glyph: glyphs.Box, paper: float) -> bool:
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
    found = glyphs.find(box <= INK * paper, height)
    paired = None if found is None else glyphs.pair(word.text, found)
    if not paired or not glyphs.matched(paired, height):
        return word.text
    text = list(word.text)
    for k, ch, glyph in paired:
        if ch == "c" and _barred(box, glyph, paper):
            text[k] = "e"
    return "".join(text)


def restore(uncleaned: Image.Image, lines: list[Line]) -> int:
    """Read, in place, each ``c`` of ``lines`` (read from a clean-up of ``uncleaned``) that
    has an ``e``'s crossbar on the page before its clean-up as ``e`` (the module docstring).
    Returns how many words changed."""
    height = body_height(lines)
    words = [(ln, i) for ln in lines for i, w in enumerate(ln.words) if "c" in w.text]
    if not words or height <= 0:
        return 0
    gray = as_gray(uncleaned)
    # The paper's median grey, grain and all: ink is a few per cent of a page, and dark.
    paper = float(median_level(list(page_histogram(gray)), 64) or 255)
    grey = np.asarray(gray)
    return glyphs.retext(words, lambda _, word: _read(word, grey, paper, height))
