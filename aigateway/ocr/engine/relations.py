"""``≤`` and ``≥`` read as ``<`` and ``>`` given back their bar.

Tesseract's English model reads a formula's ``1 ≤ k ≤ m`` as ``1 < k < m``, 75-91 sure, and
the re-reading's cut never sees it. The ink says otherwise: under the chevron of ``≤`` lies a
bar as wide as the glyph, parted from it by a blank, which no ``<`` has (its lower arm ends in
a point). So a word read as a lone ``<`` or ``>`` whose ink, down to its line's foot, ends in
such a bar (:func:`_barred`) is read as ``≤`` or ``≥``.

Forty-fourth round, GLPK's tune pages: of 63 ``≤`` and ``≥``, Tesseract and the passes after
it left 17 as ``<`` and ``>`` (raw RapidOCR, reading whole lines, none); now 6, each inside a
word Tesseract ran together (``<u2``). 1337 to 1326 edits, six pages better, none worse.
"""

from __future__ import annotations

from typing import Any

from PIL import Image

from .geometry import Line, Word
from .ink import Windows, bounds
from .preprocess import as_gray, otsu

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


def restore(img: Image.Image, lines: list[Line]) -> int:
    """Read, in place, each lone ``<`` or ``>`` in ``lines`` whose ink ends in a bar as
    ``≤`` or ``≥`` (the module docstring). Returns how many changed."""
    ink: Windows | None = None
    changed = 0
    for ln in lines:
        for i, word in enumerate(ln.words):
            if word.text not in _BARRED or word.x1 - word.x0 < 3:
                continue
            if ink is None:
                gray = as_gray(img)
                ink = Windows(gray, otsu(gray))
            pad = max(2, (word.x1 - word.x0) // 4)
            box = (word.x0 - pad, word.y0, word.x1 + pad, max(word.y1, ln.y1))
            if word.x0 >= pad and _barred(ink.window(*box), pad):
                ln.words[i] = Word(
                    _BARRED[word.text], word.conf, word.x0, word.y0, word.x1, word.y1
                )
                changed += 1
    return changed
