"""Coloured marks over the print (a rubber stamp, a highlighter's band, a pen's underlines and
ticks) made light as a colour page is turned grey for reading.

The engine reads in grey. By its luminance a red stamp is as dark as the print (a red of
200, 35, 45 is grey 85), and where a ``PAID`` stamp's rings crossed a page's paragraphs
Tesseract took the whole stamp for a picture and dropped the text under and around it. In
colour the two are apart: print is black or grey, the stamp's ink is coloured. So a coloured
part that lies over the print (:data:`OVER_PRINT`: its box holds neutral ink, or print under
it that took its tint) is turned grey by its brightest channel instead, raised to the paper
by the mark's own gain: a red stamp on white paper turns paper, while the black print under
it, dark in every channel, stays black.

Coloured print is not a mark: a red heading or a blue link is a part whose box holds no
black print, and is turned grey as before; so is a coloured glyph that touches the print
(:data:`MIN_SIZE`). Nor is a coloured ground (a photo's table, tinted paper): the paper's own
tint is measured first (:data:`SPREAD` counts over it), and a part over :data:`MAX_AREA` of
the page is left alone, as is a page on a dark ground, whose colours are the print's.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from . import fastops
from .preprocess import otsu_level

__all__ = ("MAX_AREA", "MAX_GAIN", "MAX_PIXELS", "OVER_PRINT", "SPREAD", "grey")

SPREAD = 60
"""Channel spread (brightest less darkest channel) over the paper's own from which a pixel is
coloured: JPEG's colour noise on a grey scan stays under 20."""

OVER_PRINT = 0.02
"""Share of a coloured part's box that is neutral ink (dark in every channel) from which the
part lies over the print."""

UNDER = 0.6
"""A mark's pixel whose brightest channel is under this share of the mark's own is print under
it (a glyph's ink under a highlighter's band)."""

MIN_SIZE = 0.03
"""Share of the page's longer side a mark's box spans at the least (9 mm on A4): a stamp, a
band, a pen's stroke; a coloured glyph that touches the print (read with a few of its
pixels raised, a page moved by 3 edits) is smaller."""

MAX_AREA = 0.15
"""Share of the page a mark covers at the most (a stamp, a band over a few lines)."""

MAX_GAIN = 2.0
"""The most a mark's brightest channel is raised by (a dark blue ink's 130 to the paper)."""

MAX_PIXELS = 25_000_000
"""The largest PDF page rendered in colour for its marks to be found (an A4 page at 600 DPI is
35 megapixels; at 300 DPI, the default, 8.7)."""

MIN_SHARE = 0.0005
"""Share of the page's pixels that must be coloured for the page to be looked at further."""

_BAND = 512
"""Rows of the page worked on at once where marks are lightened."""

_SIDE = 800
"""Long side in pixels of the reduced copy the marks are found on, at the least."""


