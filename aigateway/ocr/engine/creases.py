"""Creases: the faint lines a folded sheet shows across a scan, found so they can be lifted
out before anything reads the page.

A letter folded in three for its envelope, then flattened on the scanner's glass, shows two
grey lines across the page, level with the sheet's edges (so askew with the page, not with
the scan) and a little wavy. Where one runs through a line of text Tesseract reads the line
with the crease's pixels as ink (``BZ_F INISH`` for ``BZ_FINISH``, ``cait functions witir
side-effects -such-as-require`` for ``call functions with side effects such as require``, a
word ``eee``), and where it runs along one it runs the words together.

A crease is told from what a page prints by three things at once: it runs across the page,
margins and all (:data:`MIN_SPAN`), with no more than a few pixels' drift from one strip of
:data:`STRIP` inches to the next; it is thin (:data:`MAX_THICK`); and it is lighter than the
page's ink (:data:`LIGHTER`: a printed rule, an underline, a table's border is as dark as the
text, and is left alone). A light grey rule through the margins would be taken for a crease
and go too: it carries no text. Found on a mask of everything a little darker than the paper
(:data:`MARGIN`) or than the rows just above and below, grown by a row up and down, so a line
one pixel thick that drifts a row within a strip still covers one of its rows end to end.

Lifted out as the shadow it is (:func:`_lift`): each pixel lightened by as much as the crease
darkened the paper there, so the glyphs under it keep their shapes.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from PIL import Image

from . import fastops
from .preprocess import median_level, otsu_level, page_histogram

__all__ = ("MAX_THICK", "MIN_SPAN", "Crease", "clear", "find")

STRIP = 0.1
"""Inches: the width of the strips a page is cut into; a crease covers a row of each end to end."""

FULL = 0.85
"""Share of a strip's row a line covers (a crease's soft, uneven grey leaves a few gaps)."""

MIN_SPAN = 0.85
"""Share of the page's width a crease spans at the least: a fold runs the sheet's whole width,
margins and all, where print stops at its margins (a table's or a running head's rules, read
as creases at 60 %, were lifted with the glyphs beside them: a scanned ReportLab page 354 to
369 edits)."""

MAX_THICK = 0.03
"""Inches (0.8 mm, 9 px at 300 DPI): a crease's greatest thickness, its soft edge included."""

MARGIN = 30
"""Grey levels under the paper's from which a pixel counts as part of a line."""

DRIFT = 2
"""Rows a line may move from one strip to the next (a slant of about 1 in 15 at 300 DPI)."""

LIGHTER = 0.35
"""How far from the ink's median grey towards the paper's a line's grey lies at the least, to
be a crease (halfway missed a 170-grey crease on paper of 225: 152 against 158)."""

MAX_INK = 0.2
"""Share of the page's pixels at or under a line's grey above which it is not judged (grain
darker than a crease all over the page, or a textured ground)."""

SKIP = 3
"""Strips in a row a crease may be too faint in (a centimetre at 300 DPI)."""

PAD = 2
"""Rows either side of a crease's band that are lifted too (its soft edge, and its slant
across a strip)."""

REACH = 7
"""Pixels either way along a row (at 300 DPI) that the paper's grey under a crease is taken
from."""

MAX_CREASES = 4
"""The most creases looked for on a page (a sheet folded in three and then in half has three)."""

STEP = 4
"""Columns looked at: every fourth."""


class Crease(NamedTuple):
    """A crease: its strips' columns and, for each, its first and last row (inclusive)."""

    strip: int
    """The strips' width in pixels."""
    bands: dict[int, tuple[int, int]]
    """Strip index to the rows the crease covers in it."""
    level: int
    """The crease's grey level (:func:`_level`)."""


