"""Whether a run of rows split into the same columns is a table or text (part of the layout
pass): columns of prose, and lines numbered in their margin, line up row for row as a table's
cells do.

Pure geometry over :class:`~.geometry.Row` segments, like :mod:`.layout`.
"""

from __future__ import annotations

import itertools
import statistics
from collections.abc import Sequence

from .geometry import MIN_ROWS, Line, Row, Word
from .markdown import BULLETS

__all__ = (
    "AMID",
    "NARROW_WORDS",
    "NARROW_WRAPPED",
    "PROSE_WORDS",
    "WRAPPED",
    "amid_text",
    "bulleted",
    "cells",
    "column_of",
    "columns",
    "continued",
    "headed",
    "interludes",
    "lone_columns",
    "numbered",
    "prose",
    "prose_column",
    "wrapped_beside_items",
)


def columns(rows: Sequence[Row]) -> list[tuple[int, int]]:
    """Column intervals: the union of overlapping segment extents, left to right."""
    spans = sorted((s[0], s[1]) for r in rows for s in r.segments)
    cols: list[list[int]] = []
    for x0, x1 in spans:
        if cols and x0 <= cols[-1][1]:
            cols[-1][1] = max(cols[-1][1], x1)
        else:
            cols.append([x0, x1])
    return [(a, b) for a, b in cols]


def column_of(seg: tuple[int, int, str], cols: Sequence[tuple[int, int]]) -> int:
    """Index of the column interval holding segment ``seg`` (x0, x1, text)."""
    for k, (a, b) in enumerate(cols):
        if seg[0] >= a and seg[1] <= b:
            return k
    return 0  # unreachable: every segment is inside the union of all segments


def headed(
    rows: Sequence[Row], cols: Sequence[tuple[int, int]], reach: float
) -> list[tuple[int, int]]:
    """``cols`` with the columns only the first row uses joined to a neighbour: a header cell
    centred over a column of right-aligned numbers ("Qty" over "3" and "16") overlaps none of
    them, so its column stood alone and the header row was trimmed off the table as a heading
    above it. Each such column joins the nearer of its neighbours the header does not use, at
    most ``reach`` px away, no two onto one, and the header then fills every column with one
    cell; else ``cols`` stand."""
    if len(rows) <= MIN_ROWS or len(rows[0].segments) < 2:
        return list(cols)
    head = {column_of(s, cols) for s in rows[0].segments}
    used = {column_of(s, cols) for r in rows[1:] for s in r.segments}
    own = head - used
    if not own or own == head:
        return list(cols)
    target: dict[int, int] = {}
    for k in own:
        near = [j for j in (k - 1, k + 1) if 0 <= j < len(cols) and j not in head]
        gaps = {j: max(cols[j][0] - cols[k][1], cols[k][0] - cols[j][1]) for j in near}
        if not gaps or min(gaps.values()) > reach:
            return list(cols)
        target[k] = min(gaps, key=lambda j: gaps[j])
    if len(set(target.values())) < len(target):
        return list(cols)
    joined = [list(c) for c in cols]
    for k, j in target.items():
        joined[j] = [min(cols[j][0], cols[k][0]), max(cols[j][1], cols[k][1])]
    out = [(a, b) for n, (a, b) in enumerate(joined) if n not in target]
    # A header names every column, one cell each; a heading above the table ("2.3" and
    # "Attributes" over three columns) does not.
    if sorted(column_of(s, out) for s in rows[0].segments) != list(range(len(out))):
        return list(cols)
    return out


def cells(row: Row, cols: Sequence[tuple[int, int]], k: int) -> list[tuple[int, int, str]]:
    """``row``'s segments in column ``k``, a justified line stretched apart (:func:`stretched`)
    joined into one."""
    found = [s for s in row.segments if column_of(s, cols) == k]
    if stretched(found):
        return [(found[0][0], found[-1][1], " ".join(s[2] for s in found))]
    return found


