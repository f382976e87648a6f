"""The dark borders a scanner leaves around a page, cleared to paper before anything measures it.

A page scanned with the lid open, or copied on a machine, comes back with black bands along
its edges: the scanner's bed beyond the sheet. Tesseract thresholds the whole page at one
level, and a band of black a few percent of the page moves that level: tune scans with a
black band down the left edge and another along the top read 983 edits worse by 53 (a
``C`` read ``G``, a stray ``*`` for a footnote mark, the dots of an ellipsis run together),
though the engine took the same steps on both. Raw RapidOCR, which finds text regions
first, does not see the bands at all.

A border is a part of the page's dark ink (at Otsu's level, on a reduced copy, opened by a
square :data:`MIN_THICKNESS` wide so that print and grain fall away) that touches the image's
edge, runs along at least :data:`MIN_SPAN` of that side, is at least :data:`MIN_THICKNESS`
thick, covers at most :data:`MAX_AREA` of the page, and holds no light detail (:data:`MAX_LIGHT`):
a dark bar with light text in it (a screenshot's title bar, a sidebar, a banner) has light
pixels where its letters are, and is left as it is. So are a dark-mode page (its dark ground
is most of it) and a rule along the edge (too thin). What is cleared is painted the paper's
own grey.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageFilter

from . import fastops, holes, rings
from .preprocess import median_level, otsu, page_histogram, reduced

__all__ = (
    "EDGE",
    "LIGHTER",
    "MAX_AREA",
    "MAX_LIGHT",
    "MIN_SPAN",
    "MIN_THICKNESS",
    "clear",
    "find",
)

MIN_SPAN = 0.6
"""Share of the side it touches that a border runs along (a scanner's bed runs the length of
the sheet; a dark figure or photo at the edge is shorter, as a rule)."""

MIN_THICKNESS = 1 / 25
"""Inches (1 mm): a border's mean thickness. A rule drawn along the edge is thinner."""

MAX_AREA = 0.35
"""Share of the page a border may cover: more is the page's own ground (a dark-mode page)."""

LIGHTER = 30
"""Grey levels over a border's own median from which a pixel in it is light detail."""

MAX_LIGHT = 0.0005
"""Share of a border (with its small holes) that may be light detail: a scanner's bed is dark
all over, while a dark sidebar or banner holds light text, which clearing would erase."""

EDGE = 0.2
"""Share of an edge's outermost line a border darkens at the least (looked at first)."""

_SIDE = 800
"""Long side in pixels of the copy the borders are looked for on, at the least (a quarter of
an A4 page at 300 DPI, the copy other passes measure too)."""


def find(img: Image.Image, dpi: int) -> np.ndarray | None:
    """The border pixels of the grayscale page ``img`` at ``dpi`` as a boolean mask of a
    reduced copy's size (``None`` when there is no border, or no OpenCV to find one with)."""
    if min(img.size) < 64:
        return None
    small, dark, factor = _dark(img)
    return _borders(small, dark, dpi / factor)


