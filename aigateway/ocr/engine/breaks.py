"""Where a paragraph's lines end on purpose (part of the layout pass; pure geometry).

Markdown joins a paragraph's physical lines with spaces (:mod:`.markdown`): right for prose,
which the typesetter wrapped, wrong for lines that were ended by hand. An address, a code
listing or a poem read as one run-on line, and a slide's or a web page's bullet list, which
the recogniser keeps in one paragraph, came back as "• Ship the API • Cut latency • ...".

A line was wrapped when the first word of the next one would not have fitted in the room left
at its end: that is what wrapping means, for justified and ragged-right text alike. The room is
measured up to the paragraph's right edge (its longest line), which is never further out than
the real margin, so a wrapped line is never taken for an ended one; where the next word would
have fitted with a clear text height to spare, the line was ended. A paragraph of short lines
(an address) is its own longest line, though: where its lines have the page to themselves (a
column of one), the column's margin is what lines starting where it starts mostly reach
(:func:`margin`), not the longest of them (a code line running past the margin).

A paragraph whose lines start at three or more depths is a listing (code, an outline), where
every line ends on purpose; so do the lines of a run of three or more lines of one word each
and the lines on either side of it (a listing's names, a menu). List items
(:data:`.markdown.BULLETS`) start paragraphs of their own; that needs only the text, so it is
done in :func:`.markdown.join_lines` for every paragraph.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import replace
from itertools import pairwise

from .geometry import Item, Line, Paragraph

__all__ = ("SLACK", "ended", "margin", "own_paragraphs", "paragraph", "separators")

SLACK = 1.0
"""Text heights of room beyond the next line's first word (and a space) that a line must leave
at its end to count as ended on purpose: measurement noise in word boxes is far smaller."""

LEVEL = 0.5
"""Text heights within which two lines start at the same depth."""


def _depths(lines: Sequence[Line], height: float) -> int:
    """How many distinct starting depths the lines have (left edges within :data:`LEVEL`
    text heights of each other are one)."""
    edges = sorted(ln.x0 for ln in lines)
    depths = 1
    for a, b in pairwise(edges):
        if b - a > LEVEL * height:
            depths += 1
    return depths


RUN = 3
"""Consecutive lines of one word each that make a list."""


def _listed(lines: Sequence[Line]) -> set[int]:
    """The lines (by index) that start a line of their own because they, or the line before
    them, belong to a run of :data:`RUN` or more lines of one word each: a list (identifiers
    in a listing, a menu), not prose, whose lines hold one word only where the next would not
    fit beside it, and that in line after line only in a column narrower than two words."""
    out: set[int] = set()
    start = 0
    for k in range(len(lines) + 1):
        if k < len(lines) and len(lines[k].words) == 1:
            continue
        if k - start >= RUN:
            out.update(range(max(1, start), min(len(lines), k + 1)))
        start = k + 1
    return out


def margin(lines: Sequence[Line], mates: Sequence[Line]) -> int | None:
    """The right margin of the column a paragraph's ``lines`` stand in: the edge that nine in
    ten of ``mates`` (the page's lines with nothing beside them) starting where the paragraph
    starts reach. ``None`` with fewer than three such lines."""
    height = statistics.median(ln.height for ln in lines)
    left = min(ln.x0 for ln in lines)
    edges = sorted(ln.x1 for ln in mates if abs(ln.x0 - left) <= height)
    if len(edges) < 3:
        return None
    return edges[int(0.9 * (len(edges) - 1))]


def separators(lines: Sequence[Line], right: int | None = None) -> tuple[str, ...]:
    """For each line, what joins it to the line before: ``" "`` where the text wrapped,
    ``"\\n"`` where the line before was ended on purpose (the first line's is ``""``).
    ``right`` is the column's margin (:func:`margin`) where known. Empty for a paragraph of
    one line."""
    if len(lines) < 2:
        return ()
    height = statistics.median(ln.height for ln in lines)
    right = max(right or 0, *(ln.x1 for ln in lines))
    listing = _depths(lines, height) >= 3
    listed = _listed(lines)
    seps = [""]
    for k, (prev, ln) in enumerate(pairwise(lines), start=1):
        first = ln.words[0]
        room = right - prev.x1
        ended = listing or k in listed or room > (first.x1 - first.x0) + (0.3 + SLACK) * height
        seps.append("\n" if ended else " ")
    return tuple(seps)


def paragraph(lines: Sequence[Line], right: int | None = None) -> Paragraph:
    """The recogniser's ``lines`` as one paragraph: their texts, their extent and what joins
    them (:func:`separators`, with the column's margin ``right`` where known)."""
    return Paragraph(
        tuple(ln.text for ln in lines),
        min(ln.y0 for ln in lines),
        max(ln.y1 for ln in lines),
        separators(lines, right),
    )


def ended(item: Item) -> Item:
    """``item`` with every line of a paragraph ended on purpose: a list's entries, a row's
    parts a gutter apart, each end where it was set to (an entry's number at its column's
    right edge leaves no room at the line's end to tell a break by)."""
    if not isinstance(item, Paragraph) or len(item.lines) < 2:
        return item
    return replace(item, seps=("", *("\n" for _ in item.lines[1:])))


def own_paragraphs(lines: Sequence[Line]) -> list[Item]:
    """The recogniser's own paragraphs (its block and paragraph numbers), in its order: the
    page without the layout pass."""
    items: list[Item] = []
    group: list[Line] = []
    for ln in [*lines, None]:
        if ln is None or (group and (ln.block, ln.para) != (group[-1].block, group[-1].para)):
            if group:
                items.append(paragraph(group))
            group = []
        if ln is not None:
            group.append(ln)
    return items
