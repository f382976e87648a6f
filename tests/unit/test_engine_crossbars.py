"""An ``e`` read as ``c`` from a grainy page's clean-up gets its crossbar back
(``crossbars.restore``).

Each test draws real glyphs (DejaVu Serif) on seeded paper grain, as the bench's grainy pages
are made, and hands ``restore`` the words Tesseract read from the clean-up, boxed to their
ink.
"""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageChops, ImageDraw, ImageOps

from aigateway.ocr.engine import crossbars, fastops
from aigateway.ocr.engine.geometry import Line, Word

from ..support.docgen import find_font, font

SERIF = "DejaVuSerif.ttf"

pytestmark = [
    pytest.mark.skipif(find_font(SERIF) is None, reason="fonts-dejavu-core not installed"),
    pytest.mark.skipif(fastops.boxes(np.zeros((2, 2), bool)) is None, reason="no OpenCV"),
]


def _grainy(drawn: str, read: str, seed: int = 7) -> tuple[Image.Image, Line]:
    """``drawn`` on grainy paper, read word for word as ``read``, boxed to each word's ink."""
    f = font(40, SERIF)
    page = Image.new("L", (1200, 140), 255)
    draw = ImageDraw.Draw(page)
    draw.text((40, 40), drawn, font=f, fill=0)
    words, at = [], 0
    for token, text in zip(drawn.split(" "), read.split(" "), strict=True):
        at = drawn.index(token, at)
        x0 = 40 + round(draw.textlength(drawn[:at], font=f))
        x1 = 40 + round(draw.textlength(drawn[: at + len(token)], font=f))
        ink = ImageOps.invert(page.crop((x0 - 2, 0, x1 + 2, page.height))).getbbox()
        assert ink is not None
        words.append(Word(text, 70.0, x0 - 2 + ink[0], ink[1], x0 - 2 + ink[2], ink[3]))
        at += len(token)
    rng = np.random.default_rng(seed)
    grain = np.clip(np.rint(rng.normal(205, 45, (page.height, page.width))), 0, 255)
    grainy = ImageChops.darker(page, Image.fromarray(grain.astype(np.uint8), "L"))
    return grainy, Line(words, 1, 1)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_an_e_read_as_c_gets_its_bar_back(seed: int) -> None:
    page, line = _grainy("either the zero", "cither the zcro", seed)
    assert crossbars.restore(page, [line]) == 2
    assert line.text == "either the zero"


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_real_c_stays(seed: int) -> None:
    page, line = _grainy("cache of cocoa", "cache of cocoa", seed)
    assert crossbars.restore(page, [line]) == 0
    assert line.text == "cache of cocoa"


def test_a_word_read_with_a_letter_too_few_stays() -> None:
    # Letters and glyphs cannot be paired: which glyph is the c's is anybody's guess.
    page, line = _grainy("either the zero", "cithr the zcro")
    crossbars.restore(page, [line])
    assert line.words[0].text == "cithr"
    assert line.words[2].text == "zero"
