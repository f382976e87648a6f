"""Rows the recogniser cut into blocks side by side, read row by row (part of the layout pass).

Tesseract makes a block of each visual column it sees and reads each block down before the
next. For columns of prose that is right; for a list of short items with labels or notes
beside them ("struct nettle_hash nettle_md5 ... [Constant Struct]", texinfo's "[Function]"
definitions) it scatters every row over the page. Where such rows are not a grid (their
segments do not fall into steady columns, so :mod:`.layout` makes no table of them), they are
read row by row instead.
"""

from __future__ import annotations

import itertools
import statistics
from collections.abc import Sequence

from . import breaks, flowedlists, sides
from .geometry import MIN_ROWS, Line, Region, Row, paragraphs, row_text
from .prose import columns, prose

__all__ = ("SHORT_LINE", "row_order", "split_runs")

SHORT_LINE = 4.0
"""Mean words per recognised line under which rows split across blocks read row by row."""


LEVEL = 0.3
"""Lines of one row are level when their centres are at most this many text heights apart,
and each is :data:`SIZES` text heights tall."""

SIZES = (0.5, 1.6)

FEW_WORDS = 3
"""Words each line of a short run's rows has at most (a label, an amount)."""


def _short(row: Row, lines: Sequence[Line], height: float) -> bool:
    """The row's lines are short (:data:`FEW_WORDS`) and set on one baseline, each a line of
    text's height: a row of a receipt's ``TOTAL`` and ``9.60``. A run of fewer rows cut across
    blocks than a grid needs (:data:`~.geometry.MIN_ROWS`) is read row by row only if its rows
    are such: a receipt's ``TOTAL 9.60`` and ``CARD 9.60``, set apart from its items by a blank
    line, were read ``TOTAL CARD``, the footer, then ``9.60 9.60``. A heading in one column
    level with a line of prose in the next is no such row, nor a term beside the first line of
    its description (one entry is no list: :mod:`.terms`); and a speck of a grainy listing read
    as ``4`` (a sixth of a text height, first in Tesseract's order) that stood on the row of
    the listing's last line, read with it, moved that line to the top of the page."""
    parts = [lines[i] for i in row.lines]
    centres = [(ln.y0 + ln.y1) / 2 for ln in parts]
    low, high = SIZES
    return (
        max(centres) - min(centres) <= LEVEL * height
        and all(low * height <= ln.height <= high * height for ln in parts)
        and all(len(ln.words) <= FEW_WORDS for ln in parts)
        and not any(_of_prose(ln, lines) for ln in parts)
    )


PROSE_LINE = 6
"""Words a line holds, more than this, to be one of a paragraph of prose (a receipt's item
line, ``2 x Flat white 6.40``, or a date, ``1 - 31 March 2026``, holds fewer)."""


def _of_prose(line: Line, lines: Sequence[Line]) -> bool:
    """``line`` shares its recognised paragraph with a line of more than :data:`PROSE_LINE`
    words: the short last line of a paragraph of prose ("Access to" under a column's line of
    eight words), level with a heading in the column beside it ("1 Introduction"), is no
    receipt's label or amount. The two were read as one line, after the whole first column."""
    key = (line.block, line.para)
    return any(
        o is not line and (o.block, o.para) == key and len(o.words) > SHORT_LINE for o in lines
    )


def _numbered(rows: Sequence[Row], lines: Sequence[Line], height: float) -> bool:
    """Two or more rows of a numbered listing, some cut by the recogniser into pieces: each
    row's first piece starts with its line number, the numbers count up by one, and each
    row's pieces share the band of its first piece, under :data:`~.sides.APART` text heights
    apart. A scanned listing cut at a wide ``:=`` into two blocks read ``2 border(...) { x :``
    and ``3 border(...) { x :`` before both lines' ends (``cos(t); ...``): whatever blocks
    the recogniser made, what stands close by on a numbered line's row belongs to that line.
    (A numbered list beside a column of prose stands a gutter off it.)"""
    numbers = []
    for r in rows:
        parts = sorted((lines[i] for i in r.lines), key=lambda ln: ln.x0)
        first = parts[0].words[0].text
        if not first.isdecimal() or len(first) > 4:
            return False
        middle = (parts[0].y0 + parts[0].y1) / 2
        if any(not ln.y0 < middle < ln.y1 for ln in parts):
            return False  # a piece off the number's band: texts that merely meet
        if any(b.x0 - a.x1 >= sides.APART * height for a, b in itertools.pairwise(parts)):
            return False
        numbers.append(int(first))
    return len(numbers) >= 2 and all(b == a + 1 for a, b in itertools.pairwise(numbers))


