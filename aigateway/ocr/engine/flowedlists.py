"""A sorted list flowed down columns, not a table (layout pass).

A back-of-book index, a glossary's terms, a list of contributors, a word list or a numbered
checklist is set in two or three columns that the list fills one after the other. Its lines
share a baseline grid, so the layout pass saw rows split into cells that fall into steady
columns and wrote a table whose every row paired entries that have nothing to do with each
other (a contributors page in three columns: 535 edits a reading of 788 characters; raw
Tesseract, reading its blocks one after the other, 0).

Nothing in the picture tells such a list from a table whose cells are short: the order of
the text does. A list flowed down its columns in alphabetical order (or its numbers') is
sorted read column by column, and out of order read row by row (every row's last entry
sorts after the next row's first). A table's columns are not one sorted sequence: its first
column may be sorted, but the second would have to be sorted too, and to start after the
first one ends.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence

from . import breaks, joinedcolumns
from .geometry import Line, Region, Row
from .joinedcolumns import CONTINUE_GAP, read
from .markdown import BULLETS
from .prose import column_of

__all__ = (
    "MIN_ENTRIES",
    "MIN_PER_COLUMN",
    "bulleted_down",
    "read_down",
    "sorted_down",
)

MIN_ENTRIES = 8
"""Entries of the list, at least, that start at their column's left edge with a letter
(fewer sort in order by chance)."""

MIN_PER_COLUMN = 3
"""... and in each column."""

INDENT = 0.6
"""Text heights right of its column's leftmost start where an entry starts, at most: a
sub-entry of an index stands further in and keeps its own order under its entry."""


OPENERS = "\"'([*\u2018\u201c\u00ab\u2022\u00b7\u2013- "
"""What may stand before an entry's first letter: quotes, brackets, a bullet, a dash."""


NUMBERED = re.compile(r"(\d{1,4})[.)\]]\s+\S")
"""A numbered entry's start: its number and a stop, a bracket or a parenthesis, then a space
and its text (``1.1 Scope`` and ``3.5 million`` are no such start; a bare number is a page
number or a figure)."""


def _key(text: str) -> str:
    """What an entry sorts by: its letters, quotes and brackets before them dropped, case
    folded; or its number, written to sort as a number and before any letter; empty when the
    entry starts with neither (a page number, a figure, a bullet)."""
    text = text.lstrip(OPENERS).casefold()
    if numbered := NUMBERED.match(text):
        return f"#{int(numbered.group(1)):05d}"
    if not text[:1].isalpha():
        return ""
    return "".join(c for c in text[:12] if c.isalpha())


def _starts(run: Sequence[Row], cols: Sequence[tuple[int, int]], height: float) -> list[list[str]]:
    """Each column's cells, top to bottom, that start at its left edge (:data:`INDENT`)."""
    firsts: list[list[tuple[int, str]]] = [[] for _ in cols]
    for r in run:
        for s in r.segments:
            firsts[column_of(s, cols)].append((s[0], s[2]))
    out: list[list[str]] = []
    for cells in firsts:
        left = min((x for x, _ in cells), default=0)
        out.append([t for x, t in cells if x - left <= INDENT * height])
    return out


def _entries(run: Sequence[Row], cols: Sequence[tuple[int, int]], height: float) -> list[list[str]]:
    """Each column's sort keys (:func:`_key`), top to bottom, of the cells that start at its
    left edge."""
    return [[k for t in cells if (k := _key(t))] for cells in _starts(run, cols, height)]


BULLETED = 0.8
"""Share of a column's entries that start with a bullet, at least, for a column of a list."""

WORDS = "aAI0123456789"
"""One-character words an entry may start with that are no bullet read as a letter."""


def bulleted_down(run: Sequence[Row], cols: Sequence[tuple[int, int]], height: float) -> bool:
    """Every column is a bulleted list: :data:`MIN_PER_COLUMN` entries or more at its left
    edge, nearly all (:data:`BULLETED`) starting with a bullet, or with the one-letter word
    most of them start with (a bullet the recogniser read as ``e`` or ``o``; not ``A``, ``I``
    or a digit, which are words). Two such lists
    side by side are read one after the other, whether one list runs on into the next column
    or each is a list of its own (a comparison's pros and cons): a table's rows do not each
    hold a bullet in every cell."""
    if len(cols) < 2:
        return False
    for cells in _starts(run, cols, height):
        heads = [t.split(" ", 1)[0] for t in cells if " " in t.strip()]
        if len(cells) < MIN_PER_COLUMN:
            return False
        letters = [h for h in heads if len(h) == 1 and h not in BULLETS + WORDS]
        common = max(set(letters), key=letters.count, default="")
        marked = sum(1 for h in heads if h in BULLETS or h == common)
        if marked < BULLETED * len(cells):
            return False
    return True


def _grouped(
    context: Sequence[Row], spans: Sequence[tuple[int, int]], height: float
) -> list[tuple[int, int]]:
    """``spans`` with each column that holds no entries (:func:`_entries`: a directory's
    extensions, an index's page numbers set apart) joined to the column on its left: an
    entry and its number are one line of the list."""
    keys = _entries(context, spans, height)
    out: list[tuple[int, int]] = []
    for (a, b), found in zip(spans, keys, strict=True):
        if out and len(found) < MIN_PER_COLUMN:
            out[-1] = (out[-1][0], b)
        else:
            out.append((a, b))
    return out


