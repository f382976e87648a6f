"""Pages of one column read top to bottom (part of the layout pass).

Texinfo's ``@table`` sets each term on a line of its own at the margin and its description
indented on the lines below; Tesseract often makes a block of each term and reads all the terms
before the first description (bench corpus, tune split: pages of R's extensions manual read
"\\arguments{...} \\details{...} \\value{...}" and only then their descriptions). On a page
where no line has another beside it (one column: see :func:`_side_by_side`), there is one
reading order, top to bottom, whatever blocks the recogniser made; lines that share a row
there are pieces of one line, read left to right.
Pages with anything side by side (columns, tables, notes in a margin) keep the recogniser's
order, for the rest of the layout pass to work on.
"""

from __future__ import annotations

from collections.abc import Sequence

from .geometry import Line, Row

__all__ = ("reading_order",)


GAP = 0.3
"""Lines sharing some height this many text heights apart or more are not one line in pieces
(words of one line are about a quarter of a text height apart; touching pieces are joined)."""

WIDE = 2.0
"""A line this many text heights wide or more is text of its own; a narrower piece beside a
line (a closing brace the recogniser cut off) may be part of it."""


def _side_by_side(lines: Sequence[Line], height: float) -> bool:
    """Two lines share some height and stand apart: a text height or more between them, or
    :data:`GAP` when both are :data:`WIDE` (two columns with a narrow gutter)."""
    order = sorted(lines, key=lambda ln: ln.y0)
    for k, a in enumerate(order):
        for b in order[k + 1 :]:
            if b.y0 >= a.y1:
                break  # sorted by top: no later line reaches up into ``a``
            gap = max(b.x0 - a.x1, a.x0 - b.x1)
            wide = min(a.x1 - a.x0, b.x1 - b.x0) >= WIDE * height
            if gap >= height or (wide and gap >= GAP * height):
                return True
    return False


def reading_order(lines: Sequence[Line], rows: Sequence[Row], height: float) -> list[int]:
    """Indexes of ``lines`` in reading order: row by row (``rows`` top to bottom), left to
    right in a row, on a page with nothing side by side; else the recogniser's order."""
    if _side_by_side(lines, height):
        return list(range(len(lines)))
    return [i for r in rows for i in sorted(r.lines, key=lambda i: lines[i].x0)]
