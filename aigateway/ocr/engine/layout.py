"""The layout pass: recognised words with boxes in, paragraphs and tables in reading order out.

Pure functions (no OCR imports), so property tests can feed them any geometry. The recogniser's
own grouping (blocks, paragraphs, lines, in its reading order) is kept for running text: it
handles columns well. What it gets wrong is tables: it reads a table column by column, each
column a block of its own, so a row's cells end up pages apart in the text. This pass finds
those regions again from geometry alone and turns them into grids:

1. lines are grouped into **rows**: lines from any block whose vertical extents overlap;
2. a row is split into **segments** at horizontal gaps wider than about one text height;
3. a run of at least :data:`MIN_ROWS` consecutive rows with two or more segments each, whose
   segments fall into the same column intervals, is a **table** — unless every column reads
   like prose (long, full-width lines: that is multi-column text, which the recogniser's block
   order already reads correctly).

Rows the recogniser cut into side-by-side blocks that make no grid are read row by row
(:mod:`.rowsplit`); a table or such a run is placed under the nearest line above it.

Everything is relative to the median text height, so it works at any resolution.
"""

from __future__ import annotations

import itertools
import statistics
from collections.abc import Sequence

from . import (
    anchors,
    breaks,
    flowedlists,
    frames,
    joinedcolumns,
    labels,
    lattice,
    pieces,
    rowsplit,
    sides,
    stacks,
    terms,
    wrapcells,
)
from .frames import Rules
from .geometry import (
    MIN_ROWS,
    Item,
    Line,
    Paragraph,
    Region,
    Row,
    Table,
    Word,
    join_words,
    levelled,
    vertical,
)
from .prose import (
    amid_text,
    bulleted,
    cells,
    column_of,
    columns,
    headed,
    interludes,
    lone_columns,
    numbered,
    prose,
    wrapped_beside_items,
)

__all__ = ("MIN_ROWS", "Item", "Line", "Paragraph", "Table", "Word", "build_page", "vertical")


def _rows(lines: Sequence[Line]) -> list[Row]:
    """Group lines whose vertical extents overlap (by half the smaller height) into rows."""
    order = sorted(range(len(lines)), key=lambda i: (lines[i].y0 + lines[i].y1) / 2)
    rows: list[Row] = []
    for i in order:
        ln = lines[i]
        row = rows[-1] if rows else None
        if row is not None:
            overlap = min(row.bottom, ln.y1) - max(row.top, ln.y0)
            band = row.bottom - row.top
            # Word by word, not line extents: a glyph the recogniser cut off into a block of
            # its own ("[" before "Constant Struct") sits inside its row's line extent.
            clash = any(_overlap(lines[j], ln) for j in row.lines)
            if overlap >= 0.5 * min(band, ln.height) and not clash:
                row.lines.append(i)
                continue
        rows.append(Row([i], ln.y0, ln.y1))
    return rows


def _overlap(a: Line, b: Line) -> bool:
    """Some word of ``a`` shares some width with some word of ``b``."""
    if min(a.x1, b.x1) <= max(a.x0, b.x0):
        return False
    return any(min(u.x1, v.x1) > max(u.x0, v.x0) for u in a.words for v in b.words)


def _segment(row: Row, lines: Sequence[Line], gap: float) -> None:
    """Split a row's words into segments at gaps wider than ``gap`` pixels."""
    words = sorted(((w, i) for i in row.lines for w in lines[i].words), key=lambda t: t[0].x0)
    segs: list[list[tuple[Word, int]]] = []
    prev: tuple[Word, int] | None = None
    for w, i in words:
        if (
            prev is None
            or w.x0 - prev[0].x1 > gap * _print_scale(prev, (w, i), gap)
            or (i != prev[1] and w.x0 - prev[0].x1 > 0.4 * gap)
        ):
            segs.append([])
        segs[-1].append((w, i))
        prev = (w, i)
    row.segments = [(s[0][0].x0, max(w.x1 for w, _ in s), join_words(s, gap)) for s in segs]


