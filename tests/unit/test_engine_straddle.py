"""A word Tesseract cut across two lines is read again whole (``straddle.py``).

A one-line table cell beside a two-line one stands between the two lines' rows; Tesseract put
the top of ``tickUp`` into the first line (``icky``) and its bottom into the second (``“oer``),
both doubtful. Each page here is drawn with such a cell, the halves boxed as Tesseract boxed
them (each with its line's band).
"""

from __future__ import annotations

import pytest
from PIL import Image, ImageDraw

from aigateway.ocr.engine import rapid, straddle
from aigateway.ocr.engine.geometry import Line, Word

from ..support.docgen import find_font, font

pytestmark = pytest.mark.skipif(find_font("DejaVuSansMono.ttf") is None, reason="fonts-dejavu")


def _cell() -> tuple[Image.Image, list[Line]]:
    """``tickUp`` centred beside two lines of prose, and Tesseract's two lines with a half of
    ``tickUp`` in each."""
    img = Image.new("L", (1400, 300), 255)
    d = ImageDraw.Draw(img)
    d.text((60, 100), "tickUp", font=font(36, "DejaVuSansMono.ttf"), fill=0)
    d.text((500, 70), "How far above the axis", font=font(36), fill=0)
    d.text((500, 130), "(Note that making this", font=font(36), fill=0)
    x0, top, x1, bottom = (
        round(v) for v in d.textbbox((60, 100), "tickUp", font=font(36, "DejaVuSansMono.ttf"))
    )
    mid = (top + bottom) // 2
    upper = Line(
        [
            Word("icky", 42.0, x0, top - 20, x1, mid + 6),
            Word("How far above the axis", 96.0, 500, 70, 950, 110),
        ],
        1,
        1,
    )
    lower = Line(
        [
            Word("“oer", 23.0, x0 + 10, mid - 6, x1, bottom + 20),
            Word("(Note that making this", 96.0, 500, 130, 950, 170),
        ],
        1,
        1,
    )
    return img, [upper, lower]


@pytest.mark.skipif(rapid.available() is not None, reason="RapidOCR is not installed")
def test_a_word_cut_across_two_lines_is_read_whole_in_the_upper_line() -> None:
    img, lines = _cell()
    assert straddle.join(img, lines) == 1
    assert [w.text for w in lines[0].words] == ["tickUp", "How far above the axis"]
    assert [w.text for w in lines[1].words] == ["(Note that making this"]


def test_sure_words_of_lines_that_touch_are_not_halves() -> None:
    # A descender over the next line's ascender: both words read surely.
    a = Word("giving", 95.0, 100, 100, 220, 150)
    b = Word("thanks", 95.0, 110, 140, 230, 180)
    assert not straddle._cut(a, b)


def test_a_speck_over_a_word_is_not_half_of_it() -> None:
    # A fax's speck read "t" (11 px) above a word of the next line (47 px), both doubtful.
    speck = Word("t", 49.0, 639, 248, 646, 259)
    word = Word("underlineColor'", 31.0, 456, 246, 658, 293)
    assert not straddle._cut(speck, word)


def test_halves_need_most_of_their_width_in_common() -> None:
    a = Word("icky", 42.0, 100, 100, 200, 155)
    b = Word("oer", 23.0, 180, 139, 280, 194)  # 20 of 100 px in common: neighbours
    assert not straddle._cut(a, b)
    assert straddle._cut(a, Word("oer", 23.0, 120, 139, 216, 194))


def test_without_a_sure_reading_the_lines_are_left_as_read() -> None:
    img = Image.new("L", (1400, 300), 255)  # nothing drawn: the recogniser reads nothing
    _, lines = _cell()
    before = [ln.text for ln in lines]
    straddle.join(img, lines)
    assert [ln.text for ln in lines] == before
