"""Image clean-ups for pages the recogniser could not read at first (Pillow only).

Tesseract binarises a page with one global threshold; grain or a textured background pushes
whole regions of text under it and the page comes back empty. The ladder in :data:`LADDER` is
tried in order on such pages only, and the reading stops at the first confident one, so clean
pages never pay for it (measured in ``bench/ocr_quality.py``, category ``noisy``).
"""

from __future__ import annotations

import statistics
import weakref
from collections.abc import Callable, Sequence
from typing import cast

from PIL import Image, ImageChops, ImageFilter, ImageOps, ImageStat

from . import fastops

__all__ = (
    "GRAIN_LEVEL",
    "GRAIN_SAMPLES",
    "LADDER",
    "as_gray",
    "blank",
    "flatten",
    "grain_level",
    "grainy",
    "ink_mask",
    "inked_columns",
    "median_level",
    "otsu",
    "otsu_level",
    "page_histogram",
    "paper_spread",
    "reduced",
    "sharpen",
    "smooth_threshold",
    "soften",
    "threshold",
    "uneven",
)

GRAIN_LEVEL = 20.0
"""Mean grey-level change a 3x3 median filter makes to a page sample above which the page is
grainy. Measured on the tune split: grainy pages 29-32; clean, scanned, JPEG-compressed and
low-DPI pages 0.4-13 (text edges change little, isolated noise pixels a lot)."""


def as_gray(img: Image.Image) -> Image.Image:
    """``img`` in mode ``L``: ``img`` itself when it is one (``convert("L")`` copies it, 3 ms
    for an 8-megapixel page, and the measuring passes did so five times a page)."""
    return img if img.mode == "L" else img.convert("L")


_KEPT: dict[object, tuple[weakref.ref[Image.Image], object]] = {}
"""What was worked out from the last page asked about, per kind (:func:`reduced`,
:func:`page_histogram`): the page (a weak reference, by identity: page images are never
changed in place here, a pass that changes one makes a copy) and the result."""


def _forget(ref: weakref.ref[Image.Image]) -> None:
    for key, (kept, _) in list(_KEPT.items()):
        if kept is ref:
            del _KEPT[key]


def _kept(img: Image.Image, key: object, make: Callable[[], object]) -> object:
    """``make()``, or what it gave for ``img`` last time under ``key``; dropped with ``img``."""
    last = _KEPT.get(key)
    if last is not None and last[0]() is img:
        return last[1]
    value = make()
    _KEPT[key] = (weakref.ref(img, _forget), value)
    return value


def reduced(img: Image.Image, factor: int) -> Image.Image:
    """``img.reduce(factor)`` (``img`` itself for 1), kept per factor for the last image
    asked about, to be read, never changed in place: the measuring passes (blank, dark,
    grainy, text height, skew, orientation, leftover ink) each look at the page at a half or
    a quarter, 1-3 ms a copy of an 8-megapixel page. Dropped with the page."""
    if factor <= 1:
        return img
    return cast(Image.Image, _kept(img, ("reduce", factor), lambda: img.reduce(factor)))


def otsu(img: Image.Image) -> int:
    """Otsu's threshold of a grayscale image: the level that best splits ink from paper."""
    return otsu_level(img.histogram()[:256])


def page_histogram(img: Image.Image) -> tuple[int, ...]:
    """``img.histogram()`` of a whole page, kept for the last page asked about (:func:`reduced`).

    Three passes want the whole page's counts (:mod:`.specks`, :mod:`.streaks`, :mod:`.strays`),
    and on a white page Pillow takes 17 ms over each (2480 x 3508 pixels nearly all adding to
    one count), against 4 ms on a grainy one: 2-3 % of a born-digital page's time. Crops and
    reduced copies use ``histogram()`` itself, so they do not push the page out."""
    return cast(tuple[int, ...], _kept(img, "histogram", lambda: tuple(img.histogram())))


def ink_mask(img: Image.Image, level: int) -> Image.Image:
    """``img`` (mode ``L``) as a mask: ink 255, paper 0, ink being every grey level up to *and
    including* ``level``. Otsu's level (:func:`otsu`) is the darker class's last: on a page of
    two grey levels (a fax, a grainy page's clean-up) it is the ink's own, and a pass that
    took only darker pixels for ink saw none."""
    return img.point([255 if v <= level else 0 for v in range(256)])