def continued(
    row: Row,
    lines: Sequence[Line],
    edge: int,
    reach: float,
    gap: float,
    below: bool = False,
    least: int = 1,
) -> bool:
    """A column starting at ``edge`` (within ``reach`` px) runs on into ``row`` from above (or,
    ``below``, out of it downwards): its line there and at least ``least`` of the column's
    lines beyond it, each under ``gap`` px from the one before on whatever row, are of one
    recognised paragraph of that column. A run of rows that starts or ends in the middle of a
    paragraph is running text beside whatever is level with it, not a list's descriptions or
    a table's column, which start on their first row and end on their last. Only that column
    is looked at: a list's first term, a table's first cell, can share a recognised paragraph
    with the heading above it ("Arguments" over "url")."""
    here = [lines[k] for k in row.lines if abs(lines[k].x0 - edge) <= reach]
    column = [ln for ln in lines if abs(ln.x0 - edge) <= reach]
    # The column's own paragraphs only: one that also holds lines starting further off than
    # a first line's indent (five times ``reach``, 3 text heights) is a block Tesseract made
    # across the columns (a scoring table's rows read as whole lines, its descriptions'
    # wrapped lines on their own: read as paragraphs with the rule taken as it stood).
    paras = {(ln.block, ln.para) for ln in here}
    paras -= {(ln.block, ln.para) for ln in lines if abs(ln.x0 - edge) > 5 * reach}
    if below:
        beyond = sorted(
            (ln for ln in column if ln.y0 + ln.y1 > 2 * row.bottom), key=lambda ln: ln.y0
        )
    else:
        beyond = sorted((ln for ln in column if ln.y0 + ln.y1 < 2 * row.top), key=lambda ln: -ln.y1)
    found, at = 0, row.bottom if below else row.top
    for ln in beyond:
        if (ln.y0 - at if below else at - ln.y1) >= gap or (ln.block, ln.para) not in paras:
            break
        found += 1
        at = ln.y1 if below else ln.y0
    return found >= least


def amid_text(run: Sequence[Row], lines: Sequence[Line], height: float, gap: float) -> bool:
    """A column of ``run`` other than its first is running text that began above the run or
    goes on below it, :data:`AMID` lines or more of one recognised paragraph within ``gap`` px
    of each other (:func:`continued`): short lines level with part of a paragraph (a web
    page's sidebar ending "of", then "Tags" and its tags, beside the first lines of an
    article's paragraph) are no cells of a table with it, and the recogniser's blocks read
    the two texts apart. A table's column starts on its first row and ends on its last."""
    cols = columns(run)
    reach = 0.6 * height
    return any(
        (prose_column(run, cols, k) or _narrow_paragraph(run, lines, cols[k], reach))
        and (
            continued(run[0], lines, cols[k][0], reach, gap, least=AMID)
            or continued(run[-1], lines, cols[k][0], reach, gap, below=True, least=AMID)
        )
        for k in range(1, len(cols))
    )


STOPS = ".:;!?"
"""What ends a sentence or a cell's text: a line ending otherwise, its paragraph's next line
starting in lower case, is one sentence wrapped (:func:`wrapped_beside_items`)."""

FILLED = 0.8
"""Share of its column's widest line a wrapped line fills (a wrapped line ran to the margin)."""


def wrapped_beside_items(run: Sequence[Row], lines: Sequence[Line]) -> bool:
    """Twice or more, a column other than the first wraps a sentence from one row of ``run``
    to the next (a line of more than :data:`PROSE_WORDS` words filled to its column's margin
    without a stop, the next line of its recognised paragraph starting in lower case) while
    the first column has an item on both rows: a sidebar's list level with an article's
    wrapped lines (a CV's skills beside a job entry), not a table, whose cell wraps only
    beside an empty first cell."""
    cols = columns(run)
    if len(cols) < 2:
        return False

    def col(ln: Line) -> int:
        return next((k for k, (a, b) in enumerate(cols) if a <= ln.x0 <= b), -1)

    def parts(row: Row) -> list[Line]:
        # A recognised line run across the gutter (a screenshot's narrow one) is cut there.
        out: list[Line] = []
        for i in row.lines:
            by: dict[int, list[Word]] = {}
            for w in lines[i].words:
                by.setdefault(col(Line([w], 0, 0)), []).append(w)
            out += [Line(ws, lines[i].block, lines[i].para) for _, ws in sorted(by.items())]
        return out

    cut = [parts(r) for r in run]
    widest = {
        k: max((ln.x1 - ln.x0 for row in cut for ln in row if col(ln) == k), default=0)
        for k in range(len(cols))
    }
    found = 0
    for here, there in itertools.pairwise(cut):
        if not any(col(ln) == 0 for ln in here) or not any(col(ln) == 0 for ln in there):
            continue
        found += any(
            col(u) == col(v) >= 1
            and (u.block, u.para) == (v.block, v.para)
            and len(u.words) > PROSE_WORDS
            and u.text[-1] not in STOPS
            and v.text[0].islower()
            and u.x1 - u.x0 >= FILLED * widest[col(u)]
            for u in here
            for v in there
        )
    return found >= 2


