"""Numbered code listings kept as listings (part of the layout pass).

A listing with line numbers stands as two aligned columns, numbers and code, so the table
pass made a two-column table of it, or Tesseract's paragraphs joined its lines into one run
of text (FreeFEM's manual: ``1ostream& operator<<(ostream& os, cvect& a) 2 { 3 for(...``).
Either way the code's lines were lost. A run of at least :data:`MIN_ROWS` rows, each starting
with a number one more than the row before (a blank code line keeps its number, so at most
:data:`SKIP` numbers may be missing between two rows), numbers aligned in one column, whose
words are set in a typewriter font (:func:`.spaces.monospace_pitch`; a table's row numbers
stand beside text in a proportional font) or, too few words to tell, whose rows mostly hold
code's brackets and operators, becomes a :class:`~.geometry.Code` item: one line
per row, its number first, as the document prints it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from .geometry import Code, Line, Region, Row, row_text
from .spaces import monospace_pitch

__all__ = ("ALIGN", "CODE_ROWS", "GAP", "MIN_ROWS", "MISREAD", "SKIP", "find")

MIN_ROWS = 3
"""Numbered rows a listing needs."""

SKIP = 2
"""Numbers that may be missing between two numbered rows (blank code lines, a number the
recogniser dropped)."""

ALIGN = 1.0
"""Numbers of one listing start or end within this many text heights of each other."""

GAP = 2.0
"""A vertical gap of this many text heights ends a listing."""

MISREAD = 3
"""Longest first word taken for a misread number in a listing's number column."""

CODE_ROWS = 0.6
"""Share of a short listing's rows that must hold code's brackets or operators."""

_NUMBER = re.compile(r"^\d{1,4}$")
_MARKS = re.compile(r"[{}();=<>\[\]]")


def _first(row: Row, lines: Sequence[Line]) -> tuple[str, int, int] | None:
    """(text, x0, x1) of the row's first word when more words follow it."""
    words = sorted((w for i in row.lines for w in lines[i].words), key=lambda w: w.x0)
    if len(words) < 2:
        return None
    return words[0].text, words[0].x0, words[0].x1


def _code(run: list[Row], lines: Sequence[Line]) -> bool:
    """The run's words other than its numbers are set in a monospace font or, too few to
    tell, most of its rows hold the brackets and operators of code."""
    code = []
    for r in run:
        words = sorted((w for i in r.lines for w in lines[i].words), key=lambda w: w.x0)
        code.append(Line(words[1:], 0, 0))
    if monospace_pitch(code) is not None:
        return True
    marked = sum(1 for ln in code if _MARKS.search(ln.text))
    return marked >= CODE_ROWS * len(code)


def find(rows: Sequence[Row], lines: Sequence[Line], height: float) -> list[Region]:
    """Regions for the numbered listings among the page's rows (top to bottom), each holding
    one :class:`~.geometry.Code` item."""
    found: list[Region] = []
    i = 0
    while i < len(rows):
        first = _first(rows[i], lines)
        if first is None or not _NUMBER.match(first[0]):
            i += 1
            continue
        run, last = [rows[i]], (int(first[0]), first[1], first[2])
        pending: list[Row] = []  # rows of misread numbers, kept if the count goes on
        j = i + 1
        while j < len(rows) and rows[j].top - rows[j - 1].bottom < GAP * height:
            nxt = _first(rows[j], lines)
            aligned = nxt is not None and (
                abs(nxt[1] - last[1]) <= ALIGN * height or abs(nxt[2] - last[2]) <= ALIGN * height
            )
            if nxt is None or not aligned:
                break
            counts = _NUMBER.match(nxt[0]) and 1 <= int(nxt[0]) - last[0] <= SKIP + 1 + len(pending)
            if not counts:
                # A misread number (small digits: "a3", "»", "2" for 26) where a number
                # stands: the row belongs to the listing if the numbers go on counting after it.
                if len(nxt[0]) > MISREAD or len(pending) >= SKIP:
                    break
                pending.append(rows[j])
                j += 1
                continue
            run += [*pending, rows[j]]
            last, pending = (int(nxt[0]), nxt[1], nxt[2]), []
            j += 1
        j -= len(pending)
        if len(run) >= MIN_ROWS and _code(run, lines):
            texts = tuple(row_text(r, lines, height) for r in run)
            found.append(Region(run, [Code(texts, run[0].top, run[-1].bottom)]))
            i = j
        else:
            i += 1
    return found
