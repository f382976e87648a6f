"""Text on a mid-tone panel, blacked out by the page's one threshold, read from the panel alone.

Tesseract binarises a page with one global threshold. A panel darker than that threshold (a
mid-grey or teal box, a banner, a dark-mode screen's button once the page is inverted) turns
black whole, and dark text on it with it: Tesseract sees a picture there, and the words are
lost with no low confidence to show for it. (Light text on a dark panel is not lost: the
panel's glyph-shaped holes read as inverted text.) :mod:`.dropped` looks for ink no word
covers, but a slab of ink is not text-shaped, so it is not looked at there.

Here the page is cut into cells a quarter of a text height wide, and the cells the threshold
blacks out whole are found. An 8-connected run of them that fills most of its box, a box big
enough for a line of text, is a panel. A panel
whose own pixels are mostly one flat grey with a second, clearly different one in text's
proportions (not a black bar, not a photograph's texture) is cropped and thresholded on its
own: read in single-block mode (its text made dark on light first), its reading replaces what
was read inside it when it is confident and holds more confident text (Tesseract reads light
text on a dark panel, or part of it, as inverted text already).
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence

from PIL import Image, ImageOps

from .dropped import put_back, read_crop
from .geometry import Line
from .ink import SHADE, components, median_level
from .preprocess import ink_mask, otsu

__all__ = ("find", "recover")

Box = tuple[int, int, int, int]

CELLS = 4
"""Cells per text height: finer than any panel's margin, coarser than a body glyph's stroke."""

FILL = 0.85
"""Share of a panel's box its blacked-out cells fill: a filled box, not a picture's shadows."""

MIN_HEIGHT = 1.2
"""Text heights a panel is tall at least: it holds a line."""

MIN_WIDTH = 4.0
"""Text heights a panel is wide at least: it holds a word or two."""

MAX_AREA = 0.5
"""Share of the page a panel covers at most (a dark page is inverted before it is read)."""

CONTRAST = 60
"""Grey levels between a panel's own colour and its text's."""

FLAT = 12
"""Grey levels either side of a panel's colour its flat part spans (noise, JPEG ringing)."""

PANEL_SHARE = 0.5
"""Share of a panel's pixels in its flat colour: text covers less than half of it."""

TEXT_SHARE = (0.003, 0.45)
"""Share of a panel's pixels its text covers: fewer is a speck (a word in a wide banner covers
1-2 %), more is not a panel."""

MAX_PANELS = 4
"""Panels read on one page at most (the largest first): bounds the pass's time."""


def _text_share(crop: Image.Image) -> tuple[float, int, bool]:
    """(share of the crop's pixels at least :data:`CONTRAST` levels off its commonest grey,
    that grey, whether most of those are lighter); a share of 0 when the crop is not one flat
    colour for the most part (a photograph's texture, a gradient)."""
    hist = crop.histogram()[:256]
    # The panel's colour: the fullest window of 9 levels (JPEG noise spreads one colour).
    sums = [sum(hist[max(0, v - 4) : v + 5]) for v in range(256)]
    paper = max(range(256), key=lambda v: sums[v])
    total = max(1, sum(hist))
    if sum(hist[max(0, paper - FLAT) : paper + FLAT + 1]) < PANEL_SHARE * total:
        return 0.0, paper, False
    darker = sum(hist[: max(0, paper - CONTRAST + 1)])
    lighter = sum(hist[paper + CONTRAST :])
    return (darker + lighter) / total, paper, lighter > darker


