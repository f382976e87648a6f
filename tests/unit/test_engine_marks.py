"""Coloured marks over the print (a stamp, a highlighter, a pen) are made light as a colour
page is turned grey; coloured print and grey pages are turned grey as before
(``ocr/engine/marks.py``)."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageChops, ImageDraw, ImageFilter

from aigateway.ocr.engine import marks

from ..support.docgen import find_font, font, prose_page, render_text

pytestmark = pytest.mark.skipif(find_font("DejaVuSerif.ttf") is None, reason="fonts-dejavu-core")

PROSE = "An invoice stamped as paid once the money came in, and filed with the others. " * 16


def _page() -> Image.Image:
    """Half an A4 page at 300 DPI of serif prose, in grey."""
    return prose_page(PROSE, margin=250, height=1754)


def _stamped(page: Image.Image, rgb: tuple[int, int, int]) -> Image.Image:
    """``page`` in colour with a round ``PAID`` stamp in ``rgb`` pressed over its prose."""
    layer = Image.new("RGB", page.size, (255, 255, 255))
    d = ImageDraw.Draw(layer)
    cx, cy, r = 1500, 700, 260
    d.ellipse((cx - r, cy - r, cx + r, cy + r), outline=rgb, width=14)
    d.ellipse((cx - r + 40, cy - r + 40, cx + r - 40, cy + r - 40), outline=rgb, width=6)
    d.text((cx - 200, cy - 50), "PAID", font=font(90, "DejaVuSans-Bold.ttf"), fill=rgb)
    layer = layer.rotate(15, fillcolor=(255, 255, 255), center=(cx, cy))
    return ImageChops.multiply(page.convert("RGB"), layer.filter(ImageFilter.GaussianBlur(0.8)))


def _far(a: Image.Image, b: Image.Image) -> int:
    """Pixels of two grey pages more than 60 levels apart."""
    return int((np.abs(np.asarray(a).astype(int) - np.asarray(b).astype(int)) > 60).sum())


@pytest.mark.parametrize("rgb", [(200, 35, 45), (40, 60, 170)], ids=["red", "blue"])
def test_a_stamp_over_the_print_is_made_light_and_the_print_under_it_kept(
    rgb: tuple[int, int, int],
) -> None:
    page = _page()
    stamped = _stamped(page, rgb)
    assert _far(stamped.convert("L"), page) > 20000  # by its luminance, as dark as print
    grey = marks.grey(stamped)
    # Nearly every pixel is within 60 levels of the page without the stamp: the stamp's ink
    # is paper, the glyphs it crossed are as dark as they were.
    assert _far(grey, page) < 100


def test_a_highlighters_band_over_a_line_is_made_paper() -> None:
    page = _page()
    layer = Image.new("RGB", page.size, (255, 255, 255))
    ImageDraw.Draw(layer).rectangle((240, 300, 2200, 360), fill=(150, 240, 130))
    marked = ImageChops.multiply(page.convert("RGB"), layer)
    grey = np.asarray(marks.grey(marked)).astype(int)
    band = grey[300:360, 240:2200]
    assert np.median(band) >= 250  # the band's paper is white again
    assert _far(Image.fromarray(grey.astype(np.uint8)), page) == 0


def test_coloured_print_is_read_as_print() -> None:
    # A heading in red and a line in blue, not over other print: turned grey by luminance,
    # as dark as the rest of the text.
    page = render_text(
        "Red heading\n\nBlue line of text\n\n" + PROSE,
        width=2480,
        size=42,
        margin=250,
        font_name="DejaVuSerif.ttf",
        min_height=1754,
    )
    rgb = np.asarray(page.convert("RGB")).copy()
    for (y0, y1), colour in zip(
        ((240, 310), (370, 440)), ((190, 20, 30), (20, 40, 170)), strict=True
    ):
        k = rgb[y0:y1, ..., :1].astype(float) / 255
        rgb[y0:y1] = (255 - (255 - np.array(colour)) * (1 - k)).astype(np.uint8)
    coloured = Image.fromarray(rgb)
    assert _far(marks.grey(coloured), coloured.convert("L")) == 0
    assert np.asarray(marks.grey(coloured))[240:440].min() < 80


def test_a_grey_page_in_rgb_is_its_luminance() -> None:
    page = _page()
    rgb = page.convert("RGB")
    assert np.array_equal(np.asarray(marks.grey(rgb)), np.asarray(page))
    assert marks.grey(page).mode == "L"


@pytest.mark.parametrize("size", [(32, 30000), (30000, 32), (40, 40000)])
def test_a_long_thin_colour_image_is_turned_grey(size: tuple[int, int]) -> None:
    # Sampled every 37th pixel, a strip 32 px wide had no column left (a ValueError, a 500).
    rgb = np.random.default_rng(0).integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)
    grey = marks.grey(Image.fromarray(rgb))
    assert grey.mode == "L"
    assert grey.size == size
