"""Amounts whose leading digits Tesseract read as a column of their own, read again whole.

A receipt's or a price list's amounts, right-aligned one under the other in a typewriter font,
line up their leading digits in a column: Tesseract took the ``3``, ``2``, ``2``, ``1`` of
``3.20 2.40 2.90 1.10`` for a line of vertical text (``rFPNN``) and read the rest of each amount
as ``.20``, ``-40``. Unlike a listing's line numbers (:mod:`.glyphcolumns`, which stand a space
or more from their lines), such a column's items are glued to the words on their rows. The
column, the blocks of those words and the lines on their rows are read again as one block.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence

from PIL import Image

from .geometry import Line, vertical
from .glyphcolumns import NEAR, ROWS, column_runs, is_column

__all__ = ("GLUED", "REACH", "glued")


def glued(
    img: Image.Image,
    lines: list[Line],
    dpi: int,
    languages: Sequence[str] = ("eng",),
    scale: float = 1.0,
    soft: bool = False,
) -> int:
    """Read again, in place, each column whose items are glued to the words on their rows
    (the module docstring) with those rows, as one block (:func:`.dropped.read_region`:
    Tesseract's single-block mode reads a receipt ``Flat white 3.20``); the new reading
    replaces the old where it holds more confident text (:func:`.dropped.put_back`). Returns
    how many columns' regions were put back. (:func:`.glyphcolumns.split`'s items, put beside
    those words, kept them apart: ``3. .20``.)"""
    from . import dropped

    if len(lines) < 3 or vertical(lines):
        return 0
    height = statistics.median(ln.height for ln in lines)
    done = 0
    for col in [ln for ln in lines if is_column(ln, height)]:
        if col not in lines:
            continue  # taken out with an earlier column's region
        runs = column_runs(img, col, height)
        touched = [ln for run in runs if (ln := _glued_to(run, col, lines, height)) is not None]
        if not runs or len(touched) < ROWS * len(runs):
            continue
        blocks = {ln.block for ln in touched}
        region = [col, *(ln for ln in lines if ln.block in blocks and not is_column(ln, height))]
        box = _rows_of(_grown(_box(region), lines, height), lines, height)
        new = dropped.read_region(img, box, height, dpi, languages, scale, soft)
        # Each row an entry of its own (an item and its amount), not a line of prose that
        # runs on into the next: single-block mode makes one paragraph of the region.
        new = [Line(ln.words, ln.block, k) for k, ln in enumerate(new)]
        # The column's sideways reading and the amounts cut from their first glyphs (".20")
        # are misread: their confident characters are no text the new reading must match.
        broken = [*col.words, *(w for ln in touched for w in ln.words)]
        if dropped.put_back(lines, box, new, broken):
            done += 1
    return done


REACH = 4.0
"""Text heights above or below a glued column's region within which a line standing in the
region's width joins it (:func:`_grown`): the same column of amounts goes on past a blank line
or two (a receipt's total under its items), in blocks of Tesseract's own."""


Box = tuple[int, int, int, int]


def _box(lines: Sequence[Line], also: Box | None = None) -> Box:
    """The box around ``lines`` (and ``also``)."""
    boxes = [(ln.x0, ln.y0, ln.x1, ln.y1) for ln in lines] + ([also] if also else [])
    return (
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    )


def _grown(box: Box, lines: Sequence[Line], height: float) -> Box:
    """``box`` grown by every line within :data:`REACH` text heights above or below it that
    stands mostly inside its width, until no more join."""
    while True:
        x0, y0, x1, y1 = box
        near = [
            ln
            for ln in lines
            if ln.words
            and min(x1, ln.x1) - max(x0, ln.x0) >= 0.5 * (ln.x1 - ln.x0)
            and ln.y0 < y1 + REACH * height
            and ln.y1 > y0 - REACH * height
        ]
        grown = _box(near, box)
        if grown == box:
            return box
        box = grown


def _rows_of(box: Box, lines: Sequence[Line], height: float) -> Box:
    """``box`` widened to the lines on its rows within :data:`NEAR` text heights of it (a
    receipt's item names beside its amounts): read as one block with them, each row is read
    whole (``Flat white 3.20``); the amounts alone, cut from their rows, read worse (``BE
    20)`` for ``3.20``)."""
    x0, y0, x1, y1 = box
    beside = [
        ln
        for ln in lines
        if ln.words
        and min(y1, ln.y1) - max(y0, ln.y0) >= 0.5 * ln.height
        and max(ln.x0 - x1, x0 - ln.x1) <= NEAR * height
    ]
    return _box(beside, box)


GLUED = 0.5
"""Text heights between a column item's ink and the first word beside it on its row, at most,
for the item to be that word's first glyphs (:func:`glued`). A line number stands a space or
more from its line: a typewriter font's space is about a text height wide."""


def _glued_to(run: Box, col: Line, lines: list[Line], height: float) -> Line | None:
    """The line whose first word right of the item ``run`` starts within :data:`GLUED` text
    heights of its ink, on its row; ``None`` when there is none."""
    x0, top, x1, bottom = run
    for ln in lines:
        if ln is col or is_column(ln, height):
            continue
        if min(bottom, ln.y1) - max(top, ln.y0) < 0.5 * min(bottom - top, ln.height):
            continue
        after = [w for w in ln.words if w.x1 > x1 and w.x0 >= x0]
        if after and min(w.x0 for w in after) - x1 <= GLUED * height:
            return ln
    return None
