"""Pages of one column read top to bottom (part of the layout pass).

Texinfo's ``@table`` sets each term on a line of its own at the margin and its description
indented on the lines below; Tesseract often makes a block of each term and reads all the terms
before the first description (bench corpus, tune split: pages of R's extensions manual read
"\\arguments{...} \\details{...} \\value{...}" and only then their descriptions). On a page
where no line has another beside it (one column: see :func:`_side_by_side`), there is one
reading order, top to bottom, whatever blocks the recogniser made; lines that share a row
there are pieces of one line, read left to right. A line level with another but alone on its
side of it (nothing over or under it there within :data:`NEAR` text heights: a form's last
option, a date at the far right of a letter) is a piece of that row, not a column: a form was
read with its last option after the signature line below it, and the tune and extra split's
grainy and scanned code pages with listing lines out of place (9146 to 9026 edits, 6 pages
better, none worse).
Pages with anything else side by side (columns, tables, notes in a margin) keep the recogniser's
order, for the rest of the layout pass to work on.
"""

from __future__ import annotations

from collections.abc import Sequence

from .geometry import Line, Row

__all__ = ("reading_order",)


GAP = 0.3
"""Lines sharing some height this many text heights apart or more are not one line in pieces
(words of one line are about a quarter of a text height apart; touching pieces are joined)."""

NEAR = 3.0
"""Text heights above or below a line within which another line on its side makes it part of
a text of its own (a column's lines are 1-2 text heights apart)."""

WIDE = 2.0
"""A line this many text heights wide or more is text of its own; a narrower piece beside a
line (a closing brace the recogniser cut off) may be part of it."""


def _alone(line: Line, other: Line, lines: Sequence[Line], height: float) -> bool:
    """No line but ``line`` stands on its side of ``other`` within :data:`NEAR` text heights
    above or below it: a piece of a row (a form's last option, a value at the far right), not
    a column."""
    right = line.x0 >= other.x1
    for c in lines:
        if c is line or c is other:
            continue
        beside = (c.x0 >= other.x1) if right else (c.x1 <= other.x0)
        if beside and c.y0 < line.y1 + NEAR * height and c.y1 > line.y0 - NEAR * height:
            return False
    return True


def _side_by_side(lines: Sequence[Line], height: float) -> bool:
    """Two lines share some height and stand apart: a text height or more between them, or
    :data:`GAP` when both are :data:`WIDE` (two columns with a narrow gutter); and each has
    another line on its side near it (else one of them is a piece of the other's row)."""
    order = sorted(lines, key=lambda ln: ln.y0)
    for k, a in enumerate(order):
        for b in order[k + 1 :]:
            if b.y0 >= a.y1:
                break  # sorted by top: no later line reaches up into ``a``
            gap = max(b.x0 - a.x1, a.x0 - b.x1)
            wide = min(a.x1 - a.x0, b.x1 - b.x0) >= WIDE * height
            if not (gap >= height or (wide and gap >= GAP * height)):
                continue
            if not (_alone(a, b, lines, height) or _alone(b, a, lines, height)):
                return True
    return False


def reading_order(lines: Sequence[Line], rows: Sequence[Row], height: float) -> list[int]:
    """Indexes of ``lines`` in reading order: row by row (``rows`` top to bottom), left to
    right in a row, on a page with nothing side by side; else the recogniser's order."""
    if _side_by_side(lines, height):
        return list(range(len(lines)))
    return [i for r in rows for i in sorted(r.lines, key=lambda i: lines[i].x0)]