def _dark(img: Image.Image) -> tuple[Image.Image, np.ndarray, int]:
    """The reduced copy of ``img`` the marks are looked for on, its ink at Otsu's level as a
    boolean mask, and the copy's reduction factor."""
    factor = max(1, max(img.size) // _SIDE)
    small = reduced(img, factor)
    return small, np.asarray(small) <= otsu(small), factor


def _borders(small: Image.Image, dark: np.ndarray, dpi: float) -> np.ndarray | None:
    """:func:`find` on the reduced copy ``small``, its ink ``dark``, at ``dpi``."""
    edges = (dark[:, 0], dark[:, -1], dark[0], dark[-1])
    if max(float(e.mean()) for e in edges) < EDGE:
        return None  # nothing dark runs along any edge: most pages, for 2-3 ms
    thick = max(2.0, MIN_THICKNESS * dpi)
    # Opened by a square a border's thickness wide: print and grain (whose darker half Otsu's
    # level takes on a page of little print) are thinner, and fall away; a band stays.
    # At most 7 px: a DPI tag of thousands (as some files carry) must not make it slow.
    side = min(7, max(3, (int(thick) - 1) // 2 * 2 + 1))
    eroded = Image.fromarray(dark.astype(np.uint8) * 255).filter(ImageFilter.MinFilter(side))
    dark = np.asarray(eroded.filter(ImageFilter.MaxFilter(side))) > 0
    # A border's inside, off its soft edge, is where its grey is judged.
    core = np.asarray(eroded) > 0
    found = fastops.parts(dark)
    if found is None:
        return None
    labels, stats = found
    sh, sw = dark.shape
    grey = np.asarray(small)
    x, y, bw, bh, area = stats.T
    along = np.maximum(
        np.where((x == 0) | (x + bw == sw), bh / sh, 0.0),
        np.where((y == 0) | (y + bh == sh), bw / sw, 0.0),
    )
    # Thick for its length: a band's area over its box's half perimeter is its thickness.
    likely = (along >= MIN_SPAN) & (area <= MAX_AREA * sw * sh) & (area >= thick * (bw + bh))
    likely[0] = False  # the paper
    border = np.zeros_like(dark)
    for k in np.flatnonzero(likely).tolist():
        kx, ky, kw, kh = (int(v) for v in stats[k][:4])
        part = labels[ky : ky + kh, kx : kx + kw] == k
        box = (slice(ky, ky + kh), slice(kx, kx + kw))
        inside = grey[box][(part & core[box]) | _small_holes(part, sw * sh)]
        if np.mean(inside > np.median(inside) + LIGHTER) > MAX_LIGHT:
            continue
        border[ky : ky + kh, kx : kx + kw] |= part
    return border if border.any() else None


def _small_holes(part: np.ndarray, page: int) -> np.ndarray:
    """The holes inside ``part`` (a component's mask over its box) as a mask, leaving out any
    hole of more than a hundredth of the ``page``: the sheet itself, inside a border that
    runs all the way round it."""
    found = fastops.parts(~part, 4)
    assert found is not None  # the caller found ``part`` with OpenCV
    labels, stats = found
    ph, pw = part.shape
    x, y, bw, bh, area = stats.T
    # A region that reaches the box's edge is outside the component, not in it.
    inner = (x > 0) & (y > 0) & (x + bw < pw) & (y + bh < ph) & (area <= page / 100)
    inner[0] = False  # the component itself
    return np.asarray(inner[labels])


def clear(img: Image.Image, dpi: int) -> Image.Image:
    """``img`` with its dark borders (:func:`find`), punch holes (:func:`.holes.find`) and a
    stamp's rings between its lines (:func:`.rings.find`) painted its paper's grey; ``img``
    itself when it has none."""
    if min(img.size) < 64:
        return img
    small, dark, factor = _dark(img)
    border = _borders(small, dark, dpi / factor)
    punched = holes.find(dark, dpi / factor)  # already the pixels to clear
    # So are these; a stamp on a page under MIN_DPI is left: the quarter-size mask of a 150
    # DPI page loses a figure's thin hatching, and its pattern-filled circles looked like
    # rings (their outlines cut, the hatching was read as words).
    ringed = rings.find(dark, dpi / factor) if dpi >= rings.MIN_DPI else None
    if border is None and punched is None and ringed is None:
        return img
    marks = punched if punched is not None else np.zeros_like(dark)
    if ringed is not None:
        marks = marks | ringed
    if border is not None:
        # A pixel or two past a border's edge: a scan's edge is soft.
        grown = Image.fromarray(border.astype(np.uint8) * 255).filter(ImageFilter.MaxFilter(5))
        marks = marks | (np.asarray(grown) > 0)
    small_mask = Image.fromarray(marks.astype(np.uint8) * 255)
    mask = small_mask.resize(img.size, Image.Resampling.NEAREST)
    # The paper's grey: the median of what is left (the border darkens the page's median).
    hist = list(page_histogram(img))
    inked = np.bincount(np.asarray(img)[np.asarray(mask) > 0], minlength=256)
    paper = median_level([int(a - b) for a, b in zip(hist, inked, strict=True)])
    out = img.copy()
    out.paste(paper, mask=mask)
    return out
