"""Ruled grids: tables drawn as a lattice of rules, laid out cell by cell.

The layout pass (:mod:`.layout`) finds tables from the words' positions alone: a row splits
into cells where a gap between words is wider than about a text height. A spreadsheet or an
invoice printed with every cell boxed (HTML's ``border=1``, a word processor's "all borders")
packs its cells closer than that: a cell's padding either side of a one-pixel rule. Its
numbers came back run together (``8,0743,273`` for ``8,074 | 3,273``), its rules read as
``|`` words where they were not erased (a 96 DPI screenshot: the rules are too short for
:mod:`.streaks`), and the table as two columns or none.

The rules themselves say where the cells are. :func:`find` looks for them on the page before
its vertical rules were erased (:attr:`.reading.Reading.ruled`): long runs of ink, across and
down, that make a lattice, at least three rules each way (two rows, two columns), with the
two outer verticals meeting the top and bottom rules and every horizontal running between
the outer verticals. An inner vertical may stop short (a header cell spanning columns): where
it is missing, its two cells are one. :mod:`.gridcells` reads again the cells a word runs
across a rule in, and :func:`take` turns the words in each grid into a :class:`.Table`, each
word in the cell its centre falls in. A grid whose cells hold paragraphs (a page of boxed
panels) is left to the layout pass.
"""

from __future__ import annotations

import itertools
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from PIL import Image

from . import ink
from .geometry import Line, Region, Row, Table, Word, join_words
from .preprocess import ink_mask

__all__ = ("RULE_GLYPHS", "Grid", "find", "on_rule", "regions", "take")

CELL = 8
"""Ink is looked at in cells of an eighth of a text height: a rule a pixel thick still inks
its cells, and a table rule stays one run of cells."""

DOWN = 2.2
"""Text heights a vertical rule runs at least: longer than any glyph's stem (a ``|``, a
bracket), shorter than two rows of the tightest grid."""

ACROSS = 4.0
"""Text heights a horizontal rule runs at least: longer than a word's run of touching glyphs
in a row of cells."""

RULE_GLYPHS = frozenset("|Il1![]{}/\\")
"""What Tesseract reads a short vertical rule as: a word of these alone, narrow and on a rule,
is one; at a word's end, on a rule, such a glyph is the rule glued to it."""

FLAT_GLYPHS = frozenset("-_~=\u2013\u2014\u2015\u4e00")
"""What a stretch of horizontal rule is read as (``\u4e00``: the recogniser's CJK "one")."""

GLUED = RULE_GLYPHS - {"1", "l", "I"}
"""Rule glyphs taken off a word's end on a rule (a digit or letter there is the word's own)."""

LEAST = 0.9
"""Text heights a grid's every row and column spans at least: a cell holds a line of text."""

MAX_INK = 0.3
"""Share of the page's cells that may hold ink: above it (grain, a textured ground) the page is
not judged (:data:`.streaks.MAX_INK` likewise)."""

MAX_LINES = 6
"""A cell holding more lines of text than this is a panel of prose, not a table's cell."""


