"""A sheet of paper photographed on a darker surface: found, and warped flat before reading.

A phone photo of a page shows the table around it and the page as a quadrilateral (the camera
was not square to it). Tesseract reads the surface's texture as rows of garbage ("ee ee Oe ee
mintin") and a keystoned page's lines as slanting different ways, which one deskew angle
cannot level. So when the image's border is a darker, textured surface around one bright
region, the region's four corners are found and the page is warped to a rectangle.

Everything is measured on a copy of about :data:`SIDE` px: the surface is the dark pixels
connected to the image's border (a flood by repeated dilation, in numpy); the paper is the
rest; its corners are the extremes of ``x + y`` and ``x - y`` (the classic trick for a
quadrilateral turned by less than 45 degrees). A screenshot's flat dark frame (an editor's
chrome around a white document) is left alone: its text would be cropped away.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from PIL import Image, ImageFilter

from .preprocess import otsu, reduced

__all__ = ("SIDE", "Quad", "coefficients", "find", "flatten")

SIDE = 300
"""Long side of the copy the page is looked for on (px): a page's margins are still a few
pixels wide there, and a flood over it takes a few milliseconds."""

BORDER_DARK = 0.9
"""Share of the image's outermost ring that must be surface (darker than the threshold)."""

CONTRAST = 40
"""Grey levels the paper must exceed the surface by where they meet (:func:`_edge`)."""

SOLID = 6.0
"""Cells where paper meets surface, per square root of the paper's cells, over which the
bright region is not one sheet (a square sheet has 4, a receipt of 1 by 4 has 5)."""

EDGE_CELLS = 3
"""How far from where they meet (cells of the small copy, a percent of the image) the paper
and the surface are compared: past the blur of the edge, inside a page's margin."""

TEXTURE = 2.0
"""Median absolute deviation (grey levels) of the surface under which it is a screenshot's
flat frame, not a photographed surface: such a frame may hold text of its own."""

AREA = (0.05, 0.97)
"""Share of the image the paper must cover (smaller: not a page to read, a receipt
photographed from arm's length still covers more; larger: nothing to crop)."""

FILL = 0.92
"""Share of the quadrilateral's area the paper must fill (a torn or folded region, or one the
flood leaked into, fills less)."""

INSET = 0.004
"""The corners are pulled this share of the page inwards, so no sliver of the surface stays
along the page's edges (it would read as a rule)."""


FLOOD_STEPS = 2 * SIDE
"""Dilations the surface's flood may take: a table top around a page is reached from the
border in a few dozen; a crafted maze could take tens of thousands (each costs ~50 us)."""


@dataclass(frozen=True, slots=True)
class Quad:
    """The paper's corners in the image's pixels: top left, top right, bottom right, bottom
    left."""

    corners: tuple[tuple[float, float], ...]


def _grow(mask: Any) -> Any:
    """``mask`` (a bool array) grown by one cell up, down, left and right."""
    grown = mask.copy()
    grown[1:, :] |= mask[:-1, :]
    grown[:-1, :] |= mask[1:, :]
    grown[:, 1:] |= mask[:, :-1]
    grown[:, :-1] |= mask[:, 1:]
    return grown


def _edge(grey: Any, surface: Any) -> float:
    """Grey levels between the paper and the surface where they meet: the median of the
    paper's cells within :data:`EDGE_CELLS` of the surface less that of the surface's cells
    within as many of the paper. A sheet's edge is a step; a vignette (a lens darkening a
    page's corners) is a ramp, which Otsu's level cuts anywhere."""
    import numpy as np

    near_paper, near_surface = surface.copy(), ~surface
    for _ in range(EDGE_CELLS):
        near_paper, near_surface = _grow(near_paper), _grow(near_surface)
    inner, outer = grey[near_paper & ~surface], grey[near_surface & surface]
    if inner.size == 0 or outer.size == 0:
        return 0.0
    return float(np.median(inner)) - float(np.median(outer))


def _surface(dark: Any) -> Any | None:
    """The dark cells connected to the border of ``dark`` (a bool array): a flood by repeated
    4-neighbour dilation within ``dark`` until it stops growing (``None`` when it has not
    stopped after :data:`FLOOD_STEPS`)."""
    import numpy as np

    reached = np.zeros_like(dark)
    reached[0, :], reached[-1, :], reached[:, 0], reached[:, -1] = (
        dark[0, :],
        dark[-1, :],
        dark[:, 0],
        dark[:, -1],
    )
    count = int(reached.sum())
    for _ in range(FLOOD_STEPS):
        grown = _grow(reached) & dark
        now = int(grown.sum())
        if now == count:
            return grown
        reached, count = grown, now
    return None  # a maze, not a table top: no photo's surface winds that far


