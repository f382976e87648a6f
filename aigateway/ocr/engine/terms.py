"""Hanging-term lists read entry by entry (part of the layout pass).

Reference manuals set argument and option lists as a narrow column of short terms with each
description beside its term, wrapping under itself rather than under the term::

    pattern       a non-empty character string to be matched. For fixed = FALSE
                  this should contain an extended regular expression.
    x             character vector where matches are sought.

(R's Rd pages, Doxygen parameter lists, texinfo ``@table``, man pages.) Tesseract makes a block
of the term column and reads it down before the descriptions, so every term ends up paragraphs
away from what it names (bench corpus, tune split, source "rref": 134 edits on a page raw
RapidOCR, which reads row by row, reads with 10). Such runs are read entry by entry: the term,
then its description.

A run is found from geometry alone:

- an **entry row** has two segments or more, the first of at most :data:`MAX_TERM_WORDS` words
  (justified descriptions often hold gaps as wide as the one after the term);
- a **continuation row** has nothing left of the description edge (the second segment's left
  edge in the entry rows, within :data:`ALIGN` text heights);
- a run is at least two entries, each entry row aligned on the same term and description edges,
  with no vertical gap of two text heights, and at least one description wraps (without a
  wrapped line the rows are a grid, the table pass's to judge);
- and it is no grid of three columns or more: the entry rows' third segments, where most have
  one, do not start at one edge.

Term lists are looked for before tables (:mod:`.layout`): a list whose descriptions wrap at
most a line each also passes for a two-column table with a row for each wrapped line.

Two columns of prose can look like that where the left column ends a paragraph with a short
line beside the right column's text: a run is refused when the row just above or below it
holds a line of more than :data:`MAX_TERM_WORDS` words inside the term column (prose, not a
term).
"""

from __future__ import annotations

from collections.abc import Sequence

from .geometry import Item, Line, Region, Row, paragraphs, row_text
from .prose import continued

__all__ = ("ALIGN", "MAX_TERM_WORDS", "term_lists")

MAX_TERM_WORDS = 3
"""A term is a name or a short phrase ("max.distance", "ignore.case", "in, out")."""

ALIGN = 0.6
"""Edges within this many text heights are the same edge."""


def _entry(row: Row) -> bool:
    return len(row.segments) >= 2 and len(row.segments[0][2].split()) <= MAX_TERM_WORDS


def _prose_beside(row: Row, left: int, edge: int, height: float) -> bool:
    """``row`` has a segment in the term column (starting at ``left``, ending before the
    description ``edge``) too long to be a term."""
    for x0, x1, text in row.segments:
        if abs(x0 - left) <= ALIGN * height and x1 < edge and len(text.split()) > MAX_TERM_WORDS:
            return True
    return False


def _entries(run: list[Row], lines: Sequence[Line], height: float) -> list[Item]:
    out: list[Item] = []
    entry: list[tuple[str, int, int]] = []
    for r in run:
        if _entry(r) and entry:
            out += paragraphs(entry, height)
            entry = []
        entry.append((row_text(r, lines, height), r.top, r.bottom))
    return out + paragraphs(entry, height)


def _grid(run: list[Row], height: float) -> bool:
    """Most entry rows have a third segment, and those start at one edge: a table's third
    column, not the wide gaps of justified descriptions."""
    entries = [r for r in run if _entry(r)]
    third = sorted(r.segments[2][0] for r in entries if len(r.segments) >= 3)
    if 2 * len(third) < len(entries):
        return False
    best = max(sum(1 for x in third if x0 <= x <= x0 + 2 * ALIGN * height) for x0 in third)
    return 2 * best >= len(entries)


def term_lists(rows: list[Row], lines: Sequence[Line], height: float) -> list[Region]:
    """Regions for the hanging-term lists among the page's rows (segmented, top to bottom)."""
    found: list[Region] = []
    i = 0
    while i < len(rows):
        first = rows[i]
        if not _entry(first):
            i += 1
            continue
        left, edge = first.segments[0][0], first.segments[1][0]
        run, terms = [first], 1
        j = i + 1
        while j < len(rows):
            r = rows[j]
            if r.top - run[-1].bottom >= 2.0 * height:
                break
            aligned = (
                _entry(r)
                and abs(r.segments[0][0] - left) <= ALIGN * height
                and abs(r.segments[1][0] - edge) <= ALIGN * height
            )
            if aligned:
                terms += 1
            elif r.segments[0][0] < edge - ALIGN * height:
                break  # something in the term column that is not a term: the list ended
            run.append(r)
            j += 1
        # The rows just above and below the run, where close enough to belong with it.
        near = []
        if i > 0 and first.top - rows[i - 1].bottom < 2.0 * height:
            near.append(rows[i - 1])
        if j < len(rows) and rows[j].top - run[-1].bottom < 2.0 * height:
            near.append(rows[j])
        wrapped = len(run) > terms
        prose = any(_prose_beside(r, left, edge, height) for r in near)
        # The description column's text began above the first entry: short lines in a column
        # beside running text (a web page's sidebar, its paragraph's last word "of" and then
        # "Tags", level with lines of an article) are no terms of it.
        prose = prose or continued(first, lines, edge, ALIGN * height, 2.0 * height)
        # So did the term column's, two lines or more of its paragraph: the last items of a
        # sidebar's list ("Skills", then one word a bullet) level with a CV's job entries.
        # (A list's heading, one line, shares its first term's paragraph.)
        prose = prose or continued(first, lines, left, ALIGN * height, 2.0 * height, least=2)
        if terms >= 2 and wrapped and not prose and not _grid(run, height):
            found.append(Region(run, _entries(run, lines, height)))
            i = j
        else:
            i += 1
    return found
