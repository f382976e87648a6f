"""Punch holes are cleared to paper; discs, rings and dots that are not holes stay
(``ocr/engine/holes.py``, cleared by ``borders.clear``)."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw

from aigateway.ocr.engine import borders, holes
from aigateway.ocr.engine.preprocess import otsu

from ..support.docgen import find_font, font, prose_page

pytestmark = pytest.mark.skipif(find_font("DejaVuSerif.ttf") is None, reason="fonts-dejavu-core")

MM = 300 / 25.4

PROSE = (
    "A sheet from a ring binder, scanned with the lid open, shows its holes as black discs. " * 8
)


def _page() -> Image.Image:
    """An A4 page at 300 DPI of serif prose on a light grey scanned paper."""
    page = prose_page(PROSE)
    return Image.eval(page, lambda v: 30 + v * 205 // 255)


def _disc(img: Image.Image, x: float, y: float, diameter_mm: float, fill: int = 12) -> None:
    r = diameter_mm * MM / 2
    ImageDraw.Draw(img).ellipse((x - r, y - r, x + r, y + r), fill=fill)


def _found(img: Image.Image) -> np.ndarray | None:
    """:func:`holes.find` on ``img``'s ink at Otsu's level, at full size."""
    return holes.find(np.asarray(img) <= otsu(img), 300)


def test_a_plain_page_has_no_holes_and_is_returned_as_it_is() -> None:
    page = _page()
    assert _found(page) is None
    assert borders.clear(page, 300) is page


def test_two_holes_down_the_left_and_two_along_the_top_are_painted_paper() -> None:
    page = _page()
    punched = page.copy()
    h = page.height
    for y in (h / 2 - 40 * MM, h / 2 + 40 * MM):
        _disc(punched, 12 * MM, y, 6)
    for x in (page.width / 2 - 40 * MM, page.width / 2 + 40 * MM):
        _disc(punched, x, 12 * MM, 8)  # a US three-hole punch's larger hole
    cleared = np.asarray(borders.clear(punched, 300)).astype(int)
    plain = np.asarray(page).astype(int)
    # Where the holes were is paper now, and the rest of the page is every pixel as it was.
    assert np.abs(cleared - plain).max() <= 2
    found = _found(punched)
    assert found is not None and found[round(h / 2 - 40 * MM), round(12 * MM)]


def test_a_hole_touching_a_glyph_is_cleared_and_the_glyph_kept() -> None:
    page = _page()
    d = ImageDraw.Draw(page)
    d.text((700, 120), "Chapter", font=font(42, "DejaVuSerif.ttf"), fill=30)
    left = 700 - 3 * MM + 1  # the hole's right side touches the C
    punched = page.copy()
    _disc(punched, left, 12 * MM + 6, 6)
    cleared = np.asarray(borders.clear(punched, 300)).astype(int)
    plain = np.asarray(page).astype(int)
    assert np.abs(cleared[:, :695] - plain[:, :695]).max() <= 2  # the hole is gone
    assert np.array_equal(cleared[:, 720:], plain[:, 720:])  # "hapter" is every pixel


def test_dots_rings_badges_and_squares_are_not_holes() -> None:
    page = _page()
    w, h = page.size
    d = ImageDraw.Draw(page)
    # A bullet at the margin: 2.5 mm.
    _disc(page, 12 * MM, 400, 2.5)
    # A ring: an outlined circle, a big "O".
    r = 3.5 * MM
    d.ellipse((12 * MM - r, 800 - r, 12 * MM + r, 800 + r), outline=12, width=12)
    # A page number in a black disc.
    _disc(page, 12 * MM, 1200, 7)
    d.text((12 * MM - 20, 1200 - 28), "12", font=font(44), fill=240)
    # A black disc with one small light figure in it: what fills it but the figure.
    _disc(page, 12 * MM, 2000, 8)
    d.text((12 * MM - 6, 2000 - 14), "1", font=font(26), fill=240)
    # A filled square mark.
    d.rectangle((120, 1600, 120 + 7 * MM, 1600 + 7 * MM), fill=12)
    # A disc in the middle of the page (a figure's marker), and one cut by the edge.
    _disc(page, w / 2, h / 2, 7)
    _disc(page, 20, 2400, 7)
    # A disc a hand's width in from the edge: no punch puts a hole there.
    _disc(page, w - 40 * MM, 2900, 6)
    assert _found(page) is None


def test_a_dark_mode_page_and_grain_make_no_holes() -> None:
    dark = Image.new("L", (2480, 3508), 30)
    ImageDraw.Draw(dark).text((300, 300), "Settings  Profile", font=font(40), fill=220)
    assert _found(dark) is None
    rng = np.random.default_rng(3)
    grain = Image.fromarray(np.clip(rng.normal(200, 50, (3508, 2480)), 0, 255).astype(np.uint8))
    assert _found(grain) is None
