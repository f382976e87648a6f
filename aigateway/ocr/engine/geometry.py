"""The geometry the layout pass works on: recognised words and lines in, paragraphs and tables
out, and the rows and regions in between (pure data, no OCR imports)."""

from __future__ import annotations

import math
import re
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

__all__ = (
    "LEAST_SKEW",
    "MIN_ROWS",
    "TOUCH",
    "Item",
    "Line",
    "Paragraph",
    "Region",
    "Row",
    "Table",
    "Word",
    "body_height",
    "glued",
    "join_words",
    "levelled",
    "paragraphs",
    "row_text",
    "same_row",
    "vertical",
)

MIN_ROWS = 3
"""A grid needs this many rows to count as a table (two aligned rows are too often chance)."""

TOUCH = 0.12
"""Words from two recognised lines closer than this many text heights are one word: no space.

Tesseract sometimes cuts a glyph off into a block of its own ("[" of "[Constant Struct]" in a
column beside a list): put back in its row, it touches the word it belongs to, while a space
between words is about a quarter of the text height or more."""


@dataclass(frozen=True, slots=True)
class Word:
    """One recognised word: its text, the recogniser's confidence (0-100) and pixel box."""

    text: str
    conf: float
    x0: int
    y0: int
    x1: int
    y1: int


@dataclass(slots=True)
class Line:
    """A physical text line as the recogniser grouped it, in its reading order."""

    words: list[Word]
    block: int
    """Block number (changes when the recogniser starts a new block)."""
    para: int
    """Paragraph number, unique across the page."""

    @property
    def x0(self) -> int:
        return min(w.x0 for w in self.words)

    @property
    def x1(self) -> int:
        return max(w.x1 for w in self.words)

    @property
    def y0(self) -> int:
        return min(w.y0 for w in self.words)

    @property
    def y1(self) -> int:
        return max(w.y1 for w in self.words)

    @property
    def height(self) -> int:
        return max(1, self.y1 - self.y0)

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)

    def scaled(self, fx: float, fy: float) -> Line:
        """The line with its words' boxes multiplied by ``fx`` across and ``fy`` down (read
        from a resized copy, mapped back to the page)."""

        def box(w: Word) -> tuple[int, int, int, int]:
            # A box a pixel wide read from an enlarged copy must not round to no width: the
            # passes after divide by words' widths and heights.
            x0, y0 = round(w.x0 * fx), round(w.y0 * fy)
            return x0, y0, max(x0 + 1, round(w.x1 * fx)), max(y0 + 1, round(w.y1 * fy))

        return Line([Word(w.text, w.conf, *box(w)) for w in self.words], self.block, self.para)


@dataclass(frozen=True, slots=True)
class Paragraph:
    """Running text: physical lines (joined into one line of Markdown later) and its box."""

    lines: tuple[str, ...]
    top: int
    bottom: int
    seps: tuple[str, ...] = ()
    """What joins each line to the one before (:func:`.breaks.separators`); empty: all
    wrapped."""


@dataclass(frozen=True, slots=True)
class Table:
    """A grid of cell texts, first row first; every row has the same number of cells."""

    rows: tuple[tuple[str, ...], ...]
    top: int
    bottom: int


Item = Paragraph | Table


@dataclass(slots=True)
class Row:
    lines: list[int] = field(default_factory=list)
    """Indexes into the page's lines."""
    top: int = 0
    bottom: int = 0
    segments: list[tuple[int, int, str]] = field(default_factory=list)
    """(x0, x1, text) left to right."""


@dataclass(slots=True)
class Region:
    """Rows whose lines the pass replaces, and what replaces them."""

    rows: list[Row]
    items: list[Item]
    kept: bool = False
    """The rows stay in the recogniser's order (no later pass reorders them): ``items`` is
    empty and the region is dropped before the page is put together."""


LEAST_SKEW = 0.2
"""Degrees of skew, at least, by which :func:`levelled` moves words."""


def levelled(lines: Sequence[Line], skew: float) -> list[Line]:
    """``lines`` with their words' boxes moved up or down to where they would be on the page
    turned by ``skew`` degrees counter-clockwise (:mod:`.deskew`'s sense), about its left edge.

    A page skewed by less than :data:`.deskew.MIN_ANGLE` is read as it is, and two words
    level on it may stand apart by more than a third of a line's height when far apart: a
    price list scanned 0.3 degrees askew had each price 11 px under its item 1900 px to the
    left, and the two were read as texts side by side, every item, then every price
    (:mod:`.sides`). A skew under :data:`LEAST_SKEW` is left: deskew measures in tenths of a
    degree, and a born-digital page measured at 0.1 moved its words by 3 px at most, which
    only ever changed where a paragraph broke."""
    if abs(skew) < LEAST_SKEW or not lines:
        return list(lines)
    slope = math.tan(math.radians(skew))
    left = min(ln.x0 for ln in lines)
    out = []
    for ln in lines:
        words = []
        for w in ln.words:
            dy = round(slope * ((w.x0 + w.x1) / 2 - left))
            words.append(replace(w, y0=w.y0 - dy, y1=w.y1 - dy))
        out.append(Line(words, ln.block, ln.para))
    return out


