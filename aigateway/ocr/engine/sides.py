"""Texts side by side whose rows only meet by chance, read one after the other (layout pass).

A letterhead's address beside an invoice's number and dates, a photo caption beside a
sidebar: two stacks of lines with a gutter between them, each with its own line spacing.
Their lines overlap in height here and there, so grouped into rows across the page they
look like a table, or like a list cut into blocks (:mod:`.rowsplit`), and were read row by
row: "Invoice date: 14 November 2026 12 Harbour Road, ... Due date: ...". What sets them
apart from a table is that their rows are not level: a table's cells share a baseline, these
lines sit a third of a line off each other. Such a run is read stack by stack, left first,
each stack row by row.

Tesseract often makes one line of two texts on a row (a page with prose or a table spanning
under them): the run's lines are cut where :data:`APART` text heights of blank lie between
two words before the gutter is looked for.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Sequence
from dataclasses import replace

from . import breaks
from .geometry import Item, Line, Paragraph, Region, Row, paragraphs, row_text, same_row

__all__ = (
    "ALIGNED",
    "APART",
    "LEVEL",
    "STACK",
    "extend",
    "kept_apart",
    "read",
    "split_joined",
    "stacks",
)

APART = 3.0
"""Blank inside a recognised line, in text heights, at which the line is cut in two."""

ALIGNED = 0.75
"""Share of the lines on either side of a gutter that must be level with a line of the other
side for the run to stay one text. Either side: a table whose first column's cells wrap has
left lines level with nothing on the right, but every right line level with one on the left."""

STACK = 2
"""Lines a side needs to be a text of its own (one line beside a text is a note on it)."""

LEVEL = 0.3
"""Two lines are level (cells of one row) when their centres are at most this many times the
smaller one's height apart: a descender moves a line's centre by about an eighth of it."""


def stacks(run: Sequence[Row], lines: Sequence[Line], height: float) -> Region | None:
    """The run read stack by stack, when a gutter parts it into texts whose rows are not
    level (:data:`ALIGNED`); ``None`` for any other run."""
    parts = _cut([lines[i] for r in run for i in r.lines], height)
    if _sides(parts, height) is None:
        return None
    return Region(list(run), read(parts, height))


def extend(run: list[Row], rows: Sequence[Row], lines: Sequence[Line], height: float) -> int:
    """How many of ``rows`` (those right below ``run``, in order) go on a stack of the run
    read stack by stack: rows wholly on one side of its gutter, starting where that side's
    lines start or ending where they end, each under the side's last line with no more than a
    text height between.
    A letterhead's address goes on for two lines under the invoice's number and dates beside
    it; ended with the rows the two shared, the run read "Northwind Supplies Ltd, 42 Harbour
    Road, Invoice INV-0917, Date: ..., Due: ..." and only then "Bristol BS1 4DJ"."""
    if not rows or rows[0].top - max(r.bottom for r in run) > height:
        return 0  # nothing right under the run: no need to look for its stacks
    split = _sides(_cut([lines[i] for r in run for i in r.lines], height), height)
    if split is None:
        return 0
    cut = max(ln.x1 for ln in split[0])
    sides = [list(split[0]), list(split[1])]
    taken = 0
    for row in rows:
        own = [lines[i] for i in row.lines]
        left = all(ln.x1 <= cut for ln in own)
        side = sides[0] if left else sides[1]
        if not (left or all(ln.x0 > cut for ln in own)):
            break
        # Set flush left or flush right (an invoice's dates against the right margin).
        start, end = min(ln.x0 for ln in side), max(ln.x1 for ln in side)
        last = max(side, key=lambda ln: ln.y1)
        flush = abs(min(ln.x0 for ln in own) - start) <= height
        flush = flush or abs(max(ln.x1 for ln in own) - end) <= height
        if not flush or row.top - last.y1 > height:
            break
        side.extend(own)
        taken += 1
    return taken


def kept_apart(run: Sequence[Row], lines: Sequence[Line], height: float) -> bool:
    """The run's texts are side by side with rows not level (as for :func:`stacks`), and the
    recogniser already keeps them apart: no line of it crosses the gutter and no block of it
    holds lines of both sides. Its own order then reads the texts one after the other, each
    whole: a web page's sidebar beside its article (the sidebar's lines 50 px apart, the
    article's 32 px) was read stack by stack over the few rows where both were, which put the
    sidebar's first items in the middle of the article's paragraph."""
    own = [lines[i] for r in run for i in r.lines]
    parts = _cut(own, height)
    if len(parts) != len(own):
        return False  # a line runs across the gutter: the recogniser mixed the texts
    split = _sides(parts, height)
    if split is None:
        return False
    return not {ln.block for ln in split[0]} & {ln.block for ln in split[1]}


