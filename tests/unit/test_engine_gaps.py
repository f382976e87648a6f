"""Spaces lost inside words of proportional text come back from the ink (``gaps.restore``).

Each test draws real glyphs (DejaVu) and hands ``restore`` the words a recogniser would:
its text over boxes tight to each word's ink, two words read as one where it joined them.
"""

from __future__ import annotations

import pytest
from PIL import Image, ImageDraw

from aigateway.ocr.engine import gaps
from aigateway.ocr.engine.geometry import Line, Word, glued

from ..support.docgen import find_font
from ..support.geometry import drawn

SERIF = "DejaVuSerif.ttf"
MONO = "DejaVuSansMono.ttf"

pytestmark = pytest.mark.skipif(find_font(SERIF) is None, reason="fonts-dejavu-core not installed")


def joined(text: str, at: list[int], face: str = SERIF, size: int = 40) -> tuple[Image.Image, Line]:
    """``text`` drawn, and its line as read with each word at an index in ``at`` run into
    the word after it (no space)."""
    img, line = drawn(text, text, face, size)
    for i in sorted(at, reverse=True):
        line.words[i : i + 2] = [glued(line.words[i], line.words[i + 1])]
    return img, line


@pytest.mark.parametrize("size", [40, 24])
def test_two_words_read_as_one_are_two_again(size: int) -> None:
    img, line = joined("we put it in a box to keep it dry", [3], size=size)
    assert line.words[3].text == "ina"
    assert gaps.restore(img, [line]) == 1
    assert line.text == "we put it in a box to keep it dry"


def test_a_monospace_space_cell_is_a_space() -> None:
    img, line = joined("we may say how many we want", [3], MONO)
    assert gaps.restore(img, [line]) == 1
    assert line.text == "we may say how many we want"


def test_a_word_misread_is_not_cut() -> None:
    # "in an" read as "ingn": a "g" on the glyph of an "a", which has no tail; which letters
    # stand either side of the blank is not known.
    img, line = joined("we put it in an box", [3])
    w = line.words[3]
    line.words[3] = Word("ingn", w.conf, w.x0, w.y0, w.x1, w.y1)
    assert gaps.restore(img, [line]) == 0


def test_words_after_a_comma_and_beside_a_digit() -> None:
    img, line = joined("the files are data, etc. and 5 as well", [3, 6])
    assert gaps.restore(img, [line]) == 2
    assert line.text == "the files are data, etc. and 5 as well"


def test_a_formulas_signs_get_their_spaces() -> None:
    img, line = joined("each bound lb ≤ x ≤ ub holds here", [2, 3, 4, 5])
    assert line.words[2].text == "lb≤x≤ub"
    assert gaps.restore(img, [line]) == 1
    assert line.text == "each bound lb ≤ x ≤ ub holds here"


@pytest.mark.parametrize(
    "text", ["we read the profile of a file here", "the value is 11 or 117 now"]
)
def test_words_read_right_stay(text: str) -> None:
    img, line = drawn(text, text, SERIF)
    assert gaps.restore(img, [line]) == 0
    assert line.text == text


def test_a_lone_letter_is_not_cut_off() -> None:
    # A glyph a clean-up broke leaves a blank as wide as a space inside it: "c ase" is no two
    # words, whatever the ink says; "a" and "I" are.
    img, line = joined("in the c ase of rain", [2])
    assert line.words[2].text == "case"
    assert gaps.restore(img, [line]) == 0


def test_two_digits_are_not_parted() -> None:
    # A proportional face sets a "1" in a digit's cell, a wide blank either side.
    img, line = joined("the name x1 1 is set", [2])
    assert line.words[2].text == "x11"
    assert gaps.restore(img, [line]) == 0


def test_signs_programs_use_are_left_alone() -> None:
    # ``a<b`` is as likely code as ``a < b`` run together; ``≤`` is never code.
    img, line = joined("if ab < cd then stop", [1, 2])
    assert line.words[1].text == "ab<cd"
    assert gaps.restore(img, [line]) == 0


def test_punctuation_is_left_alone() -> None:
    # A bracket's blank is a typewriter cell as often as a space (``f(x)`` set in code).
    img, line = joined("then call f (x) and g (y) to end", [2, 5])
    assert gaps.restore(img, [line]) == 0


def test_a_mark_in_the_blank_keeps_the_word_whole() -> None:
    # A speck or a glyph's broken piece in the blank (a fax's "extra" read "extr a"): no
    # blank as wide as a space is left, whatever the glyphs around it.
    img, line = joined("we put it in a box to keep it dry", [3])
    w = line.words[3]
    mid_x, mid_y = (w.x0 + w.x1) // 2 + 3, (w.y0 + w.y1) // 2
    ImageDraw.Draw(img).rectangle((mid_x - 1, mid_y - 1, mid_x + 1, mid_y + 1), fill=0)
    assert gaps.restore(img, [line]) == 0
    assert line.words[3].text == "ina"
