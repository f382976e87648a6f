"""Check boxes on forms read as ☐ and ☒, not as the glyphs Tesseract guesses for them.

Tesseract has no glyph for an empty square: a form's check box comes back as ``[-]``, ``[_]``,
``LJ`` or ``O``, a ticked one as ``XX]`` or ``x]``, at low confidence (and RapidOCR's
re-reading of such a doubtful word guesses again). A word whose box is about square and a
little taller than the page's text is looked at in the pixels: when its ink is a square
outline (ink along all four sides) it is a check box, empty when the inside is blank, ticked
when a cross, a tick or a fill marks it. Its text becomes ``☐`` or ``☒`` (U+2610, U+2612), as
a form's reader writes them, at full confidence.
"""

from __future__ import annotations

import statistics

from PIL import Image

from .geometry import Line, Word
from .preprocess import ink_mask, otsu

__all__ = ("EMPTY", "TICKED", "restore")

EMPTY = "\u2610"
TICKED = "\u2612"

SQUARE = (0.75, 1.35)
"""Width over height of a check box's ink."""

SIZE = (0.7, 2.5)
"""A check box's height over the page's median word height: a box sits around a letter."""

MAX_CHARS = 4
"""Characters Tesseract makes of a check box at most (``[-]``, ``XX]``, ``LJ``)."""

SIDE = 0.85
"""Share of a side's length its ink must run along: an outline, not a letter's bowl."""

BAND = 0.18
"""Width of each side's band, as a share of the box: the outline's stroke lies in it."""

MARKED = 0.06
"""Share of the inside (the box less a quarter on each side) inked from which it is ticked."""

SOLID = 0.9
"""Inked share of the whole square over which it is a solid bullet, not a check box (a
filled-in box keeps a white ring inside its outline)."""

CONTRAST = 100
"""Grey levels the crop's darkest and lightest pixels must span (2nd to 98th percentile)."""

MAX_CONF = 60.0
"""Confidence (0-100) under which a word may be a check box: Tesseract is never sure of one,
and a sure ``[]`` or ``O`` is the text it looks like."""

REACH = 3.0
"""Text heights left of a word searched for a check box Tesseract made no word of (a ticked
box, whose cross it takes for a picture)."""


def _sides(mask: Image.Image) -> bool:
    """Ink runs along all four sides of ``mask`` (ink 255, cropped to its ink)."""
    w, h = mask.size
    bw, bh = max(1, round(BAND * w)), max(1, round(BAND * h))
    bands = [
        mask.crop((0, 0, bw, h)).resize((1, h), Image.Resampling.BOX),  # left: per row
        mask.crop((w - bw, 0, w, h)).resize((1, h), Image.Resampling.BOX),
        mask.crop((0, 0, w, bh)).resize((w, 1), Image.Resampling.BOX),  # top: per column
        mask.crop((0, h - bh, w, h)).resize((w, 1), Image.Resampling.BOX),
    ]
    for band in bands:
        values = band.tobytes()
        if len(values) - values.count(0) < SIDE * len(values):
            return False
    return True


