"""Rules a grainy page's clean-up broke into dashes, erased before Tesseract reads it.

A table's thin grey rules on a grainy page survive the clean-up (:data:`~.preprocess.LADDER`:
a blur and a threshold) as rows of dashes. :mod:`.streaks` finds only lines inked through
whole windows, so the dashes stay, and Tesseract reads them as text: ``eee - - . soe - seen``
between a property table's rows, its order scrambled around them.

A horizontal rule here is a band of at most :data:`THICK` rows that is inked along
:data:`SPAN` px (specks and their gaps) and has clear rows right above and below it, which
no line of text has (its ink runs through a band as tall as its letters). A vertical rule,
the same turned. The layout pass finds tables from the words' positions, not from rules
(:mod:`.layout`), so nothing it needs goes.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

__all__ = ("CLEAR", "FLANK", "INKED", "SPAN", "THICK", "erase")

THICK = 3
"""Widest band of rows (columns) a rule is, in pixels at 300 DPI: a rule of 0.25-1 pt broken
by the clean-up is 1-2 rows of specks; leader dots and a period are 4-5 rows, text."""

SPAN = 256
"""Rules are judged over stretches of this many pixels at 300 DPI."""

INKED = 0.06
"""Share of a stretch's columns with ink in the band for a rule (a rule of 1-2 px broken by
the clean-up keeps 7-13 % of a row; the band's rows are taken together)."""

CLEAR = 0.02
"""Largest share of ink in each of the :data:`FLANK` rows above and below the band."""

FLANK = 6
"""Clear rows a rule has either side, at 300 DPI: a table's cells are padded off their rules
(ReportLab: 12 px), while an underscore, thin and long in a row of identifiers
(``ERL_DRV_EXTENDED_MARKER``), stands 2-4 px under its letters."""


def _rule_rows(ink: np.ndarray, thick: int, span: int, flank: int) -> np.ndarray:
    """Mask (``ink``'s shape) of the pixels of ``ink`` (bool, ink true) in horizontal rules:
    bands of up to ``thick`` rows with ``flank`` clear rows either side, judged in stretches
    of ``span`` columns."""
    h, w = ink.shape
    cols = -(-w // span)
    if cols < 2 or h < thick + 4:
        return np.zeros_like(ink)
    # The last stretch is what is left of the row, padded with paper and judged by its width.
    body = np.pad(ink, ((0, 0), (0, cols * span - w))) if w % span else ink
    widths = np.full(cols, span)
    widths[-1] = w - (cols - 1) * span
    share = np.count_nonzero(body.reshape(h, cols, span), axis=2) / widths
    clear = share <= CLEAR
    # dirty[k]: rows (in stretch) not clear among the first k rows; rows off the page clear.
    dirty = np.zeros((h + 1, cols), dtype=np.int32)
    np.cumsum(~clear, axis=0, out=dirty[1:])

    def clear_rows(a: int, b: int) -> np.ndarray:
        """Whether rows a..b-1 (clipped to the page) are clear, in each stretch."""
        a, b = max(0, a), min(h, b)
        return dirty[b] - dirty[a] == 0 if a < b else np.ones(cols, dtype=bool)

    rows = np.arange(h)
    # Row y inked with the ``flank`` rows above it clear: where a rule may start.
    starts = ~clear & (dirty[rows] - dirty[np.maximum(0, rows - flank)] == 0)
    hit = np.zeros((h, cols), dtype=bool)
    for y in np.flatnonzero(starts.any(axis=1)).tolist():
        band = body[y]
        for t in range(1, min(thick, h - y) + 1):
            if t > 1:
                band = band | body[y + t - 1]
            closed = starts[y] & clear_rows(y + t, y + t + flank)
            if closed.any():
                inked = np.count_nonzero(band.reshape(cols, span), axis=1) >= INKED * widths
                hit[y : y + t] |= closed & inked
    # Only stretches beside another flagged stretch in the same rows (give or take one, for
    # a page levelled to a tenth of a degree): a rule is long.
    near = hit.copy()
    near[1:] |= hit[:-1]
    near[:-1] |= hit[1:]
    beside = np.zeros_like(hit)
    beside[:, 1:] |= near[:, :-1]
    beside[:, :-1] |= near[:, 1:]
    rules: np.ndarray = np.repeat(hit & beside, span, axis=1)[:, :w] & ink
    return rules


def erase(img: Image.Image, dpi: int) -> Image.Image:
    """``img`` (a clean-up: mode ``L``, ink black on white) with its dashed rules, across and
    down, turned to paper; ``img`` itself when it has none."""
    scale = max(0.5, dpi / 300)
    thick = max(2, round(THICK * scale))
    span = max(64, round(SPAN * scale))
    flank = max(2, round(FLANK * scale))
    # Down the page as across it, on the page turned by Pillow (a numpy transpose of a
    # boolean page is a slow strided copy, 19 ms).
    turn = Image.Transpose.TRANSPOSE
    across = _rule_rows(np.asarray(img) < 128, thick, span, flank)
    down = _rule_rows(np.asarray(img.transpose(turn)) < 128, thick, span, flank)
    out = img
    if across.any():
        out = Image.fromarray(np.where(across, np.uint8(255), np.asarray(out)))
    if down.any():
        turned = np.where(down, np.uint8(255), np.asarray(out.transpose(turn)))
        out = Image.fromarray(turned).transpose(turn)
    return out
