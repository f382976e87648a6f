"""Columns of line and equation numbers put back on the lines they number (part of the layout
pass).

A listing's line numbers (``( 4)``, ``12``) and a paper's equation numbers (``(3.1)``) stand in
a column of their own, a few text heights from the text they number. Tesseract often makes that
column a block and reads it whole, before or after the text: in the Erlang run-time manual's
numbered C listings, ``(4) (5) ... (16)`` came out as one paragraph above the sixteen lines they
belong to. In the document, each number is part of its row.

A column here is at least :data:`MIN_LABELS` lines that are nothing but such a number, stacked
one above the other, in increasing order (numbers of lines or equations count up; a column of
figures in a table rarely does), most of them on the row of a text line beside them. Each is
joined to the nearest line of its row on the side of the text: at its head for numbers in the
left margin, at its end for numbers in the right margin. The words keep their boxes, so a row
that is a table row still splits into its cells.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence

from .geometry import Line, same_row

__all__ = ("ALIGN", "COUNTING", "MIN_LABELS", "ON_ROWS", "join")

MIN_LABELS = 3
"""Numbers needed in one column: one or two lone numbers are a page number, a footnote mark."""

ON_ROWS = 0.75
"""Share of a column's numbers that must stand on the row of a text line."""

COUNTING = 0.8
"""Share of steps down a column that must count up (one misread number does not undo it)."""

ALIGN = 1.0
"""Numbers of one column start or end within this many text heights of each other."""

_LABEL = re.compile(r"^[(\[]?(\d{1,4}(?:\.\d{1,3}){0,2})[a-z]?[)\]]?[.:]?$")
"""``12``, ``12.``, ``(4)``, ``[7]``, ``(3.1)``, ``(2.4a)``: the whole line, spaces removed."""


def _number(line: Line) -> tuple[int, ...] | None:
    """The line's number as a tuple (``(3.1)`` is ``(3, 1)``), or ``None`` for any other line."""
    m = _LABEL.match("".join(w.text for w in line.words))
    if m is None or len(line.words) > 3:
        return None
    return tuple(int(p) for p in m.group(1).split("."))


def _neighbour(label: Line, lines: Sequence[Line], labels: set[int], right: bool) -> int | None:
    """The nearest line on ``label``'s row on the given side that is not a number itself."""
    best, gap = None, float("inf")
    for j, ln in enumerate(lines):
        if j in labels or not same_row(label, ln):
            continue
        d = ln.x0 - label.x1 if right else label.x0 - ln.x1
        if 0 <= d < gap:
            best, gap = j, d
    return best


def _columns(lines: Sequence[Line], numbered: list[int], height: float) -> list[list[int]]:
    """Numbered lines grouped into columns: left or right edges within :data:`ALIGN` text
    heights, top to bottom."""
    cols: list[list[int]] = []
    for i in sorted(numbered, key=lambda i: lines[i].y0):
        ln = lines[i]
        for col in cols:
            last = lines[col[-1]]
            if ln.y0 >= last.y1 - 0.2 * height and (
                abs(ln.x0 - last.x0) <= ALIGN * height or abs(ln.x1 - last.x1) <= ALIGN * height
            ):
                col.append(i)
                break
        else:
            cols.append([i])
    return [c for c in cols if len(c) >= MIN_LABELS]


def join(lines: Sequence[Line], height: float) -> list[Line]:
    """``lines`` with each number of a number column joined to the line it numbers (see the
    module docstring); the joined line keeps its own place, block and paragraph."""
    numbers = {i: n for i, ln in enumerate(lines) if (n := _number(ln)) is not None}
    if len(numbers) < MIN_LABELS:
        return list(lines)
    out = list(lines)
    gone: set[int] = set()
    labels = set(numbers)  # no number is another number's line
    for col in _columns(lines, list(numbers), height):
        seq = [numbers[i] for i in col]
        ups = sum(1 for a, b in itertools.pairwise(seq) if b > a)
        if ups < COUNTING * (len(seq) - 1):
            continue  # not counting up: figures in a table column, not line numbers
        for right in (True, False):
            targets = [_neighbour(lines[i], lines, labels, right) for i in col]
            if sum(t is not None for t in targets) < ON_ROWS * len(col):
                continue
            for i, t in zip(col, targets, strict=True):
                if t is None or t in gone:
                    continue
                words = out[t].words
                label = lines[i].words
                out[t] = Line(
                    [*label, *words] if right else [*words, *label], out[t].block, out[t].para
                )
                gone.add(i)
            break
    if not gone:
        return list(lines)
    return [ln for i, ln in enumerate(out) if i not in gone]