def find(img: Image.Image, dpi: int) -> list[Crease]:
    """The creases of the grayscale page ``img`` at ``dpi`` (none on most pages, found in
    7-12 ms at 300 DPI)."""
    w, h = img.size
    # Every STEP-th column: a line is as whole in them, and a page is judged on a quarter.
    cols = max(4, round(STRIP * dpi / STEP))
    count = w // (cols * STEP)
    apart = max(3, round(MAX_THICK * dpi / 2) + 1)  # rows from a crease's middle to paper
    if count < 5 or h < max(64, 4 * apart):
        return []  # too narrow or too short for its DPI (a tag of thousands, as some carry)
    hist = page_histogram(img)[:256]
    otsu = otsu_level(hist)
    paper = max(range(otsu, 256), key=lambda v: hist[v])
    if paper - MARGIN <= otsu:
        return []  # too little contrast between ink and paper to tell a grey line by
    sample = img.resize((w // STEP, h), Image.Resampling.NEAREST)
    grey = np.asarray(sample)
    ink = grey < paper - MARGIN
    # Or a little darker than the rows a line's width above and below it: a scan's paper is
    # lighter in one place than another, and a crease over its lighter margin was missed.
    # (In bytes, clipped so as not to wrap: a pixel that light cannot be darker by as much.)
    mid = np.minimum(grey[apart : h - apart], 255 - MARGIN // 2) + np.uint8(MARGIN // 2)
    ink[apart : h - apart] |= (mid < grey[: h - 2 * apart]) & (mid < grey[2 * apart :])
    if np.count_nonzero(ink) > MAX_INK * ink.size:
        return []  # grain or a textured ground: its lines cannot be told from it
    grown = ink.copy()
    grown[1:] |= ink[:-1]
    grown[:-1] |= ink[1:]
    # Each strip's row as the share of it covered, in one C loop (numpy's sum over a short
    # last axis took half the pass's time).
    reduced = Image.fromarray(grown.view(np.uint8) * np.uint8(255)).resize(
        (count, h), Image.Resampling.BOX, box=(0, 0, count * cols, h)
    )
    full = np.asarray(reduced) >= round(FULL * 255)  # (rows, strips)
    need = math.ceil(MIN_SPAN * count)
    thick = max(3, round(MAX_THICK * dpi)) + 2  # the grown rows
    # A crease is lighter than the ink, a printed rule as dark (or a little lighter, thin and
    # anti-aliased).
    ink_level = median_level(list(hist[: otsu + 1]))
    light = round(ink_level + LIGHTER * (paper - ink_level))
    found: list[Crease] = []
    taken = full.copy()  # a chain's cells, once taken, are no other chain's
    for r0, r1 in _candidates(full, need, grey, cols, light):
        chains = taken[r0:r1]
        for _ in range(MAX_CREASES - len(found)):
            path = _longest(chains)
            if len(path) < need:
                break
            bands = {j: _band(chains[:, j], y) for j, y in path}
            # The path's cells and the rows beside them are no start for another line.
            for j, (y0, y1) in bands.items():
                chains[max(0, y0 - thick) : y1 + thick + 1, j] = False
            heights = sorted(y1 - y0 + 1 for y0, y1 in bands.values())
            if heights[len(heights) // 2] > thick:
                continue  # a band or a panel's edge, not a line
            bands = {j: (y0 + r0, y1 + r0) for j, (y0, y1) in bands.items()}
            level = _level(grey, cols, bands)
            if level <= light:
                continue  # nearly as dark as the ink: printed
            found.append(Crease(cols * STEP, bands, level))
    return found


def _candidates(
    full: np.ndarray, need: int, grey: np.ndarray, cols: int, light: int
) -> list[tuple[int, int]]:
    """The row ranges (start, end exclusive) of ``full`` where a chain of :func:`_longest`'s
    may span ``need`` strips and be lighter than ``light`` (on ``grey``, sampled, strips of
    ``cols`` columns): its chained cells' parts, found at once, so the chain is searched for
    in few places, if any (over a whole page the search cost 3 ms); the whole page without
    OpenCV."""
    h, count = full.shape
    # Rows in pairs (half the work), and a pair's neighbours: a row's drift either way.
    pairs = full[0::2].copy()
    pairs[: h // 2] |= full[1::2]
    linked = pairs.copy()
    linked[1:] |= pairs[:-1]
    linked[:-1] |= pairs[1:]
    for _ in range(SKIP):  # strips skipped
        linked[:, 1:] |= linked[:, :-1].copy()
    found = fastops.parts(linked)
    if found is None:
        return [(0, h)]
    labels, stats = found
    rows, strips = np.nonzero(full)
    owner = labels[rows // 2, strips]
    # The strips a part's own full cells are in: a part may be wide and yet hold full cells
    # in few strips (a text line's, linked across skipped strips).
    held = np.unique(owner.astype(np.int64) * count + strips)
    spans = np.bincount(held // count, minlength=len(stats))
    ranges = []
    for k in np.flatnonzero(spans >= need).tolist():
        if not k:
            continue
        mine = owner == k
        if _lightest(grey, cols, rows[mine], strips[mine]) <= light:
            continue  # a printed rule: dark, as most are, and no search for a chain in it
        top, height = 2 * int(stats[k, 1]), 2 * int(stats[k, 3])
        ranges.append((max(0, top - DRIFT), min(h, top + height + DRIFT)))
    return ranges


def _lightest(grey: np.ndarray, cols: int, rows: np.ndarray, strips: np.ndarray) -> float:
    """How light a line through the cells (``rows``, ``strips``) may be: of each strip, its
    darkest cell's median grey; of those, the upper quartile (a crease that crosses a dark
    rule keeps its own grey in most strips)."""
    pixels = grey[rows[:, None], strips[:, None] * cols + np.arange(cols)]
    darkest = np.full(int(strips.max()) + 1, 255.0)
    np.minimum.at(darkest, strips, np.median(pixels, axis=1))
    return float(np.percentile(darkest[np.unique(strips)], 75))


def _longest(full: np.ndarray) -> list[tuple[int, int]]:
    """The longest chain of full cells, one per strip, across strips left to right, skipping
    at most :data:`SKIP` strips at a time and moving at most :data:`DRIFT` rows a step, as
    (strip, row) pairs."""
    h, count = full.shape
    length = np.zeros((count, h), dtype=np.int32)
    for j in range(count):
        prev = np.zeros(h, dtype=np.int32)
        for back in range(1, min(j, SKIP + 1) + 1):
            prev = np.maximum(prev, length[j - back])
        reach = prev.copy()
        for d in range(1, DRIFT + 1):
            reach[d:] = np.maximum(reach[d:], prev[:-d])
            reach[:-d] = np.maximum(reach[:-d], prev[d:])
        length[j] = np.where(full[:, j], reach + 1, 0)
    best = int(np.argmax(length))
    j, y = best // h, best % h
    path = [(j, y)]
    while length[j, y] > 1:
        want = int(length[j, y]) - 1
        for back in range(1, SKIP + 2):
            if j - back < 0:
                continue
            lo, hi = max(0, y - DRIFT), min(h, y + DRIFT + 1)
            rows = np.flatnonzero(length[j - back, lo:hi] == want).tolist()
            if rows:
                y = min((lo + r for r in rows), key=lambda r: abs(r - y))
                j -= back
                break
        else:  # unreachable: a cell's length came from one of these
            break
        path.append((j, y))
    return path[::-1]


def _band(column: np.ndarray, y: int) -> tuple[int, int]:
    """The run of full rows of ``column`` that holds row ``y``."""
    y0 = y
    while y0 > 0 and column[y0 - 1]:
        y0 -= 1
    y1 = y
    while y1 + 1 < column.size and column[y1 + 1]:
        y1 += 1
    return y0, y1


def _level(grey: np.ndarray, strip: int, bands: dict[int, tuple[int, int]]) -> int:
    """The grey level of a line: of each strip, its darkest row's median; of those, the upper
    quartile. A crease that runs along a line of text is darker where the glyphs' feet are,
    and in the margins and between words has its own grey."""
    levels = [
        float(np.median(grey[y0 : y1 + 1, j * strip : (j + 1) * strip], axis=1).min())
        for j, (y0, y1) in bands.items()
    ]
    return round(float(np.percentile(levels, 75)))


def clear(img: Image.Image, dpi: int) -> Image.Image:
    """``img`` with its creases (:func:`find`) lifted out; ``img`` itself when it has none."""
    creases = find(img, dpi)
    if not creases:
        return img
    grey = np.asarray(img)
    out = grey.copy()
    for crease in creases:
        _lift(grey, out, crease)
    return Image.fromarray(out)


def _lift(grey: np.ndarray, out: np.ndarray, crease: Crease) -> None:
    """``crease`` lifted out of ``grey`` into ``out``: each of its pixels lightened by as much as
    the crease darkened the paper there.

    A crease is a shadow: it darkens the paper and the glyphs under it alike. So a pixel is
    scaled by the paper's grey beside the crease (the rows just above and below it) over the
    paper's grey at the pixel (the lightest pixel along its row within :data:`REACH`: a glyph's
    stroke is narrower, and the crease, near level, barely moves over that width), never
    darkened, and at most by as much as the crease's own grey asks. Glyphs keep their shapes:
    blending the rows above and below across the crease, as :func:`.streaks.fill` does across
    a thin vertical line, closed a ``c`` into an ``o`` where a wide crease ran through the
    middle of the letters."""
    h, w = grey.shape
    reach = max(2, crease.strip * REACH // 32)
    top = max(0, min(y0 for y0, _ in crease.bands.values()) - PAD - 1)
    bottom = min(h, max(y1 for _, y1 in crease.bands.values()) + PAD + 2)
    region = grey[top:bottom].astype(np.float32)
    under = region.copy()  # the paper's grey at each pixel: the row's lightest nearby
    for d in range(1, reach + 1):
        np.maximum(under[:, d:], region[:, :-d], out=under[:, d:])
        np.maximum(under[:, :-d], region[:, d:], out=under[:, :-d])
    strips = sorted(crease.bands)
    # A strip the crease was not found in (a faint stretch, and one strip past either end,
    # where whole strips cut it short) takes the rows of the nearest one it was.
    last = (w - 1) // crease.strip
    for j in range(max(0, strips[0] - 1), min(last, strips[-1] + 1) + 1):
        y0, y1 = crease.bands[min(strips, key=lambda s: (abs(s - j), s))]
        y0, y1 = max(top + 1, y0 - PAD) - top, min(bottom - 1, y1 + PAD + 1) - top
        x0, x1 = j * crease.strip, w if j == last else (j + 1) * crease.strip
        beside = np.concatenate((region[y0 - 1, x0:x1], region[y1, x0:x1]))
        paper = float(np.percentile(beside, 75))
        most = max(1.0, 1.15 * paper / max(crease.level, 1))
        gain = np.clip(paper / np.maximum(under[y0:y1, x0:x1], 1.0), 1.0, most)
        lifted = np.minimum(region[y0:y1, x0:x1] * gain, 255).round()
        out[top + y0 : top + y1, x0:x1] = lifted.astype(np.uint8)