def _narrow_paragraph(
    run: Sequence[Row], lines: Sequence[Line], col: tuple[int, int], reach: float
) -> bool:
    """The recognised paragraphs of the run's lines in column ``col``, taken whole (their
    lines above and below the run too), read as narrow running text (:func:`prose_column`).
    A sidebar of four or five words a line beside an article's paragraph met it on only four
    rows of a scanned newsletter, too few to tell wrapped prose from a column of cells, and
    the run was read as a table; its paragraph held seven lines."""
    keys = {
        (lines[i].block, lines[i].para)
        for r in run
        for i in r.lines
        if col[0] <= (lines[i].x0 + lines[i].x1) / 2 <= col[1]
    }
    own = sorted(
        (ln for ln in lines if (ln.block, ln.para) in keys and ln.words),
        key=lambda ln: ln.y0,
    )
    if not own or min(ln.x0 for ln in own) < col[0] - reach:
        return False  # a paragraph reaching out of the column: not the column's own text
    rows = [Row([k], ln.y0, ln.y1, [(ln.x0, ln.x1, ln.text)]) for k, ln in enumerate(own)]
    span = (min(ln.x0 for ln in own), max(ln.x1 for ln in own))
    return prose_column(rows, [span], 0)


AMID = 2
"""Lines of a column's paragraph beyond a run (above or below) that make the column running
text (:func:`amid_text`): one may be a table's header cell or a wrapped last cell that
Tesseract put in one paragraph with the column (a scoring table's descriptions under their
header: read as paragraphs with one)."""


def stretched(segs: Sequence[tuple[int, int, str]]) -> bool:
    """Segments of one row in one column (left to right) that are one justified line whose
    spaces were stretched past the gap that splits a row into cells: a narrow column's line
    of few long words (a scanned paper's "courts  shall  apply  local  law  that  most
    closely", 46 px spaces in 39 px print, each as wide as the next). At least
    :data:`STRETCHED_WORDS` of them, their gaps even (the widest at most
    :data:`STRETCHED_EVEN` times the narrowest) and narrower than their words on average: a
    table's evenly spaced cells ("Jan  Feb  Mar") stand further apart than they are wide."""
    if len(segs) < STRETCHED_WORDS:
        return False
    gaps = [b[0] - a[1] for a, b in itertools.pairwise(segs)]
    widths = [s[1] - s[0] for s in segs]
    return (
        min(gaps) > 0
        and max(gaps) <= STRETCHED_EVEN * min(gaps)
        and max(gaps) < statistics.mean(widths)
    )


STRETCHED_WORDS = 4
"""Segments a stretched line (:func:`stretched`) has at least: two words with one wide gap
between them are as likely two cells."""

STRETCHED_EVEN = 1.5
"""How much wider than its narrowest gap a stretched line's widest may be (a sentence's end
gets a wider space in some typesetting)."""


def prose(rows: Sequence[Row], cols: Sequence[tuple[int, int]]) -> bool:
    """Every column reads like running text, not cells: multi-column text, not a table.

    A column is prose when its lines are long (:data:`PROSE_WORDS` words on average) and
    either justified (most fill the column's width) or wrapped: set ragged-right, a line
    ends where the next line's first word would not have fitted after it (a newsletter's or
    a paper's columns on one baseline grid, which line up row for row like a table's cells).
    A table's cells leave room to spare: its next cell's first word would fit. A narrow
    column (:data:`NARROW_WORDS` to :data:`PROSE_WORDS` words a line) is prose only when
    nearly every line is wrapped (:data:`NARROW_WRAPPED`), over twice :data:`MIN_ROWS`.
    """
    return all(prose_column(rows, cols, k) for k in range(len(cols)))


