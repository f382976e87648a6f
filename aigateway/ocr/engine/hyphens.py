"""Rows of hyphens read by counting them.

A source file's banner comment (``// ------``, 98 hyphens across a Raptor header), an ASCII
table's border, a plain-text separator: Tesseract reads a long row of hyphens as garbage
(``/ [rr RR``), RapidOCR as nothing or a few, about a hundred edits a row. What reads such a
row is counting it. A hyphen is a short bar, about a glyph wide and far thinner than it is
wide, level with the middle of the line's lower-case letters, and in a row of them each
stands at the same pitch (a character cell, in the monospaced fonts such rows are typed in).

Along each line's band (the page's faint ink too: grey comments at 150 DPI are lighter than
Otsu's level), a run of inked columns whose ink is such a bar is a hyphen (:func:`_bars`);
:data:`MIN_COUNT` or more of them in a row, each level with the last and at one pitch, are a
row of hyphens (:func:`_rows`), counted as the pitches its span holds, so that hyphens a
scan's blur ran together or its fading lost count too. The words over the row (Tesseract's
garbage, or its own hyphens miscounted) give way to one word of that many hyphens. A row on
a line of its own, which Tesseract drops whole, is looked for between a line and the next
(:func:`_between`) and put back as a line between them. Nothing is read: a page costs 4-13 ms.

Thirty-sixth round: the ``more`` split's born-digital, scans, grainy and 150 DPI pages 7027 to
4242 edits (eleven Raptor and Valgrind listings, each 100-430 edits to 6-100; none worse), the
extra tune-source pages born-digital 1665 to 751, 150 DPI 1724 to 808, grainy 2271 to 1947.
All 312 tune pages: one changed (28 to 16 edits), no other. A grainy page's clean-up breaks a
grey row's hyphens into specks: such rows are left as read.
"""

from __future__ import annotations

import itertools
import statistics
from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image

from . import leaders, orphans, strays
from .geometry import Line, Word
from .ink import Windows, bounds
from .preprocess import as_gray

__all__ = ("MIN_COUNT", "restore")

MIN_COUNT = 6
"""Bars a row of hyphens has at least: fewer is a dash or two in text (``--``, ``---``), which
Tesseract reads well enough, and a row of six even bars is not a glyph of any script."""

THIN = 0.22
"""A hyphen's ink is at most this many text heights thick (a Doxygen listing's at 300 DPI: 2
px in 30 px lines, 3 in a scan's); an ``=``'s two bars together are thicker."""

WIDE = (0.15, 1.0)
"""A hyphen's width, in text heights: a glyph's stroke at least (a 150 DPI listing's hyphen
is 4 px wide, its line 20 px tall when garbage stretches it), a character cell's at most (a
proportional font's en dash is wider, and a rule far wider). A row needs :data:`MIN_COUNT`
such bars; wider ones in it are hyphens run together."""

LONG = 2.0
"""A bar is at least this many times as wide as it is thick: a leader's dots are square."""

PITCH = 0.2
"""A bar of a row stands at its row's median pitch from the next, give or take this share."""

EVEN = 0.8
"""Share of a row's pitches that must be even (:data:`PITCH`): a scan's grain moves a bar's
end a pixel or two now and then."""

LEVEL = 0.2
"""A bar of a row stands level with the one before it, within this many text heights."""

GAP = 0.7
"""Text heights of paper between two bars of a row at most: a monospaced hyphen leaves a
third of its cell blank; a word space is a full cell."""

MISSING = 2.5
"""Pitches between two rows of hyphens at most for them to be one row with one or two of its
hyphens lost (a scan's faded ink); a one-letter word between two rows (``--- a ---``) stands
over three pitches off."""

ALONE = 0.6
"""Text heights between a line and the next under it, at least, for a row of hyphens to be
looked for in between: room for a line Tesseract dropped."""

NEXT = 2.0
"""Text heights beside a line that a row of hyphens dropped under or over it is looked for
in: a line's pitch and then some. A gap wider than two of these (a shaded listing's padding
above its first row, a figure) is looked at only that far from the lines: a row typed right
by a line of text, where a figure's dashed lines do not stand."""

BAND = 0.8
"""Text heights of the band looked along a line, about its middle, where a hyphen stands."""

