"""Light text on dark backgrounds: dark-mode pages, sidebars and table headers are read.

Tesseract reads a weak line again inverted (``tessedit_do_invert``, on by default). Turning
that off read the bench corpus's tune pages with 1-4 % fewer edits, but lost every light-on-dark
word below: it stays on, and these pages say why.
"""

from __future__ import annotations

import pytest
from PIL import Image, ImageDraw, ImageOps

from aigateway.ocr.engine.compose import compose
from aigateway.ocr.engine.options import EngineOptions
from aigateway.ocr.engine.reader import read_image

from ..support.docgen import PY_LISTING, find_font, font, render_text

PROSE = "Requests above the pool size wait in a bounded queue, and each worker reads one page."
SIDEBAR = ["Contents", "Overview", "Installation", "Configuration", "Limits and quotas"]
HEADER = ["Name", "Type", "Default"]
ROWS = [["timeout", "seconds", "180"], ["retries", "integer", "2"]]


def _read(img: Image.Image) -> str:
    reading = read_image(img, 300, EngineOptions(engine="tesseract"))
    return compose(reading.items, (), None)[0]


def test_a_dark_mode_page_is_read() -> None:
    page = ImageOps.invert(render_text(" ".join([PROSE] * 4), size=34, width=1700))
    words = _read(page).split()
    assert sum(w in words for w in PROSE.split()) >= 0.9 * len(PROSE.split())


def test_a_dark_sidebar_and_table_header_are_read() -> None:
    face = font(30)
    page = Image.new("L", (1700, 1000), 255)
    draw = ImageDraw.Draw(page)
    draw.rectangle((0, 0, 500, 1000), fill=40)
    for i, item in enumerate(SIDEBAR):
        draw.text((40, 80 + 70 * i), item, font=face, fill=235)
    draw.rectangle((560, 100, 1650, 160), fill=60)
    for j, name in enumerate(HEADER):
        draw.text((580 + 350 * j, 112), name, font=face, fill=255)
    for i, row in enumerate(ROWS):
        for j, cell in enumerate(row):
            draw.text((580 + 350 * j, 180 + 60 * i), cell, font=face, fill=0)
    draw.text((560, 500), PROSE[:50], font=face, fill=0)
    text = _read(page)
    for word in [*SIDEBAR, *HEADER, "timeout", "integer"]:
        assert word in text, (word, text)


def test_dark_paper_is_told_from_a_dark_bar_or_sidebar() -> None:
    from aigateway.ocr.engine.preprocess import dark_paper

    page = render_text(PROSE, size=34, width=1700)
    assert not dark_paper(page)
    assert dark_paper(ImageOps.invert(page))
    barred = page.copy()
    ImageDraw.Draw(barred).rectangle((0, 0, page.width // 3, page.height), fill=30)
    assert not dark_paper(barred)
    assert dark_paper(Image.new("L", (3, 3), 0))  # tiny images too


CODE = PY_LISTING


@pytest.mark.skipif(find_font("DejaVuSansMono.ttf") is None, reason="fonts-dejavu")
def test_a_dark_mode_editor_keeps_its_line_numbers_on_their_lines() -> None:
    # Read as it is, every pass after Tesseract took the dark ground for ink: the column of
    # grey line numbers came back as "OIRDRHTRWNPH" before the code. Read inverted, the
    # numbers stand on their lines.
    img = Image.new("L", (1600, 900), 30)
    d = ImageDraw.Draw(img)
    mono = font(20, "DejaVuSansMono.ttf")
    for k, line in enumerate(CODE):
        d.text((60, 40 + 34 * k), f"{k + 1:>3}", font=mono, fill=120)
        d.text((130, 40 + 34 * k), line, font=mono, fill=212)
    reading = read_image(img, 300, EngineOptions(engine="auto"))
    text = compose(reading.items, (), None)[0].replace(" ", "")
    numbered = [f"{k + 1}{line.replace(' ', '')}" for k, line in enumerate(CODE) if line]
    assert sum(n in text for n in numbered) >= 8, text
