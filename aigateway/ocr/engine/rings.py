"""A round stamp's rings: the large thin circles a rubber stamp leaves over the print, found so
they can be cleared to paper before anything reads the page.

A ``PAID`` or ``RECEIVED`` stamp pressed over a paragraph draws one or two circles 25-90 mm
across through its lines. In grey (a grey scan, a fax, a black stamp) its ink is as dark as
the print, and Tesseract took the ring, and every line it crossed, for a picture: six tune
pages with a grey stamp over their text read 1304 edits against 169 without it (the rings alone
1293, the lettering alone 203). In colour :mod:`.marks` tells a stamp by its colour; here it is
told by its shape.

A ring is a circle (OpenCV's Hough transform, on the quarter-size ink mask the borders are
found on, inside a part of the ink as large as a ring) whose circumference is ink nearly all
the way round (:data:`ON_RING`) in a band no thicker than a stamp's stroke, with much less ink
just inside and just outside the band (:data:`CONTRAST`): a paragraph's lines cross any
circle drawn over them, but cover it no more densely than they cover the circles beside it.
What is cleared is the band (a pixel wider either side, for its soft edge) between the lines
of print only: where a glyph meets it (ink just inside or outside it) and along the rows of a
line of print the band is left. Clearing all of it cut every glyph it crossed, and a ring
running along a line erased the line's middle (`differ   decides`): the served letter read
worse than with the ring. Broken into arcs in the gaps between lines, the ring is no longer
one part with every line it crosses, and no glyph loses ink.
"""

from __future__ import annotations

import math

import numpy as np

from . import fastops

__all__ = ("CONTRAST", "MAX_RADIUS", "MIN_DPI", "MIN_RADIUS", "ON_RING", "find")

MIN_DPI = 200
"""A page's resolution under which its rings are not looked for (:func:`.borders.clear`)."""

MIN_RADIUS = 12 / 25.4
"""Inches (12 mm): a ring's radius at the least (a stamp 24 mm across)."""

MAX_RADIUS = 45 / 25.4
"""Inches (45 mm): a ring's radius at the most."""

MAX_STROKE = 2.5 / 25.4
"""Inches (2.5 mm): a ring's stroke at its thickest."""

ON_RING = 0.6
"""Share of a ring's circumference that is ink."""

CONTRAST = 0.4
"""How much more of the ring's circumference is ink than of the circles just inside and just
outside its band."""

MAX_PARTS = 4
"""Parts of the ink as large as a ring looked at, at most (the largest first)."""

MAX_CIRCLES = 3
"""Hough's circles checked in a part, at most (its strongest first)."""

MAX_FILL = 0.35
"""Share of its box a part with a ring in it covers at the most."""

MAX_INK = 0.2
"""Share of the page's pixels that are ink above which no ring is looked for."""

_ANGLES = 360

GAP = 1
"""Pixels past the band's edge looked at for a glyph crossing it."""

SPREAD = 1.5
"""Pixels of the band kept either side of a crossing."""

TEXT_ROW = 0.12
"""Share of the ring's box width that is ink, besides the ring, in a row of print."""

_NUDGE = 3
"""Pixels either way a Hough centre is moved in search of the ring's own."""


def find(dark: np.ndarray, dpi: float) -> np.ndarray | None:
    """The rings in the ink mask ``dark`` (``True`` is ink) of a page at ``dpi`` (the mask's
    own scale) as a boolean mask of its size; ``None`` when there are none, or no OpenCV to
    find them with."""
    cv2 = fastops._cv2()
    low, high = MIN_RADIUS * dpi, MAX_RADIUS * dpi
    if cv2 is None or low < 8 or 2 * low > min(dark.shape):
        return None
    if np.count_nonzero(dark) > MAX_INK * dark.size:
        return None  # grain or a dark ground: one part, and circles anywhere in it
    found = fastops.parts(dark)
    assert found is not None  # OpenCV is here
    stats = found[1]
    w, h, area = stats.T[2:]
    # A ring is one part with the glyphs it touches: as large as a ring, and not much larger,
    # and mostly open (a disc, a photo or a table's dense grid is not looked in).
    large = (w >= 1.8 * low) & (h >= 1.8 * low) & (w <= 2.6 * high) & (h <= 2.6 * high)
    large &= area <= MAX_FILL * w * h
    large[0] = False
    if not large.any():
        return None  # most pages, for a labelling of the quarter-size mask
    rings = np.zeros_like(dark)
    order = np.flatnonzero(large)[np.argsort(-area[large])][:MAX_PARTS]
    for k in order.tolist():
        kx, ky, kw, kh = (int(v) for v in stats[k][:4])
        pad = 4
        x0, y0 = max(0, kx - pad), max(0, ky - pad)
        x1, y1 = min(dark.shape[1], kx + kw + pad), min(dark.shape[0], ky + kh + pad)
        region = (dark[y0:y1, x0:x1].astype(np.uint8) * 255).copy()
        circles = cv2.HoughCircles(
            cv2.GaussianBlur(region, (5, 5), 1.5),
            cv2.HOUGH_GRADIENT,
            dp=1,
            minDist=low,
            param1=100,
            param2=30,
            minRadius=int(low),
            maxRadius=int(high) + 1,
        )
        if circles is None:
            continue
        for cx, cy, r in circles[0][:MAX_CIRCLES].tolist():
            _mark(dark, rings, (cx + x0, cy + y0), r, dpi)
    return rings if rings.any() else None