OWN = (0.5, 1.5)
"""A line's words count towards its text height from the first share of the page's median
on, and the height is at most the second share of it (:func:`_own`)."""

CLEAR = 0.15
"""Text heights kept clear of the lines above and below when looking between them."""

TAIL = 6.0
"""Text heights past a line's last word a row of hyphens may begin: Tesseract can drop the
row whole and keep the words before it (``1 //``), or only the line's number (``1``, four
cells, 3.2 text heights before the row)."""


@dataclass(frozen=True, slots=True)
class _Bar:
    x0: int
    x1: int
    mid: float
    """Height of the bar's middle, in pixels from the page's top."""


@dataclass(frozen=True, slots=True)
class _Row:
    x0: int
    x1: int
    mid: float
    """Height of its bars' middle, in pixels from the page's top."""
    pitch: float
    """Its hyphens' pitch, in pixels."""
    gap: float
    """The paper between two of its hyphens, in pixels."""

    @property
    def count(self) -> int:
        """Hyphens in the row: how many pitches its span holds (hyphens run together, or
        lost to a scan's fading, count each)."""
        return round((self.x1 - self.x0 + self.gap) / self.pitch)


def _bars(ink: Windows, x0: int, y0: int, x1: int, y1: int, height: float) -> list[_Bar]:
    """The runs of inked columns in the band ``(x0, y0, x1, y1)`` of ``ink`` whose ink is a
    bar (:func:`_bar`): a hyphen's, or several hyphens' run together (a scan's blur closes
    the gap between two)."""
    band = ink.window(x0, y0, x1, y1)
    per_column = band.sum(axis=0)
    starts, ends = bounds(per_column > 0)
    inked = np.concatenate(([0], np.cumsum(per_column)))
    # A bar has at most a bar's thickness of ink a column, a speck or two more: a glyph's
    # run of columns, its strokes upright, is told apart without looking at its rows.
    most = max(2.0, THIN * height) + 0.5
    width = ends - starts
    maybe = (width >= WIDE[0] * height) & (inked[ends] - inked[starts] <= most * width)
    if np.count_nonzero(maybe) < MIN_COUNT:
        return []  # no row of hyphens here: most lines' bands end here
    out = []
    for a, b in zip(starts[maybe], ends[maybe], strict=True):
        if (rows := _bar(band[:, a:b], height)) is not None:
            out.append(_Bar(x0 + int(a), x0 + int(b), y0 + (rows[0] + rows[1]) / 2))
    return out


def _bar(run: Any, height: float) -> tuple[int, int] | None:
    """The first and last rows of the bar a run's ink (a boolean array) is, if it is one: the
    rows inked along at least half its width lie within :data:`THIN`, and there is at most
    half a width of ink in other rows (a speck of a scan's grain, not a glyph's stroke), and
    it is :data:`LONG`."""
    width = run.shape[1]
    inked = run.sum(axis=1)
    rows = np.flatnonzero(inked >= 0.5 * width)
    if rows.size == 0 or rows[-1] - rows[0] + 1 > max(2.0, THIN * height):
        return None
    if width < LONG * (rows[-1] - rows[0] + 1):
        return None  # a dot (a leader's), not a bar
    if rows[0] == 0 or rows[-1] == run.shape[0] - 1:
        # Cut by the band's edge: the top of a leader's dot on the baseline, under a band
        # about the line's middle, is two rows as wide as the dot.
        return None
    if inked.sum() - inked[rows[0] : rows[-1] + 1].sum() > 0.5 * width:
        return None
    return int(rows[0]), int(rows[-1])


