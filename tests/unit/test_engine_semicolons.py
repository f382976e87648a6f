"""A subscript ``j`` or ``i`` read as ``;`` is given back (``semicolons.restore``).

Each test draws real glyphs (DejaVu Serif: a ``j`` with its hook, an ``i`` with its foot, as
TeX's italic letters have) and hands ``restore`` the word a recogniser would: its text over a
box tight to the word's ink.
"""

from __future__ import annotations

import pytest
from PIL import Image, ImageDraw, ImageFont, ImageOps

from aigateway.ocr.engine import semicolons
from aigateway.ocr.engine.geometry import Line, Word

from ..support.docgen import find_font, font

SERIF = "DejaVuSerif.ttf"
MONO = "DejaVuSansMono.ttf"

pytestmark = pytest.mark.skipif(find_font(SERIF) is None, reason="fonts-dejavu-core not installed")


def _word(
    parts: list[tuple[str, bool]], read: str, size: int = 44, face: str = SERIF
) -> tuple[Image.Image, Line]:
    """A line "where <word> holds" whose word is ``parts`` (text, subscript?) set in turn, a
    subscript at two thirds of ``size``, lowered by 0.15 of it (TeX's ``sub1``) and a tenth of it to the
    right, as TeX sets ``x_j`` (after the letter's italic correction, so that the ``j``'s hook
    clears the ``x``); the word read as ``read``."""
    big, small = font(size, face), font(round(size * 2 / 3), face)
    assert isinstance(big, ImageFont.FreeTypeFont) and isinstance(small, ImageFont.FreeTypeFont)
    page = Image.new("L", (900, 3 * size), 255)
    draw = ImageDraw.Draw(page)
    draw.text((40, size), "where", font=big, fill=0)
    x0 = x = 40 + round(draw.textlength("where ", font=big))
    for text, sub in parts:
        f = small if sub else big
        x += round(size / 10) if sub else 0
        # On the big text's baseline, lowered.
        y = size + (big.getmetrics()[0] - small.getmetrics()[0] + round(0.15 * size) if sub else 0)
        draw.text((x, y), text, font=f, fill=0)
        x += round(draw.textlength(text, font=f))
    after = x + round(draw.textlength(" ", font=big))
    draw.text((after, size), "holds", font=big, fill=0)
    words = []
    for said, (a, b) in (
        ("where", (30, x0 - 4)),
        (read, (x0 - 2, x + 2)),
        ("holds", (after - 2, 890)),
    ):
        ink = ImageOps.invert(page.crop((a, 0, b, page.height))).getbbox()
        assert ink is not None
        words.append(Word(said, 88.0, a + ink[0], ink[1], a + ink[2], ink[3]))
    return page, Line(words, 1, 1)


@pytest.mark.parametrize("size", [44, 30])
def test_a_subscript_j_read_as_a_semicolon_is_a_j(size: int) -> None:
    img, line = _word([("x", False), ("j", True), (")", False)], "x;)", size)
    assert semicolons.restore(img, [line]) == 1
    assert line.words[1].text == "xj)"


def test_a_subscript_i_read_as_a_semicolon_is_an_i() -> None:
    img, line = _word([("(x", False), ("i", True)], "(x;")
    assert semicolons.restore(img, [line]) == 1
    assert line.words[1].text == "(xi"


@pytest.mark.parametrize("size", [44, 30])
def test_a_real_semicolon_stays(size: int) -> None:
    img, line = _word([("x;", False)], "x;", size)
    assert semicolons.restore(img, [line]) == 0
    assert line.words[1].text == "x;"


@pytest.mark.parametrize("size", [44, 30])
def test_code_semicolons_stay(size: int) -> None:
    # A typewriter face's comma is tall enough to be a glyph of its own, so the word pairs
    # off with the ";" counted: its dot over a comma twice as tall is no letter.
    for text in ("i++);", "a;b"):
        img, line = _word([(text, False)], text, size, MONO)
        assert semicolons.restore(img, [line]) == 0
        assert line.words[1].text == text


def test_a_word_of_nothing_but_the_letter_stays() -> None:
    # No other glyph to find the line's foot by: j and i cannot be told apart.
    img, line = _word([("j", True)], ";")
    assert semicolons.restore(img, [line]) == 0


def test_a_glyph_taken_for_a_stop_does_not_shift_the_semicolon_onto_a_letter() -> None:
    # A "*" is as tall as a letter and a comma is not: counted as a stop, it puts the glyphs one
    # place off the letters, and the ";" on the "i", whose dot and stem read as an i.
    img, line = _word([("2*pi;", False)], "2*pi;", 44)
    assert semicolons.restore(img, [line]) == 0
    assert line.words[1].text == "2*pi;"
