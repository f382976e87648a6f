"""Straighten a slightly skewed page before it is read.

Tesseract copes with a degree or so of skew, but at 2-4 degrees it splits and merges lines and
loses paragraphs' order (bench corpus, tune split, category "skewed": 318 edits on a page it
reads with 41 when straight). The angle is found the classic way: on a thresholded copy at
about 75 DPI, the rotation that makes the row profile sharpest (text lines and the gaps between
them line up with pixel rows) wins: half degrees over +-:data:`MAX_ANGLE`, then tenths. About
0.01 s a page (numpy on the ink pixels' coordinates).
"""

from __future__ import annotations

import math
from typing import Any

from PIL import Image

from . import fastops
from .preprocess import otsu

__all__ = ("MAX_ANGLE", "MIN_ANGLE", "skew_angle", "straighten")

MAX_ANGLE = 6.0
"""Largest skew looked for, in degrees (beyond it a page is rotated on purpose, or sideways)."""

MIN_ANGLE = 0.4
"""Smaller skews are left to Tesseract (a straightened copy costs a resampling and blurs)."""

_SIDE = 800


def _sharpness(ys: Any, xs: Any, angles: list[float]) -> list[float]:
    """For each angle, the sum of squared differences between neighbouring row counts of the
    ink points (``ys``, ``xs``: offsets from the page's centre) turned by that angle."""
    import numpy as np

    out = []
    for angle in angles:
        t = math.radians(angle)
        # The row each ink pixel lands in when the page turns counter-clockwise (y down).
        rows = np.floor(ys * math.cos(t) - xs * math.sin(t)).astype(np.int64)
        counts = np.bincount(rows - rows.min()).astype(np.float64)
        out.append(float(np.sum(np.diff(counts) ** 2)))
    return out


def _best(ys: Any, xs: Any, angles: list[float]) -> float:
    # Ties go to the larger angle, as Pillow's rotate-and-sum search they replace did.
    return max(zip(_sharpness(ys, xs, angles), angles, strict=True))[1]


def skew_angle(img: Image.Image) -> float:
    """Counter-clockwise degrees that make the page's text lines horizontal (0.0 when there is
    nothing to measure)."""
    import numpy as np

    w, h = img.size
    if min(w, h) < 64:
        return 0.0
    factor = max(1, max(w, h) // _SIDE)
    small = img.convert("L").reduce(factor) if factor > 1 else img.convert("L")
    pixels = np.asarray(small)
    ys, xs = np.nonzero(pixels < otsu(small))
    if not ys.size:
        return 0.0  # blank
    # The ink's row profile under each turn is counted from the ink pixels' coordinates:
    # the same angles as turning the thresholded copy with Pillow and summing its rows
    # (bench corpus, tune and extra splits: every page levelled the same), at a third of
    # the cost. Half-degree steps first, then tenths around the best.
    ys = ys - pixels.shape[0] / 2
    xs = xs - pixels.shape[1] / 2
    coarse = _best(ys, xs, [a / 2 for a in range(-2 * int(MAX_ANGLE), 2 * int(MAX_ANGLE) + 1)])
    return round(_best(ys, xs, [coarse + d / 10 for d in range(-5, 6)]), 1)


def straighten(img: Image.Image) -> tuple[Image.Image, float]:
    """The page turned level when it is skewed by :data:`MIN_ANGLE` or more, and the angle."""
    angle = skew_angle(img)
    if abs(angle) < MIN_ANGLE:
        return img, 0.0
    return fastops.rotate(img, angle), angle