def grey(img: Image.Image) -> Image.Image:
    """``img`` in mode ``L``; for an RGB page, its coloured marks over the print turned grey by
    their lightest channel (see the module docstring)."""
    if img.mode in ("CMYK", "YCbCr", "P"):
        img = img.convert("RGB")
    plain = img.convert("L")
    if img.mode != "RGB" or min(img.size) < 32:
        return plain
    factor = max(1, max(img.size) // _SIDE)
    # Every factor-th pixel (a mark is large; a reduction of all three channels cost 13 ms).
    size = (max(1, img.width // factor), max(1, img.height // factor))  # a strip 32 px wide
    sample = img.resize(size, Image.Resampling.NEAREST)
    rgb = np.asarray(sample)
    spread = _spread(rgb)
    tint = int(np.median(spread))  # the paper's own colour
    coloured = spread > tint + SPREAD
    if np.count_nonzero(coloured) < MIN_SHARE * coloured.size:
        return plain  # a grey page, in RGB as most scans and photos are: most pages
    lum = np.asarray(sample.convert("L"))
    if np.median(lum) < 128:
        return plain  # light print on a dark ground: its colours are the print's own
    level = otsu_level(np.bincount(lum.ravel(), minlength=256).tolist())
    neutral = (lum <= level) & (spread <= tint + SPREAD // 2)
    brightest = np.maximum(np.maximum(rgb[..., 0], rgb[..., 1]), rgb[..., 2])
    gains = _marks(coloured, neutral, brightest, float(np.median(brightest)))
    if gains is None:
        return plain
    return _lighten(img, plain, gains, tint)


def _marks(
    coloured: np.ndarray, neutral: np.ndarray, brightest: np.ndarray, paper: float
) -> np.ndarray | None:
    """The coloured parts over the print, as a map of the reduced copy's size of the gain each
    part's brightest channel is raised by (0 off the marks); ``None`` when there are none (or
    no OpenCV to find them with).

    A mark's ink is darker in its brightest channel than the paper is (a blue stamp's 170
    against 250), so each part is raised to the paper by a gain of its own, from the
    brightest channel of its pixels (their upper quartile: ink alone, not over the print)."""
    # Grown by a pixel, so a stamp's letters and rings, or a pen stroke broken by the print
    # it crosses, are one part.
    found = fastops.parts(_grown(coloured))
    if found is None:
        return None
    labels, stats = found
    gains = np.zeros(coloured.shape, dtype=np.float32)
    small: list[int] = []
    boxes: list[tuple[int, int, int, int, float]] = []
    for k in range(1, len(stats)):
        x, y, w, h, area = (int(v) for v in stats[k])
        if area > MAX_AREA * coloured.size:
            continue
        if max(w, h) < MIN_SIZE * max(coloured.shape):
            small.append(k)
            continue
        box = (slice(y, y + h), slice(x, x + w))
        part = labels[box] == k
        ink = float(np.percentile(brightest[box][part & coloured[box]], 75))
        # Print in the box: neutral ink beside the mark, or pixels of the mark itself far
        # darker than its ink in every channel (print under a highlighter takes its tint).
        under = part & (brightest[box] < UNDER * ink)
        if np.count_nonzero(neutral[box] | under) < OVER_PRINT * w * h:
            continue  # coloured print, or a mark in the margin: read as it is
        gain = min(MAX_GAIN, max(1.0, paper / max(ink, 1.0)))
        gains[box][part] = gain
        boxes.append((x, y, w, h, gain))
    # A small part inside a mark's box (a stamp's lettering, in its ring) is the mark's too.
    for k in small:
        x, y, w, h, _ = (int(v) for v in stats[k])
        cx, cy = x + w // 2, y + h // 2
        for mx, my, mw, mh, gain in boxes:
            if mx <= cx < mx + mw and my <= cy < my + mh:
                box = (slice(y, y + h), slice(x, x + w))
                gains[box][labels[box] == k] = gain
                break
    return gains if gains.any() else None


def _lighten(img: Image.Image, plain: Image.Image, gains: np.ndarray, tint: int) -> Image.Image:
    """``plain`` with the coloured pixels of ``img`` under the marks (``gains``, a reduced
    copy's map) turned grey by their brightest channel, raised by their mark's gain."""
    # A pixel more round each mark (its soft edge), the gains in hundredths (a byte a pixel
    # at the page's size: a 50-megapixel page's float map would be 200 MB).
    grown = np.round(_grown(gains) * 100).astype(np.uint8)
    ys, xs = np.nonzero(grown)
    sy, sx = img.height / grown.shape[0], img.width / grown.shape[1]
    # The marks' box on the page; the gains scaled up over it alone.
    x0, y0 = int(xs.min() * sx), int(ys.min() * sy)
    x1 = min(img.width, int((xs.max() + 1) * sx))
    y1 = min(img.height, int((ys.max() + 1) * sy))
    small = Image.fromarray(grown[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1])
    gain = np.asarray(small.resize((x1 - x0, y1 - y0), Image.Resampling.NEAREST))
    out = np.array(plain)
    # In bands of rows, so the colour channels' copies stay small on a large page.
    for top in range(y0, y1, _BAND):
        bottom = min(y1, top + _BAND)
        rgb = np.asarray(img.crop((x0, top, x1, bottom)))
        brightest = np.maximum(np.maximum(rgb[..., 0], rgb[..., 1]), rgb[..., 2])
        band = gain[top - y0 : bottom - y0]
        # A coloured pixel (half the spread will do: a mark's soft edge over the paper)
        # under a mark; black print under a stamp is dark in every channel, and stays so.
        lift = (_spread(rgb) > tint + SPREAD // 2) & (band > 0)
        raised = brightest[lift] * (band[lift] / 100.0)
        out[top:bottom, x0:x1][lift] = np.minimum(raised, 255).round().astype(np.uint8)
    return Image.fromarray(out)


def _grown(a: np.ndarray) -> np.ndarray:
    """``a`` grown by a pixel all round (each pixel the greatest of its 3 x 3 neighbours)."""
    out = a.copy()
    out[1:] = np.maximum(out[1:], a[:-1])
    out[:-1] = np.maximum(out[:-1], a[1:])
    rows = out.copy()
    out[:, 1:] = np.maximum(out[:, 1:], rows[:, :-1])
    out[:, :-1] = np.maximum(out[:, :-1], rows[:, 1:])
    return out


def _spread(rgb: np.ndarray) -> np.ndarray:
    """Each pixel's brightest channel less its darkest (by channel, in bytes: numpy's max over
    a last axis of three is ten times slower)."""
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    spread: np.ndarray = np.maximum(np.maximum(r, g), b) - np.minimum(np.minimum(r, g), b)
    return spread
