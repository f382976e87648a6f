"""Thin vertical lines drawn through text (scanner streaks, fold lines), erased before reading.

A sheet-fed scanner with dust on its glass draws a thin dark line down the whole page, across
every text line it meets. Tesseract's layout analysis takes such a line for a column rule or
joins it with the glyphs it touches into one tall non-text blob, and drops the text beside it:
on 12 of the tune split's born-digital pages with one 3 px streak drawn at 60 % of the width,
raw Tesseract lost about half of each page (the engine 17811 edits against 107 without the
streak), while RapidOCR's detector, which reads line by line, lost almost nothing (187).

:func:`erase` finds long, thin, vertical runs of ink and fills them in from the pixels either
side, but only those that touch text on both sides in several places. A table's or a
column's rule stands in the blank gap between cells and touches no glyph, so ruled tables
reach Tesseract as they are. Pillow only: the page is binarised once and reduced twice with box
filters (C loops), about 25 ms for a 300 DPI page.
"""

from __future__ import annotations

from PIL import Image, ImageStat

from . import preprocess

__all__ = ("erase", "find")

BAND = 8
"""Rows per band: a column is inked through a band when at least 7 of its 8 rows are."""

WINDOW = 8
"""Bands per window: a line is found where a column is inked through whole windows (64 rows)."""

MIN_WINDOWS = 6
"""A streak spans at least this many windows in a row (384 px, about 3 cm at 300 DPI): longer
than any glyph stem."""

MAX_WIDTH = 8
"""Widest streak, in columns: wider dark bars (side bars, images) are not lines."""

MAX_INK = 0.3
"""Share of the page that may be ink: above it (grain, a textured or dark background) the page
is not judged, as any line there has ink on both sides."""

MIN_TOUCHES = 3
"""Bands in which the line has ink right beside it on both sides: it crosses glyphs."""


Box = tuple[int, int, int, int]


def _runs(flags: list[bool]) -> list[tuple[int, int]]:
    """(start, end) of each run of true values, end exclusive."""
    runs, start = [], None
    for i, f in enumerate([*flags, False]):
        if f and start is None:
            start = i
        elif not f and start is not None:
            runs.append((start, i))
            start = None
    return runs


def find(img: Image.Image) -> list[Box]:
    """Boxes (x0, y0, x1, y1; end exclusive) of the streaks in ``img`` (mode ``L``)."""
    w, h = img.size
    if w < 3 or h < BAND * WINDOW * MIN_WINDOWS:
        return []
    # Halfway between Otsu's level and the paper: a grey streak lighter than the glyphs is
    # still one (resized for Tesseract, a 160-grey streak on white dropped two thirds of a
    # tune page), and glyph edges counted as ink only help to show that it crosses them.
    hist = img.histogram()[:256]
    otsu = preprocess.otsu(img)
    paper = max(range(otsu, 256), key=lambda v: hist[v])
    level = (otsu + paper) // 2
    ink = img.point(lambda v: 255 if v <= level else 0)
    rows = h // BAND
    bands = ink.crop((0, 0, w, rows * BAND)).resize((w, rows), Image.Resampling.BOX)
    if ImageStat.Stat(bands).mean[0] > 255 * MAX_INK:
        return []  # grain or a dark background, not paper: every line "touches" ink there
    full = bands.point(lambda v: 255 if v >= 223 else 0)
    wins = rows // WINDOW
    windows = full.crop((0, 0, w, wins * WINDOW)).resize((w, wins), Image.Resampling.BOX)
    solid = windows.point(lambda v: 255 if v == 255 else 0).tobytes()
    band_ink = bands.tobytes()
    found: list[Box] = []
    # Columns inked through at least MIN_WINDOWS windows anywhere, grouped into lines.
    counts = [0] * w
    for r in range(wins):
        row = solid[r * w : (r + 1) * w]
        x = row.find(255)
        while x >= 0:
            counts[x] += 1
            x = row.find(255, x + 1)
    for x0, x1 in _runs([c >= MIN_WINDOWS for c in counts]):
        if x1 - x0 > MAX_WIDTH or x0 < 3 or x1 > w - 3:
            continue
        on = [any(solid[r * w + x] for x in range(x0, x1)) for r in range(wins)]
        for r0, r1 in _runs(on):
            if r1 - r0 < MIN_WINDOWS:
                continue
            # Ink beside the line, left and right, in the same band: it crosses text. The
            # column next to the line is skipped (a blurred line's own soft edge).
            b0, b1 = r0 * WINDOW, r1 * WINDOW
            touches = sum(
                1
                for b in range(b0, b1)
                if band_ink[b * w + x0 - 3] or band_ink[b * w + x0 - 2]
                if band_ink[b * w + x1 + 1] or band_ink[b * w + x1 + 2]
            )
            if touches >= MIN_TOUCHES:
                # Grown by a window either end: whole windows cut the line's ends short.
                found.append(
                    (x0, max(0, b0 * BAND - WINDOW * BAND), x1, min(h, b1 * BAND + WINDOW * BAND))
                )
    return found


def erase(img: Image.Image) -> Image.Image:
    """``img`` with its streaks (:func:`find`) filled in from either side, or ``img`` itself if
    it has none."""
    boxes = find(img)
    if not boxes:
        return img
    out = img.copy()
    for x0, y0, x1, y1 in boxes:
        # One column more either side (the line's blurred edge), then each row's gap blended
        # from the pixels left and right of it: a glyph stroke crossing the streak is joined
        # again instead of cut (a white fill read 150 DPI tune pages with 3 times the edits).
        a, b = max(0, x0 - 1), min(img.width, x1 + 1)
        left = img.crop((a - 1, y0, a, y1)) if a > 0 else img.crop((b, y0, b + 1, y1))
        right = img.crop((b, y0, b + 1, y1)) if b < img.width else left
        size = (b - a, y1 - y0)
        ramp = Image.linear_gradient("L").rotate(90).resize(size)
        fill = Image.composite(right.resize(size), left.resize(size), ramp)
        out.paste(fill, (a, y0))
    return out