def prose_column(
    rows: Sequence[Row], cols: Sequence[tuple[int, int]], k: int, justified: bool = True
) -> bool:
    """Column ``k`` of ``rows`` reads like running text (see :func:`prose`): its lines long
    and, with ``justified``, most filling its width, or else wrapped."""
    found = [cells(r, cols, k) for r in rows]
    flat = [c[0] for c in found if len(c) == 1]
    words = statistics.mean(len(s[2].split()) for s in flat) if flat else 0.0
    if words < NARROW_WORDS:
        return False
    width = cols[k][1] - cols[k][0]
    pairs = [(u[0], v[0]) for u, v in itertools.pairwise(found) if len(u) == len(v) == 1]
    wrapped = sum(1 for u, v in pairs if _wrapped(u, v, width))
    if words < PROSE_WORDS:
        # A narrow column (a newsletter's four on a page: 4-5 words a line) is prose only when
        # nearly every line is wrapped, and over twice the rows a table needs: a table's
        # column of phrases leaves room to spare, a column of single tokens is not read here.
        return len(pairs) >= 2 * MIN_ROWS and wrapped >= NARROW_WRAPPED * len(pairs)
    full = sum(1 for s in flat if s[1] - s[0] >= 0.8 * width)
    if justified and full >= 0.6 * len(flat):
        return True
    return len(pairs) >= MIN_ROWS and wrapped >= WRAPPED * len(pairs)


PROSE_WORDS = 5
"""Words a column's lines hold on average, at least, to read as prose by their width alone."""

NARROW_WORDS = 3
"""Words a column's lines hold on average, at least, to read as prose at all (a narrow one,
under :data:`PROSE_WORDS`, by :data:`NARROW_WRAPPED`)."""

NARROW_WRAPPED = 0.9
"""Share of a narrow column's lines that must end where the next line's first word would not
have fitted."""

WRAPPED = 0.7
"""Share of a ragged-right column's lines that must end where the next line's first word
would not have fitted (a paragraph's last line does not)."""


def _wrapped(line: tuple[int, int, str], nxt: tuple[int, int, str], width: int) -> bool:
    """``line`` ended because ``nxt``'s first word would not fit after it in ``width``."""
    chars = len(nxt[2].replace(" ", ""))
    first = nxt[2].split()[0] if nxt[2].split() else ""
    if not chars or not first:
        return False
    per_char = (nxt[1] - nxt[0]) / chars
    # The first word plus a space (a character's width), as wide as the characters say.
    return line[1] - line[0] + per_char * (len(first) + 1) > 0.95 * width


def bulleted(run: Sequence[Row], cols: Sequence[tuple[int, int]]) -> bool:
    """Every cell of the first column is a bullet alone: a list set with a hanging indent
    (its bullets a wide gap before their items, :mod:`.strays`), not a column of a table. The
    rows with nothing there are its items' wrapped lines."""
    firsts = [s[2] for r in run for s in r.segments if column_of(s, cols) == 0]
    return bool(firsts) and all(len(t) == 1 and t in BULLETS for t in firsts)


def numbered(run: Sequence[Row], cols: Sequence[tuple[int, int]]) -> bool:
    """Every row starts with a number, and the numbers count up by one: line numbers (a
    listing's, whose indented lines stand a wide gap off their numbers), not a column of
    figures."""
    firsts = []
    for r in run:
        cells = [s for s in r.segments if column_of(s, cols) == 0]
        if len(cells) != 1 or not cells[0][2].isdecimal():
            return False
        firsts.append(int(cells[0][2]))
    return all(b == a + 1 for a, b in itertools.pairwise(firsts))


def lone_columns(run: Sequence[Row], cols: Sequence[tuple[int, int]]) -> set[int]:
    """Columns of ``cols`` only one row of ``run`` has a segment in."""
    users: dict[int, int] = {}
    for r in run:
        for k in {column_of(s, cols) for s in r.segments}:
            users[k] = users.get(k, 0) + 1
    return {k for k, n in users.items() if n == 1}


def interludes(run: Sequence[Row], cols: Sequence[tuple[int, int]]) -> bool:
    """Some column holds only whole rows, two or more, between the rows split into cells:
    lines of text between display formulas with their numbers at the margin ("subject to
    linear constraints" between "z = ... (3.4)" and "(I | -A)x = 0 (3.5)"), not cells of a
    grid. A table's wrapped cells and spanning headings fall in columns its rows use too."""
    split = {column_of(s, cols) for r in run if len(r.segments) >= 2 for s in r.segments}
    whole = [column_of(r.segments[0], cols) for r in run if len(r.segments) == 1]
    return any(whole.count(k) >= 2 for k in set(whole) - split)