def find(img: Image.Image, height: float) -> list[Box]:
    """Boxes (pixels) of the page's panels holding text, largest first (at most
    :data:`MAX_PANELS`); ``height``: the page's text height."""
    import numpy as np

    # Reduced while a cell stays 2 px or more: a tenth of the time, the same panels.
    half = next((f for f in (4, 2) if height >= 2 * f * CELLS and min(img.size) >= 100 * f), 1)
    cell = max(2, round(height / CELLS / half))
    small = img.reduce(half) if half > 1 else img
    if min(small.size) < cell * 4:
        return []
    level = otsu(small)
    mask = ink_mask(small, level)
    grid = np.asarray(mask.reduce(cell)) >= 250  # every pixel of the cell is ink
    cell *= half
    if not grid.any():
        return []
    page = img.width * img.height
    hist = small.histogram()[:256]
    paper = max(range(256), key=lambda v: hist[v])
    found: list[tuple[int, Box]] = []
    for x0, y0, x1, y1 in components(grid):
        box = (x0 * cell, y0 * cell, min(img.width, x1 * cell), min(img.height, y1 * cell))
        w, h = box[2] - box[0], box[3] - box[1]
        if h < MIN_HEIGHT * height or w < MIN_WIDTH * height or w * h > MAX_AREA * page:
            continue
        if grid[y0:y1, x0:x1].mean() < FILL:
            continue
        share, _, _ = _text_share(img.crop(box))
        if not TEXT_SHARE[0] <= share <= TEXT_SHARE[1]:
            continue
        if _in_figure(img, box, height, paper):
            continue  # a box in a shaded figure: its labels are the figure's (as dropped.py)
        found.append((w * h, box))
    return [box for _, box in sorted(found, reverse=True)[:MAX_PANELS]]


def _in_figure(img: Image.Image, box: Box, height: float, paper: int) -> bool:
    """The ring a text height wide around ``box`` is, for the most part, clearly darker than
    the page's paper: the box stands in a shaded figure."""
    reach = round(height)
    outer = (
        max(0, box[0] - reach),
        max(0, box[1] - reach),
        min(img.width, box[2] + reach),
        min(img.height, box[3] + reach),
    )
    ring = [
        a - b for a, b in zip(img.crop(outer).histogram(), img.crop(box).histogram(), strict=True)
    ]
    middle = median_level(ring[:256])
    return middle is not None and paper - middle > SHADE


def _prepared(crop: Image.Image, height: float) -> tuple[Image.Image, int]:
    """The panel's crop as black text on white paper, framed in white (Tesseract reads a line
    that touches the image's edge badly), and the frame's width.

    Which side the text is on, and where the paper ends, are told by the panel's own grey and
    the text's pixels, not left to a threshold of Tesseract's: with text a few percent of the
    pixels, Otsu's level splits the panel's own noise instead. The text's mean grey becomes
    black, the panel's flat part white, the glyphs' soft edges stay grey in between."""
    _, paper, light = _text_share(crop)
    if light:
        crop = ImageOps.invert(crop)
        paper = 255 - paper
    hist = crop.histogram()[:256]
    ink = hist[: max(0, paper - CONTRAST + 1)]
    low = round(sum(v * n for v, n in enumerate(ink)) / max(1, sum(ink)))
    high = max(low + 1, paper - FLAT)
    lut = [min(255, max(0, round(255 * (v - low) / (high - low)))) for v in range(256)]
    pad = max(2, round(0.5 * height))
    return ImageOps.expand(crop.point(lut), border=pad, fill=255), pad


def recover(
    img: Image.Image,
    lines: list[Line],
    dpi: int,
    languages: Sequence[str],
    scale: float = 1.0,
) -> int:
    """Read the panels of ``lines``' page ``img`` (the module docstring) and put their text in,
    in place. ``scale``: the factor the page was read at. Returns how many panels were read."""
    read = [ln for ln in lines if ln.words]
    if not read:
        return 0
    height = float(statistics.median(ln.height for ln in read))
    done = 0
    for box in find(img, height):
        framed, pad = _prepared(img.crop(box), height)
        new = read_crop(framed, (box[0] - pad, box[1] - pad), dpi, languages, scale)
        # Kept only when it adds text: Tesseract reads light text on a dark panel (or part
        # of it) as inverted text already, and a picture's texture as unsure glyphs.
        done += put_back(lines, box, new)
    return done
