"""Regions Tesseract's layout analysis dropped are found and read again as blocks (``dropped.py``).

The page is drawn; the lines Tesseract returned are built by hand from the drawn text's own
boxes, with some left out. The pass must find the ink of the missing lines (and of the missing
part of a line read in part), read it with Tesseract in single-block mode, and put it where it
stands; ink that is not dropped text (a rule, a lost glyph, a shaded picture, a page read
whole) is left alone.
"""

from __future__ import annotations

import pytest
from PIL import Image, ImageDraw

from aigateway.ocr.engine import dropped
from aigateway.ocr.engine.geometry import Line, Word

from ..support.docgen import find_font, font

pytestmark = pytest.mark.skipif(find_font("DejaVuSans.ttf") is None, reason="fonts-dejavu")

ROWS = [f"row {k}: status ok, latency {3 * k} ms, retries {k % 4}" for k in range(16)]
SIZE, STEP, X, Y = 24, 32, 40, 30


def _page(
    missing: set[int],
    half: frozenset[int] = frozenset(),
    extra: str = "",
) -> tuple[Image.Image, list[Line]]:
    """The rows drawn 32 px apart in 24 px print; Tesseract's lines for every row but
    ``missing``, and only the second half of the words of rows in ``half``."""
    img = Image.new("L", (1400, 40 + STEP * len(ROWS) + 200), 255)
    d = ImageDraw.Draw(img)
    face = font(SIZE)
    lines = []
    for k, text in enumerate(ROWS):
        y = Y + STEP * k
        d.text((X, y), text, font=face, fill=0)
        if k in missing:
            continue
        words: list[Word] = []
        x = X
        for w in text.split():
            x0, y0, x1, y1 = d.textbbox((x, y), w, font=face)
            words.append(Word(w, 93.0, round(x0), round(y0), round(x1), round(y1)))
            x += round(d.textlength(w + " ", font=face))
        if k in half:
            words = words[len(words) // 2 :]
        lines.append(Line(words, 1 if k < 8 else 2, k))
    if extra == "rule":
        d.rectangle((X, Y + STEP * len(ROWS) + 60, 1300, Y + STEP * len(ROWS) + 64), fill=0)
    elif extra == "picture":
        d.rectangle((700, 40, 1300, 400), fill=215)
        for k in range(4):
            d.text((760, 80 + 60 * k), "label text here", font=face, fill=0)
    elif extra == "glyph":
        d.text((X + 700, Y), "ok", font=face, fill=0)
    return img, lines


def _text(lines: list[Line]) -> str:
    return " ".join(w.text for ln in lines for w in ln.words)


def test_a_stretch_of_dropped_lines_is_found_and_read() -> None:
    img, lines = _page(missing=set(range(5, 11)))
    height = 24.0
    found = dropped.regions(img, lines, height)
    assert len(found) == 1, found
    ((box, width),) = found
    # The region holds the six missing rows, not the ones read around it.
    assert Y + STEP * 5 - 8 <= box[1] <= Y + STEP * 5 + 8, box
    assert Y + STEP * 11 - 10 <= box[3] <= Y + STEP * 11 + 8, box
    assert width > 6 * 10
    assert dropped.recover(img, lines, 300, ["eng"]) == 1
    text = _text(lines)
    for k in range(16):
        assert f"row {k}: status ok, latency {3 * k} ms" in text, (k, text)
    # Where they stand: between row 4 and row 11, in order.
    starts = [text.find(f"row {k}:") for k in range(16)]
    assert starts == sorted(starts), text


def test_lines_read_in_part_are_read_whole_without_duplicates() -> None:
    img, lines = _page(missing=set(), half=frozenset({4, 5, 6}))
    assert dropped.recover(img, lines, 300, ["eng"]) == 1
    text = _text(lines)
    for k in range(16):
        assert text.count(f"row {k}: status ok, latency {3 * k} ms, retries {k % 4}") == 1, (
            k,
            text,
        )


@pytest.mark.parametrize("extra", ["", "rule", "picture", "glyph"])
def test_ink_that_is_not_dropped_text_is_left_alone(extra: str) -> None:
    img, lines = _page(missing=set(), extra=extra)
    before = _text(lines)
    assert dropped.regions(img, lines, 24.0) == []
    assert dropped.recover(img, lines, 300, ["eng"]) == 0
    assert _text(lines) == before


def test_a_page_barely_read_is_left_to_the_second_chances() -> None:
    img, lines = _page(missing=set(range(1, 16)))
    assert dropped.recover(img, lines, 300, ["eng"]) == 0
    assert len(lines) == 1