def mark(img: Image.Image, word: Word) -> str | None:
    """``EMPTY`` or ``TICKED`` when ``word``'s box on ``img`` holds a check box, else ``None``."""
    pad = max(2, round(0.1 * (word.y1 - word.y0)))
    box = _clamp(img, (word.x0 - pad, word.y0 - pad, word.x1 + pad, word.y1 + pad))
    # Grey levels: the thresholds below are lookup tables of 256 entries, one band's worth.
    crop = img.crop(box).convert("L")
    if _spread(crop) < CONTRAST:
        return None  # grain or a scan's noise, whose threshold draws any shape
    level = otsu(crop)
    mask = ink_mask(crop, level)
    tight = mask.getbbox()
    if tight is None:
        return None
    mask = mask.crop(tight)
    w, h = mask.size
    if h < 8 or not SQUARE[0] <= w / h <= SQUARE[1] or not _sides(mask):
        return None
    if sum(mask.histogram()[128:]) > SOLID * w * h:
        return None  # a solid square: a bullet
    inner = mask.crop((w // 4, h // 4, w - w // 4, h - h // 4))
    inked = sum(inner.histogram()[128:]) / max(1, inner.width * inner.height)
    return TICKED if inked >= MARKED else EMPTY


def _clamp(img: Image.Image, box: tuple[int, int, int, int]) -> tuple[int, int, int, int]:
    """``box`` inside ``img``: Pillow fills a crop's part outside the image with black, which
    would read as a square's side."""
    x0, y0, x1, y1 = box
    return max(0, x0), max(0, y0), min(img.width, x1), min(img.height, y1)


def _spread(crop: Image.Image) -> int:
    """Grey levels between the crop's 2nd and 98th percentile: ink on paper spans most of the
    range, grain on paper a fraction of it."""
    hist = crop.histogram()[:256]
    total = sum(hist)
    seen, low, high = 0, None, 0
    for v, n in enumerate(hist):
        seen += n
        if low is None and seen >= 0.02 * total:
            low = v
        if seen <= 0.98 * total:
            high = v
    return high - (low or 0)


def _ink_box(img: Image.Image, region: tuple[int, int, int, int]) -> Word | None:
    """The ink of ``region`` as a word's box, when it holds any on paper."""
    x0, y0, x1, y1 = region = _clamp(img, region)
    if x1 - x0 < 4 or y1 - y0 < 4:
        return None
    crop = img.crop(region).convert("L")
    if _spread(crop) < CONTRAST:
        return None  # blank paper, grain, or a flat fill
    level = otsu(crop)
    tight = ink_mask(crop, level).getbbox()
    if tight is None:
        return None
    return Word("", 0.0, x0 + tight[0], y0 + tight[1], x0 + tight[2], y0 + tight[3])


def restore(img: Image.Image, lines: list[Line]) -> int:
    """Turn the words of ``lines`` that are check boxes into ☐ / ☒, in place. Returns how
    many."""
    heights = [w.y1 - w.y0 for ln in lines for w in ln.words if len(w.text) > 1]
    if not heights:
        return 0
    typical = statistics.median(heights)
    done = 0
    for ln in lines:
        for k, w in enumerate(ln.words):
            h, wd = w.y1 - w.y0, w.x1 - w.x0
            if len(w.text) > MAX_CHARS or w.conf >= MAX_CONF or w.text in (EMPTY, TICKED):
                continue
            if (
                h <= 0
                or not SIZE[0] <= h / typical <= SIZE[1]
                or not SQUARE[0] <= wd / h <= SQUARE[1]
            ):
                continue
            found = mark(img, w)
            if found is not None:
                ln.words[k] = Word(found, 100.0, w.x0, w.y0, w.x1, w.y1)
                done += 1
    for ln in lines:
        done += _unread(img, ln, typical)
    return done


def _unread(img: Image.Image, ln: Line, typical: float) -> int:
    """Put in the check boxes left of ``ln``'s words that Tesseract made no word of: in the
    blank before a word, the ink there is a square outline a little taller than the word."""
    found = 0
    k = 0
    while k < len(ln.words):
        w = ln.words[k]
        h = w.y1 - w.y0
        left = ln.words[k - 1].x1 + 2 if k else w.x0 - round(REACH * typical)
        x0 = max(left, w.x0 - round(REACH * typical), 0)
        if w.text in (EMPTY, TICKED) or w.x0 - x0 < 0.8 * typical or h <= 0:
            k += 1
            continue
        grow = round(0.5 * typical)
        ink = _ink_box(img, (x0, max(0, w.y0 - grow), w.x0 - 2, w.y1 + grow))
        if ink is not None:
            bh, bw = ink.y1 - ink.y0, ink.x1 - ink.x0
            square = SQUARE[0] <= bw / max(1, bh) <= SQUARE[1]
            if square and SIZE[0] <= bh / typical <= SIZE[1]:
                got = mark(img, ink)
                if got is not None:
                    ln.words.insert(k, Word(got, 100.0, ink.x0, ink.y0, ink.x1, ink.y1))
                    found += 1
                    k += 1
        k += 1
    return found
