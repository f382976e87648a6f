"""Punch holes: the filled dark discs a filed sheet shows in a scan, found so they can be
cleared to paper before anything reads the page.

A sheet taken out of a ring binder and scanned with the lid open (or copied) shows its holes
as black discs 5-8 mm across, 9-13 mm in from one edge. In the left margin Tesseract passes
them over, but along the top they sit beside the running head and are read as letters: a
tune scan's ``Miscellanea`` came back as ``O @ @ @ Miscellanea``, and a page number ``29`` as
``QC) CQ O td) 29``.

A hole is a part of the page's dark ink (at Otsu's level, on the reduced copy the borders are
looked for on) that is a solid disc: as wide as high, :data:`MIN_SIZE` to :data:`MAX_SIZE`
across, filling its box as a disc does (:data:`FILL`) with nothing light inside, and near an edge
(:data:`MAX_INSET`). No glyph is such a disc: a bullet is a few millimetres across at the
largest, and a ring (``O``, a page number in a circle) is not solid. A disc of a figure or a
logo may be: clearing it loses no text. A hole standing in a line's row is cleared too (no
test of what stands beside it: a running head may pass between two holes), and so is one
that touches the print (the mask is opened first, which parts them).
"""

from __future__ import annotations

import numpy as np

from . import fastops

__all__ = ("FILL", "MAX_INSET", "MAX_SIZE", "MIN_SIZE", "find")

MIN_SIZE = 4.5 / 25.4
"""Inches (4.5 mm): a hole's diameter at the least (ISO 838 and the US three-hole punch make
6-8 mm holes; a scan's threshold can take half a millimetre off)."""

MAX_SIZE = 10 / 25.4
"""Inches (10 mm): a hole's diameter at the most."""

MAX_INSET = 25 / 25.4
"""Inches (25 mm): how far from the image's edge a hole's nearer side may be (a hole's centre
is 9-13 mm in from the sheet's edge, and a scan may show the bed beyond the sheet)."""

FILL = (0.68, 0.88)
"""The share of its box a hole covers: a disc covers pi / 4 (0.785) of its box, a square all
of it, a diamond half."""


def find(dark: np.ndarray, dpi: float) -> np.ndarray | None:
    """The punch holes in the dark mask ``dark`` (``True`` is ink) of a page at ``dpi`` (the
    mask's own scale) as a boolean mask of its size; ``None`` when there are none, or no
    OpenCV to find them with."""
    low, high, inset = MIN_SIZE * dpi, MAX_SIZE * dpi, MAX_INSET * dpi
    if low < 6 or high > min(dark.shape) / 2:
        return None  # a page too small for its DPI, or a DPI tag too low for holes to show
    # Opened by a square a third of a hole wide: print (strokes under a millimetre) falls
    # away, so a hole that touches a glyph stands apart from it; a hole keeps its shape.
    ink = fastops.opened(dark, int(low / 3) | 1)
    if ink is None or not ink.any():
        return None  # no OpenCV, or nothing a third of a hole thick: most pages
    found = fastops.parts(ink)
    assert found is not None  # OpenCV opened the mask
    labels, stats = found
    sh, sw = ink.shape
    x, y, bw, bh, area = stats.T
    fill = area / np.maximum(bw * bh, 1)
    nearest = np.minimum(np.minimum(x, y), np.minimum(sw - x - bw, sh - y - bh))
    likely = (
        (bw >= low)
        & (bh >= low)
        & (bw <= high)
        & (bh <= high)
        & (4 * bw >= 3 * bh)
        & (4 * bh >= 3 * bw)
        & (fill >= FILL[0])
        & (fill <= FILL[1])
        & (nearest > 0)  # a disc cut by the image's edge may be anything
        & (nearest <= inset)
    )
    likely[0] = False  # the paper
    holes = np.zeros_like(dark)
    for k in np.flatnonzero(likely).tolist():
        kx, ky, kw, kh = (int(v) for v in stats[k][:4])
        r, step = _radius(kw, kh, _PAD)
        inner = _PAD + kh, _PAD + kw  # the padded grid's part that is the box
        part = labels[ky : ky + kh, kx : kx + kw] == k
        within = r[_PAD : inner[0], _PAD : inner[1]]
        # The ellipse inscribed in the box, a pixel in from its edge, is all ink (no light
        # letter or ring's hole in it), and ink outside it, a pixel out, is no more than a
        # scan's ragged edge (or the corners the opening's square leaves).
        if not part[within <= 1 - 2 * step].all() or part[within > 1 + 2 * step].mean() > 0.1:
            continue
        # Cleared: the disc and a pixel and a half round it (its soft edge), not what the
        # hole touches.
        y0, x0 = ky - _PAD, kx - _PAD
        disc = r <= 1 + 1.5 * step
        ys, xs = np.nonzero(disc)
        ys, xs = ys + y0, xs + x0
        keep = (ys >= 0) & (xs >= 0) & (ys < sh) & (xs < sw)
        holes[ys[keep], xs[keep]] = True
    return holes if holes.any() else None


_PAD = 2
"""Pixels round a hole's box that its clearing may reach."""


def _radius(w: int, h: int, pad: int) -> tuple[np.ndarray, float]:
    """Each pixel's distance from the centre of the ellipse inscribed in a ``w`` by ``h`` box,
    over the box padded by ``pad`` pixels all round, in the ellipse's radii (1 on its
    outline); and one pixel in those units."""
    yy, xx = np.mgrid[-pad : h + pad, -pad : w + pad]
    r = np.hypot((xx + 0.5 - w / 2) / (w / 2), (yy + 0.5 - h / 2) / (h / 2))
    return r, 2 / min(w, h)
