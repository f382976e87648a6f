"""Columns of short items beside text lines (line numbers of a listing) read row by row.

A listing numbered in its margin has a narrow column of one or two small digits a line, one
under the other. Tesseract's layout analysis takes such a column for a line of vertical text
and reads it sideways: a framed, numbered listing in the FreeFEM manual (tune split, scan)
came out as ``cs wo Lo} H`` before the section heading, and its numbers were lost. Real
vertical text (a sideways axis label, a rotated table heading) is left alone: what sets a
column of items apart is that each of its items sits on the row of a text line beside it.

Each such column is cut into its items where blank rows of pixels part them, each item is read
by RapidOCR's recogniser (``engine = "auto"``) and put beside the
line on its row, as a word of that line; without the recogniser (or when it is unsure) the
sideways reading is dropped, since it is never right.

A listing's blank lines and comment rules (which Tesseract can read as nothing) leave numbers
with nothing on their row. A column whose items count up (``1``, ``2``, ``3`` ...) needs only
half of them on text rows, and a number beside nothing becomes a line of its own where it
stands: a Raptor source header, ``1`` to ``9`` beside four blank or ruled lines, had been read
as ``MDMAA SBWNe`` (the ``more`` split 7450 to 7376 edits, three Raptor pages; tune unchanged).

Columns with no text line on their rows can still be a grid of short items (a data file of
``0.  1.`` rows in a frame, FreeFEM manual, extra tune sources): there each row of items across
the columns becomes a line of its own (:func:`_grid`). That page went from 59 to 28 edits (raw
RapidOCR 14); no other tune or extra page changed.
"""

from __future__ import annotations

import itertools
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from PIL import Image

from . import orphans, reread
from .geometry import Line, Word, vertical
from .preprocess import ink_mask, inked_columns, otsu

__all__ = ("NEAR", "ROWS", "TALL", "column_runs", "is_column", "split")

TALL = 2.5
"""A line at least this many times taller than wide, and than the page's median line, is a
column of glyphs rather than a line of text on a page of horizontal lines."""

ROWS = 0.75
"""Share of a column's items that must each sit on the row of a text line beside it."""

APART = 0.25
"""A blank run this many text heights wide ends an item's ink (:func:`_widen`)."""

NEAR = 12.0
"""Text heights between a column and the text line on an item's row, at most: a listing's
lines stand indented several cells right of their numbers (a class body's lines at 8 cells,
about 6 text heights off)."""

CELLS_APART = 0.4
""":data:`APART` for the items of a grid (:func:`_grid`): a grid's cells stand at least a
space or two apart, and a cell's own glyphs can be further apart than a line number's (the
period of a monospaced ``0.`` sits in the next character cell). On the right only: on the left
a listing's line numbers can stand that close."""

COUNTED_ROWS = 0.5
""":data:`ROWS` for a column whose items count up (:func:`_numbered`): a listing's numbers
stand beside its lines, most of them, even where blank lines and comment rules leave gaps."""

MIN_COUNT = 3
"""Items a column needs to count as numbered (:func:`_numbered`) with few of them on text rows."""

MIN_SCORE = 0.6
"""The recogniser's score (0-1) an item's reading needs; line numbers are one or two glyphs
and short readings score lower than words."""


@dataclass(frozen=True)
class _Item:
    box: tuple[int, int, int, int]
    row: int | None
    """Index of the text line on the item's row (``None``: no line there)."""


def _runs(
    img: Image.Image, box: tuple[int, int, int, int], min_height: int
) -> list[tuple[int, int, int, int]]:
    """Boxes of the runs of inked pixel rows inside ``box`` (each as wide as its own ink), in
    page coordinates.

    Columns inked over most of the height are a rule (a listing's frame), not items, and are
    left out: they would join every row into one run, and be read as a bar beside a number."""
    crop = img.crop(box)
    level = otsu(crop)
    mask = ink_mask(crop, level)
    cover = mask.resize((crop.width, 1), Image.Resampling.BOX).tobytes()
    for x, v in enumerate(cover):
        if v > 0.6 * 255:
            mask.paste(0, (x, 0, x + 1, crop.height))
    inked = [v > 0 for v in mask.resize((1, crop.height), Image.Resampling.BOX).tobytes()]
    runs: list[tuple[int, int, int, int]] = []
    start = None
    for y, dark in enumerate([*inked, False]):
        if dark and start is None:
            start = y
        elif not dark and start is not None:
            cols = inked_columns(mask.crop((0, start, crop.width, y)))
            xs = [x for x, c in enumerate(cols) if c]
            if y - start >= min_height and xs:
                runs.append((box[0] + xs[0], box[1] + start, box[0] + xs[-1] + 1, box[1] + y))
            start = None
    return runs


