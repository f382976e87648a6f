"""An ``e`` read as ``c`` from a grainy page's clean-up gets its crossbar back
(``crossbars.restore``).

Each test draws real glyphs (DejaVu Serif) on seeded paper grain, as the bench's grainy pages
are made, and hands ``restore`` the words Tesseract read from the clean-up, boxed to their
ink.
"""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageChops

from aigateway.ocr.engine import crossbars, fastops
from aigateway.ocr.engine.geometry import Line

from ..support.docgen import find_font
from ..support.geometry import drawn

SERIF = "DejaVuSerif.ttf"

pytestmark = [
    pytest.mark.skipif(find_font(SERIF) is None, reason="fonts-dejavu-core not installed"),
    pytest.mark.skipif(fastops.boxes(np.zeros((2, 2), bool)) is None, reason="no OpenCV"),
]


def _grainy(text: str, read: str, seed: int = 7) -> tuple[Image.Image, Line]:
    """``text`` on grainy paper, read word for word as ``read``, boxed to each word's ink."""
    page, line = drawn(text, read, SERIF)
    rng = np.random.default_rng(seed)
    grain = np.clip(np.rint(rng.normal(205, 45, (page.height, page.width))), 0, 255)
    return ImageChops.darker(page, Image.fromarray(grain.astype(np.uint8), "L")), line


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
