"""Thin vertical lines through or beside text (scanner streaks, fold lines, rules), erased
before reading.

A sheet-fed scanner with dust on its glass draws a thin dark line down the whole page, across
every text line it meets. Tesseract's layout analysis takes such a line for a column rule or
joins it with the glyphs it touches into one tall non-text blob, and drops the text beside it:
on 12 of the tune split's born-digital pages with one 3 px streak drawn at 60 % of the width,
raw Tesseract lost about half of each page (the engine 17811 edits against 107 without the
streak), while RapidOCR's detector, which reads line by line, lost almost nothing (187).

A printed rule beside text does harm at a smaller scale: a listing's frame next to its small
line numbers came back as ``15|s:=int`` or ``a4Jf = 2 * x`` (for ``4 f = 2 * x``), and a
parameter table's rules on a page turned 90 degrees kept Tesseract's orientation check (OSD)
from finding the turn, so the page was read sideways. The layout pass (:mod:`.layout`) finds
columns and tables from the words' positions, not from rules, so rules go too, but later:
:func:`find` tells the two kinds apart, the reader fills streaks in first (before anything
measures the page) and rules only for OSD and, once the page is upright and level, for the
reading. The check for a sideways page keeps them: a turned table's rules are its clearest
sign of being turned. Tune and extra split (240 pages): 11365 -> 9445 edits with rules erased
(a turned parameter table 2128 -> 143, framed listings 23 -> 6 and 17 -> 5).

:func:`find` finds long, thin, vertical runs of ink and :func:`fill` fills them in from the
pixels either side. Pillow only: the page is binarised once and reduced twice with box filters
(C loops), about 25 ms for a 300 DPI page.
"""

from __future__ import annotations

from typing import NamedTuple

from PIL import Image, ImageStat

from . import dashes, preprocess
from .ink import runs

__all__ = ("Box", "Found", "erase", "erase_both", "fill", "find")

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
is not judged: runs of ink there are not lines."""

MIN_TOUCHES = 3
"""Bands in which a line has ink right beside it on both sides: it crosses glyphs (a streak)."""

Box = tuple[int, int, int, int]


class Found(NamedTuple):
    """The vertical lines of a page (boxes x0, y0, x1, y1; end exclusive)."""

    streaks: list[Box]
    """Lines through text (ink right beside them on both sides in several bands)."""
    rules: list[Box]
    """The others: rules beside text or in the blank between columns, frames."""


def find(img: Image.Image) -> Found:
    """The long thin vertical lines of ``img`` (mode ``L``): streaks and rules."""
    found = Found([], [])
    w, h = img.size
    if w < 3 or h < BAND * WINDOW * MIN_WINDOWS:
        return found
    # Halfway between Otsu's level and the paper: a grey streak lighter than the glyphs is
    # still one (resized for Tesseract, a 160-grey streak on white dropped two thirds of a
    # tune page), and glyph edges counted as ink only help to show that it crosses them.
    hist = preprocess.page_histogram(img)[:256]
    otsu = preprocess.otsu_level(hist)  # one histogram of the page for both
    paper = max(range(otsu, 256), key=lambda v: hist[v])
    level = (otsu + paper) // 2
    ink = preprocess.ink_mask(img, level)
    rows = h // BAND
    bands = ink.crop((0, 0, w, rows * BAND)).resize((w, rows), Image.Resampling.BOX)
    if ImageStat.Stat(bands).mean[0] > 255 * MAX_INK:
        return found  # grain or a dark background, not paper: every line "touches" ink there
    full = bands.point(lambda v: 255 if v >= 223 else 0)
    wins = rows // WINDOW
    windows = full.crop((0, 0, w, wins * WINDOW)).resize((w, wins), Image.Resampling.BOX)
    solid = windows.point(lambda v: 255 if v == 255 else 0).tobytes()
    band_ink = bands.tobytes()
    # Columns inked through at least MIN_WINDOWS windows anywhere, grouped into lines.
    counts = [0] * w
    for r in range(wins):
        row = solid[r * w : (r + 1) * w]
        x = row.find(255)
        while x >= 0:
            counts[x] += 1
            x = row.find(255, x + 1)
    for x0, x1 in runs([c >= MIN_WINDOWS for c in counts]):
        if x1 - x0 > MAX_WIDTH or x0 < 3 or x1 > w - 3:
            continue
        on = [any(solid[r * w + x] for x in range(x0, x1)) for r in range(wins)]
        for r0, r1 in runs(on):
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
            # Grown by a window either end: whole windows cut the line's ends short.
            box = (x0, max(0, b0 * BAND - WINDOW * BAND), x1, min(h, b1 * BAND + WINDOW * BAND))
            (found.streaks if touches >= MIN_TOUCHES else found.rules).append(box)
    return found


def erase(img: Image.Image) -> Image.Image:
    """``img`` with every vertical line it has (:func:`find`), streak or rule, filled in."""
    found = find(img)
    return fill(img, found.streaks + found.rules)


def erase_both(
    cleaned: Image.Image, grey: Image.Image, dpi: int = 300
) -> tuple[Image.Image, Image.Image]:
    """A grainy page's clean-up (:data:`~.preprocess.LADDER`) and the page it was made from,
    both with the clean-up's vertical lines filled in; the clean-up (at ``dpi``) also without
    the rules it broke into specks (:mod:`.dashes`).

    On grain :func:`find` judges nothing (every column touches ink), so a grainy page kept
    its rules where a clean one is read without them; the clean-up shows them. The grey page
    loses them too: the re-reading crops it (:mod:`.reread`), and read ``13|ny`` where a
    listing's frame stood by its line numbers. Tune split, its 24 grainy pages: 1131 -> 1066
    edits (two framed listings 72 -> 44 and 65 -> 34), none worse, in the same time; the
    126-page sample's other categories read byte-identical."""
    found = find(cleaned)
    boxes = found.streaks + found.rules
    return dashes.erase(fill(cleaned, boxes), dpi), fill(grey, boxes)


def fill(img: Image.Image, boxes: list[Box]) -> Image.Image:
    """``img`` with ``boxes`` (lines :func:`find` found) filled in from either side, or
    ``img`` itself if there are none."""
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
        patch = Image.composite(right.resize(size), left.resize(size), ramp)
        out.paste(patch, (a, y0))
    return out