def _widen(
    img: Image.Image, run: tuple[int, int, int, int], height: float, apart: float = APART
) -> tuple[int, int, int, int]:
    """``run`` widened to all of its item's ink: Tesseract's sideways box can be narrower than
    the glyphs (a column of ``10``, ``11``, ``12`` boxed on its first digits). Ink further than
    :data:`APART` text heights off on the left, ``apart`` on the right, is another word's."""
    x0, y0, x1, y1 = run
    reach = round(2 * height)
    lo, hi = max(0, x0 - reach), min(img.width, x1 + reach)
    band = img.crop((lo, y0, hi, y1))
    level = otsu(band)
    ink = inked_columns(ink_mask(band, level))
    gap, after = max(2, round(APART * height)), max(2, round(apart * height))
    left, right = x0 - lo, x1 - lo
    blank = 0
    for x in range(left - 1, -1, -1):
        blank = 0 if ink[x] else blank + 1
        if blank >= gap:
            break
        if ink[x]:
            left = x
    blank = 0
    for x in range(right, len(ink)):
        blank = 0 if ink[x] else blank + 1
        if blank >= after:
            break
        if ink[x]:
            right = x + 1
    return lo + left, y0, lo + right, y1


def _row_of(top: int, bottom: int, col: Line, lines: list[Line], height: float) -> int | None:
    """The text line beside ``col`` (within a few text heights) whose row holds the item."""
    best = None
    for k, ln in enumerate(lines):
        if ln is col or is_column(ln, height):
            continue
        shared = min(bottom, ln.y1) - max(top, ln.y0)
        near = min(abs(ln.x0 - col.x1), abs(col.x0 - ln.x1)) <= NEAR * height
        closer = best is None or abs(ln.x0 - col.x1) < abs(lines[best].x0 - col.x1)
        if near and shared >= 0.5 * min(bottom - top, ln.height) and closer:
            best = k
    return best


def is_column(ln: Line, height: float) -> bool:
    w, h = ln.x1 - ln.x0, ln.y1 - ln.y0
    return h >= TALL * max(1, w) and h >= TALL * height


def column_runs(
    img: Image.Image, col: Line, height: float, apart: float = APART
) -> list[tuple[int, int, int, int]]:
    """The boxes of the column's items (at least two), or none."""
    pad = max(2, round(0.15 * height))
    box = (
        max(0, col.x0 - pad),
        max(0, col.y0 - pad),
        min(img.width, col.x1 + pad),
        min(img.height, col.y1 + pad),
    )
    runs = _runs(img, box, max(2, round(0.2 * height)))
    return [_widen(img, run, height, apart) for run in runs] if len(runs) >= 2 else []


def _items(img: Image.Image, col: Line, lines: list[Line], height: float) -> list[_Item] | None:
    """The column's items, each with the text line on its row if any, or ``None`` when the
    column has fewer than two."""
    runs = column_runs(img, col, height)
    if not runs:
        return None
    return [_Item((x0, y0, x1, y1), _row_of(y0, y1, col, lines, height)) for x0, y0, x1, y1 in runs]


def _on_rows(items: Sequence[_Item], share: float = ROWS) -> bool:
    """At least ``share`` of the column's items sit on the row of a text line."""
    return sum(1 for it in items if it.row is not None) >= share * len(items)


def _numbered(texts: Sequence[tuple[str, float]]) -> bool:
    """The items read as whole numbers counting up by one, each read surely: a listing's
    line numbers, whatever stands beside them. A listing's blank lines and its comment rules
    leave numbers with no text line on their row, too many for :func:`_on_rows` (a Raptor
    header's ``1`` to ``9``, four beside nothing), but no sideways label reads as a count."""
    if len(texts) < MIN_COUNT:
        return False
    numbers = [t for t, score in texts if score >= MIN_SCORE and t.isdecimal() and len(t) <= 5]
    if len(numbers) != len(texts):
        return False
    return all(int(b) == int(a) + 1 for a, b in itertools.pairwise(numbers))


