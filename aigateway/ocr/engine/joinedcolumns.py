"""Columns of prose the recogniser ran together across a narrow gutter (layout pass).

A newspaper's or a newsletter's columns stand a gutter of one or two text heights apart, and
their lines share a baseline grid. Tesseract then reads a line of one column and the line
level with it in the next as one line, so its own order reads the page row by row across the
columns. The layout pass finds the columns from its rows' segments (:func:`.prose.columns`);
where every column reads like prose and some recognised line holds words from two of them,
the columns are read one after the other, each top to bottom (:func:`read`). So are a
list and the wrapped lines beside it run together (:func:`.prose.wrapped_beside_items`: a
recipe's ingredients beside its method's steps, in a screenshot whose gutter is 32 px), which
were read as a two-column table.

Justified narrow columns stretch their word spaces, often past the text height that splits a
row into segments, and a column's paragraph may end on a row where the others' do too: such a
run of rows split into cells ends early, and the page's lower band was read in the
recogniser's order after the upper band's columns. The run goes on over every row below it
that stays inside its columns (:func:`continued`).
"""

from __future__ import annotations

from collections.abc import Sequence

from . import sides
from .geometry import MIN_ROWS, Item, Line, Region, Row, Word
from .prose import column_of, prose, wrapped_beside_items

__all__ = ("CONTINUE_GAP", "continued", "mixed", "read", "region")

CONTINUE_GAP = 2.0
"""Text heights of blank space between two rows of the columns, at most (paragraphs in a
column stand about one apart; a band under the columns stands further off)."""


def mixed(run: Sequence[Row], lines: Sequence[Line], cols: Sequence[tuple[int, int]]) -> bool:
    """Some recognised line of ``run`` holds words from two columns (a narrow gutter was not
    seen)."""
    for r in run:
        for i in r.lines:
            found: set[int] = set()
            for w in lines[i].words:
                centre = (w.x0 + w.x1) / 2
                found.update(k for k, (a, b) in enumerate(cols) if a <= centre <= b)
            if len(found) > 1:
                return True
    return False


def _column(word: Word, cols: Sequence[tuple[int, int]]) -> int:
    """The column ``word``'s centre falls in, or the nearest one (a row taken in by
    :func:`continued` may reach a little past a column's edge)."""
    centre = (word.x0 + word.x1) / 2
    return min(range(len(cols)), key=lambda k: max(cols[k][0] - centre, centre - cols[k][1], 0))


def read(
    run: Sequence[Row], lines: Sequence[Line], cols: Sequence[tuple[int, int]], height: float
) -> list[Item]:
    """Columns one after the other, each the pieces of the run's lines in it read as a stack
    (:func:`.sides.read`: a gap over a line height starts a paragraph, and a list's short
    lines keep their breaks)."""
    out: list[Item] = []
    for k in range(len(cols)):
        parts = []
        for r in run:
            for i in r.lines:
                words = [w for w in lines[i].words if _column(w, cols) == k]
                if words:
                    parts.append(Line(words, lines[i].block, lines[i].para))
        out += sides.read(parts, height)
    return out


def _home(seg: tuple[int, int, str], edges: list[list[int]], slack: float) -> list[int] | None:
    """The column (its edges, left and right) ``seg`` stands inside, ``slack`` aside."""
    return next((c for c in edges if c[0] - slack <= seg[0] and seg[1] <= c[1] + slack), None)


def continued(
    run: Sequence[Row], rows: Sequence[Row], cols: Sequence[tuple[int, int]], height: float
) -> int:
    """How many of ``rows`` (those right below ``run``, in order, none in another region)
    go on the columns: each no more than :data:`CONTINUE_GAP` text heights under the row
    before, every segment of it inside one column (half a text height of slack). A row
    reaching across a gutter (a heading over the columns, a footer under them) ends them.
    Each row taken widens its columns to its segments: a page scanned half a degree askew,
    too little to be turned level, moves a column's edge 20 px over a page's height."""
    bottom = max(r.bottom for r in run)
    slack = 0.5 * height
    edges = [list(c) for c in cols]
    taken = 0
    for row in rows:
        if row.top - bottom > CONTINUE_GAP * height:
            break
        placed = [(s, c) for s in row.segments if (c := _home(s, edges, slack)) is not None]
        if len(placed) < len(row.segments):
            break
        for s, c in placed:
            c[0], c[1] = min(c[0], s[0]), max(c[1], s[1])
        bottom = max(bottom, row.bottom)
        taken += 1
    return taken


def _line_numbers(run: Sequence[Row], cols: Sequence[tuple[int, int]]) -> bool:
    """Nearly every row's first cell is a number, brackets and stops aside: a listing's."""
    firsts = [
        "".join(s[2] for s in r.segments if column_of(s, cols) == 0).strip("()[]{}.: ") for r in run
    ]
    numbers = sum(1 for f in firsts if f.replace(" ", "").isdecimal())
    return numbers >= 0.8 * len(run)


def region(
    run: list[Row],
    below: Sequence[Row],
    lines: Sequence[Line],
    cols: Sequence[tuple[int, int]],
    height: float,
) -> Region | None:
    """``run`` and the rows of ``below`` that go on its columns, read column by column, when
    its ``cols`` are columns of prose the recogniser ran together (:func:`mixed`); else
    ``None``. Looked at before the run's stacks (:func:`.sides.stacks`): their gutter is the
    first one no line crosses, past the columns run together, which were read row by row."""
    split = sum(1 for r in run if len(r.segments) >= 2)
    if len(cols) < 2 or split < MIN_ROWS or not mixed(run, lines, cols):
        return None  # a row or two: a sentence's wide space after its stop, not a gutter
    # A list beside wrapped lines, not a listing's line numbers beside its code (whose rows,
    # code and comment, are read whole).
    beside = not _line_numbers(run, cols) and wrapped_beside_items(run, lines)
    if not beside and not prose(run, cols):
        return None
    rows = run + list(below[: continued(run, below, cols, height)])
    return Region(rows, read(rows, lines, cols, height))
