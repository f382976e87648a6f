"""How tall a page's text is, in pixels, before it is read; and the scale Tesseract reads it at.

Tesseract's page analysis (binarisation, connected components, line finding) costs time in
proportion to the pixels, while its line recogniser rescales every line to a fixed height
anyway: a page whose text is much taller than needed is read slower, and no better. On the
bench corpus's tune split (:mod:`bench.corpus`; born-digital and scanned pages at 300 DPI,
whose text lines are 40-50 px tall) Tesseract read pages shrunk to 0.6-0.67 of their size
with 5-8 % fewer edits in 66-80 % of the time; at 0.5 the edits rose by 40 %. But on the
report split's degraded pages (blurred scans, cleaned grain, levelled skew) shrinking made
the reading worse, so by default (``rescale = "auto"``) the engine shrinks only pages whose
glyphs are crisp (:func:`crisp`) and that it did not level; ``"both"`` shrinks any. Small
text is always enlarged (except with ``"off"``): pages rendered at 150 DPI (text lines
16-18 px) read with 35 % fewer edits from a copy enlarged towards :data:`TARGET` (report
split: micro CER 0.058 to 0.050).

The height is measured from pixels, not from the DPI a file claims (scans often have none, and
text comes in every size): on a thresholded copy at half size, cut into vertical strips so
that columns whose lines do not align are measured apart, every run of rows holding ink is a
text line's extent, ascenders to descenders. Their median is the page's text height.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass

from PIL import Image

from .preprocess import as_gray, otsu, reduced

__all__ = (
    "CRISP",
    "LINE_PT",
    "MAX_LINE_PT",
    "MAX_SCALE",
    "MAX_SHEET_IN",
    "MIN_LINE_PT",
    "MIN_SCALE",
    "TARGET",
    "TINY_LINE_PT",
    "Edges",
    "bilevel",
    "checked_dpi",
    "crisp",
    "edges",
    "read_scale",
    "scale_for",
    "text_height",
    "told_dpi",
)

TARGET = 26.0
"""Text line height (px, ascenders to descenders) a page is shrunk towards before Tesseract."""

MIN_SCALE = 0.55
"""Never shrink below this: under it the recogniser loses detail on small print."""

MAX_SCALE = 2.0
"""Never enlarge beyond this: tiny print gains little more, and the pixels cost time."""

MAX_PIXELS = 40_000_000
"""An enlarged copy stays under this many pixels (and Tesseract's 32,767 px per side)."""

CRISP = 0.7
"""Grey edge pixels per dark ink pixel under which a page's glyphs are crisp (see :func:`crisp`)."""

_STRIPS = 4
_MIN_RUNS = 8
"""Fewer measured lines than this: no estimate (a page with a handful of words, a picture)."""


TINY_LINE_PT = 3.5
"""Text lines (ascenders to descenders) of an untagged image that measure less than this many
points at the resolution it is read as are screen print, not print (:func:`told_dpi`)."""

MIN_LINE_PT = 7.0
"""And Tesseract is told a resolution at which such lines measure this many points."""


def told_dpi(dpi: float, height: float) -> int:
    """The resolution to tell Tesseract for an image read as ``dpi`` without a DPI tag to
    say so, whose text lines are ``height`` px tall (:func:`text_height`): ``dpi``, unless
    those lines measure under :data:`TINY_LINE_PT` at it; then one at which they measure
    :data:`MIN_LINE_PT`.

    Tesseract's layout analysis sizes text and noise by the resolution it is told. An untagged
    image is read as 300 DPI, and a screenshot's 11-13 px text (an 8-10 pt font on a screen)
    then measures 2-3 pt: Tesseract cut its lines into fragments, dropped runs of words
    without a word of doubt and put the rest out of order (a 1440 x 140 px screenshot of six
    lines of 11 px monospace: 50 edits told 200 DPI or less, 446 told 300, 786 told 600).
    Lines of 3.5 pt and more keep the guess: a web page's 20 px article (lines of 18 px, 4.3 pt
    at 300 DPI) told 226 DPI had its sidebar read into the middle of the article. A page whose
    DPI is known keeps it whatever its print: small print at its true resolution read as well
    or better told so (bench corpus, a grainy page of 4 pt lines).
    """
    if height * 72.0 / max(1.0, dpi) >= TINY_LINE_PT:
        return max(1, round(dpi))
    return max(1, min(round(dpi), round(height * 72.0 / MIN_LINE_PT)))


MAX_SHEET_IN = 20.0
"""An image whose long side measures more than this many inches at its DPI tag is larger than
any sheet a scanner takes (A3 is 16.5 in, tabloid 17): its tag is checked (:func:`checked_dpi`)."""

MAX_LINE_PT = 14.0
"""And its tag is not believed when its text lines measure more than this many points at it."""

LINE_PT = 9.0
"""Points a page's text lines (:func:`text_height`) measure, taken to estimate a resolution: on
the bench corpus's born-digital and scanned pages, 7.7-10.1 at their true DPI."""


def checked_dpi(img: Image.Image, dpi: int) -> int:
    """``img``'s DPI tag ``dpi`` (0: none) if it can be believed; if not, the resolution its
    text says (lines of :data:`LINE_PT`), or 0 when there is no text to say.

    Cameras, phones, image editors and many converters write 72 (or 96) DPI whatever the
    pixels hold: a page scanned or rendered at 300 DPI and saved so measures 34 x 49 inches,
    its body text 40-50 pt. Believed, that tag tells Tesseract and every pass that measures in
    millimetres (specks, borders, holes, rings, creases) a resolution four times too coarse.
    A tag is not believed when the image measures more than :data:`MAX_SHEET_IN` on its long
    side at it *and* its text lines more than :data:`MAX_LINE_PT`: no paper is that large, and
    no document's body text that tall. Either alone is real (a slide at 96 DPI has 28 pt text
    on a 13 in page; a poster is large), and only the size check, which costs nothing, is made
    on every tagged image.
    """
    if not dpi or max(img.size) <= MAX_SHEET_IN * dpi:
        return dpi
    height = text_height(img)
    if height is None or height * 72.0 / dpi <= MAX_LINE_PT:
        return dpi
    return max(1, round(height * 72.0 / LINE_PT))


def text_height(img: Image.Image) -> float | None:
    """Median height in pixels of the page's text lines, or ``None`` when it cannot tell."""
    gray = as_gray(img)
    if min(gray.size) < 64:
        return None
    factor = 2 if min(gray.size) >= 400 else 1
    small = reduced(gray, factor)
    level = otsu(small)
    bw = small.point(lambda v: 255 if v < level else 0)  # ink white: row sums count ink
    w, h = bw.size
    runs: list[int] = []
    step = max(1, w // _STRIPS)
    for x in range(0, w - step + 1, step):
        strip = bw.crop((x, 0, x + step, h))
        # Mean ink per row; a row holds ink when a few pixels of it are dark.
        rows = strip.resize((1, h), Image.Resampling.BOX).tobytes()
        floor = max(1, 255 * 2 // step)
        run = 0
        for value in rows:
            if value >= floor:
                run += 1
            elif run:
                runs.append(run)
                run = 0
    # Runs of one or two rows are rules, specks and dots, not lines of text.
    runs = [r for r in runs if r >= 3]
    if len(runs) < _MIN_RUNS:
        return None
    return float(statistics.median(runs) * factor)


@dataclass(frozen=True)
class Edges:
    """Dark (under 64) and grey (64-191) pixels in the middle half of a page: what its glyphs'
    edges are like (:func:`edges`)."""

    dark: int
    grey: int

    @property
    def crisp(self) -> bool:
        """Sharp edges: few grey pixels for each dark one.

        A page rendered from a PDF, or printed text photographed well, has anti-aliased edges
        one pixel wide: 0.37-0.61 grey pixels per dark one (bench corpus, tune split,
        born-digital and rotated pages). Blur, JPEG ringing, grain and a resampled rotation
        widen the edges: scans give 0.85-2.8, grainy pages 3.5 and more. A bilevel page (no
        grey at all) is not crisp either: its glyph edges are already ragged (a fax, a page
        this engine cleaned of grain). (A clean-up of grain is read shrunk all the same, by
        the reader's own choice: measured there.) Only crisp glyphs
        survive shrinking, which is why ``rescale = "auto"`` shrinks nothing else."""
        return self.dark > 0 and 0.1 * self.dark <= self.grey < CRISP * self.dark

    @property
    def bilevel(self) -> bool:
        """No edges to sharpen: ink and no grey at all (a fax, a 1-bit scan)."""
        return self.dark > 0 and self.grey == 0


def edges(img: Image.Image) -> Edges:
    """:class:`Edges` of ``img``, from one histogram of its middle half."""
    gray = as_gray(img)
    w, h = gray.size
    hist = gray.crop((w // 4, h // 4, w - w // 4, h - h // 4)).histogram()
    return Edges(sum(hist[:64]), sum(hist[64:192]))


def bilevel(img: Image.Image) -> bool:
    """Whether the page's glyphs have no edges to sharpen (:attr:`Edges.bilevel`)."""
    return edges(img).bilevel


def crisp(img: Image.Image) -> bool:
    """Whether the page's glyphs have sharp edges (:attr:`Edges.crisp`)."""
    return edges(img).crisp


def read_scale(img: Image.Image) -> float:
    """The factor to resize ``img`` by before Tesseract reads it, towards :data:`TARGET`.

    1.0 when the text height cannot be measured or is already close (a resampled copy costs
    time and softens the glyphs for nothing).
    """
    return scale_for(img, text_height(img))


def scale_for(img: Image.Image, height: float | None) -> float:
    """:func:`read_scale` for ``img`` whose :func:`text_height` is already measured as
    ``height`` (``None``: it could not be)."""
    if height is None:
        return 1.0
    scale = TARGET / height
    if 0.9 <= scale <= 1.18:
        return 1.0
    if scale < 1.0:
        return max(MIN_SCALE, scale)
    side = 32_000 / max(img.size)
    area = math.sqrt(MAX_PIXELS / max(1, img.width * img.height))
    return max(1.0, min(MAX_SCALE, scale, side, area))