def otsu_level(hist: Sequence[int]) -> int:
    """:func:`otsu` from a grayscale histogram already taken (256 counts)."""
    total = sum(hist)
    weighted = sum(i * c for i, c in enumerate(hist))
    below = below_sum = 0
    best, level = -1.0, 127
    for i, count in enumerate(hist):
        below += count
        if below == 0:
            continue
        above = total - below
        if above == 0:
            break
        below_sum += i * count
        mean_b = below_sum / below
        mean_a = (weighted - below_sum) / above
        spread = below * above * (mean_b - mean_a) ** 2
        if spread > best:
            best, level = spread, i
    return level


INK = 32
"""Grey levels a pixel must differ from the page's median (its paper) by to count as ink for
:func:`blank`: faint pencil or faded print on white is 40-80 levels off; sensor noise is a few."""

SPECKS = 24
"""Fewer ink pixels than this (at half scale) and the page is blank: one character at 10 pt and
300 DPI is about 75 such pixels; dust and a stray speck are a few each."""


def median_level(hist: list[int]) -> int:
    """The median grey level of a 256-count histogram: a page's paper, most of it being paper."""
    half, seen = sum(hist) / 2, 0
    for level, count in enumerate(hist):
        seen += count
        if seen >= half:
            return level
    return 255


def _histogram(img: Image.Image, factor: int) -> list[int]:
    """``img``'s grey-level histogram, taken at 1/``factor`` scale (the paper's level does not
    need every pixel) unless the image is tiny."""
    small = reduced(img, factor) if min(img.size) >= 64 else img
    return small.histogram()[:256]


def blank(img: Image.Image) -> bool:
    """Whether a grayscale page holds no ink at all (an empty separator page, a blank scan,
    a black frame): nothing to read, so none of the second chances a page that reads empty
    gets (OSD, the clean-up ladder, RapidOCR) is tried. A blank A4 page took 3.2 s that way,
    an A0 one 15 s; this histogram takes milliseconds. Ink either way of the paper counts,
    so white print on a dark page is not blank."""
    hist = _histogram(img, 2)
    paper = median_level(hist)
    ink = sum(hist[: max(0, paper - INK + 1)]) + sum(hist[paper + INK :])
    return ink < SPECKS


DARK = 96
"""A page whose median grey level is below this has dark paper (light print on it)."""


def dark_paper(img: Image.Image) -> bool:
    """Whether most of a grayscale page is dark: light text on a dark ground (a dark-mode
    screenshot, a slide, a negative). Such a page is read inverted: every pass after the
    recogniser (stray glyphs, dropped lines, columns of line numbers, spaces) takes ink to be
    darker than the paper, and on a dark page found the paper itself instead (a dark-mode
    editor's line numbers came back as ``OIRDRHTRWNPH``). A dark bar or panel on a light page
    leaves the median light."""
    return median_level(_histogram(img, 4)) < DARK


GRAIN_SAMPLES = (0.2, 0.35, 0.5, 0.65, 0.8)
"""Where :func:`grainy` samples the page: 512 px squares on its middle column, centred at these
fractions of its height."""

PAPER_BAND = 64
"""Grey levels either side of the page's paper (its median) within which :func:`grainy` counts
a pixel as paper: grain over a solid black figure leaves it black (the change there is nil),
and grain over a grey code box (150 on 200) still counts."""

PAPER_SHARE = 0.25
"""Share of a grain sample that must be paper for the sample to count."""


