"""``≤`` and ``≥`` read as ``<`` and ``>`` given back their bar.

Tesseract's English model reads a formula's ``1 ≤ k ≤ m`` as ``1 < k < m``, 75-91 sure, and
the re-reading's cut never sees it. The ink says otherwise: under the chevron of ``≤`` lies a
bar as wide as the glyph, parted from it by a blank, which no ``<`` has (its lower arm ends in
a point). So a word read as a lone ``<`` or ``>`` whose ink, down to its line's foot, ends in
such a bar (:func:`_barred`) is read as ``≤`` or ``≥``; so is one inside a formula Tesseract
ran into one word (``1<k<m``), on its own glyph, where the word's glyphs pair off with its
characters (:mod:`.glyphs`).

Forty-fourth round, GLPK's tune pages: of 63 ``≤`` and ``≥``, Tesseract and the passes after
it left 17 as ``<`` and ``>`` (raw RapidOCR, reading whole lines, none); now 6, each inside a
word Tesseract ran together (``<u2``). 1337 to 1326 edits, six pages better, none worse. Signs
inside such words: one more page better by an edit (GLPK, C++ and Raptor pages, where code's
``<`` and ``>`` abound, otherwise the same).
"""

from __future__ import annotations

from typing import Any

from PIL import Image

from . import glyphs
from .geometry import Line, Word
from .ink import Windows, bounds

__all__ = ("restore",)

BAR = 0.75
"""A bar's row is inked along at least this share of the glyph's width (26-28 of 28 px in a
scan at 300 DPI); a chevron's lowest rows hold its arm's point, a fifth of it."""

THICK = 0.25
"""A bar is at most this share of the glyph's height thick."""

_BARRED = {"<": "≤", ">": "≥"}


def _barred(ink: Any, pad: int) -> bool:
    """``ink`` (a glyph's box widened by ``pad`` columns each side, down to its line's foot,
    a boolean array) ends in a bar: its lowest inked rows are each inked across :data:`BAR`
    of the glyph's width, at most :data:`THICK` of its height in all, with a blank row
    between them and the ink above, and no further than the glyph (a rule under a line
    runs on past it)."""
    glyph = ink[:, pad : ink.shape[1] - pad]
    rows = glyph.sum(axis=1)
    starts, ends = bounds(rows > 0)
    if len(starts) < 2:
        return False  # no blank between a bar and a chevron
    top, bottom = int(starts[-1]), int(ends[-1])
    if bottom - top > max(2, THICK * (bottom - int(starts[0]))):
        return False
    if rows[top:bottom].max() < BAR * glyph.shape[1]:
        return False
    return not (ink[top:bottom, :pad].any() or ink[top:bottom, ink.shape[1] - pad :].any())


def _glyph_barred(ink: Windows, x0: int, y0: int, x1: int, foot: int, pad: int) -> bool:
    """The glyph in columns ``x0..x1`` from row ``y0`` ends in a bar by its line's ``foot``,
    with no ink ``pad`` columns either side of the bar."""
    return x0 >= pad and _barred(ink.window(x0 - pad, y0, x1 + pad, foot), pad)


def _read(word: Word, ink: Windows, foot: int, height: float) -> str:
    """``word``'s text with each ``<`` or ``>`` whose glyph ends in a bar read as ``≤`` or
    ``≥``: a lone one on its box, one in a longer word (``1<k<m``) on its glyph, where the
    word's glyphs pair off with its characters (:func:`.glyphs.pair`)."""
    if word.text in _BARRED:
        pad = max(2, (word.x1 - word.x0) // 4)  # a recogniser's box may be a pixel loose
        barred = _glyph_barred(ink, word.x0, word.y0, word.x1, max(word.y1, foot), pad)
        return _BARRED[word.text] if barred else word.text
    found = glyphs.find(ink.window(word.x0, word.y0, word.x1, word.y1), height)
    paired = None if found is None else glyphs.pair(word.text, found)
    if not paired:
        return word.text
    text = list(word.text)
    for k, ch, (x0, y0, x1, _) in paired:
        # A glyph found in the ink is tight to it, its neighbours a pixel or two away: the
        # column beside it is blank unless a rule runs on under it.
        left = word.x0 + x0
        if ch in _BARRED and _glyph_barred(ink, left, word.y0 + y0, word.x0 + x1, foot, 1):
            text[k] = _BARRED[ch]
    return "".join(text)


def restore(img: Image.Image, lines: list[Line]) -> int:
    """Read, in place, each ``<`` or ``>`` in ``lines`` whose ink ends in a bar as ``≤`` or
    ``≥`` (the module docstring). Returns how many words changed."""
    return glyphs.reread(
        img,
        lines,
        lambda w: any(c in _BARRED for c in w.text) and w.x1 - w.x0 >= 3,
        lambda ln, word, ink, height: _read(word, ink, ln.y1, height),
    )