def _row(group: list[_Bar], height: float) -> _Row | None:
    """The row of hyphens ``group`` is, if it is one: at least :data:`MIN_COUNT` bars a
    hyphen wide (:data:`WIDE`), most of them (:data:`EVEN`) one pitch from the next
    (:data:`PITCH`)."""
    single = [b for b in group if b.x1 - b.x0 <= WIDE[1] * height]
    if len(single) < MIN_COUNT:
        return None
    pitches = [
        b.x0 - a.x0
        for a, b in itertools.pairwise(group)
        if a.x1 - a.x0 <= WIDE[1] * height and b.x1 - b.x0 <= WIDE[1] * height
    ]
    if len(pitches) < MIN_COUNT - 1:
        return None
    median = statistics.median(pitches)
    even = [p for p in pitches if abs(p - median) <= PITCH * median]
    if len(even) < EVEN * len(pitches):
        return None
    # The mean of the even pitches: a hyphen 17.4 px apart stands 17 and 18 px from the next
    # by turns, and a hundred of them counted at the median's 17 are two too many.
    pitch = statistics.fmean(even)
    gap = pitch - statistics.median(b.x1 - b.x0 for b in single)
    mid = statistics.median(b.mid for b in group)
    return _Row(group[0].x0, group[-1].x1, mid, pitch, gap)


def _rows(bars: list[_Bar], height: float) -> list[_Row]:
    """The rows of hyphens (:func:`_row`) among runs of bars close together (:data:`GAP`)
    at one height (:data:`LEVEL`); two rows at one pitch a few hyphens apart
    (:data:`MISSING`) are one, some of its hyphens too faint to see."""
    groups: list[list[_Bar]] = []
    for bar in bars:
        last = groups[-1][-1] if groups else None
        if (
            last is not None
            and bar.x0 - last.x1 <= GAP * height
            and abs(bar.mid - last.mid) <= LEVEL * height
        ):
            groups[-1].append(bar)
        else:
            groups.append([bar])
    out: list[_Row] = []
    for row in (r for group in groups if (r := _row(group, height)) is not None):
        prev = out[-1] if out else None
        if (
            prev is not None
            and row.x0 - prev.x1 <= MISSING * prev.pitch
            and abs(row.pitch - prev.pitch) <= PITCH * prev.pitch
        ):
            n, m = prev.count, row.count
            pitch = (n * prev.pitch + m * row.pitch) / (n + m)
            gap = (n * prev.gap + m * row.gap) / (n + m)
            out[-1] = _Row(prev.x0, row.x1, prev.mid, pitch, gap)
        else:
            out.append(row)
    return out


def _replace(ln: Line, row: _Row) -> bool:
    """Put one word of hyphens for ``row`` into ``ln``, in place of the words standing over
    it (their boxes at least half within the row's span: Tesseract's garbage for a row can
    start a little before its first hyphen); whether the line's text changed. A word less
    over it than that, but not clear of it, leaves the line as it is: the row was not seen
    whole (its ends ran into other ink), and a word of what was seen would stand beside
    the word's own reading."""
    x0, x1 = row.x0, row.x1
    over = []
    for w in ln.words:
        shared = min(w.x1, x1) - max(w.x0, x0)
        if shared >= 0.5 * (w.x1 - w.x0):
            over.append(w)
        elif shared > 0.2 * (w.x1 - w.x0):
            return False
    text = "-" * row.count
    if [w.text for w in over] == [text] or any(leaders.is_leader(w.text) for w in over):
        # A leader's dots, read from their own shapes (:mod:`.leaders`): at the faint level a
        # scan's dots can measure as short bars.
        return False
    y0, y1 = min(w.y0 for w in ln.words), max(w.y1 for w in ln.words)
    keep = [w for w in ln.words if w not in over]
    word = Word(text, 100.0, x0, y0, x1, y1)
    at = sum(1 for w in keep if w.x0 < x0)
    ln.words[:] = [*keep[:at], word, *keep[at:]]
    return True


def _other(ln: Line | None, lines: list[Line], row: _Row, top: int, bottom: int) -> bool:
    """A line other than ``ln`` has a word over ``row`` (in the band ``top`` to ``bottom``)."""
    return any(
        w.x1 > row.x0 and w.x0 < row.x1 and w.y1 > top and w.y0 < bottom
        for other in lines
        if other is not ln
        for w in other.words
    )


def _own(ln: Line, page: float) -> float:
    """The text height a line's hyphens are measured by: its words' (a listing's small type
    on a page of larger prose: its hyphens are narrower than a quarter of the prose's
    height), those at least :data:`OWN` of the page's (Tesseract's garbage for a row of
    hyphens is a pixel or two tall, and its box can stretch a line into the next one)."""
    tall = [w.y1 - w.y0 for w in ln.words if w.y1 - w.y0 >= OWN[0] * page]
    return min(float(statistics.median(tall)), OWN[1] * page) if tall else page


