"""A ruled grid's cells read again where Tesseract read across its rules (:mod:`.lattice`).

Tesseract reads a row of boxed cells as one line, and where the padding either side of a
rule is narrow it joins the cells' texts into one word across the rule (``8,0743,273`` for
``8,074`` and ``3,273``), or reads a rule it was shown as a ``|`` of its own or glued to a
number (``6,020|``). No split of such a word by its letters' widths can be trusted, so each
cell a word runs across is read again on its own: its inside, clear of the rules, padded
with paper, in Tesseract's single-block mode (:func:`.dropped.read_crop`, at the reading's
scale). Words that are only a rule read as a glyph are dropped.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence

from PIL import Image, ImageOps

from .geometry import Line, Word
from .lattice import Grid, on_rule

__all__ = ("MAX_CELLS", "fit")

MAX_CELLS = 150
"""Cells of one grid read again at most (10-20 ms each): a page of crossed rules (a form
filled in over its boxes) keeps its reading rather than spend seconds on it."""


def fit(
    img: Image.Image,
    lines: list[Line],
    grids: Sequence[Grid],
    dpi: int,
    languages: Sequence[str],
    scale: float = 1.0,
    soft: bool = False,
) -> int:
    """In place: each of ``grids``' cells a word of ``lines`` runs across a rule in, read
    again (the module docstring), and rules read as words dropped. Returns how many cells
    were read again."""
    read = [ln for ln in lines if ln.words]
    if not grids or not read:
        return 0
    height = float(statistics.median(ln.height for ln in read))
    margin = max(2.0, 0.15 * height)
    again = 0
    for g in grids:
        cells: set[tuple[int, int]] = set()
        for ln in lines:
            kept = []
            for w in ln.words:
                at = g.cell_of(w)
                if at is not None and on_rule(w, g, height):
                    continue
                kept.append(w)
                if at is not None and g.crosses(w, margin):
                    cy = (w.y0 + w.y1) / 2
                    first = g.column(w.x0 + margin, cy)
                    last = g.column(w.x1 - margin, cy)
                    if first is not None and last is not None:
                        cells.update((at[0], c) for c in range(first, last + 1))
            ln.words = kept
        if len(cells) > MAX_CELLS:
            continue  # a page of them is no table's few joined cells: its reading stands
        for r, c in sorted(cells):
            again += _read_cell(img, lines, g, r, c, height, dpi, languages, scale, soft)
    lines[:] = [part for ln in lines for part in _by_cell(ln, grids) if part.words]
    return again


def _by_cell(line: Line, grids: Sequence[Grid]) -> list[Line]:
    """``line`` cut into a line for each grid cell its words stand in (and one for the rest),
    in the order of their first words: the passes after work line by line, and a line across
    cells had a doubtful stretch read again across a rule, as one word (:mod:`.reread`)."""
    parts: dict[tuple[int, int, int] | None, list[Word]] = {}
    for w in line.words:
        parts.setdefault(_cell(w, grids), []).append(w)
    if len(parts) < 2:
        return [line]
    return [Line(words, line.block, line.para) for words in parts.values()]


def _cell(w: Word, grids: Sequence[Grid]) -> tuple[int, int, int] | None:
    """The grid and cell ``w``'s centre stands in, or ``None``."""
    for k, g in enumerate(grids):
        at = g.cell_of(w)
        if at is not None:
            return k, *at
    return None


def _read_cell(
    img: Image.Image,
    lines: list[Line],
    g: Grid,
    r: int,
    c: int,
    height: float,
    dpi: int,
    languages: Sequence[str],
    scale: float,
    soft: bool,
) -> int:
    """Read cell ``(r, c)`` of ``g`` again; its words replace those whose centre is in it.
    Returns 1 if it was read, 0 if its inside is too small to read."""
    from . import dropped

    inset = g.thickness // 2 + 1 + max(1, round(0.05 * height))
    right = _right(g, r, c)
    x0, x1 = g.xs[c] + inset, g.xs[right] - inset
    y0, y1 = g.ys[r] + inset, g.ys[r + 1] - inset
    if x1 - x0 < 2 or y1 - y0 < 2:
        return 0
    crop = img.crop((x0, y0, x1, y1))
    pad = max(2, round(0.4 * height))
    high = crop.getextrema()[1]  # the paper: a grey page's, not white
    paper = int(high) if isinstance(high, (int, float)) else 255
    padded = ImageOps.expand(crop, border=pad, fill=paper)
    found = dropped.read_crop(padded, (x0 - pad, y0 - pad), dpi, languages, scale, soft)
    if not any(ln.words for ln in found):
        return 0  # read as nothing: what Tesseract read there first stays
    box, margin = (x0, y0, x1, y1), max(2.0, 0.15 * height)
    at = None
    for k, ln in enumerate(lines):
        mine = [w for w in ln.words if _in(w, x0, y0, x1, y1) or _across(w, box, margin)]
        if mine:
            at = k if at is None else at
            ln.words = [w for w in ln.words if not any(w is m for m in mine)]
    block = lines[at].block if at is not None else 0
    para = lines[at].para if at is not None else 0
    new = [Line(list(ln.words), block, para) for ln in found if ln.words]
    where = len(lines) if at is None else at + 1
    lines[where:where] = new
    return 1


def _right(g: Grid, r: int, c: int) -> int:
    """The rule closing cell ``(r, c)`` on the right: the next one that runs down its row."""
    mid = (g.ys[r] + g.ys[r + 1]) / 2
    for k in range(c + 1, len(g.xs) - 1):
        if g.spans[k][0] <= mid <= g.spans[k][1]:
            return k
    return len(g.xs) - 1


def _in(w: Word, x0: int, y0: int, x1: int, y1: int) -> bool:
    cx, cy = (w.x0 + w.x1) / 2, (w.y0 + w.y1) / 2
    return x0 <= cx <= x1 and y0 <= cy <= y1


def _across(w: Word, box: tuple[int, int, int, int], margin: float) -> bool:
    """``w`` stands in the cell's band and runs into it from a neighbouring cell by more than
    ``margin`` px (as :meth:`.Grid.crosses` found: that cell is read again too)."""
    x0, y0, x1, y1 = box
    cy = (w.y0 + w.y1) / 2
    return y0 <= cy <= y1 and w.x0 < x1 - margin and w.x1 > x0 + margin
