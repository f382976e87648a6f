"""``∞`` read as ``oo`` or ``00`` given back.

Tesseract's English model has no ``∞``: a formula's bounds ``-∞ < x < +∞`` come back as
``—oo<a<-+oo`` or ``+00``. The ink tells the two apart. Two ``o`` (or ``0``) are two rings,
each its own connected ink, or, run together by blur, touching side to side, where the ink
fills their height; ``∞`` is one connected figure, wider than tall, whose two loops cross
in the middle, where the ink fills only the crossing's few rows.

So where a word's text has such a pair, its ink is cut into glyphs (:func:`.glyphs.find`);
read with ``∞`` for the pair, the word has as many glyphs as characters, and the pair's
glyph is a crossing figure (:func:`_crossing`), the pair is read as ``∞``.

Two ``o`` run together deep enough (a third of a ring's width) pass for ``∞``: a word of
nothing but them in brackets, blurred that much, is read as ``∞`` (such a word is far rarer
than a formula's ``∞``).

Forty-fourth round: 45 pages of GLPK and camlidl outside the corpus (tune sources; scratch,
born-digital, grainy and 150 DPI) hold 33 ``∞``, and 11 came back as a pair of rings; now 2,
744 to 727 edits, seven pages better, none worse. The 219 tune pages 6856 to 6852 (a GLPK
photo and scan), none worse.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
from PIL import Image

from . import glyphs
from .geometry import Line, Word, body_height
from .ink import page_otsu
from .preprocess import as_gray

__all__ = ("restore",)

WIDE = 1.4
"""``∞`` is at least this many times as wide as it is tall (1.6 in DejaVu Sans, 2 in
Computer Modern at 150 DPI); a ring, ``o`` or ``0``, at most about as wide as tall."""

CROSSING = 0.75
"""At the middle columns of ``∞`` the ink fills at most this share of its height (the loops'
crossing: a third at 300 DPI, 7 rows of 10 at 150), and leaves its top and bottom rows
blank."""

_PAIR = re.compile(r"(?<![^\W_])[oO0]{2}(?![^\W_])")
"""A pair of rings with no letter or digit either side: ``∞`` stands beside a sign, a
bracket or a space; ``oo`` in a word (``book``) or ``00`` in a number (``100``, its zeros
run together by blur) never is."""


def _crossing(ink: Any) -> bool:
    """``ink`` (one glyph's box, a boolean array) is a crossing figure: :data:`WIDE`, its
    middle columns inked over at most :data:`CROSSING` of its height, away from its top and
    bottom."""
    h, w = ink.shape
    if h < 3 or w < WIDE * h:
        return False
    middle = ink[:, w // 2 - 1 : w // 2 + 2].any(axis=1)
    rows = np.flatnonzero(middle)
    edge = max(1, h // 7)
    if not rows.size or rows[0] < edge or rows[-1] >= h - edge:
        return False
    return bool(rows[-1] - rows[0] + 1 <= CROSSING * h)


def _read(word: Word, page: Any, level: int, height: float) -> str:
    """``word``'s text with each pair of rings that is one crossing figure read as ``∞``
    (``page``'s grey levels up to ``level`` being ink)."""
    box = page[word.y0 : word.y1, word.x0 : word.x1] <= level
    found = glyphs.find(box, height)
    if found is None:
        return word.text
    pairs = list(_PAIR.finditer(word.text))
    # All of them at once first (``-∞ < x < +∞``: alone, either leaves a glyph over).
    for chosen in [pairs, *([m] for m in pairs)] if len(pairs) > 1 else [pairs]:
        read, starts = word.text, []
        for shift, m in enumerate(chosen):
            at = m.start() - shift  # each ∞ before it took one character's place of two
            read = read[:at] + "∞" + read[at + 2 :]
            starts.append(at)
        paired = glyphs.pair(read, found)
        if paired is None:
            continue
        boxes = {k: g for k, _, g in paired}
        if all(_crossing(box[y0:y1, x0:x1]) for x0, y0, x1, y1 in (boxes[k] for k in starts)):
            return read
    return word.text


def restore(img: Image.Image, lines: list[Line]) -> int:
    """Read, in place, each pair of rings in ``lines``' words that the ink shows is ``∞``
    (the module docstring). Returns how many words changed."""
    maybe = [(ln, i) for ln in lines for i, w in enumerate(ln.words) if _PAIR.search(w.text)]
    height = body_height(lines)
    if not maybe or height <= 0:
        return 0
    gray = as_gray(img)
    level = page_otsu(gray)
    page = np.asarray(gray)
    return glyphs.retext(maybe, lambda _, word: _read(word, page, level, height))
