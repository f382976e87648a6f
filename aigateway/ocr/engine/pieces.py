"""Lines the recogniser cut into pieces, joined again (part of the layout pass).

Tesseract sometimes ends a block in the middle of a long line and reads the rest of the line as
a block of its own, which it places after the column it thinks it belongs to: in Doxygen
reference manuals ``template void raptor::hibf::create_ibfs_from_chopper_pack<
seqan3::data_layout`` came out where it stood and ``::compressed > (`` a whole section further
down. Pieces of one line touch: nothing wider than a word space lies between them, on one
baseline. :mod:`.stacks` joins such pieces on pages of one column; this joins them on every
page, since one running header or margin note makes a page "side by side" there.

Only pieces closer than :data:`GAP` text heights are joined. Columns of text, and cells of a
table the rest of the layout pass lays out, stand further apart than that.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from .geometry import TOUCH, Line, Word, glued, same_row

__all__ = ("GAP", "join")

GAP = 0.3
"""Pieces at most this many text heights apart, ink to ink, are one line (words of a line are
about a quarter of a text height apart). The same reach as :data:`.stacks.GAP`."""

WIDEST = 1.3
"""Or, up to this many text heights, no further apart than the line's own words are: a
typewriter font's word space is a whole cell, and a colon or bracket sits in the middle of
its cell, so a line cut between ``layout`` and ``::compressed`` leaves about 0.4 text heights
between its pieces, and one cut at its word spaces as much as those: 39-40 px in 34 px text
(``if (not getline(cin, | line) | or line.empty())``, a C++ book's listing, its own spaces
31-40 px). Up to 0.6 text heights until the thirty-fifth round, which left that line in three
pieces, read apart (the ``more`` split 7376 to 7245 edits; tune, where no line was cut that
wide, unchanged; 1.2 and 1.6 read every page alike)."""

SLACK = 0.1
"""Word spaces measured between boxes vary by a pixel or two with the glyphs beside them: a
piece may lie this many text heights further off than the line's median space. (A column of
labels, ``Line 0:`` ... ``Line 24:``, that Tesseract read apart from the text after each label
stood 16 px from it, the labels' own space being 15 px, in 26-33 px text.)"""

BEARING = 0.3
"""And this many text heights more where a piece starts with an opening mark (a backtick, a
quote, a bracket) or the line before it ends with a closing one: in a typewriter font the
mark sits in the middle of a cell as wide as any letter's, and the ink of ``set`` and of the
backticked ``status`` after it in a 96 DPI screenshot's listing stood 24 px apart, its words'
own spaces 19 px (25 px text). Not after a colon or a full stop, which end a column of
labels (``Line 0:``) as often as a word in a line."""

OPENING = "`'\"([{"
"""Marks that open a quotation or a bracket, their ink narrower than a typewriter's cell."""

CLOSING = "`'\")]}"
"""Marks that close one."""

OVERLAP = 0.2
"""A piece may start this many text heights left of where the other ends (italic overhang, a
box drawn loosely) and still follow it."""


def _reach(a: Line, height: float, narrow: bool = False) -> float:
    """How far right of ``a`` a piece of it may start: :data:`GAP`, or the median space
    between ``a``'s words, give or take :data:`SLACK` (and :data:`BEARING` where the two meet
    at a ``narrow`` mark), up to :data:`WIDEST`."""
    words = sorted(a.words, key=lambda w: w.x0)
    gaps = sorted(v.x0 - u.x1 for u, v in itertools.pairwise(words))
    spacing = gaps[len(gaps) // 2] + (SLACK + BEARING * narrow) * height if gaps else 0
    return max(GAP * height, min(WIDEST * height, spacing))


def _follows(a: Line, b: Line, height: float) -> bool:
    """``b`` continues ``a`` on its right: a baseline in common, nothing between them."""
    if a.block == b.block and a.para == b.para:
        return False  # the recogniser's own line order already holds them together
    low, high = sorted((a.height, b.height))
    # Spaces scale with the text's own size: a headline's words stand further apart than
    # the body's (a headline Tesseract cut where the columns below it part, 44 px between
    # its pieces in 74 px print, 29 px body text).
    height = max(height, low)
    gap = b.x0 - a.x1
    last = max(a.words, key=lambda w: w.x1).text[-1:]
    first = min(b.words, key=lambda w: w.x0).text[:1]
    narrow = bool(last and first) and (last in CLOSING or first in OPENING)
    if not -OVERLAP * height <= gap <= _reach(a, height, narrow) or b.x1 <= a.x1:
        return False
    # Much the same size (not a heading's end beside body text), mostly the same height band.
    return same_row(a, b) and high <= 1.6 * low


def _concat(left: list[Word], right: list[Word], height: float) -> list[Word]:
    """The words of two pieces, left then right; the two words where they meet become one
    when they touch (closer than :data:`.geometry.TOUCH`: a bracket cut off its word), as the
    layout pass joins touching words of two lines (:func:`.geometry.join_words`)."""
    a = max(left, key=lambda w: w.x1)
    b = min(right, key=lambda w: w.x0)
    if b.x0 - a.x1 >= TOUCH * height:
        return [*left, *right]
    return [*(w for w in left if w is not a), glued(a, b), *(w for w in right if w is not b)]


def join(lines: Sequence[Line], height: float) -> list[Line]:
    """``lines`` with each line's touching pieces to its right appended to it.

    A joined line keeps the place, block and paragraph of its leftmost piece in the
    recogniser's order; the pieces' own places are dropped.
    """
    out = list(lines)
    # Each line's band, kept beside it: a line's top and bottom are computed over its words
    # on every access, and this loop asks for them 80 times a line.
    bands = [(ln.y0, ln.y1) for ln in out]
    order = sorted(range(len(out)), key=lambda i: bands[i][0])
    gone: set[int] = set()
    joined = False
    for k, i in enumerate(order):
        if i in gone:
            continue
        while True:
            a = out[i]
            top, bottom = bands[i]
            nxt = None
            for j in order[max(0, k - 40) : k + 40]:
                if j == i or j in gone or bands[j][0] >= bottom or bands[j][1] <= top:
                    continue
                b = out[j]
                if _follows(a, b, height) and (nxt is None or b.x0 < out[nxt].x0):
                    nxt = j
            if nxt is None:
                break
            out[i] = Line(_concat(a.words, out[nxt].words, height), a.block, a.para)
            bands[i] = (out[i].y0, out[i].y1)
            gone.add(nxt)
            joined = True
    if not joined:
        return list(lines)
    return [ln for i, ln in enumerate(out) if i not in gone]