def _print_scale(a: tuple[Word, int], b: tuple[Word, int], gap: float) -> float:
    """How many times ``gap`` two neighbouring words of one line may stand apart in one
    segment: their print's size against the body's, where both are :data:`LARGE_PRINT`.
    A headline's word spaces grow with its print, past a body text height: a 22 pt headline
    over 10 pt columns was cut into segments, ran across the columns' gutters, and the
    columns under it were read as one, row by row."""
    if a[1] != b[1]:
        return 1.0
    small = min(a[0].y1 - a[0].y0, b[0].y1 - b[0].y0) * 0.9 / gap  # in body text heights
    return max(1.0, small / LARGE_PRINT)


LARGE_PRINT = 1.3
"""Word boxes this many body text heights tall, or more, are large print (a word of body
text, ascenders to descenders, measures about one)."""


def _grid(rows: Sequence[Row], cols: Sequence[tuple[int, int]]) -> list[list[str]]:
    # One visual row, one table row: a wrapped cell becomes a row of its own with the other
    # cells empty. Merging it into the row above would guess wrong for grammars and listings,
    # whose rows with an empty first cell are rows of their own.
    grid: list[list[str]] = []
    for r in rows:
        cells = [""] * len(cols)
        for s in r.segments:
            k = column_of(s, cols)
            cells[k] = f"{cells[k]} {s[2]}".strip()
        grid.append(cells)
    return grid


def _regions(
    rows: list[Row],
    lines: Sequence[Line],
    height: float,
    taken: Sequence[Region],
    rules: Rules | None = None,
) -> list[Region]:
    """Maximal runs of multi-segment rows that form a grid (a table) or interleaved columns,
    among the rows no region in ``taken`` holds."""
    used = {id(r) for region in taken for r in region.rows}
    found: list[Region] = []
    i = 0
    while i < len(rows):
        if len(rows[i].segments) < 2 or id(rows[i]) in used:
            i += 1
            continue
        run = [rows[i]]
        j = i + 1
        while (
            j < len(rows)
            and id(rows[j]) not in used
            and rows[j].top - run[-1].bottom
            < _reach(rows[j], run[-1], height, run[-2] if len(run) > 1 else None)
        ):
            multi = len(rows[j].segments) >= 2
            sandwiched = (
                j + 1 < len(rows)
                and len(rows[j + 1].segments) >= 2
                and rows[j + 1].top - rows[j].bottom < _reach(rows[j + 1], rows[j], height, run[-1])
            )
            if not multi and not sandwiched:
                last = next(r for r in reversed(run) if len(r.segments) >= 2)
                # The stretch and the row split into cells under it, as far below it as
                # padded cells stand: under a row of one segment, _reach allows less.
                wrapped = wrapcells.wrapped_lines(rows, j, last, height, CELL_GAP * height)
                if not wrapped or any(id(r) in used for r in rows[j : j + wrapped + 1]):
                    break
                run += rows[j : j + wrapped + 1]
                j += wrapped + 1
                continue
            run.append(rows[j])
            j += 1
        tail = wrapcells.trailing(rows, j, run[-1], height) if len(run[-1].segments) > 1 else 0
        tail = next((k for k in range(tail) if id(rows[j + k]) in used), tail)
        if tail and not prose(run, columns(run)):  # a column's last line: a paragraph's end
            run += rows[j : j + tail]
            j += tail
        if sides.kept_apart(run, lines, height):
            i = j  # the recogniser's blocks already read these texts one after the other
            continue
        following = list(itertools.takewhile(lambda r: id(r) not in used, rows[j:]))
        more = sides.extend(run, following, lines, height)
        run += following[:more]
        j += more
        cols = headed(run, columns(run), HEADER_REACH * height)
        used.update(id(r) for f in found for r in f.rows)
        above = list(itertools.takewhile(lambda r: id(r) not in used, reversed(rows[:i])))
        down = flowedlists.read_down(run, following[more:], above, lines, cols, height)
        if down is not None:  # columns read down, by this pass or in the recogniser's order
            found.append(down[1] or Region(down[0], [], kept=True))
            i = j + len(down[0]) - len(run)
            continue
        amid = amid_text(run, lines, height, ROW_GAP * height) or wrapped_beside_items(run, lines)
        region = None if amid else _validate(run, lines, height, rules)
        if region is not None:
            found.append(region)
            i = j
        elif amid or prose(run, columns(run)):
            # Columns of prose, read right by the recogniser: a run starting further down
            # them (at a paragraph's short last line, a heading) is the same prose, though
            # its few short lines can make it look like a table.
            i = j
        else:
            i += 1
    return found


