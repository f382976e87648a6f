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


def _rules(ink: np.ndarray, counts: np.ndarray, thick: int, span: int, flank: int) -> np.ndarray:
    """Which stretches of which rows of ``ink`` (bool, ink true; a transposed view for the
    columns) hold a horizontal rule: bands of up to ``thick`` rows with ``flank`` clear rows
    either side, judged in stretches of ``span`` columns (the last what is left of the row).
    ``counts``: ink pixels per row and stretch, shape (rows, stretches)."""
    h, w = ink.shape
    cols = counts.shape[1]
    hit = np.zeros((h, cols), dtype=bool)
    if cols < 2 or h < thick + 4:
        return hit
    edges = np.arange(0, w, span)
    widths = np.diff(np.append(edges, w))
    clear = counts <= CLEAR * widths
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
    for y in np.flatnonzero(starts.any(axis=1)).tolist():
        band = ink[y]
        for t in range(1, min(thick, h - y) + 1):
            if t > 1:
                band = band | ink[y + t - 1]
            closed = starts[y] & clear_rows(y + t, y + t + flank)
            if closed.any():
                inked = np.add.reduceat(band, edges, dtype=np.int32) >= INKED * widths
                hit[y : y + t] |= closed & inked
    # Only stretches beside another flagged stretch in the same rows (give or take one, for
    # a page levelled to a tenth of a degree): a rule is long.
    near = hit.copy()
    near[1:] |= hit[:-1]
    near[:-1] |= hit[1:]
    beside = np.zeros_like(hit)
    beside[:, 1:] |= near[:, :-1]
    beside[:, :-1] |= near[:, 1:]
    return hit & beside


def _counts(ink: np.ndarray, span: int, axis: int) -> np.ndarray:
    """Ink pixels of each row (``axis`` 1) or column (0) in each stretch of ``span`` along
    it, the last stretch what is left: whole stretches by one reshaped sum (``reduceat``
    down the page took 35 ms)."""
    n = ink.shape[axis]
    full = n // span
    parts = []
    if axis == 1:
        parts.append(ink[:, : full * span].reshape(ink.shape[0], full, span).sum(axis=2))
        if n % span:
            parts.append(ink[:, full * span :].sum(axis=1, keepdims=True))
        return np.concatenate(parts, axis=1, dtype=np.int32)
    parts.append(ink[: full * span].reshape(full, span, ink.shape[1]).sum(axis=1))
    if n % span:
        parts.append(ink[full * span :].sum(axis=0, keepdims=True))
    return np.concatenate(parts, axis=0, dtype=np.int32)


def erase(img: Image.Image, dpi: int) -> Image.Image:
    """``img`` (a clean-up: mode ``L``, ink black on white) with its dashed rules, across and
    down, turned to paper; ``img`` itself when it has none."""
    scale = max(0.5, dpi / 300)
    thick = max(2, round(THICK * scale))
    span = max(64, round(SPAN * scale))
    flank = max(2, round(FLANK * scale))
    pixels = np.asarray(img)
    ink = pixels < 128
    h, w = ink.shape
    # Down the page as across it, on a transposed view (a transposed copy of the page costs
    # 15-19 ms): its counts are taken in the page's own order and turned, small.
    across_counts = _counts(ink, span, 1)
    down_counts = _counts(ink, span, 0).T
    across = _rules(ink, across_counts, thick, span, flank)
    down = _rules(ink.T, down_counts, thick, span, flank)
    if not across.any() and not down.any():
        return img
    # A flagged stretch holds ink in its band (at least INKED of its width): never empty.
    rules = np.repeat(across, span, axis=1)[:, :w] | np.repeat(down.T, span, axis=0)[:h]
    rules &= ink
    return Image.fromarray(np.where(rules, np.uint8(255), pixels))