def row_order(run: list[Row], lines: Sequence[Line], height: float) -> Region | None:
    """Rows that are not a grid (their segments do not fall into steady columns) but that the
    recogniser cut into blocks side by side, reading one block down before the next: a list
    of short items with labels or notes beside them ("struct nettle_hash nettle_md5 ...
    [Constant Struct]"). Read row by row, each row one line, left to right.

    ``None`` (the recogniser's order stands) unless :data:`MIN_ROWS` rows are each split
    across blocks and the lines are short: columns of prose (long lines) keep their order
    even where a heading spanning them hides the gutter.
    """
    split = [r for r in run if len({lines[i].block for i in r.lines}) >= 2]
    if not split:
        return None
    listing = _numbered(run, lines, height)
    if not listing:
        if len(split) < MIN_ROWS and not all(_short(r, lines, height) for r in split):
            return None  # too few rows to tell a row of entries from texts that merely meet
        count = [len(lines[i].words) for r in run for i in r.lines]
        if sum(count) / len(count) >= SHORT_LINE or prose(run, columns(run)):
            return None  # long lines, or narrow columns of prose (a newsletter's four)
        if flowedlists.sorted_down(run, columns(run), height):
            return None  # a sorted list flowed down the recogniser's blocks: read in its order
    apart = sides.stacks(run, lines, height)
    if apart is not None:
        return apart
    texts = [(row_text(r, lines, height), r.top, r.bottom) for r in run]
    # Each row stays a line: its parts stand a gutter apart, so it ends where it was set to
    # (an entry and its label, an item and its price), not where a column was full. Joined
    # as wrapped text, a served grainy listing came back as one paragraph, no line number at
    # the head of a line, and a receipt's items as "Cheddar 400g 5.10 Olive oil 750ml 8.99".
    return Region(run, [breaks.ended(item) for item in paragraphs(texts, _blank(run, height))])


def _blank(run: Sequence[Row], height: float) -> float:
    """The gap between two rows of ``run`` from which a new paragraph starts: a text line's
    ``height``, or half a line over the rows' usual gap where they are set loosely but
    evenly (a receipt at one and a half lines' pitch was cut into paragraphs at random,
    where its descenders made a gap a pixel or two wider than a text line). Rows that stand
    apart as a rule (a running head, a heading, a line of code) keep a paragraph each."""
    gaps = [b.top - a.bottom for a, b in itertools.pairwise(run)]
    if len(gaps) < 3:
        return height
    usual = statistics.median(gaps)
    return max(height, usual + 0.5 * height) if usual < 1.5 * height else height


def split_runs(
    rows: list[Row], lines: Sequence[Line], height: float, taken: Sequence[Region]
) -> list[Region]:
    """:func:`row_order` regions among the rows no grid took: runs of rows cut across blocks
    (a row between two such rows may be whole: a wrapped item), without a gap of two text
    heights. These rows need not have wide gaps, so :func:`.layout._regions` never saw them."""
    used = {id(r) for region in taken for r in region.rows}

    def split(r: Row) -> bool:
        return id(r) not in used and len({lines[i].block for i in r.lines}) >= 2

    found: list[Region] = []
    i = 0
    while i < len(rows):
        if not split(rows[i]):
            i += 1
            continue
        run = [rows[i]]
        j = i + 1
        while j < len(rows) and id(rows[j]) not in used:
            if rows[j].top - run[-1].bottom >= 2.0 * height:
                break
            if not split(rows[j]):
                nxt = j + 1 < len(rows) and split(rows[j + 1])
                if not nxt or rows[j + 1].top - rows[j].bottom >= 2.0 * height:
                    break
            run.append(rows[j])
            j += 1
        region = row_order(run, lines, height)
        if region is not None:
            found.append(region)
        i = j
    return found
