"""Table cells whose text wraps onto lines of their own (layout pass).

A table's description cell set top-aligned wraps onto a second, third and fourth line while
the row's other cells hold one line each: those lines make rows of one segment, starting where
the cell does. A run of rows split into cells went on over one such row between two split
rows, and a table's last row's one wrapped line; the fourth row of a price list whose cells
wrap three lines deep ended it, and the rest of the table was read as paragraphs with its
quantities and amounts in the middle of the sentences ("additional obligations are imposed on
40 803.75 any author").
"""

from __future__ import annotations

from collections.abc import Sequence

from .geometry import MIN_ROWS, Line, Row, Word, join_words
from .prose import columns

__all__ = ("ALIGN", "APART", "resplit", "trailing", "wrapped_cell", "wrapped_lines")

ALIGN = 0.5
"""Text heights a wrapped line's start may stand off its cell's."""

APART = 0.5
"""Text heights of blank before a word, at least, for :func:`resplit` to cut a row there (a
word space is about a third of one)."""


def _aligned(row: Row, last: Row, height: float, first: bool = False) -> bool:
    """``row`` is one segment starting where a cell of ``last`` other than its first does;
    with ``first``, or where its first does and reaching into its second: an item's wrapped
    line and its description's run together (a line number alone, or a line number misread
    as a word beside an empty line of a listing, stays a row of its own)."""
    if len(row.segments) != 1 or len(last.segments) < 2:
        return False
    x0, x1, _ = row.segments[0]
    if first and abs(x0 - last.segments[0][0]) <= ALIGN * height:
        return x1 > last.segments[1][0]
    return any(abs(x0 - s[0]) <= ALIGN * height for s in last.segments[1:])


def wrapped_cell(row: Row, last: Row, height: float) -> bool:
    """``row`` is the wrapped end of a cell of ``last`` (a table's last row): one segment, a
    line's spacing below, starting where a cell other than the row's first does. (Rows
    between a run's rows join it anyway; its last row's wrapped description was read as a
    paragraph after the table.)"""
    return row.top - last.bottom <= height and _aligned(row, last, height)


def wrapped_lines(rows: Sequence[Row], j: int, last: Row, height: float, reach: float) -> int:
    """How many rows from ``rows[j]`` on are a cell of ``last`` wrapped (:func:`trailing`,
    the first cell's too), with a row split into cells no more than ``reach`` px under the
    last of them (a table's cells are padded): the table's next row. 0 when they are not."""
    k = j + trailing(rows, j, last, height, first=True)
    ends = k < len(rows) and len(rows[k].segments) >= 2
    return k - j if k > j and ends and rows[k].top - rows[k - 1].bottom <= reach else 0


def trailing(rows: Sequence[Row], j: int, last: Row, height: float, first: bool = False) -> int:
    """How many rows from ``rows[j]`` on are a cell of ``last`` wrapped: each one segment
    starting where a cell of ``last`` other than its first does, a line's spacing under the
    row before (``rows[j - 1]`` for the first). With ``first``, the first cell's too: an
    item wrapped beside its description's second line, before the table's next row (after
    a table's last row, such a line is the paragraph under it)."""
    k = j
    while k < len(rows) and rows[k].top - rows[k - 1].bottom <= height:
        if not _aligned(rows[k], last, height, first):
            break
        k += 1
    return k - j


def resplit(run: Sequence[Row], lines: Sequence[Line], height: float) -> bool:
    """Cut each row of ``run`` that is one segment where one of its words starts a column of
    the rows split into cells, :data:`APART` or more after the word before; whether any was.
    Two cells' wrapped lines close to one another ("Requirements" under an item, "Source
    from" under its description, a padded cell's 44 px apart) made one segment across the
    columns, and the table's columns were taken as one."""
    multi = [r for r in run if len(r.segments) >= 2]
    if len(multi) < MIN_ROWS:
        return False
    starts = [a for a, _ in columns(multi)[1:]]
    changed = False
    for r in run:
        if len(r.segments) != 1:
            continue
        words = sorted(((w, i) for i in r.lines for w in lines[i].words), key=lambda t: t[0].x0)
        parts: list[list[tuple[Word, int]]] = [[]]
        for w, i in words:
            before = parts[-1][-1][0] if parts[-1] else None
            at_start = any(abs(w.x0 - x) <= ALIGN * height for x in starts)
            if before is not None and at_start and w.x0 - before.x1 >= APART * height:
                parts.append([])
            parts[-1].append((w, i))
        if len(parts) > 1:
            r.segments = [
                (p[0][0].x0, max(w.x1 for w, _ in p), join_words(p, 0.9 * height)) for p in parts
            ]
            changed = True
    return changed
