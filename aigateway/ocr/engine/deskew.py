"""Straighten a slightly skewed page before it is read.

Tesseract copes with a degree or so of skew, but at 2-4 degrees it splits and merges lines and
loses paragraphs' order (bench corpus, tune split, category "skewed": 318 edits on a page it
reads with 41 when straight). The angle is found the classic way: on a thresholded copy at
about 75 DPI, the rotation that makes the row profile sharpest (text lines and the gaps between
them line up with pixel rows) wins: half degrees over +-:data:`MAX_ANGLE` (on a copy at half
that size), then tenths. About 0.03 s a page, Pillow only.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from . import fastops
from .preprocess import as_gray, otsu, reduced

__all__ = ("MAX_ANGLE", "MIN_ANGLE", "level", "skew_angle", "straighten")

MAX_ANGLE = 6.0
"""Largest skew looked for, in degrees (beyond it a page is rotated on purpose, or sideways)."""

MIN_ANGLE = 0.4
"""Smaller skews are left to Tesseract (a straightened copy costs a resampling and blurs)."""

_SIDE = 800


def _sharpness(bw: Image.Image, angle: float) -> float:
    """Sum of squared differences between neighbouring row sums of ``bw`` turned by ``angle``."""
    turned = bw.rotate(angle, resample=Image.Resampling.NEAREST, fillcolor=255)
    rows = turned.resize((1, turned.height), Image.Resampling.BOX).tobytes()
    # In numpy: the Python loop over ~800 rows, at 36 angles a page, cost 1-2 ms of its 24.
    diffs = np.diff(np.frombuffer(rows, dtype=np.uint8).astype(np.int64))
    return float(np.dot(diffs, diffs))


def skew_angle(img: Image.Image) -> float:
    """Counter-clockwise degrees that make the page's text lines horizontal (0.0 when there is
    nothing to measure)."""
    w, h = img.size
    if min(w, h) < 64:
        return 0.0
    factor = max(1, max(w, h) // _SIDE)
    small = reduced(as_gray(img), factor)
    level = otsu(small)
    bw = small.point(lambda v: 0 if v < level else 255)
    if bw.getextrema()[0] == 255:
        return 0.0  # blank
    # Half-degree steps on a copy at half that size (the steps move a line's ends by a few
    # pixels even there): the same angles on every bench corpus page at half the cost.
    coarse_bw = bw.reduce(2) if min(bw.size) >= 128 else bw
    best = max(
        (_sharpness(coarse_bw, a / 2), a / 2)
        for a in range(-2 * int(MAX_ANGLE), 2 * int(MAX_ANGLE) + 1)
    )
    coarse = best[1]
    fine = max((_sharpness(bw, coarse + d / 10), coarse + d / 10) for d in range(-5, 6))
    return round(fine[1], 1)


def straighten(img: Image.Image) -> tuple[Image.Image, float]:
    """The page turned level when it is skewed by :data:`MIN_ANGLE` or more, and the angle."""
    levelled, angle, _ = level(img)
    return levelled, angle


def level(img: Image.Image) -> tuple[Image.Image, float, float]:
    """:func:`straighten`'s page and angle, and the skew left on the page (degrees, under
    :data:`MIN_ANGLE`; 0.0 when it was turned)."""
    angle = skew_angle(img)
    if abs(angle) < MIN_ANGLE:
        return img, 0.0, angle
    return fastops.rotate(img, angle), angle, 0.0