def body_height(lines: Sequence[Line]) -> float:
    """The median height of ``lines`` of two words or more (0 without any): the page's text
    line height, as a reading reports it (a line of one word may be a stray glyph)."""
    heights = [ln.height for ln in lines if len(ln.words) >= 2]
    return float(statistics.median(heights)) if heights else 0.0


def same_row(a: Line, b: Line) -> bool:
    """``a`` and ``b`` share at least half the smaller one's height: one row of text."""
    shared = min(a.y1, b.y1) - max(a.y0, b.y0)
    return shared >= 0.5 * min(a.height, b.height)


def glued(a: Word, b: Word) -> Word:
    """``a`` and ``b`` (left to right) as one word, without a space: their texts joined, their
    boxes united, the less sure confidence. United whatever their order: a recogniser's
    line can list a word after one it stands left of (a fuzzed reading's ``;`` left of the
    word before it made a box 197 px wide the wrong way round, which Pillow refused to draw)."""
    x0, x1 = min(a.x0, b.x0), max(a.x1, b.x1)
    return Word(a.text + b.text, min(a.conf, b.conf), x0, min(a.y0, b.y0), x1, max(a.y1, b.y1))


POINT_GAP = 0.5
"""The two halves of a decimal number from two recognised lines (``67.`` and ``18``) closer
than this many text heights are one number (:func:`_halves`)."""

_DECIMAL = re.compile(r"[-+(]?\d[\d,]*\.\d+\)?")


def _halves(a: str, b: str, gap: float, height: float) -> bool:
    """``a`` and ``b``, from two recognised lines, are one decimal number cut at its point.

    A typewriter font's point stands in the middle of a cell, blank on both sides: in a
    right-aligned column of amounts, Tesseract made a column of ``67.``, ``229.`` and another
    of ``18``, ``29``, which put back in their rows read ``67. 18``. Such a gap is wider than
    :data:`TOUCH` but narrower than the blank between a column of labels and one of amounts."""
    at_point = a.endswith(".") != b.startswith(".")
    return at_point and gap < POINT_GAP * height and _DECIMAL.fullmatch(a + b) is not None


def join_words(words: list[tuple[Word, int]], height: float) -> str:
    """The text of words from one row, sorted left to right; each comes with the index of its
    recognised line. Within a line the recogniser's own word breaks stand; between words of two
    lines, a gap under :data:`TOUCH` text heights joins them without a space, and so does one
    inside a decimal number (:func:`_halves`)."""
    out: list[str] = []
    prev: tuple[Word, int] | None = None
    for w, i in words:
        if prev is not None:
            gap = w.x0 - prev[0].x1
            close = gap < TOUCH * height or _halves(prev[0].text, w.text, gap, height)
            if i == prev[1] or not close:
                out.append(" ")
        out.append(w.text)
        prev = (w, i)
    return "".join(out)


def row_text(row: Row, lines: Sequence[Line], height: float) -> str:
    """The text of a row's words, left to right, whichever recognised line holds them
    (:func:`join_words`)."""
    words = sorted(((w, i) for i in row.lines for w in lines[i].words), key=lambda t: t[0].x0)
    return join_words(words, height)


def paragraphs(rows: list[tuple[str, int, int]], height: float) -> list[Item]:
    """Rows of text (text, top, bottom), top to bottom, as paragraphs: a vertical gap over
    ``height`` (one text line) starts a new one."""
    out: list[Item] = []
    texts: list[str] = []
    top = bottom = 0
    for text, row_top, row_bottom in rows:
        if texts and row_top - bottom > height:
            out.append(Paragraph(tuple(texts), top, bottom))
            texts = []
        if not texts:
            top = row_top
        texts.append(text)
        bottom = row_bottom
    if texts:
        out.append(Paragraph(tuple(texts), top, bottom))
    return out


def vertical(lines: Sequence[Line]) -> bool:
    """Whether most of the page's text lines (of two words or more) are taller than wide.

    Tesseract reads a page turned 90 degrees as vertical lines when it can, with word boxes
    in the page's own coordinates: this pass, which groups lines into rows by their vertical
    extent, would shuffle them (bench corpus, report split: a sideways SISCone page went from
    13 edits in Tesseract's order to 651 through the pass). Such pages keep the recogniser's
    order.
    """
    lines = [ln for ln in lines if len(ln.words) >= 2]
    tall = sum(1 for ln in lines if ln.y1 - ln.y0 > ln.x1 - ln.x0)
    return bool(lines) and 2 * tall > len(lines)
