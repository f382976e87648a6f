"""Words Tesseract read out of a drawing's line work, dropped.

Tesseract's layout analysis takes some drawings for text: the tiles of a fill pattern, a
grid, hatching, a chart's frame and the shapes in it. It reads them as rows of short, made-up
words (``{JT T JT [J``, ``TT fT T T WK``), which no later pass can mend: RapidOCR's recogniser
is unsure of such a crop too, and keeps nothing. A page of a manual with four patterned
circles under its code came back with 65 edits of such words, against raw RapidOCR's 4 (whose
detector finds no text in a drawing).

Such a word gives itself away by its ink: the strokes under it belong to line work that runs
far past the word's box, where a glyph's strokes end inside it however large the print. So for
each short word (:data:`LONGEST`) that is not sure text (a confidence under :data:`SURE`, or
two characters or fewer), on a line with more such words than sure ones, the ink in and
around its box is split into connected parts, and the word is dropped when most of the ink
inside its box belongs to parts reaching :data:`OUT` text heights or more past the box across
*and* up or down (an underline or a table's rule reaches out one way only).

Connected parts are found by OpenCV, which the ``rapidocr`` extra installs (its wheel needs
it); without OpenCV the pass keeps every word.
"""

from __future__ import annotations

import statistics

from PIL import Image

from .fastops import components
from .geometry import Line, Word
from .ink import Windows
from .preprocess import as_gray, otsu_level, page_histogram

__all__ = ("LONGEST", "OUT", "SHARE", "SURE", "drop")

SURE = 90.0
"""A word this confident (0-100), of three characters or more, is text whatever is under it:
a label set on a chart's grid line."""

OUT = 1.0
"""Text heights by which a connected part must be wider and taller than a word's box to be line
work. Measured against the box, not as a size: a heading's or a decorative font's letters
are several text heights tall, and an unsure word of them was dropped (``THIS SHOULD BE IN
DARKGARDENMK``, a font sample)."""

REACH = 2.0
"""Text heights the window around a word reaches past its box on each side."""

SHARE = 0.5
"""Share of the ink inside a word's box that must be line work for the word to go."""

LONGEST = 8
"""Characters a word read out of a drawing has at most: Tesseract makes short words of line
work (``{JT``, ``TJ)``, ``MITT``); a longer unsure word is text it read badly."""

MIN_SURE = 5
"""Sure words (:data:`SURE`, three characters or more) a page needs to measure its text
height by; with fewer (a page of little or unsure text) nothing is dropped."""


def _sure(w: Word) -> bool:
    return w.conf >= SURE and len(w.text) >= 3


def _text_height(lines: list[Line]) -> float | None:
    """The median height of the page's sure words, or ``None`` with too few of them."""
    heights = [w.y1 - w.y0 for ln in lines for w in ln.words if _sure(w)]
    return float(statistics.median(heights)) if len(heights) >= MIN_SURE else None


def _drawn(page: Windows, w: Word, height: float) -> bool:
    """Most of the ink in ``w``'s box on ``page`` belongs to parts reaching :data:`OUT` text
    heights past the box both ways."""
    cols, rows = page.gray.size
    bx0, by0, bx1, by1 = max(0, w.x0), max(0, w.y0), min(cols, w.x1), min(rows, w.y1)
    if bx1 <= bx0 or by1 <= by0:
        return False
    pad = round(REACH * height)
    x0, y0 = max(0, bx0 - pad), max(0, by0 - pad)
    found = components(page.window(x0, y0, min(cols, bx1 + pad), min(rows, by1 + pad)))
    if found is None:
        return False
    labels, sizes = found
    inside = labels[by0 - y0 : by1 - y0, bx0 - x0 : bx1 - x0]
    ink = inside[inside > 0]
    if ink.size == 0:
        return False
    out = OUT * height
    big = (sizes[:, 0] >= bx1 - bx0 + out) & (sizes[:, 1] >= by1 - by0 + out)
    big[0] = False  # label 0 is the paper
    return bool(big[ink].mean() >= SHARE)


def drop(img: Image.Image, lines: list[Line]) -> int:
    """Remove, in place, the words of ``lines`` (read from ``img``) that lie on a drawing's
    line work, and the lines left without words. Returns how many words went.

    Only lines with more unsure words than sure ones are looked at: a drawing's rows are made
    up of nothing else, and looking costs about a tenth of a millisecond a word."""
    height = _text_height(lines)
    doubtful = [ln for ln in lines if 2 * sum(not _sure(w) for w in ln.words) > len(ln.words)]
    if height is None or not doubtful:
        return 0
    gray = as_gray(img)
    # Otsu's level of the page, as the bullets pass took it (its histogram is kept).
    page = Windows(gray, otsu_level(page_histogram(gray)[:256]))
    gone = 0
    for ln in doubtful:
        keep = [
            w for w in ln.words if _sure(w) or len(w.text) > LONGEST or not _drawn(page, w, height)
        ]
        gone += len(ln.words) - len(keep)
        ln.words[:] = keep
    if gone:
        lines[:] = [ln for ln in lines if ln.words]
    return gone