@dataclass(frozen=True, slots=True)
class Grid:
    """A ruled table's rules in page pixels: vertical rules' centres left to right, each with
    the span it runs down, and horizontal rules' centres top to bottom."""

    xs: tuple[int, ...]
    spans: tuple[tuple[int, int], ...]
    """Top and bottom of each vertical rule in :attr:`xs` (the outer two run the whole grid)."""
    ys: tuple[int, ...]
    thickness: int
    """The rules' thickness in pixels (the median of those found)."""

    @property
    def box(self) -> tuple[int, int, int, int]:
        return self.xs[0], self.ys[0], self.xs[-1], self.ys[-1]

    def row(self, y: float) -> int | None:
        """The row band ``y`` falls in, or ``None`` outside the grid."""
        for r in range(len(self.ys) - 1):
            if self.ys[r] <= y < self.ys[r + 1]:
                return r
        return None

    def column(self, x: float, y: float) -> int | None:
        """The cell ``(x, y)`` falls in, counted from the left among every column, or ``None``
        outside the grid: where a rule stops short of ``y``, the cell left of it runs on."""
        if not self.xs[0] <= x < self.xs[-1]:
            return None
        found = 0
        for k in range(1, len(self.xs) - 1):
            top, bottom = self.spans[k]
            if self.xs[k] <= x and top <= y <= bottom:
                found = k
        return found

    def cell_of(self, w: Word) -> tuple[int, int] | None:
        """The row and column of the cell word ``w``'s centre falls in, or ``None``."""
        cx, cy = (w.x0 + w.x1) / 2, (w.y0 + w.y1) / 2
        r, c = self.row(cy), self.column(cx, cy)
        return None if r is None or c is None else (r, c)

    def crosses(self, w: Word, margin: float) -> list[int]:
        """The inner rules word ``w`` runs across by more than ``margin`` px either side."""
        cy = (w.y0 + w.y1) / 2
        return [
            k
            for k in range(1, len(self.xs) - 1)
            if w.x0 < self.xs[k] - margin
            and w.x1 > self.xs[k] + margin
            and self.spans[k][0] <= cy <= self.spans[k][1]
        ]


def on_rule(w: Word, g: Grid, height: float) -> bool:
    """Word ``w`` is one of ``g``'s rules read as a glyph: a narrow word of
    :data:`RULE_GLYPHS` on a vertical rule, or a flat one of :data:`FLAT_GLYPHS` on a
    horizontal rule."""
    reach = g.thickness + 2
    if set(w.text) <= RULE_GLYPHS and w.x1 - w.x0 <= 0.6 * height:
        return any(w.x0 - reach <= x <= w.x1 + reach for x in g.xs)
    if set(w.text) <= FLAT_GLYPHS and w.y1 - w.y0 <= height:
        return any(w.y0 - reach <= y <= w.y1 + reach for y in g.ys)
    return False


def unglued(w: Word, g: Grid, height: float) -> Word:
    """``w`` without a rule glyph glued to either end where that end stands on a rule of
    ``g`` (``8,074]``), or a ``|`` within half a text height of one (``1,559|``: an erased
    rule's trace)."""
    text, reach = w.text, g.thickness + 2
    far = max(reach, height / 2) if text[-1] == "|" else reach
    if len(text) > 1 and text[-1] in GLUED and any(w.x1 - reach <= x <= w.x1 + far for x in g.xs):
        text = text[:-1]
    far = max(reach, height / 2) if text[0] == "|" else reach
    if len(text) > 1 and text[0] in GLUED and any(w.x0 - far <= x <= w.x0 + reach for x in g.xs):
        text = text[1:]
    return w if text == w.text else Word(text, w.conf, w.x0, w.y0, w.x1, w.y1)


def find(img: Image.Image, lines: Sequence[Line]) -> list[Grid]:
    """The ruled grids of ``img`` (mode ``L``, its rules not erased), measured against the
    text height of ``lines`` (its words, read from the same page)."""
    import numpy as np

    read = [ln for ln in lines if ln.words]
    if not read:
        return []
    height = float(statistics.median(ln.height for ln in read))
    cell = max(1, round(height / CELL))
    mask = ink_mask(img, ink.page_otsu(img))
    grid = np.asarray(mask.reduce(cell) if cell > 1 else mask) > 0
    if grid.mean() > MAX_INK:
        return []  # grain or a textured ground: every cell has ink, and runs of it are no rules
    verticals = _segments(ink.long_runs(grid, max(3, round(DOWN * height / cell))))
    if len(verticals) < 3:
        return []  # most pages: no grid, and the horizontal rules are not even looked at
    # Runs across the page are runs down its transpose.
    horizontals = _segments(ink.long_runs(grid.T, max(3, round(ACROSS * height / cell))))
    tol = max(2, round(0.6 * height / cell))
    least = max(1, round(LEAST * height / cell))
    found: list[Grid] = []
    used: set[int] = set()
    for i in sorted(range(len(verticals)), key=lambda i: verticals[i][2] - verticals[i][3]):
        if i in used:
            continue
        grid_ = _lattice(verticals, horizontals, i, tol, used, least)
        if grid_ is not None:
            found.append(_to_page(grid_, cell, height))
    return found