def split(
    img: Image.Image,
    lines: list[Line],
    use_rapid: bool,
    threads: int = 1,
    languages: Sequence[str] = ("eng",),
) -> int:
    """Replace, in place, sideways readings of columns of items beside text lines (see the
    module docstring), their items read again in the characters of the page's Tesseract
    ``languages`` when ``use_rapid``. Returns how many columns were replaced."""
    if len(lines) < 3 or vertical(lines):
        return 0  # a page turned sideways reads as vertical lines: they are its text
    height = statistics.median(ln.height for ln in lines)
    if sum(1 for ln in lines if is_column(ln, height)) == 0:
        return 0
    done = 0
    alone: list[Line] = []
    # Items put back so far: Tesseract can read one column of two-digit numbers as two
    # overlapping sideways lines (one on each digit), whose items widen to the same boxes.
    placed: list[tuple[int, int, int, int]] = []
    for col in [ln for ln in lines if is_column(ln, height)]:
        items = _items(img, col, lines, height)
        if items is None:
            alone.append(col)
            continue
        rowed = _on_rows(items)
        if not rowed and not (use_rapid and _on_rows(items, COUNTED_ROWS)):
            alone.append(col)
            continue
        texts = (
            reread.recognize(img, [it.box for it in items], threads, languages) if use_rapid else []
        )
        # A counted column stands on its own rows: a number beside nothing (a blank line's) is
        # a line of its own.
        numbered = _numbered(texts)
        if not rowed and not numbered:
            alone.append(col)
            continue
        rows = [lines[it.row] if it.row is not None else None for it in items]
        lines.remove(col)
        done += 1
        own: list[Word] = []
        for it, row, (text, score) in zip(items, rows, texts, strict=False):
            if not text or score < MIN_SCORE or (row is None and not numbered):
                continue
            if any(_overlap(it.box, box) for box in placed):
                continue
            placed.append(it.box)
            word = Word(text, 100 * score, *it.box)
            if row is None:
                own.append(word)
                continue
            # A word of the line on its row, where it stands: before a listing's line, or after
            # it for numbers in the right margin.
            at = sum(1 for w in row.words if w.x0 < word.x0)
            row.words.insert(at, word)
        for word in own:
            # Where the dropped-lines pass puts a piece: after the line above it in its column.
            orphans.place(lines, word, height)
    if use_rapid and len(alone) >= 2:
        done += _grid(img, alone, lines, height, threads, languages)
    return done


def _overlap(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> bool:
    """``a`` and ``b`` share more than half of the smaller one's area."""
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    smaller = min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1]))
    return w > 0 and h > 0 and w * h > 0.5 * smaller


def _grid(
    img: Image.Image,
    cols: list[Line],
    lines: list[Line],
    height: float,
    threads: int,
    languages: Sequence[str],
) -> int:
    """Replace, in place, columns of items side by side with no text line on their rows (a
    framed table of short numbers, ``0.  1.`` a row) by one line for each row of items.

    Tesseract reads each column of such a grid sideways (``oOrRRrRO``), and there is no text
    line to hang its items on. What sets a grid apart from real vertical text side by side (a
    table's rotated headings) is that its items line up across the columns, row by row."""
    runs = [(box, col) for col in cols for box in column_runs(img, col, height, CELLS_APART)]
    rows: list[list[tuple[tuple[int, int, int, int], Line]]] = []
    for box, col in sorted(runs, key=lambda r: r[0][1] + r[0][3]):
        if rows:
            top, bottom = min(b[1] for b, _ in rows[-1]), max(b[3] for b, _ in rows[-1])
            if min(bottom, box[3]) - max(top, box[1]) >= 0.5 * min(bottom - top, box[3] - box[1]):
                rows[-1].append((box, col))
                continue
        rows.append([(box, col)])
    shared = [row for row in rows if len({id(col) for _, col in row}) >= 2]
    if not shared or sum(len(row) for row in shared) < ROWS * len(runs):
        return 0
    used = {id(col) for row in shared for _, col in row}
    cols = [col for col in cols if id(col) in used]
    boxes = [sorted(box for box, _ in row) for row in rows]
    texts = iter(reread.recognize(img, [box for row in boxes for box in row], threads, languages))
    new: list[Line] = []
    for row in boxes:
        words = []
        for box, (text, score) in zip(row, texts, strict=False):
            if text and score >= MIN_SCORE:
                words.append(Word(text, 100 * score, *box))
        if words:
            new.append(Line(words, cols[0].block, cols[0].para))
    if not new:
        return 0
    first = min(lines.index(col) for col in cols)
    for col in cols:
        lines.remove(col)
    lines[first:first] = new
    return len(cols)
