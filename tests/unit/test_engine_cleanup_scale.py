"""A grainy page's clean-up is read shrunk when its text is large (``rescale = "auto"``).

The clean-up (:data:`~aigateway.ocr.engine.preprocess.LADDER`) thresholds a smoothed page:
hard, jagged glyph edges, which the interpolation of a shrunk copy evens out (tune grainy
pages 1214 to 1169 edits, at a tenth less time). A choice of ``rescale`` other than ``auto``
is the user's and is kept.
"""

from __future__ import annotations

import io
import re

from PIL import Image

from aigateway.ocr.engine import preprocess, textsize
from aigateway.ocr.engine.layout import Paragraph
from aigateway.ocr.engine.options import EngineOptions
from aigateway.ocr.engine.reader import read_image

from ..support.docgen_layout import noisy_png

TEXT = (
    "The harbour office keeps a ledger of every vessel that anchors in the bay, with the\n"
    "name of its master, its cargo and the day it leaves again for the open sea."
)


def words(text: str) -> list[str]:
    return re.findall(r"[a-z]+", text.lower())


def _page() -> Image.Image:
    return Image.open(io.BytesIO(noisy_png(TEXT, size=56))).convert("L")


def test_large_text_on_grain_is_read_from_a_shrunk_clean_up() -> None:
    page = _page()
    assert preprocess.grainy(page)
    # The grainy page itself is not crisp (no shrinking), its clean-up's text is large.
    assert not textsize.edges(page).crisp
    assert textsize.read_scale(preprocess.LADDER[0][1](page)) < 1.0
    reading = read_image(page, 300, EngineOptions(engine="tesseract"))
    assert reading.cleanup == "smooth"
    assert reading.scale < 1.0
    text = " ".join(
        ln for item in reading.items if isinstance(item, Paragraph) for ln in item.lines
    )
    assert words(text) == words(TEXT)


def test_a_chosen_rescale_is_kept_for_the_clean_up() -> None:
    reading = read_image(_page(), 300, EngineOptions(engine="tesseract", rescale="enlarge"))
    assert reading.cleanup == "smooth"
    assert reading.scale == 1.0
