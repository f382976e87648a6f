"""A grey stamp's rings are cleared between the lines of print, and no glyph loses ink
(``ocr/engine/rings.py``, cleared by ``borders.clear``)."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageChops, ImageDraw

from aigateway.ocr.engine import borders, rings
from aigateway.ocr.engine.preprocess import otsu

from ..support.docgen import find_font, prose_page

pytestmark = pytest.mark.skipif(find_font("DejaVuSerif.ttf") is None, reason="fonts-dejavu-core")

PROSE = (
    "A stamp pressed over a paragraph draws two rings through its lines, as dark as the print "
    "once the page is scanned in grey. "
) * 10

CENTRE = (1500, 1100)


def _page() -> Image.Image:
    """An A4 page at 300 DPI of serif prose."""
    return prose_page(PROSE)


def _stamped(page: Image.Image, grey: int = 100) -> Image.Image:
    """``page`` with a round stamp's two rings (45 and 38 mm across) multiplied over it."""
    layer = Image.new("L", page.size, 255)
    draw = ImageDraw.Draw(layer)
    cx, cy = CENTRE
    for r, width in ((265, 14), (225, 6)):
        draw.ellipse((cx - r, cy - r, cx + r, cy + r), outline=grey, width=width)
    return ImageChops.multiply(page, layer)


def _band(size: tuple[int, int]) -> np.ndarray:
    """The rings' pixels as a mask of a page of ``size``, 12 px wider either side: the clearing
    is decided on the quarter-size mask, a pixel and a half past the ring's edge."""
    yy, xx = np.mgrid[0 : size[1], 0 : size[0]]
    d = np.hypot(xx - CENTRE[0], yy - CENTRE[1])
    return ((d >= 265 - 14 - 12) & (d <= 265 + 12)) | ((d >= 225 - 6 - 12) & (d <= 225 + 12))


def test_a_plain_page_has_no_rings_and_is_returned_as_it_is() -> None:
    page = _page()
    _small, dark, factor = borders._dark(page)
    assert rings.find(dark, 300 / factor) is None
    assert borders.clear(page, 300) is page


def test_the_rings_go_between_the_lines_and_every_glyph_keeps_its_ink() -> None:
    page = _page()
    stamped = _stamped(page)
    cleared = np.asarray(borders.clear(stamped, 300)).astype(int)
    plain = np.asarray(page).astype(int)
    band = _band(page.size)
    ring_ink = band & (np.asarray(stamped) < 160) & (plain > 200)
    # Most of the rings' ink is paper now: broken into arcs, they no longer join the lines.
    assert (cleared[ring_ink] > 200).mean() > 0.4
    # Nothing outside the rings changed, and no glyph pixel the rings crossed became paper.
    assert np.array_equal(cleared[~band], np.asarray(stamped).astype(int)[~band])
    glyphs = band & (plain < otsu(page))
    assert glyphs.sum() > 500
    assert (cleared[glyphs] > 200).mean() < 0.01


@pytest.mark.parametrize("size", [(64, 64), (640, 90), (90, 3000), (700, 700)])
def test_small_and_narrow_pages_with_a_ring_larger_than_them_are_read(
    size: tuple[int, int],
) -> None:
    page = Image.new("L", size, 235)
    r = max(size)
    ImageDraw.Draw(page).ellipse((-r // 2, -r // 2, r, r), outline=90, width=12)
    out = borders.clear(page, 300)
    assert out.size == size