def find(img: Image.Image) -> Quad | None:
    """The corners of a sheet photographed on a darker surface in ``img`` (mode ``L``), or
    ``None`` when the image is not such a photo (the usual case: a scan, a render, a
    screenshot, a page that fills the frame)."""
    import numpy as np

    w, h = img.size
    if min(w, h) < 64:
        return None
    factor = max(1, max(w, h) // SIDE)
    small = reduced(img, factor).filter(ImageFilter.BoxBlur(1))
    level = otsu(small)
    grey = np.asarray(small)
    dark = grey <= level
    ring = np.concatenate([dark[0, :], dark[-1, :], dark[:, 0], dark[:, -1]])
    if ring.mean() < BORDER_DARK:
        return None  # the usual page: paper (or anything bright) reaches the border
    surface = _surface(dark)
    if surface is None:
        return None
    paper = ~surface
    share = float(paper.mean())
    if not AREA[0] <= share <= AREA[1]:
        return None
    below = grey[surface]
    if _edge(grey, surface) < CONTRAST:
        return None
    # The median absolute deviation: a frame's own text (a menu bar, light on dark) moves a
    # standard deviation, not the median.
    if float(np.median(np.abs(below - np.median(below)))) < TEXTURE:
        return None
    # One solid sheet: the cells where paper meets surface are about its perimeter. Light
    # text or pictures on a dark ground (a poster, a dark-mode page) are many small islands,
    # whose edges far outrun that.
    if int((paper & _grow(surface)).sum()) > SOLID * float(np.sqrt(paper.sum())):
        return None
    ys, xs = np.nonzero(paper)
    s, d = xs + ys, xs - ys
    corners = [
        (xs[s.argmin()], ys[s.argmin()]),
        (xs[d.argmax()], ys[d.argmax()]),
        (xs[s.argmax()], ys[s.argmax()]),
        (xs[d.argmin()], ys[d.argmin()]),
    ]
    if not _convex(corners) or paper.sum() < FILL * _area(corners):
        return None
    sh, sw = grey.shape
    scale = (w / sw, h / sh)
    # Cell centres, then pulled towards the quadrilateral's middle by INSET.
    cx = sum(x for x, _ in corners) / 4
    cy = sum(y for _, y in corners) / 4
    out = tuple(
        (
            float(((x + 0.5) + (cx - x) * INSET * 2) * scale[0]),
            float(((y + 0.5) + (cy - y) * INSET * 2) * scale[1]),
        )
        for x, y in corners
    )
    return Quad(out)


MIN_EDGE = 8
"""Cells of the small copy each side of the quadrilateral must span (a sliver is no page)."""


def _convex(corners: list[tuple[Any, Any]]) -> bool:
    """The corners (clockwise on screen) make a convex quadrilateral with sides of
    :data:`MIN_EDGE` cells or more: anything else (three corners in a line, two in one place)
    has no perspective mapping to a rectangle."""
    pts = [(float(x), float(y)) for x, y in corners]
    for k in range(4):
        (ax, ay), (bx, by), (cx, cy) = pts[k], pts[(k + 1) % 4], pts[(k + 2) % 4]
        if ((bx - ax) ** 2 + (by - ay) ** 2) ** 0.5 < MIN_EDGE:
            return False
        if (bx - ax) * (cy - by) - (by - ay) * (cx - bx) <= 0:
            return False
    return True


def _area(corners: list[tuple[Any, Any]]) -> float:
    """The shoelace area of a polygon (positive for clockwise corners in image coordinates)."""
    total = 0.0
    for (x0, y0), (x1, y1) in zip(corners, corners[1:] + corners[:1], strict=True):
        total += float(x0) * float(y1) - float(x1) * float(y0)
    return total / 2


def coefficients(
    src: Sequence[tuple[float, float]], dst: Sequence[tuple[float, float]]
) -> list[float]:
    """Pillow's eight perspective coefficients mapping each ``dst`` point to its ``src`` one
    (Pillow asks, for every output pixel, where in the input it comes from)."""
    import numpy as np

    rows, rhs = [], []
    for (x, y), (u, v) in zip(dst, src, strict=True):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
        rhs += [u, v]
    return [float(c) for c in np.linalg.solve(np.array(rows), np.array(rhs))]


def flatten(img: Image.Image, quad: Quad) -> Image.Image:
    """The paper inside ``quad`` warped to a rectangle as wide and tall as its longer edges."""
    tl, tr, br, bl = quad.corners

    def dist(a: tuple[float, float], b: tuple[float, float]) -> float:
        return float(((a[0] - b[0]) ** 2 + (a[1] - b[1]) ** 2) ** 0.5)

    width = max(1, round(max(dist(tl, tr), dist(bl, br))))
    height = max(1, round(max(dist(tl, bl), dist(tr, br))))
    target = ((0.0, 0.0), (float(width), 0.0), (float(width), float(height)), (0.0, float(height)))
    coeffs = coefficients(quad.corners, target)
    return img.transform(
        (width, height),
        Image.Transform.PERSPECTIVE,
        coeffs,
        Image.Resampling.BILINEAR,
        fillcolor=255,
    )
