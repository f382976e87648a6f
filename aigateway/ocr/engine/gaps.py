"""Spaces put back inside words of proportional text, where the ink leaves a word's gap.

Tesseract joins two words whose blank it judges too narrow for a space: ``in a`` read as
``ina``, ``Id is`` as ``Idis``, ``efile, which`` as ``efile,which``, ``lb ≤ x`` as ``lb≤x``.
A text layer (what a PDF's reader copies) has the space, as its blank is as wide as the
line's other spaces. So within a word whose glyphs pair off with its characters, each on a
glyph of its shape (:func:`.glyphs.matched`), a blank between two glyphs as wide as most of
its line's gaps between words, and a good part of a text height, is a space.

Only between letters and digits (not two digits: a proportional face's ``1`` stands in a
digit's cell, with a wide blank either side), after a comma, and beside a mathematical sign
in a word holding a sign no program text uses (``≤``, ``∑``). Elsewhere a wide blank beside
punctuation is as often a typewriter face's cell inside proportional text (``v.set``,
``std::string``, ``f(x)``) as a space.

Monospace text is read the same way: :mod:`.spaces` has split what its cells' pitch showed
(such words hold a space, and are passed over), and a blank there as wide as the line's gaps
between words is a space cell too.
"""

from __future__ import annotations

import itertools
import statistics
from collections.abc import Sequence
from typing import Any

import numpy as np
from PIL import Image

from . import glyphs
from .geometry import Line, Word
from .ink import Windows

__all__ = ("restore",)

SHARE = 0.85
"""A blank inside a word at least this share of its line's median gap between words is a
space..."""

FLOOR = 0.3
"""... and at least this many of its line's heights wide (letters stand a tenth apart)."""

MATH = frozenset("≤≥≠±\u00d7∑∏∞∈")
"""Signs of mathematics that program text does not use."""

_SIGNS = MATH | frozenset("<>=+")


def _line_gap(ln: Line) -> float | None:
    """The median blank between neighbouring words of ``ln`` (``None`` under two gaps)."""
    gaps = [b.x0 - a.x1 for a, b in itertools.pairwise(ln.words) if b.x0 > a.x1]
    return float(statistics.median(gaps)) if len(gaps) >= 2 else None


def _spaceable(text: str, k: int) -> bool:
    """A space may stand before ``text[k]`` as far as the characters on either side go."""
    left, right = text[k - 1], text[k]
    if left.isalnum() and right.isalnum():
        return not (left.isdigit() and right.isdigit())
    if left == "," and right.isalnum():
        return True
    if left in _SIGNS or right in _SIGNS:
        return any(ch in MATH for ch in text)
    return False


def _blank(ink: Any, x0: int, x1: int, between: str) -> int:
    """The blank between two glyphs at columns ``x0`` and ``x1`` of ``ink`` with the
    characters ``between`` them: all of it with none, right of the comma's ink with a
    comma, else 0 (not looked at)."""
    if not between:
        return x1 - x0
    if between != ",":
        return 0
    inked = ink[:, x0:x1].any(axis=0).nonzero()[0]
    return 0 if len(inked) == 0 else x1 - x0 - 1 - int(inked[-1])


def _widest_blank(ink: Any) -> int:
    """The widest run of blank columns of ``ink`` between its first and last inked ones."""
    inked = ink.any(axis=0).nonzero()[0]
    return int(np.diff(inked).max()) - 1 if len(inked) >= 2 else 0


def _cuts(word: Word, ink: Any, height: float, least: float) -> list[int]:
    """Indices in ``word``'s text before which a space is missing: its glyph pairs blank
    ``least`` pixels or more apart, where :func:`_spaceable`."""
    # No run of blank columns that wide: no cut, and no labelling (three quarters of the
    # pass's time). A mark in the blank (a speck, a glyph's broken piece: a fax's "extra"
    # read "extr a") leaves none either.
    if _widest_blank(ink) < least:
        return []
    found = glyphs.find(ink, height)
    paired = None if found is None else glyphs.pair(word.text, found)
    if paired is None:
        return []
    cuts = [
        k2
        for (k1, _, a), (k2, _, b) in itertools.pairwise(paired)
        if _spaceable(word.text, k2) and _blank(ink, a[2], b[0], word.text[k1 + 1 : k2]) >= least
    ]
    if not cuts or not glyphs.matched(paired, height, spaced=cuts):
        return []
    # A letter cut off on its own is a word only if it is one (``a``, ``I``): a glyph broken
    # in two leaves a wide blank inside it (``c ase``, ``v ariable``).
    pieces = [word.text[i:j] for i, j in itertools.pairwise([0, *cuts, len(word.text)])]
    if any(len(p) == 1 and p.isalpha() and p not in "aAI" for p in pieces) and not any(
        ch in MATH for ch in word.text
    ):
        return []
    return cuts


def _read(word: Word, ink: Windows, height: float, least: float) -> str:
    if len(word.text) < 2 or " " in word.text or word.x1 <= word.x0 or word.y1 <= word.y0:
        return word.text
    cuts = set(_cuts(word, ink.window(word.x0, word.y0, word.x1, word.y1), height, least))
    return "".join((" " if i in cuts else "") + c for i, c in enumerate(word.text))


def restore(img: Image.Image, lines: Sequence[Line]) -> int:
    """Put back, in place, spaces missing inside words of ``lines``' proportional text (the
    module docstring). Returns how many words changed."""
    least: dict[int, float] = {}
    for ln in lines:
        gap = _line_gap(ln)
        if gap is not None:
            least[id(ln)] = max(SHARE * gap, FLOOR * ln.height)
    wanted = {id(w) for ln in lines if id(ln) in least for w in ln.words}
    return glyphs.reread(
        img,
        list(lines),
        lambda w: id(w) in wanted,
        lambda ln, word, ink, height: _read(word, ink, height, least[id(ln)]),
    )
