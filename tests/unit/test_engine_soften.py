"""A black-and-white page (a fax, a 1-bit scan) is read from a softened copy.

Tesseract's line recogniser reads the grey image and was trained on anti-aliased glyphs; a
bilevel glyph's staircase edges read better blurred into grey (tune faxes 2572 to 2451 edits,
:data:`~aigateway.ocr.engine.preprocess.SOFTEN_RADIUS`). Grey pages and clean-ups of grain
are read as they are, and ``sharpen = false`` turns both edge treatments off.
"""

from __future__ import annotations

import re

from PIL import Image

from aigateway.ocr.engine import preprocess
from aigateway.ocr.engine.layout import Paragraph
from aigateway.ocr.engine.options import EngineOptions
from aigateway.ocr.engine.reader import Reading, read_image

from ..support.docgen import render_text

TEXT = (
    "The committee met on the fourth of March to review the harbour accounts, and agreed to\n"
    "publish the ledger of every vessel that anchored in the bay during the winter months."
)


def words(text: str) -> list[str]:
    return re.findall(r"[a-z]+", text.lower())


def _text(reading: Reading) -> str:
    return " ".join(ln for it in reading.items if isinstance(it, Paragraph) for ln in it.lines)


def test_a_bilevel_page_is_read_softened() -> None:
    page = preprocess.threshold(render_text(TEXT, size=30))
    assert page.getcolors(2) is not None
    reading = read_image(page, 300, EngineOptions(engine="tesseract"))
    assert reading.softened and not reading.sharpened
    assert words(_text(reading)) == words(TEXT)


def test_soften_blurs_two_levels_into_grey() -> None:
    page = preprocess.threshold(render_text("ledger", size=30))
    soft = preprocess.soften(page)
    assert soft.size == page.size
    assert len(soft.getcolors(256) or ()) > 2


def test_grey_pages_and_sharpen_off_are_not_softened() -> None:
    grey = render_text(TEXT, size=30)
    assert not read_image(grey, 300, EngineOptions(engine="tesseract")).softened
    bilevel = preprocess.threshold(grey)
    off = read_image(bilevel, 300, EngineOptions(engine="tesseract", sharpen=False))
    assert not off.softened and not off.sharpened


def test_a_grainy_page_clean_up_is_not_softened() -> None:
    from io import BytesIO

    from ..support.docgen_layout import noisy_png

    page = Image.open(BytesIO(noisy_png(TEXT))).convert("L")
    reading = read_image(page, 300, EngineOptions(engine="tesseract"))
    assert reading.cleanup == "smooth" and not reading.softened