def grainy(img: Image.Image) -> bool:
    """Cheap check for grain or texture that the first clean-up removes: then it is worth
    running before the first reading, not after it. The median, over five samples
    (:data:`GRAIN_SAMPLES`), of the mean change a 3x3 median filter makes to the sample's
    paper (:data:`PAPER_BAND`); a sample that is mostly ink has no say.

    Why several samples: one from the page's middle missed a grainy page whose middle was a
    grey code box (read as it was, enlarged twice for the grain's specks, 18 s and 806 edits).
    Why paper only: a grainy page whose middle column held a bar chart's black bars, where
    the grain changes nothing, measured 16.8 over whole samples and was read raw by
    Tesseract, which found grain for minutes until the pool's task timeout. Tune split, 24-30
    pages a category: clean pages 0-9.3, grainy ones 28-35 (whole samples: 0-13, 27-34)."""
    w, h = img.size
    x = max(0, w // 2 - 256)
    near = _near_paper(img)
    changes = []
    for at in GRAIN_SAMPLES:
        y = max(0, min(h - 512, round(h * at) - 256))
        sample = img.crop((x, y, min(w, x + 512), min(h, y + 512)))
        smooth = fastops.median3(sample)
        paper = smooth.point(near)
        if ImageStat.Stat(paper).mean[0] < 255 * PAPER_SHARE:
            continue
        change = ImageChops.difference(sample, smooth)
        changes.append(float(ImageStat.Stat(change, paper).mean[0]))
    return bool(changes) and statistics.median(changes) > GRAIN_LEVEL


def _near_paper(img: Image.Image) -> list[int]:
    """A lookup table marking the grey levels within :data:`PAPER_BAND` of ``img``'s median."""
    paper = median_level(_histogram(img, 4))
    return [255 if abs(v - paper) <= PAPER_BAND else 0 for v in range(256)]


def inked_columns(mask: Image.Image) -> list[bool]:
    """Which columns of ``mask`` (mode ``L``, ink non-zero) hold any ink: one box-filtered row
    in C rather than a scan of every pixel in Python."""
    if mask.width < 1 or mask.height < 1:
        return []
    return [v > 0 for v in mask.resize((mask.width, 1), Image.Resampling.BOX).tobytes()]


def sharpen(img: Image.Image) -> Image.Image:
    """An unsharp mask (radius 2 px, 80 %): blurred glyph edges steepened for Tesseract."""
    return fastops.unsharp(img, 2, 80)


SOFTEN_RADIUS = 1.2
"""Gaussian radius (px) of :func:`soften`. Tune split, 24 faxes (about 200 DPI): 2572 edits
read as they are, 2547, 2496, 2478, 2451, 2489 and 4392 softened by 0.4, 0.8, 1.0, 1.2, 1.5
and 2; 24 born-digital pages thresholded to black and white at 300 DPI: 215 as they are, 211,
191 and 214 at 0.8, 1.2 and 1.8."""


def soften(img: Image.Image) -> Image.Image:
    """A bilevel page (a fax, a 1-bit scan) with its staircase glyph edges blurred into grey
    (Gaussian, :data:`SOFTEN_RADIUS`). Tesseract's line recogniser reads the grey image, and
    was trained on rendered, anti-aliased glyphs. Not for a clean-up (:data:`LADDER`), whose
    thresholded edges read worse softened (tune grainy pages 1169 to 1212 edits)."""
    return img.filter(ImageFilter.GaussianBlur(SOFTEN_RADIUS))


def threshold(img: Image.Image) -> Image.Image:
    """Otsu's global threshold: ink black, paper white."""
    return _binarise(img, otsu(img))


def _binarise(img: Image.Image, level: int) -> Image.Image:
    """``img`` with every grey level up to ``level`` black (ink), the rest white."""
    return img.point([255 if v > level else 0 for v in range(256)])


def smooth_threshold(img: Image.Image, radius: float = 1) -> Image.Image:
    """Box blur (averages grain away: ink stays dark, textured paper turns an even grey),
    then a threshold at :func:`grain_level`. On the tune split's grainy pages it read better
    than a 3x3 median (micro CER 0.022 against 0.029) at a thirtieth of the cost (a box blur
    is separable; a median sorts every neighbourhood)."""
    smooth = img.filter(ImageFilter.BoxBlur(radius))
    return _binarise(smooth, grain_level(smooth.histogram()[:256]))


GRAIN_SIGMAS = 6.0
"""How many of the smoothed paper's spreads (:func:`paper_spread`) a grey level must lie below
the paper to be ink whatever Otsu says: grain that survived the blur is spread about the
paper's level, and six spreads below it there is none left. Otsu's level sinks when a page
holds much black (a figure, a bold listing), and then took light grey print for paper: a
listing's syntax-coloured strings and comments were lost. Tune split, 24 grainy pages: 1066
edits with Otsu's level alone; 970, 983, 944, 1009 and 1073 with the floor at 5, 5.5, 6, 6.5
and 7 spreads (the grey listing: 273 to 174 edits). The other eight categories, 14 pages
each, read the same (clean pages' paper does not spread: :data:`GRAIN_SPREAD`)."""

GRAIN_CEILING = 4.5
"""How many spreads below the paper a smoothed grainy page's ink level stays at least: on a
page with little ink (a listing's short lines, wide margins) Otsu's two classes are the grain's
own dark and light halves, and its level fell within one spread of the paper (195 with the
paper at 203 and a spread of 11); the clean-up kept a speck of every other grain clump, and
Tesseract read the listing's line numbers as a column apart from its code, or nothing at all.
Thirty extra grainy pages of the tune sources, 3912 edits with no ceiling; 3932, 3841, 3489,
3274 and 3372 with it at 3, 3.5, 4, 4.5 and 5 spreads (5 lost dots and thin strokes on pages
that read well: small losses on twelve). The tune split 6214 to 6208 (two grainy pages), the
``more`` split's grainy pages 4235 to 2199, at less time (the specks were Tesseract's work)."""

GRAIN_SPREAD = 4.0
"""A smoothed page whose paper spreads less than this many grey levels has no grain to stand
clear of (clean paper is one level): Otsu's level is kept as it is."""


def paper_spread(hist: list[int], ink: int) -> tuple[int, float]:
    """The paper's grey level (the commonest level lighter than ``ink``, Otsu's level: a big
    black figure can outnumber it, and it pulled the median into the paper's darker half) and
    its spread, measured on the side away from the ink: the mean distance above the paper
    over 0.798, which is a normal spread's (a continuous figure; a quartile moves in whole
    grey levels)."""
    paper = max(range(ink + 1, 256), key=lambda i: hist[i], default=255)
    above = hist[paper:]
    count = sum(above)
    spread = sum(i * c for i, c in enumerate(above)) / count / 0.798 if count else 0.0
    return paper, spread


def grain_level(hist: list[int]) -> int:
    """The ink level of a smoothed page: Otsu's, kept between :data:`GRAIN_SIGMAS` spreads
    below the paper (raised there when a big black figure sinks it) and
    :data:`GRAIN_CEILING` spreads (lowered there when it splits the grain itself), never up
    to the paper itself."""
    level = otsu_level(hist)
    paper, spread = paper_spread(hist, level)
    if spread < GRAIN_SPREAD:
        return level
    level = min(level, int(paper - GRAIN_CEILING * spread))
    return max(level, min(int(paper - GRAIN_SIGMAS * spread), paper - 1))


def _background(img: Image.Image) -> Image.Image:
    """The paper's brightness across the page, at 1/8 scale: a max filter over 40 px takes
    the ink (darker than paper) away."""
    w, h = img.size
    small = img.resize((max(1, w // 8), max(1, h // 8)), Image.Resampling.BOX)
    return small.filter(ImageFilter.MaxFilter(5)).filter(ImageFilter.GaussianBlur(2))


def flatten(img: Image.Image) -> Image.Image:
    """Even out a background that changes across the page (shadows, stains, gradients).

    The background (:func:`_background`) is subtracted; the paper becomes white everywhere.
    """
    return ImageOps.invert(ImageChops.subtract(_background(img).resize(img.size), img))


UNEVEN = 64
"""Grey levels between the darkest and brightest tenth of a page's paper (:func:`uneven`)
above which it is flattened before it is read."""


def _paper(img: Image.Image) -> Image.Image:
    """The paper's brightness for :func:`uneven`, at 1/8 scale: the brightest pixel of each
    5 x 5 neighbourhood (40 px on the page, wider than a glyph), taken by shifting copies
    against each other (a separable max; Pillow's rank filter took 29 ms of the 38 a page
    cost). The border loses 4 px, which no lighting changes within."""
    out = img.reduce(8) if min(img.size) >= 80 else img
    for axis in (0, 1):
        for _ in range(2):
            w, h = out.size
            if (w, h)[axis] < 3:
                return out
            a = out.crop((1, 0, w, h) if axis == 0 else (0, 1, w, h))
            b = out.crop((0, 0, w - 1, h) if axis == 0 else (0, 0, w, h - 1))
            out = ImageChops.lighter(a, b)
    return out


def uneven(img: Image.Image) -> bool:
    """Whether the paper's brightness changes across the page by more than :data:`UNEVEN`
    levels (the 10th to the 90th percentile of :func:`_paper`): a page photographed
    under a lamp, or in a shadow. Tesseract binarises with one global threshold, so the dark
    part of such a page turns black and is lost, while the rest reads with confidence and
    raises no doubt: a page lit from 110 at the top to 255 at the bottom lost its top 13 of
    32 lines."""
    if min(img.size) < 64:
        return False
    hist = _paper(img).histogram()[:256]
    total, seen = sum(hist), 0
    low = high = 0
    for level, count in enumerate(hist):
        seen += count
        if seen <= total // 10:
            low = level
        if seen < total * 9 // 10:
            high = level + 1
    return high - low > UNEVEN


LADDER: tuple[tuple[str, Callable[[Image.Image], Image.Image]], ...] = (
    ("smooth", smooth_threshold),
    ("smooth2", lambda img: smooth_threshold(img, 2)),
    ("flatten", lambda img: smooth_threshold(flatten(img))),
)
"""Clean-ups for a doubtful page, cheapest first."""