def _along(ink: Windows, ln: Line, lines: list[Line], page: float) -> int:
    """Rows of hyphens along ``ln``'s band put into it (:func:`_replace`); how many changed
    its text."""
    height = _own(ln, page)
    # A band about the line's middle, narrower than the line: a listing's lines stand close,
    # and a glyph of the next line joins a run of columns. The middle of its words, most of
    # them: a word of garbage can reach into the next line (and stretch the line's height).
    mid = statistics.median((w.y0 + w.y1) / 2 for w in ln.words)
    half = BAND * height / 2
    top, bottom = max(0, round(mid - half)), min(ink.gray.height, round(mid + half))
    changed = 0
    for row in _rows(_bars(ink, ln.x0, top, ink.gray.width, bottom, height), height):
        # A row begins among the line's words or after them (Tesseract can drop a row of
        # hyphens whole, and the ``//`` before it); one with another line's words on it, or
        # far off, is another column's.
        if row.x0 <= ln.x1 + TAIL * height and not _other(ln, lines, row, top, bottom):
            changed += _replace(ln, row)
    return changed


def _between(ink: Windows, lines: list[Line], page: float) -> list[Word]:
    """Rows of hyphens standing alone between a line and the next one under it in its
    column, as words: a rule typed above or under a listing's heading row, which Tesseract
    drops whole (a Valgrind manual's ``Ir I1mr ILmr`` between two rows of 80). Looked for in
    the gap between the two lines, or, in a wide one, a line's room (:data:`NEXT`) under the
    upper line and over the lower."""
    found: list[Word] = []
    boxes = [(ln.x0, ln.y0, ln.x1, ln.y1) for ln in lines]
    for k, (ax0, _, ax1, ay1) in enumerate(boxes):
        below = [j for j, b in enumerate(boxes) if b[1] >= ay1 and min(ax1, b[2]) > max(ax0, b[0])]
        if not below:
            continue
        j = min(below, key=lambda i: boxes[i][1])
        b = boxes[j]
        height = (_own(lines[k], page) + _own(lines[j], page)) / 2
        gap = b[1] - ay1
        if gap < ALONE * height:
            continue
        # Clear of the two lines' ink: a scan's blur spreads their glyphs past Tesseract's
        # boxes, and a glyph's top under a hyphen joins its run of columns.
        upper, lower = ay1 + round(CLEAR * height), b[1] - round(CLEAR * height)
        room = round(NEXT * height)
        # A gap of more than two lines' room is looked at beside each line only: a strip
        # under the upper one and one over the lower, apart (a row in both is one row).
        wide = lower - upper > 2 * room
        bands = [(upper, upper + room), (lower - room, lower)] if wide else [(upper, lower)]
        x0 = min(ax0, b[0])
        for top, bottom in bands:
            for row in _rows(_bars(ink, x0, top, ink.gray.width, bottom, height), height):
                if row.x0 <= x0 + TAIL * height and not _other(None, lines, row, top, bottom):
                    y0 = round(row.mid - height / 2)
                    word = Word("-" * row.count, 100.0, row.x0, y0, row.x1, y0 + round(height))
                    found.append(word)
    return found


def restore(img: Image.Image, lines: list[Line]) -> int:
    """Read, in place, each row of hyphens along ``lines`` (the module docstring) as that
    many hyphens, and put back those standing alone between two of them. Returns how many
    rows changed a line's text or were put back."""
    texted = [ln for ln in lines if ln.words and ln.height >= 4]
    if not texted:
        return 0
    height = float(statistics.median(ln.height for ln in texted))
    gray = as_gray(img)
    # Faint ink too (:func:`.strays.faint_level`): a listing's grey comments at 150 DPI are
    # lighter than Otsu's level.
    ink = Windows(gray, strays.faint_level(gray))
    # A column read sideways, a picture's text: no row of hyphens is one line's height.
    level = [ln for ln in texted if ln.height <= 2 * height]
    changed = sum(_along(ink, ln, texted, height) for ln in level)
    alone = _between(ink, level, height)
    for word in alone:
        orphans.place(lines, word, height)
    return changed + len(alone)