Segment = tuple[int, int, int, int]
"""A rule in cells: ``(across0, across1, along0, along1)`` (end exclusive) for a vertical
one, columns then rows; the same with rows and columns swapped for a horizontal one."""


def _segments(runs_: object) -> list[Segment]:
    """The rules of a mask of long runs (runs down its first axis), side-by-side columns of
    cells with overlapping runs merged into one (a rule some cells thick)."""
    import numpy as np

    mask = np.asarray(runs_)
    out: list[Segment] = []
    active: list[int] = []  # the rules reaching the column before
    for x in np.flatnonzero(mask.any(axis=0)).tolist():
        reached = []
        for a, b in ink.runs(mask[:, x]):
            for k in active:
                s = out[k]
                if s[1] == x and min(s[3], b) > max(s[2], a):
                    out[k] = (s[0], x + 1, min(s[2], a), max(s[3], b))
                    reached.append(k)
                    break
            else:
                out.append((x, x + 1, a, b))
                reached.append(len(out) - 1)
        active = reached
    return out


def _lattice(
    verticals: list[Segment],
    horizontals: list[Segment],
    seed: int,
    tol: int,
    used: set[int],
    least: int,
) -> tuple[list[Segment], list[int], int] | None:
    """The grid the vertical rule ``seed`` frames (its tallest rule), in cells: its vertical
    rules, its horizontal rules' centres and their thickness; ``None`` if none, or if a row
    or a column is narrower than ``least`` cells (:data:`LEAST` of a text height)."""
    top, bottom = verticals[seed][2], verticals[seed][3]
    tall = bottom - top
    inside = [
        k
        for k, v in enumerate(verticals)
        if v[2] >= top - tol and v[3] <= bottom + tol and v[3] - v[2] >= 0.25 * tall
    ]
    full = [k for k in inside if verticals[k][2] <= top + tol and verticals[k][3] >= bottom - tol]
    if len(full) < 2:
        return None
    left, right = min(full, key=lambda k: verticals[k][0]), max(full, key=lambda k: verticals[k][1])
    x0, x1 = verticals[left][0], verticals[right][1]
    rows = sorted(
        h
        for h in horizontals
        if top - tol <= (h[0] + h[1]) / 2 <= bottom + tol and h[2] <= x0 + tol and h[3] >= x1 - tol
    )
    cols = sorted((verticals[k] for k in inside if x0 <= verticals[k][0] <= x1), key=lambda v: v[0])
    ys = _centres([(h[0], h[1]) for h in rows], tol)
    xs = _centres([(v[0], v[1]) for v in cols], tol)
    if len(ys) < 3 or len(xs) < 3 or ys[0] > top + tol or ys[-1] < bottom - tol:
        return None
    gaps = [b - a for seq in (ys, xs) for a, b in itertools.pairwise(seq)]
    if min(gaps) < least:
        return None  # cells smaller than a line of text: graph paper, a chart's grid lines
    used.update(inside)
    kept = [_nearest(cols, x) for x in xs]
    # The median: a bold header's glyphs touching a rule make that one run look thick.
    thick = round(statistics.median([v[1] - v[0] for v in kept] + [h[1] - h[0] for h in rows]))
    return kept, ys, thick


def _nearest(cols: list[Segment], x: int) -> Segment:
    """The rule of ``cols`` whose centre is nearest ``x``."""
    return min(cols, key=lambda v: abs((v[0] + v[1]) / 2 - x))


