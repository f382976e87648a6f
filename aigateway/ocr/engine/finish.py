"""The passes over the reading a page keeps, in their order, and its layout.

Only the winner of :mod:`.reader`'s second chances pays for them: rows of leader dots read
as letters written as dots (:mod:`.leaders`), specks read as glyphs dropped (:mod:`.specks`),
a clean-up's broken ``e`` mended (:mod:`.crossbars`), check boxes, dropped regions, panels and
columns read sideways put back, lost bullets, with ``auto`` the doubtful words and lost glyphs
read again (:mod:`.reread`, :mod:`.partial`) and dropped lines (:mod:`.orphans`), words read
out of drawings dropped (:mod:`.figures`), then the glyph-level repairs (spaces, spaced stops,
``≤``, ``∞``, subscript letters read as ``;``, lost colons, rows of hyphens, line numbers),
then the layout.
"""

from __future__ import annotations

import functools
from dataclasses import replace

from PIL import Image

from . import amounts, breaks, ink, lattice
from . import layout as _layout
from .layout import Item, Line
from .options import EngineOptions
from .reading import Reading

__all__ = ("finish",)


def _items(
    img: Image.Image, lines: list[Line], opts: EngineOptions, r: Reading, grids: list[lattice.Grid]
) -> list[Item]:
    if not opts.layout or _layout.vertical(lines):
        return breaks.own_paragraphs(lines)
    rules = functools.cache(lambda: ink.horizontal_rules(img, lines))
    return _layout.build_page(lines, rules, grids, r.skew)


def finish(r: Reading, opts: EngineOptions, dpi: int) -> Reading:
    """The kept Tesseract reading with its lost bullets put back (:mod:`.strays`) and, with
    ``auto``, its doubtful words and other lost glyphs read again (:mod:`.reread`), then laid
    out: only the winner, not every second chance's reading, pays for it. Its confidence
    stays Tesseract's."""
    if not r.source:
        return r
    from . import (
        bullets,
        checkboxes,
        colons,
        crossbars,
        dropped,
        ellipses,
        figures,
        gaps,
        glyphcolumns,
        gridcells,
        hyphens,
        infinity,
        leaders,
        numbering,
        orphans,
        panels,
        partial,
        rapid,
        relations,
        repeats,
        reread,
        semicolons,
        spaces,
        specks,
        straddle,
        strays,
    )

    img, lines = r.source[0]
    # First: a leader's one-dot words read as letters would go as specks, and the rest be
    # read again for nothing.
    leaders.restore(img, lines)
    # Before anything reads around them: a speck read as a glyph joins a doubtful stretch.
    specks.drop_read(lines)
    # Before any pass measures the lines: a word read twice would be re-read twice.
    repeats.drop(lines)
    if r.uncleaned is not None:
        crossbars.restore(r.uncleaned, lines)
    auto = opts.engine == "auto" and rapid.available() is None
    # First: the regions put back are Tesseract's words like the rest, re-read if doubtful.
    # Before the regions and words read again, which would guess again at a check box.
    checkboxes.restore(img, lines)
    dropped.recover(img, lines, dpi, opts.languages, r.scale, r.sharpened)
    panels.recover(img, lines, dpi, opts.languages, r.scale)
    dropped.recover_faint(img, lines, dpi, opts.languages, r.scale)
    # Before the re-reading: a column read sideways is not worth re-reading as it stands, nor
    # is each half of a word cut across two lines.
    amounts.glued(img, lines, dpi, opts.languages, r.scale, r.sharpened)
    glyphcolumns.split(img, lines, auto, opts.threads, opts.languages)
    straddle.join(img, lines, auto, opts.threads, opts.languages)
    rest = strays.restore_bullets(img, lines, strays.find(img, lines))
    # Before the re-reading, after every pass that reads regions again as blocks: a word run
    # across a grid's rule is the texts of two cells (:mod:`.lattice`), the cells are read
    # again on their own, and each cell's words are a line of their own.
    grids = lattice.find(r.ruled if r.ruled is not None else img, lines) if opts.layout else []
    gridcells.fit(img, lines, grids, dpi, opts.languages, r.scale, r.sharpened)
    replaced = 0
    if auto and opts.reread_below > 0:
        # A clean-up's threshold broke strokes the recogniser sees in grey: read the page before.
        grey = img if r.uncleaned is None else r.uncleaned
        below, budget = reread.plan(lines, opts.reread_below, cleaned=grey is not img)
        parts = partial.find(strays.mask(img, lines, faint=True), lines)
        replaced = reread.reread(grey, lines, below, opts.threads, rest, budget, opts.languages)
        replaced += partial.read(grey, lines, parts, opts.threads, opts.languages)
    if auto:
        orphans.recover(img, lines, opts.threads, opts.languages, r.uncleaned)
    # After every pass that adds words: the dropped-lines pass may have read a drawing too.
    figures.drop(img, lines)
    bullets.plain(lines)
    spaces.restore(img, lines)
    ellipses.restore(img, lines)
    relations.restore(img, lines)
    infinity.restore(img, lines)
    semicolons.restore(img, lines)
    colons.restore(img, lines)
    if r.uncleaned is None:
        # A clean-up's threshold breaks glyphs (a ``c``'s bow, an ``r``'s arm) with blanks
        # as wide as a space: 30 grainy scratch pages, 4 words split wrong and none right.
        gaps.restore(img, lines)
    hyphens.restore(img, lines)
    numbering.repair(lines)
    return replace(
        r, items=_items(img, lines, opts, r, grids), source=[], reread=replaced, ruled=None
    )