def sorted_down(run: Sequence[Row], cols: Sequence[tuple[int, int]], height: float) -> bool:
    """The entries at the columns' left edges, read column by column, are in alphabetical
    order, each after the one before: one in ten neighbours out of order at most (the
    recogniser's slips), none where fewer than ten pairs are compared, and every column's
    first entry sorts after the last one of the column before. Two entries alike are out of
    order: a table repeats a cell down its rows, a list does not."""
    if len(cols) < 2:
        return False
    columns = _entries(run, cols, height)
    if any(len(c) < MIN_PER_COLUMN for c in columns):
        return False
    keys = [k for c in columns for k in c]
    if len(keys) < MIN_ENTRIES:
        return False
    if any(a[-1] >= b[0] for a, b in itertools.pairwise(columns)):
        return False
    out_of_order = sum(1 for a, b in itertools.pairwise(keys) if a >= b)
    return out_of_order <= (len(keys) - 1) // 10


def _placed(row: Row, starts: Sequence[int], slack: float) -> list[int] | None:
    """The column each segment of ``row`` goes on, or ``None`` if one goes on none: it must
    start in a column (from its left edge, ``slack`` aside, to the next one's) and end
    before the next column starts. A list's entries are as long as they are, so the columns'
    widths in a few rows say little."""
    out: list[int] = []
    for s in row.segments:
        k = sum(1 for a in starts if a - slack <= s[0]) - 1
        if k < 0 or (k + 1 < len(starts) and s[1] >= starts[k + 1] - slack):
            return None
        out.append(k)
    return out


def _stretch(
    run: Sequence[Row], rows: Sequence[Row], cols: Sequence[tuple[int, int]], height: float
) -> tuple[list[Row], list[int]]:
    """The rows of ``rows`` (those right below ``run`` or right above it, nearest first)
    that go on its columns (:func:`_placed`), each at most :data:`CONTINUE_GAP` text
    heights from the one before, nearest first; and the columns' left edges. An edge moves
    out to the rows taken: on a page scanned half a degree askew, too little to be turned
    level, it drifts 20 px over the page's height."""
    starts = [a for a, _ in cols]
    top, bottom = min(r.top for r in run), max(r.bottom for r in run)
    out: list[Row] = []
    for row in rows:
        gap = row.top - bottom if row.top >= top else top - row.bottom
        placed = _placed(row, starts, 0.5 * height)
        if gap > CONTINUE_GAP * height or placed is None:
            break
        for s, k in zip(row.segments, placed, strict=True):
            starts[k] = min(starts[k], s[0])
        top, bottom = min(top, row.top), max(bottom, row.bottom)
        out.append(row)
    return out, starts


def _apart(rows: Sequence[Row], lines: Sequence[Line], cols: Sequence[tuple[int, int]]) -> bool:
    """No block of the recogniser holds words of two columns, and no line either: its order
    reads each column down before the next."""
    owners: dict[int, int] = {}
    for r in rows:
        for i in r.lines:
            for w in lines[i].words:
                k = column_of((w.x0, w.x1, ""), cols)
                if owners.setdefault(lines[i].block, k) != k:
                    return False
    return True


def read_down(
    run: list[Row],
    below: Sequence[Row],
    above: Sequence[Row],
    lines: Sequence[Line],
    cols: Sequence[tuple[int, int]],
    height: float,
) -> tuple[list[Row], Region | None] | None:
    """Whether ``run``'s ``cols`` are read down, one after the other, rather than as a table:
    ``None`` if not; else the rows so read (``run`` and the rows of ``below`` that go on its
    columns) and the region reading them, or ``None`` for it where the recogniser's order
    already does (:func:`_apart`; the rows around the run were left in that order).

    Either the columns are prose the recogniser ran together (:func:`.joinedcolumns.region`)
    or they hold one sorted list (:func:`sorted_down`), judged with the rows of ``above``
    (nearest first) and ``below`` that go on them: a letter's three entries beside three of
    the next column, level by chance on an index page whose other rows are not, are too few
    to sort by chance only as part of their list."""
    joined = joinedcolumns.region(run, below, lines, cols, height)
    if joined is not None:
        return joined.rows, joined
    after, low = _stretch(run, below, cols, height)
    before, high = _stretch(run, above, cols, height)
    rows = run + after
    context = before[::-1] + rows
    # Each column from where it starts to where the next does: an entry may be longer than
    # any in the run, and a sub-entry further in.
    slack = int(0.5 * height)
    right = max(s[1] for r in context for s in r.segments)
    starts = [min(a, b) - slack for a, b in zip(low, high, strict=True)]
    each = [(a, b - 1) for a, b in itertools.pairwise([*starts, right + 1])]
    spans = _grouped(context, each, height)
    if not sorted_down(context, spans, height) and not bulleted_down(context, spans, height):
        return None
    # The recogniser's blocks read the list's columns down only if each is one column of
    # text: an entry's number set apart is a block of numbers read after the entries.
    one = len(spans) == len(each)
    if one and _apart(rows, lines, spans) and not joinedcolumns.mixed(rows, lines, spans):
        return rows, None
    return rows, Region(rows, [breaks.ended(item) for item in read(rows, lines, spans, height)])