def _centres(spans: list[tuple[int, int]], tol: int) -> list[int]:
    """The centres of ``spans`` (sorted), those nearer than ``tol`` to the one before merged
    (a double rule is one border)."""
    out: list[tuple[int, int]] = []
    for a, b in spans:
        if out and a - out[-1][1] < tol:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return [(a + b) // 2 for a, b in out]


def _to_page(found: tuple[list[Segment], list[int], int], cell: int, height: float) -> Grid:
    """A grid in cells as a :class:`Grid` in page pixels."""
    cols, ys, thick = found

    def px(c: float) -> int:
        return round(c * cell + cell / 2)

    xs = tuple(px((v[0] + v[1] - 1) / 2) for v in cols)
    spans = [(v[2] * cell, v[3] * cell) for v in cols]
    top, bottom = px(ys[0]), px(ys[-1])
    spans[0] = spans[-1] = (top, bottom)
    return Grid(xs, tuple(spans), tuple(px(y) for y in ys), max(1, thick * cell))


def take(
    lines: Sequence[Line], grids: Sequence[Grid], height: float
) -> tuple[list[Line], list[tuple[list[Line], Table]]]:
    """``lines`` without the words of each grid that makes a table, and for each such grid
    its words' lines (where it stands, for :func:`regions`) and its table: each word in the
    cell its centre falls in, a cell's lines joined by spaces, rows without text left out."""
    rest = [Line(list(ln.words), ln.block, ln.para) for ln in lines]
    fixed: list[tuple[list[Line], Table]] = []
    for g in grids:
        cells: dict[tuple[int, int], list[tuple[Word, int]]] = {}
        taken: set[int] = set()
        for i, ln in enumerate(rest):
            for w in ln.words:
                at = g.cell_of(w)
                if at is not None:
                    taken.add(id(w))  # a rule read as a glyph is taken, and left out
                    if not on_rule(w, g, height):
                        cells.setdefault(at, []).append((unglued(w, g, height), i))
        table = _table(g, cells, height)
        if table is None:
            continue
        inside: list[Line] = []
        for ln in rest:
            mine = [w for w in ln.words if id(w) in taken]
            if mine:
                inside.append(Line(mine, ln.block, ln.para))
                ln.words = [w for w in ln.words if id(w) not in taken]
        fixed.append((inside, table))
        rest = [ln for ln in rest if ln.words]
    return rest, fixed


def _table(
    g: Grid, cells: dict[tuple[int, int], list[tuple[Word, int]]], height: float
) -> Table | None:
    """The table of a grid's words by cell, or ``None`` when it is no table: fewer than two
    rows or two columns with text, or a cell holding a paragraph (:data:`MAX_LINES`)."""
    rows: list[tuple[str, ...]] = []
    for r in range(len(g.ys) - 1):
        row = []
        for c in range(len(g.xs) - 1):
            lines_ = _cell_lines(cells.get((r, c), []), height)
            if len(lines_) > MAX_LINES:
                return None
            row.append(" ".join(join_words(ln, height) for ln in lines_))
        if any(row):
            rows.append(tuple(row))
    filled = {c for row in rows for c, text in enumerate(row) if text}
    if len(rows) < 2 or len(filled) < 2:
        return None
    return Table(tuple(rows), g.ys[0], g.ys[-1])


def _cell_lines(words: list[tuple[Word, int]], height: float) -> list[list[tuple[Word, int]]]:
    """A cell's words in lines of text, top to bottom, each left to right: a word joins the
    line whose middle is within half a text height of its own."""
    out: list[list[tuple[Word, int]]] = []
    for w, i in sorted(words, key=lambda t: (t[0].y0 + t[0].y1) / 2):
        mid = (w.y0 + w.y1) / 2
        if out and abs(mid - statistics.mean((v.y0 + v.y1) / 2 for v, _ in out[-1])) <= height / 2:
            out[-1].append((w, i))
        else:
            out.append([(w, i)])
    return [sorted(ln, key=lambda t: t[0].x0) for ln in out]


def regions(lines: list[Line], fixed: Sequence[tuple[list[Line], Table]]) -> list[Region]:
    """Each of :func:`take`'s tables as a layout region: its lines appended to ``lines`` (the
    page's, in place), so that the region is placed among them like any table."""
    out = []
    for inside, table in fixed:
        start = len(lines)
        lines.extend(inside)
        idx = list(range(start, len(lines)))
        out.append(Region([Row(idx, table.top, table.bottom)], [table]))
    return out