ROW_GAP = 2.0
"""Text heights of blank space a run of rows crosses."""

CELL_GAP = 3.5
"""... and between two rows that are both split into cells: a table's cells are padded (a
ruled table of 36 px figures set 100 px apart leaves 2.6 text heights between its rows, and
was read as a paragraph of numbers). The run is a table only if its cells then fall into
steady columns, so prose paragraphs are not joined by this."""


def _reach(row: Row, above: Row, height: float, before: Row | None = None) -> float:
    """How much blank space may lie between ``above`` and ``row`` in one run: more when
    ``row`` is split into cells and ``above`` is too, or is the wrapped end of a cell of
    ``before``, the row above it (a padded table whose cells wrap)."""
    cells = len(above.segments) >= 2 or (
        before is not None and wrapcells.wrapped_cell(above, before, height)
    )
    return (CELL_GAP if len(row.segments) >= 2 and cells else ROW_GAP) * height


def _validate(
    run: list[Row], lines: Sequence[Line], height: float, rules: Rules | None = None
) -> Region | None:
    wrapcells.resplit(run, lines, height)
    # A header's cells over right-aligned numbers take those numbers' columns.
    cols = headed(run, columns(run), HEADER_REACH * height)
    apart = sides.stacks(run, lines, height)
    if apart is not None:
        return apart  # texts side by side whose rows only meet by chance: no table
    # Trim edge rows with a segment in a column no other row uses (a heading above a table,
    # a caption below): they are not part of the grid.
    while len(run) > MIN_ROWS:
        lone = lone_columns(run, cols)
        if any(column_of(s, cols) in lone for s in run[0].segments):
            run = run[1:]
        elif any(column_of(s, cols) in lone for s in run[-1].segments):
            run = run[:-1]
        else:
            break
        cols = headed(run, columns(run), HEADER_REACH * height)
    multi = [r for r in run if len(r.segments) >= 2]
    if len(multi) < MIN_ROWS and not frames.ruled(run, height, rules):
        return None
    if len(cols) < 2 or interludes(run, cols):
        return rowsplit.row_order(run, lines, height)
    if len(cols) == 2 and (numbered(run, cols) or bulleted(run, cols)):
        # Lines numbered in the margin (a listing, a numbered list) or bullets a hanging
        # indent away from their items: not a two-column table.
        return rowsplit.row_order(run, lines, height)
    # A row with two segments in one column: columns merged by a spanning cell; tolerate few.
    crowded = sum(1 for r in multi if any(len(cells(r, cols, k)) > 1 for k in range(len(cols))))
    if crowded > 0.2 * len(multi):
        return rowsplit.row_order(run, lines, height)
    if prose(run, cols):
        if not joinedcolumns.mixed(run, lines, cols):
            return None  # the recogniser already keeps the columns apart, with its paragraphs
        return Region(run, joinedcolumns.read(run, lines, cols, height))
    grid = _grid(run, cols)
    top, bottom = min(r.top for r in run), max(r.bottom for r in run)
    return Region(run, [Table(tuple(tuple(r) for r in grid), top, bottom)])


HEADER_REACH = 2.5
"""Text heights a header's cell may stand off the column it heads (:func:`~.prose.headed`):
centred over a column of short entries, it starts well after them."""