def _cut(lines: Sequence[Line], height: float) -> list[Line]:
    """Each line cut where :data:`APART` text heights of blank lie between two of its words."""
    out: list[Line] = []
    for ln in lines:
        words = sorted(ln.words, key=lambda w: w.x0)
        start = 0
        for k in range(1, len(words)):
            if words[k].x0 - words[k - 1].x1 >= APART * height:
                out.append(Line(words[start:k], ln.block, ln.para))
                start = k
        out.append(ln if start == 0 else Line(words[start:], ln.block, ln.para))
    return out


def read(parts: list[Line], height: float) -> list[Item]:
    """``parts`` (lines, or pieces of lines) read stack by stack (recursively: a stack may
    part again), each row by row, its rows' lines telling which breaks were meant."""
    sides = _sides(parts, height)
    if sides is not None:
        left, right, tail = _below(*sides, height)
        return [item for side in (left, right, tail) if side for item in read(side, height)]
    rows = _regroup(parts)
    items = paragraphs([(row_text(r, parts, height), r.top, r.bottom) for r in rows], height)
    # Each paragraph holds the next rows in order: their lines tell which breaks were meant
    # (an address's lines), as for the recogniser's own paragraphs.
    whole = [
        Line(sorted((w for i in r.lines for w in parts[i].words), key=lambda w: w.x0), 0, 0)
        for r in rows
    ]
    out: list[Item] = []
    for item in items:
        if isinstance(item, Paragraph):
            n = len(item.lines)
            out.append(replace(item, seps=breaks.separators(whole[:n])))
            whole = whole[n:]
        else:
            out.append(item)
    return out


def _below(
    left: list[Line], right: list[Line], height: float
) -> tuple[list[Line], list[Line], list[Line]]:
    """The two stacks, and what comes under both: from the first line of a side that starts
    below the other side's last line, a text height or more under the line before it. A
    letterhead's "Bill to:" line was read between the address and the invoice's dates
    beside it; the address's own next lines, with no gap, stay on its stack."""
    tail: list[Line] = []
    out = []
    for side, other in ((left, right), (right, left)):
        bottom = max(ln.y1 for ln in other)
        ordered = sorted(side, key=lambda ln: ln.y0)
        keep = len(ordered)
        for k in range(1, len(ordered)):
            above = max(ln.y1 for ln in ordered[:k])
            if ordered[k].y0 > bottom and ordered[k].y0 - above > height:
                keep = k
                break
        out.append(ordered[:keep])
        tail += ordered[keep:]
    return out[0], out[1], tail


def _sides(parts: list[Line], height: float) -> tuple[list[Line], list[Line]] | None:
    """The lines left and right of the first gutter (a text height or more that no line
    crosses), if each side holds two lines or more and on each side too few are level with
    one on the other. Only lines half a text height tall or more count: a comma, or a speck
    read as text, is level with nothing and would make any two texts look apart."""
    solid = [ln for ln in parts if ln.height >= 0.5 * height]
    if not solid:
        return None
    spans = sorted((ln.x0, ln.x1) for ln in solid)
    reach, cut = spans[0][1], None
    for x0, x1 in spans[1:]:
        if x0 - reach >= height:
            cut = (reach + x0) / 2
            break
        reach = max(reach, x1)
    if cut is None:
        return None
    left = [_span(ln) for ln in solid if ln.x1 <= cut]
    right = [_span(ln) for ln in solid if ln.x1 > cut]
    if not _overlap(left, right):
        return None  # interleaved, not side by side: every line has its own row
    for side, other in ((left, right), (right, left)):
        if len(side) < STACK or _level_count(side, other) >= ALIGNED * len(side):
            return None
    return [ln for ln in parts if ln.x1 <= cut], [ln for ln in parts if ln.x1 > cut]


Span = tuple[int, int, int]
"""A line's top, bottom and height, measured once: :func:`_sides` compares every line of a
side with the other side's (a long run's lines each summed their words' boxes 600 times)."""


def _span(ln: Line) -> Span:
    y0, y1 = ln.y0, ln.y1
    return y0, y1, max(1, y1 - y0)


