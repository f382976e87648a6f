"""Where each table or column region goes in the page's reading order (:mod:`.layout`).

A region (a table, columns read as paragraphs) replaces its lines; it is put after the lowest
line above it that shares some of its width, its anchor. Where the recogniser met its first
line depends on how it cut the page into blocks, which shifts with small changes in the image,
so the region's own place in that order is not used. A region no line above shares width
with follows the page's header band, if any (:func:`_header`), else starts the page.

A heading set flush left above an indented table ("3.1 Base types" above a table starting
further right) shares none of its width, so the anchor is the paragraph above the heading and
the table would come before its heading. Lines read right after the anchor, further down the
page and still above the region, are therefore taken in before it (:func:`_through`). A line
of another column is not: the next column starts back at the top of the page.
"""

from __future__ import annotations

from collections.abc import Sequence

from .geometry import Line, Region

__all__ = ("place",)

Key = tuple[str, int]


def place(
    lines: Sequence[Line], regions: Sequence[Region], owner: dict[int, int]
) -> dict[Key, list[int]]:
    """Where each region goes: after its anchor line (or region), else at the start of the
    page. Keys are ``("line", i)``, ``("region", t)`` or ``("start", 0)``; values region
    numbers, top to bottom. ``owner`` maps a line to the region that replaces it."""
    after: dict[Key, list[int]] = {}
    order = sorted(range(len(regions)), key=lambda t: min(r.top for r in regions[t].rows))
    for t in order:
        rows = regions[t].rows
        top = min(r.top for r in rows)
        x0 = min(lines[i].x0 for r in rows for i in r.lines)
        x1 = max(lines[i].x1 for r in rows for i in r.lines)
        best: tuple[int, Key, int] | None = None
        for i, ln in enumerate(lines):
            if ln.y1 > top or min(ln.x1, x1) <= max(ln.x0, x0):
                continue
            key = ("line", i) if i not in owner else ("region", owner[i])
            if key == ("region", t):
                continue
            # The lowest line; of lines ending level (the last lines of columns side by
            # side above a full-width table) the last in reading order, so the table follows
            # every column rather than splitting them.
            if (
                best is None
                or ln.y1 > best[0] + ln.height // 2
                or (ln.y1 >= best[0] - ln.height // 2 and i > best[2])
            ):
                best = (ln.y1, key, i)
        if best is None:
            # No line above shares its width: after the page's header band, if there is one
            # above it (a page number or running title out at the right), else first.
            k = _header(lines, owner, top)
            key = ("start", 0) if k < 0 else ("line", k)
        else:
            key = best[1]
        if key[0] == "line":
            key = ("line", _through(lines, key[1], top, owner, (x0, x1)))
        after.setdefault(key, []).append(t)
    return after


def _header(lines: Sequence[Line], owner: dict[int, int], top: int) -> int:
    """The last line of the page's header band above ``top``, else -1: the lines read first,
    no region's, standing above every other line with a blank line height or more between."""
    if not lines:
        return -1
    height = sorted(ln.height for ln in lines)[len(lines) // 2]
    found, bottom = -1, 0
    for k, ln in enumerate(lines[:-1]):
        bottom = max(bottom, ln.y1)
        if k in owner or bottom > top:
            break
        if min(other.y0 for other in lines[k + 1 :]) - bottom >= height:
            found = k
    return found


def _through(
    lines: Sequence[Line], i: int, top: int, owner: dict[int, int], span: tuple[int, int]
) -> int:
    """The last of the lines read right after line ``i`` that stand above ``top``, each below
    the one before (a heading between a paragraph and the table it introduces) or sharing
    some of the region's ``span`` across (a right-hand stack's second line, "1 - 31 March
    2026" under "Statement period", read after the account number left of it and under the
    stack's first line: it came after the statement's table); ``i`` if none. A line of
    another column, back at the top of the page, shares none of a table in its neighbour's
    width."""
    k = i
    for j in range(i + 1, len(lines)):
        ln = lines[j]
        if ln.y1 > top:
            break
        if j in owner:
            continue  # another region's line above this one (placed on its own): read past it
        shares = min(ln.x1, span[1]) > max(ln.x0, span[0])
        if ln.y0 < lines[k].y0 - lines[k].height // 2 and not shares:
            break
        k = j
    return k