PARA_GAP = 2.5
"""Text heights of blank space between two lines of one recognised paragraph that part it in
two: a single-block reading (:mod:`.dropped`) gives a whole region one paragraph, and with a
table between two of its lines taken out, the sentence under one table ran into the caption
of the next. Double-spaced lines stand about 1.4 text heights apart."""


def build_page(
    lines: Sequence[Line],
    rules: Rules | None = None,
    grids: Sequence[lattice.Grid] = (),
    skew: float = 0.0,
) -> list[Item]:
    """Paragraphs and tables in reading order.

    ``lines`` come in the recogniser's reading order; each keeps its block and paragraph
    number; ``rules``, the page's horizontal rules (two rows in a ruled frame are a table,
    :func:`.frames.ruled`). A table is placed after the nearest line above it that shares some
    of its width (:func:`.anchors.place`): where the recogniser met its first line depends on
    how it cut the page into blocks, which shifts with small changes in the image. ``grids``:
    the page's ruled grids (:mod:`.lattice`), each a table of the words in its cells.
    ``skew``: degrees of skew left on the page (:attr:`.Reading.skew`), by which the other
    words' boxes are levelled first (:func:`.geometry.levelled`).
    """
    lines = [ln for ln in lines if ln.words]
    if not lines:
        return []
    height = max(1.0, statistics.median(ln.height for ln in lines))
    lines, fixed = lattice.take(lines, grids, height)
    lines = levelled(lines, skew)
    lines = pieces.join(lines, height)
    lines = labels.join(lines, height)
    lines = sides.split_joined(lines, height)
    rows = _rows(lines)
    order = stacks.reading_order(lines, rows, height)
    if order != sorted(order):
        lines = [lines[i] for i in order]
        rows = _rows(lines)
    for row in rows:
        _segment(row, lines, 0.9 * height)
    owner: dict[int, int] = {}
    # Term lists first: a list whose descriptions wrap at most a line each also passes for
    # a two-column table with a row for every wrapped line under an empty term cell.
    regions = terms.term_lists(rows, lines, height)
    regions += _regions(rows, lines, height, regions, rules)
    regions += rowsplit.split_runs(rows, lines, height, regions)
    # A list's lines left in the recogniser's order: each of its entries ends on purpose.
    listed = {i for region in regions if region.kept for r in region.rows for i in r.lines}
    regions = [region for region in regions if not region.kept]
    lines = list(lines)
    regions += lattice.regions(lines, fixed)
    for k, region in enumerate(regions):
        for r in region.rows:
            for i in r.lines:
                owner[i] = k
    after = anchors.place(lines, regions, owner)
    items: list[Item] = []
    emitted: set[int] = set()
    current: list[int] = []
    # Lines with nothing beside them: where a paragraph's lines are all such, its column's
    # margin tells short lines ended on purpose from wrapped ones (breaks.py).
    alone = {r.lines[0] for r in rows if len(r.lines) == 1}
    mates = [lines[i] for i in sorted(alone)]

    def flush() -> None:
        if current:
            para = [lines[i] for i in current]
            right = breaks.margin(para, mates) if alone.issuperset(current) else None
            item = breaks.paragraph(para, right)
            items.append(breaks.ended(item) if listed.issuperset(current) else item)
            current.clear()

    def emit(t: int) -> None:
        if t not in emitted:
            emitted.add(t)
            items.extend(regions[t].items)
            for u in after.get(("region", t), ()):
                emit(u)

    for t in after.get(("start", 0), ()):
        emit(t)
    for i, ln in enumerate(lines):
        if i in owner:
            continue
        last = lines[current[-1]] if current else None
        if last and (
            (ln.para, ln.block) != (last.para, last.block) or ln.y0 - last.y1 > PARA_GAP * height
        ):
            flush()
        current.append(i)
        if ("line", i) in after:
            flush()
            for t in after[("line", i)]:
                emit(t)
    flush()
    for t in range(len(regions)):
        emit(t)  # unreachable in practice: every region has an anchor or the start
    return items