def _overlap(left: list[Span], right: list[Span]) -> bool:
    """Some line of ``left`` overlaps some line of ``right`` in height: of the right lines
    starting above a left line's bottom, the lowest-reaching one reaches below its top."""
    ordered = sorted(right)
    tops = [s[0] for s in ordered]
    reach = list(itertools.accumulate((s[1] for s in ordered), max))
    for y0, y1, _ in left:
        k = bisect.bisect_left(tops, y1)
        if k and reach[k - 1] > y0:
            return True
    return False


def _level_count(side: list[Span], other: list[Span]) -> int:
    """How many of ``side``'s lines are level with one of ``other``'s (:func:`_level`); only
    lines whose centres lie within :data:`LEVEL` of the line's own height are looked at."""
    ordered = sorted(other, key=lambda s: s[0] + s[1])
    centres = [s[0] + s[1] for s in ordered]
    count = 0
    for a in side:
        twice, reach = a[0] + a[1], 2 * LEVEL * a[2]
        lo = bisect.bisect_left(centres, twice - reach - 1)
        hi = bisect.bisect_right(centres, twice + reach + 1)
        count += any(_level(a, b) for b in ordered[lo:hi])
    return count


def _level(a: Span, b: Span) -> bool:
    """``a`` and ``b`` are set on one row (:data:`LEVEL`), not merely overlapping."""
    off = abs((a[0] + a[1]) - (b[0] + b[1])) / 2
    return off <= LEVEL * min(a[2], b[2])


def _regroup(parts: list[Line]) -> list[Row]:
    """Row objects over ``parts`` (indexes into it), top to bottom: a line on the row of the
    first line of the row before joins it."""
    rows: list[Row] = []
    for i in sorted(range(len(parts)), key=lambda i: parts[i].y0 + parts[i].y1):
        ln = parts[i]
        if rows and same_row(parts[rows[-1].lines[0]], ln):
            rows[-1].lines.append(i)
            rows[-1].bottom = max(rows[-1].bottom, ln.y1)
        else:
            rows.append(Row([i], ln.y0, ln.y1))
    return rows


def split_joined(lines: list[Line], height: float) -> list[Line]:
    """``lines`` with each line Tesseract ran across a gutter, from the last line of one text
    to the last line of another beside it, cut in two: each part goes after the line above it,
    in that line's block and paragraph. An invoice's letterhead ends "VAT GB 123 4567 89"
    level with the dates' "Due: 30 days" across the page: read as one line, both stacks' last
    lines came after the dates. A part belongs to the text above it when it starts or ends
    where that text's line does (left or right aligned), no more than a text height under
    it; the two texts above are lines of two blocks, and no line stands right under either
    part (both texts end there; a table's rows, read whole, go on under their header).
    Where more of the texts' lines were run together, :func:`stacks` reads them apart."""
    out = list(lines)
    for ln in lines:
        parts = _cut([ln], height)
        if len(parts) != 2:
            continue
        left, right = (_above(out, part, height) for part in parts)
        if left is None or right is None or left.block == right.block:
            continue
        if any(_below_either(other, parts, ln, height) for other in out):
            continue
        at = out.index(ln)
        out[at : at + 1] = []
        for part, top in zip(parts, (left, right), strict=True):
            k = next(i for i, o in enumerate(out) if o is top)
            out.insert(k + 1, Line(part.words, top.block, top.para))
    return out


def _above(lines: Sequence[Line], part: Line, height: float) -> Line | None:
    """The line right above ``part`` that it is aligned with, left or right, if any."""
    near = [
        o
        for o in lines
        if o.y1 <= part.y0 + 0.25 * height
        and part.y0 - o.y1 <= height
        and o.x0 < part.x1
        and part.x0 < o.x1
    ]
    if not near:
        return None
    top = max(near, key=lambda o: o.y1)
    aligned = abs(top.x0 - part.x0) <= height or abs(top.x1 - part.x1) <= height
    return top if aligned else None


def _below_either(other: Line, parts: Sequence[Line], joined: Line, height: float) -> bool:
    """``other`` lies right under ``joined`` (boxes may overlap a little) and under either of
    its parts: the joined line is not both texts' last."""
    return (
        other is not joined
        and other.y0 + other.y1 > joined.y0 + joined.y1
        and other.y0 - joined.y1 <= height
        and any(other.x0 < p.x1 and p.x0 < other.x1 for p in parts)
    )
