"""Is a page turned on its side? A check cheap enough to run before every first reading.

Text lines leave empty rows between them. Cut a page (at about 75 DPI, thresholded) into
narrow vertical strips: down each strip, horizontal text alternates ink rows with empty rows,
while across narrow horizontal strips the empty columns are rare (words rarely line up over
several lines). A page whose empty *columns* clearly outnumber its empty *rows* holds vertical
lines of text: it is turned 90 or 270 degrees, and Tesseract's orientation check (OSD) is asked
which, before any reading. Without it a sideways page is first read as it is (as long as an
upright page, for nothing) and only then turned; 180 degrees still takes that path, since
projections cannot tell upside down from upright.

Narrow strips keep a skewed page's lines apart (a 32 px strip at 75 DPI sees 2 px of drift at
4 degrees). On the bench corpus (``bench/ocr_quality.py``) sideways pages score 0.10-0.35 and
upright ones (clean, scanned, grainy, skewed, JPEG) 1.17 and up; :data:`SIDEWAYS_BELOW` sits
between with room on both sides. Pure Pillow, about 10 ms a page.
"""

from __future__ import annotations

from PIL import Image

from .preprocess import otsu

__all__ = ("SIDEWAYS_BELOW", "line_direction", "sideways")

SIDEWAYS_BELOW = 0.6
""":func:`line_direction` under this: the page's lines run vertically."""

_SIDE = 800
"""Longer side of the working copy, in pixels (about 75 DPI for A4)."""

_STRIP = 32
"""Strip width in working pixels."""


def _empty_share(bw: Image.Image) -> float:
    """Share of empty rows between each vertical strip's first and last inked row."""
    w, h = bw.size
    total = empty = 0
    for x in range(0, w, _STRIP):
        strip = bw.crop((x, 0, min(w, x + _STRIP), h)).resize((1, h), Image.Resampling.BOX)
        rows = strip.tobytes()
        inked = [i for i, v in enumerate(rows) if v < 255]
        if len(inked) < 2:
            continue
        span = rows[inked[0] : inked[-1] + 1]
        total += len(span)
        empty += sum(1 for v in span if v == 255)
    return empty / total if total else 0.0


def line_direction(img: Image.Image) -> float:
    """Empty rows over empty columns (each plus 0.01): above 1 for horizontal lines of text,
    under 1 for vertical ones, 1 for a blank page."""
    w, h = img.size
    factor = max(1, max(w, h) // _SIDE)
    small = img.convert("L").reduce(factor) if factor > 1 else img.convert("L")
    level = otsu(small)
    bw = small.point(lambda v: 0 if v < level else 255)
    rows = _empty_share(bw)
    cols = _empty_share(bw.transpose(Image.Transpose.TRANSPOSE))
    return (rows + 0.01) / (cols + 0.01)


def sideways(img: Image.Image) -> bool:
    """Whether the page's text runs vertically (turned 90 or 270 degrees)."""
    if min(img.size) < 64:
        return False
    return line_direction(img) < SIDEWAYS_BELOW
