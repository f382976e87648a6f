"""Words read out of a drawing's line work are dropped (``figures.py``).

The unit tests draw a page and hand the pass the words Tesseract would have returned over it:
text words over the text, made-up words over a grid. The last two read the pattern page of
``tests/support/figure_page.py`` through the whole engine, as Tesseract reads it.
"""

from __future__ import annotations

import pytest
from PIL import Image, ImageDraw

from aigateway.ocr.engine import figures, rapid, reader
from aigateway.ocr.engine.geometry import Line, Word
from aigateway.ocr.engine.options import EngineOptions

from ..support.docgen import find_font, font
from ..support.figure_page import TEXT, figure_page

pytestmark = pytest.mark.skipif(find_font("DejaVuSans.ttf") is None, reason="fonts-dejavu")

pytest.importorskip("cv2")

SIZE = 40  # font size: text about 30 px tall, as at 300 DPI
PROSE = ["Patterns", "are", "filled", "with", "tiles", "of", "the", "module"]


def _page() -> tuple[Image.Image, list[Line]]:
    """Two lines of prose, then a 300 px grid of 3 px lines under them; the prose's words."""
    img = Image.new("L", (2400, 900), 255)
    d = ImageDraw.Draw(img)
    f = font(SIZE)
    lines = []
    for row, y in enumerate((60, 120)):
        x, words = 60, []
        for t in PROSE:
            x0, y0, x1, y1 = d.textbbox((x, y), t, font=f)
            d.text((x, y), t, font=f, fill=0)
            words.append(Word(t, 95.0, x0, y0, x1, y1))
            x = x1 + 14
        lines.append(Line(words, 1, row))
    for k in range(0, 301, 30):
        d.line((100 + k, 300, 100 + k, 600), fill=0, width=3)
        d.line((100, 300 + k, 400, 300 + k), fill=0, width=3)
    return img, lines


def _grid_words(texts: list[tuple[str, float]]) -> Line:
    """Words over the grid, one cell pair apart, as Tesseract reads a pattern."""
    return Line(
        [Word(t, c, 110 + 60 * i, 395, 150 + 60 * i, 425) for i, (t, c) in enumerate(texts)], 2, 3
    )


def test_words_over_a_grid_are_dropped_and_the_text_kept() -> None:
    img, lines = _page()
    lines.append(_grid_words([("TT", 40.0), ("fT", 56.0), ("T", 85.0), ("{", 91.0)]))
    assert figures.drop(img, lines) == 4
    assert [[w.text for w in ln.words] for ln in lines] == [PROSE, PROSE]  # empty line gone


def test_a_sure_word_over_a_grid_is_kept() -> None:
    # A chart's label set on its grid line: confident and three characters or more.
    img, lines = _page()
    lines.append(_grid_words([("Time", 96.0), ("TT", 40.0), ("fT", 56.0)]))
    assert figures.drop(img, lines) == 2
    assert [w.text for w in lines[-1].words] == ["Time"]


def test_unsure_words_on_a_rule_one_way_only_are_kept() -> None:
    # Underlined words (the rule runs far along the line, not above or below it) and a word
    # against a table's vertical rule: line work one way only, not a drawing.
    img, lines = _page()
    d = ImageDraw.Draw(img)
    d.line((40, 170, 1300, 170), fill=0, width=3)  # touches the descenders of row two
    d.line((56, 40, 56, 700), fill=0, width=3)  # touches the first letters
    for ln in lines:
        ln.words[:] = [Word(w.text, 45.0, w.x0, w.y0, w.x1, w.y1 + 8) for w in ln.words]
    assert figures.drop(img, lines) == 0


def test_unsure_words_in_large_print_are_kept() -> None:
    # A heading or a decorative font's sample, three times the text's size, read unsure: its
    # letters are bigger than the page's text height, but each ends inside its word's box.
    img, lines = _page()
    d = ImageDraw.Draw(img)
    big = font(3 * SIZE)
    words, x = [], 60
    for t in ("THIS", "SHOULD", "BE", "IN", "DARKGARDEN"):
        x0, y0, x1, y1 = d.textbbox((x, 650), t, font=big)
        d.text((x, 650), t, font=big, fill=0)
        words.append(Word(t, 60.0, x0, y0, x1, y1))
        x = x1 + 40
    lines.append(Line(words, 3, 4))
    assert figures.drop(img, lines) == 0


def test_a_page_without_enough_sure_words_keeps_everything() -> None:
    img, lines = _page()
    lines[:] = [Line(lines[0].words[:4], 1, 0)]  # four sure words: no text height to go by
    lines.append(_grid_words([("TT", 40.0), ("fT", 56.0)]))
    assert figures.drop(img, lines) == 0
    assert len(lines) == 2


def test_without_opencv_nothing_is_dropped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(figures, "components", lambda mask: None)
    img, lines = _page()
    lines.append(_grid_words([("TT", 40.0)]))
    assert figures.drop(img, lines) == 0


def _read(dpi: int) -> list[str]:
    img = figure_page(dpi)
    r = reader.read_image(img, dpi, EngineOptions(engine="auto"))
    return [ln for item in r.items for ln in getattr(item, "lines", ["<table>"])]


@pytest.mark.skipif(rapid.available() is not None, reason="rapidocr not installed")
@pytest.mark.parametrize("dpi", [300, 150])
def test_pattern_filled_circles_read_as_no_words(dpi: int) -> None:
    # Before: 300 DPI gave "L", "4", "Pn 1 ie" and "1 |" between the code and the prose
    # after it, 150 DPI "on ee" and "MITT J".
    assert _read(dpi) == list(TEXT)
