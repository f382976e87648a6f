"""``≤`` and ``≥`` read as ``<`` and ``>`` get their bar back (``relations.restore``).

Each test draws real glyphs (DejaVu Sans) and hands ``restore`` the words a recogniser
would: its text over boxes tight to each word's ink.
"""

from __future__ import annotations

import pytest
from PIL import Image, ImageDraw

from aigateway.ocr.engine import relations
from aigateway.ocr.engine.geometry import Line, Word

from ..support.docgen import find_font
from ..support.geometry import drawn

SANS = "DejaVuSans.ttf"

pytestmark = pytest.mark.skipif(find_font(SANS) is None, reason="fonts-dejavu-core not installed")


def _read(text: str, read: str, size: int = 40) -> tuple[Image.Image, Line]:
    return drawn(text, read, SANS, size)


@pytest.mark.parametrize("size", [40, 21])
def test_less_or_equal_read_as_less_gets_its_bar(size: int) -> None:
    img, line = _read("where 1 ≤ k ≥ m holds", "where 1 < k > m holds", size)
    assert relations.restore(img, [line]) == 2
    assert line.text == "where 1 ≤ k ≥ m holds"


def test_a_plain_less_than_stays() -> None:
    img, line = _read("where 1 < k > m holds", "where 1 < k > m holds")
    assert relations.restore(img, [line]) == 0
    assert line.text == "where 1 < k > m holds"


def test_a_less_than_over_an_underline_of_the_line_stays() -> None:
    # A rule under the whole line (a table's) is no glyph's bar: it is wider than the word.
    img, line = _read("where 1 < k holds", "where 1 < k holds")
    draw = ImageDraw.Draw(img)
    foot = max(w.y1 for w in line.words)
    draw.line((20, foot + 6, 1380, foot + 6), fill=0, width=2)
    tall = Line([*line.words[:-1], Word("holds", 88.0, *_box(line.words[-1], foot + 8))], 1, 1)
    assert relations.restore(img, [tall]) == 0


def _box(word: Word, y1: int) -> tuple[int, int, int, int]:
    return word.x0, word.y0, word.x1, y1


def test_signs_inside_a_formula_read_as_one_word_get_their_bars() -> None:
    # Tesseract runs a tight formula together: each sign is found as a glyph of the word.
    img, line = _read("where 1≤k≥m holds", "where 1<k>m holds")
    assert relations.restore(img, [line]) == 1
    assert line.text == "where 1≤k≥m holds"


def test_plain_signs_inside_a_word_stay() -> None:
    img, line = _read("if a<b&&c>d then", "if a<b&&c>d then")
    assert relations.restore(img, [line]) == 0
    assert line.text == "if a<b&&c>d then"
