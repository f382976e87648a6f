"""Ink no recognised word covers: the page's thresholded ink masked where words are, looked at
in cells of a fraction of a text height (:mod:`.orphans`, :mod:`.dropped`).

Pillow's C loops do the pixel work; numpy holds the small grid of cells and finds runs of flags.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from PIL import Image, ImageDraw

from . import fastops
from .geometry import Line
from .preprocess import ink_mask, otsu, otsu_level, page_histogram

__all__ = (
    "CELL",
    "SHADE",
    "Windows",
    "bounds",
    "components",
    "horizontal_rules",
    "ink_grid",
    "long_runs",
    "median_level",
    "page_otsu",
    "runs",
    "shaded",
    "solid",
)

SHADE = 30
"""A piece's background this many grey levels darker than the paper is a figure's."""

CELL = 6
"""Ink is looked at in cells of a sixth of a text height (a glyph's stroke is about that)."""


@dataclass(frozen=True, slots=True)
class Windows:
    """A page's ink at one grey level, cut out window by window (a line's band, a word and
    its surroundings): a whole page's mask would cost more than all the windows a pass
    looks at (:mod:`.hyphens`, :mod:`.figures`)."""

    gray: Image.Image
    """The page, mode ``L``."""
    level: int
    """Grey levels up to this one are ink."""

    def window(self, x0: int, y0: int, x1: int, y1: int) -> Any:
        """The ink of the box ``(x0, y0, x1, y1)``, a boolean numpy array."""
        import numpy as np

        return np.asarray(self.gray.crop((x0, y0, x1, y1))) <= self.level


def ink_grid(
    img: Image.Image, lines: list[Line], height: float, level: int
) -> tuple[Any, Image.Image, int]:
    """Cells of ``img`` holding ink outside every word's box (padded), that ink (a mask, ink
    255), and the cell size. Pillow's C loops do the pixel work."""
    import numpy as np

    cell = max(2, round(height / CELL))
    mask = ink_mask(img, level)  # the level itself too (a black-and-white page's ink)
    draw = ImageDraw.Draw(mask)
    pad = round(0.3 * height)
    for ln in lines:
        for w in ln.words:
            draw.rectangle((w.x0 - pad, w.y0 - pad, w.x1 + pad, w.y1 + pad), fill=0)
    # Any ink in a cell: the cell's mean above zero (integer reductions first, then one box
    # resize for the rest).
    small = mask.reduce(cell)
    grid = np.asarray(small) > 0
    return grid, mask, cell


def long_runs(grid: Any, n: int) -> Any:
    """Cells in vertical runs of ``n`` cells or more (rules, frames, pictures' edges).

    A morphological opening by a column of ``n`` cells, from cumulative sums (whole-array
    operations: a column-by-column loop cost ~10 ms a page)."""
    import numpy as np

    h = grid.shape[0]
    if n <= 1:
        return grid.copy()
    if n > h:
        return np.zeros_like(grid)
    sums = np.zeros((h + 1, *grid.shape[1:]), dtype=np.int32)
    np.cumsum(grid, axis=0, out=sums[1:])
    # starts[y]: the n cells from row y down are all inked.
    starts = (sums[n:] - sums[:-n]) == n
    # A cell is in such a run when one starts at most n - 1 rows above it.
    hits = np.zeros((h + 1, *grid.shape[1:]), dtype=np.int32)
    np.cumsum(
        np.concatenate([starts, np.zeros((n - 1, *grid.shape[1:]), dtype=bool)]),
        axis=0,
        out=hits[1:],
    )
    ys = np.arange(h)
    low = np.maximum(ys - n + 1, 0)
    covered = hits[ys + 1] - hits[low]
    return (covered > 0) & grid


RULE_WIDTH = 8.0
"""Text heights a horizontal rule spans at least (:func:`horizontal_rules`)."""


def horizontal_rules(img: Image.Image, lines: list[Line]) -> list[tuple[int, int, int]]:
    """The page's horizontal rules clear of its words, as ``(y, x0, x1)`` in pixels: runs of
    ink cells (:func:`ink_grid`) at least :data:`RULE_WIDTH` text heights long, each row of
    cells its own (a rule two cells thick is two). ``lines``: the page's words; their boxes
    are masked out, so an underline right under its words is none."""
    import statistics

    import numpy as np

    read = [ln for ln in lines if ln.words]
    if not read:
        return []
    height = float(statistics.median(ln.height for ln in read))
    grid, _, cell = ink_grid(img, read, height, page_otsu(img))
    long = long_runs(grid.T, max(2, round(RULE_WIDTH * height / cell))).T
    found: list[tuple[int, int, int]] = []
    for y in np.flatnonzero(long.any(axis=1)).tolist():
        found += [(y * cell + cell // 2, a * cell, b * cell) for a, b in runs(long[y])]
    return found


def components(grid: Any) -> Iterator[tuple[int, int, int, int]]:
    """Bounding boxes (cells, end exclusive) of 8-connected inked cells, in the order a scan
    row by row meets their first cell. On OpenCV when installed (:func:`.fastops.raster_boxes`):
    this flood fill cost 14 ms a page on tune pages, a cell at a time in Python."""
    fast = fastops.raster_boxes(grid)
    if fast is not None:
        yield from fast
        return
    seen = set()
    h, w = grid.shape
    ys, xs = grid.nonzero()
    for start in zip(ys.tolist(), xs.tolist(), strict=True):
        if start in seen:
            continue
        seen.add(start)
        stack = [start]
        y0, x0, y1, x1 = start[0], start[1], start[0], start[1]
        while stack:
            y, x = stack.pop()
            y0, x0, y1, x1 = min(y0, y), min(x0, x), max(y1, y), max(x1, x)
            for dy in (-1, 0, 1):
                for dx in (-1, 0, 1):
                    p = (y + dy, x + dx)
                    if 0 <= p[0] < h and 0 <= p[1] < w and p not in seen and grid[p]:
                        seen.add(p)
                        stack.append(p)
        yield x0, y0, x1 + 1, y1 + 1


def solid(mask: Image.Image, box: tuple[int, int, int, int]) -> bool:
    """The ink in ``box`` fills its own bounding box: a bar (a rule's stub), not a glyph."""
    part = mask.crop(box)
    tight = part.getbbox()
    if tight is None:
        return True
    part = part.crop(tight)
    return bool(sum(part.histogram()[128:]) > 0.8 * part.width * part.height)


def shaded(img: Image.Image, box: tuple[int, int, int, int], paper: int) -> bool:
    """The box's background is clearly darker than the page's paper: a picture or a shaded
    figure, whose labels are the figure's, not the text's (and are left to it)."""
    part = img.crop(box)
    level = otsu(part)
    middle = median_level(part.histogram()[:256], level)
    return middle is not None and paper - middle > SHADE


def page_otsu(img: Image.Image) -> int:
    """:func:`~.preprocess.otsu` of a whole page, from its kept histogram
    (:func:`~.preprocess.page_histogram`): the passes that read glyphs from a page's ink after
    its reading each want it."""
    return otsu_level(page_histogram(img)[:256])


def median_level(hist: list[int], start: int = 0) -> int | None:
    """The median grey of a histogram's levels from ``start`` up (``None``: none there)."""
    total = sum(hist[start:256])
    seen = 0
    for v in range(start, 256):
        seen += hist[v]
        if total and 2 * seen >= total:
            return v
    return None


def bounds(flags: Any) -> tuple[Any, Any]:
    """Starts and ends (end exclusive) of the runs of true values in ``flags`` (a sequence or
    array of booleans), as two integer arrays: the runs found in numpy's C loops, for a caller
    that filters them in bulk (:mod:`.hyphens`, every line's band)."""
    import numpy as np

    flat = np.asarray(flags, dtype=np.int8).ravel()
    edges = np.diff(np.concatenate(([0], flat, [0])))
    return np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)


def runs(flags: Sequence[bool] | Any, gap: int = 1) -> list[tuple[int, int]]:
    """(start, end) of each run of true values, end exclusive; runs fewer than ``gap`` false
    values apart are one (``gap`` 1: every false value parts them)."""
    out: list[tuple[int, int]] = []
    starts, ends = bounds(flags)
    for a, b in zip(starts.tolist(), ends.tolist(), strict=True):
        if out and a - out[-1][1] < gap:
            out[-1] = (out[-1][0], b)
        else:
            out.append((a, b))
    return out