def _mark(
    dark: np.ndarray, rings: np.ndarray, centre: tuple[float, float], r: float, dpi: float
) -> None:
    """The ring bands round ``centre`` near radius ``r`` (a Hough candidate), if they are
    rings, marked in ``rings``."""
    # Wide of the candidate both ways: Hough finds one of a stamp's two rings, the other is a
    # tenth to a fifth of its radius inside or out.
    radii = np.arange(max(2, int(0.5 * r)), int(1.3 * r) + 3)
    # Hough's centre can be a pixel or two off, enough to split a ring's circumference
    # between neighbouring radii: the centre nearby whose best circle is inkiest is taken.
    best = None
    for dy in range(-_NUDGE, _NUDGE + 1):
        for dx in range(-_NUDGE, _NUDGE + 1):
            here = (centre[0] + dx, centre[1] + dy)
            cover = _cover(dark, here, radii)
            if cover is not None and (best is None or cover.max() > best[1].max()):
                best = (here, cover)
    if best is None:
        return  # a circle mostly off the page
    centre, cover = best
    stroke = max(2, int(MAX_STROKE * dpi))
    on = cover >= ON_RING
    i = 0
    while i < len(radii):
        if not on[i]:
            i += 1
            continue
        j = i
        while j + 1 < len(radii) and on[j + 1]:
            j += 1
        # A band of ink round the centre, as thin as a stroke, with little ink either side.
        if j - i + 1 <= stroke and i >= 2 and j + 2 < len(radii):
            band = float(cover[i : j + 1].mean())
            if band - max(cover[i - 2], cover[j + 2]) >= CONTRAST:
                _clear(dark, rings, centre, radii[i] - 1.5, radii[j] + 2.5)
        i = j + 1


def _on_circles(
    dark: np.ndarray, centre: tuple[float, float], radii: np.ndarray, theta: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Sampled round ``centre`` at each of ``radii`` (rows) and angles ``theta`` (columns):
    whether the point is ink in ``dark``, and whether it is on the page at all."""
    h, w = dark.shape
    xs = np.rint(centre[0] + radii[:, None] * np.cos(theta)).astype(int)
    ys = np.rint(centre[1] + radii[:, None] * np.sin(theta)).astype(int)
    inside = (xs >= 0) & (xs < w) & (ys >= 0) & (ys < h)
    return inside & dark[ys.clip(0, h - 1), xs.clip(0, w - 1)], inside


def _cover(dark: np.ndarray, centre: tuple[float, float], radii: np.ndarray) -> np.ndarray | None:
    """The share of each circle round ``centre`` (one a radius) that is ink; ``None`` when the
    circles are mostly off the page."""
    theta = np.linspace(0, 2 * math.pi, _ANGLES, endpoint=False)
    ink, inside = _on_circles(dark, centre, radii, theta)
    if inside.mean() < 0.75:
        return None
    # Ink at a radius or the next: a thin ring a little out of round, or drawn between two
    # radii, is whole in neither.
    ink[:-1] |= ink[1:]
    cover: np.ndarray = ink.sum(axis=1) / np.maximum(inside.sum(axis=1), 1)
    return cover


def _clear(
    dark: np.ndarray, rings: np.ndarray, centre: tuple[float, float], r0: float, r1: float
) -> None:
    """The annulus between radii ``r0`` and ``r1`` round ``centre`` marked in ``rings``, but
    for where a glyph crosses it: at an angle with ink just inside or just outside the band,
    the band is a glyph's stroke as well as the ring's, and is left (with a little either
    side), so the ring comes off in arcs between the glyphs and every glyph keeps its ink."""
    cx, cy = centre
    h, w = rings.shape
    n = max(90, int(2 * math.pi * r1))
    theta = np.arange(n) * (2 * math.pi / n)
    past = np.array([r0 - GAP, r0 - GAP - 1, r1 + GAP, r1 + GAP + 1])
    crossed = np.any(_on_circles(dark, centre, past, theta)[0], axis=0)
    # A crossing's neighbours too: a glyph's stroke meets the band at a slant.
    spread = max(1, round(n * SPREAD / (2 * math.pi * r1)))
    kept = crossed.copy()
    for k in range(1, spread + 1):
        kept |= np.roll(crossed, k) | np.roll(crossed, -k)
    x0, x1 = max(0, int(cx - r1) - 1), min(w, int(cx + r1) + 2)
    y0, y1 = max(0, int(cy - r1) - 1), min(h, int(cy + r1) + 2)
    yy, xx = np.mgrid[y0:y1, x0:x1]
    dist = np.hypot(xx - cx, yy - cy)
    angle = ((np.arctan2(yy - cy, xx - cx) % (2 * math.pi)) * (n / (2 * math.pi))).astype(int) % n
    band = (dist >= r0) & (dist <= r1)
    # Rows of print the ring runs along: a stroke there may be a glyph's, and the band is
    # kept; between the lines the ring is only itself. Its arcs in the gaps are what make it
    # one part with every line it crosses.
    ink = dark[y0:y1, x0:x1] & ~band
    text = ink.sum(axis=1) >= TEXT_ROW * (x1 - x0)
    text[1:] |= text[:-1].copy()
    text[:-1] |= text[1:].copy()
    rings[y0:y1, x0:x1] |= band & ~kept[angle] & ~text[:, None]
