"""``∞`` read as ``oo`` or ``00`` is given back (``infinity.restore``).

Each test draws real glyphs (DejaVu Sans, which has ``∞``) and hands ``restore`` the words
Tesseract would read, boxed to their ink.
"""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageOps

from aigateway.ocr.engine import fastops, infinity
from aigateway.ocr.engine.geometry import Line, Word

from ..support.docgen import find_font, font
from ..support.geometry import drawn

SANS = "DejaVuSans.ttf"

pytestmark = [
    pytest.mark.skipif(find_font(SANS) is None, reason="fonts-dejavu-core not installed"),
    pytest.mark.skipif(fastops.boxes(np.zeros((2, 2), bool)) is None, reason="no OpenCV"),
]


def _read(text: str, read: str, size: int = 40) -> tuple[Image.Image, Line]:
    return drawn(text, read, SANS, size)


@pytest.mark.parametrize("size", [40, 21])
def test_infinity_read_as_two_rings_is_given_back(size: int) -> None:
    page, line = _read("bounds -∞ < x < +∞; free", "bounds -oo < x < +00; free", size)
    assert infinity.restore(page, [line]) == 2
    assert line.text == "bounds -∞ < x < +∞; free"


def test_both_infinities_of_a_formula_read_as_one_word() -> None:
    page, line = _read("bounds -∞<x<+∞ free", "bounds -oo<x<+oo free")
    assert infinity.restore(page, [line]) == 1
    assert line.text == "bounds -∞<x<+∞ free"


def test_real_rings_stay() -> None:
    # Two rings apart, in brackets; a word's and a number's own pair is never looked at.
    page, line = _read("the (oo) mark, book 100 zoo", "the (oo) mark, book 100 zoo")
    assert infinity.restore(page, [line]) == 0
    assert line.text == "the (oo) mark, book 100 zoo"


def test_two_zeros_run_together_stay() -> None:
    # Blur runs the zeros of a time together: one glyph, but a pair of upright ovals is not
    # as wide as an infinity.
    f = font(40, SANS)
    page = Image.new("L", (600, 120), 255)
    draw = ImageDraw.Draw(page)
    draw.text((40, 40), "at 12:", font=f, fill=0)
    x = 40 + draw.textlength("at 12:", font=f)
    zero = draw.textlength("0", font=f)
    draw.text((x, 40), "0", font=f, fill=0)
    draw.text((x + zero - 6, 40), "0", font=f, fill=0)
    ink = ImageOps.invert(page).getbbox()
    assert ink is not None
    words = [
        Word("at", 90.0, 40, 45, 40 + round(draw.textlength("at", font=f)), 75),
        Word("12:00", 90.0, 40 + round(draw.textlength("at ", font=f)), 45, ink[2], 75),
    ]
    line = Line(words, 1, 1)
    assert infinity.restore(page, [line]) == 0
    assert line.text == "at 12:00"
