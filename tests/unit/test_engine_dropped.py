"""Regions Tesseract's layout analysis dropped are found and read again as blocks (``dropped.py``).

The page is drawn; the lines Tesseract returned are built by hand from the drawn text's own
boxes, with some left out. The pass must find the ink of the missing lines (and of the missing
part of a line read in part), read it with Tesseract in single-block mode, and put it where it
stands; ink that is not dropped text (a rule, a lost glyph, a shaded picture, a page read
whole) is left alone.
"""

from __future__ import annotations

from typing import Any

import pytest
from PIL import Image, ImageDraw

from aigateway.ocr.engine import dropped
from aigateway.ocr.engine.geometry import Line, Paragraph, Word
from aigateway.ocr.engine.options import EngineOptions
from aigateway.ocr.engine.reader import read_image

from ..support.docgen import FAINT_TEXTS, faint_scan, find_font, font, on_grain
from ..support.served_pages import found_in_order

pytestmark = pytest.mark.skipif(find_font("DejaVuSans.ttf") is None, reason="fonts-dejavu")

ROWS = [f"row {k}: status ok, latency {3 * k} ms, retries {k % 4}" for k in range(16)]
SIZE, STEP, X, Y = 24, 32, 40, 30


def _page(
    missing: set[int],
    half: frozenset[int] = frozenset(),
    extra: str = "",
    grey: int = 0,
) -> tuple[Image.Image, list[Line]]:
    """The rows drawn 32 px apart in 24 px print; Tesseract's lines for every row but
    ``missing`` (drawn in ``grey``), and only the second half of the words of rows in
    ``half``."""
    img = Image.new("L", (1400, 40 + STEP * len(ROWS) + 200), 255)
    d = ImageDraw.Draw(img)
    face = font(SIZE)
    lines = []
    for k, text in enumerate(ROWS):
        y = Y + STEP * k
        d.text((X, y), text, font=face, fill=grey if k in missing else 0)
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


def test_a_light_grey_paragraph_on_a_grainy_scan_is_read() -> None:
    # Light grey print (187 and 200) between black paragraphs on a scan's shaded, grainy
    # paper: the page's Otsu level, set between the black print and the paper, took it for
    # paper, and a crop of it thresholded by Tesseract kept the grain with the strokes. Before:
    # the paragraph was missing; raw Tesseract misses it too.
    for grey in (187, 200):
        reading = read_image(faint_scan(grey), 300, EngineOptions(engine="auto", reread_below=80.0))
        text = " ".join(ln for it in reading.items if isinstance(it, Paragraph) for ln in it.lines)
        for paragraph in FAINT_TEXTS:
            assert found_in_order(text, (paragraph * 2).split()) >= 0.95, (grey, text)


def test_faint_ink_is_read_and_dark_ink_left_to_the_first_pass(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[object] = []
    read_crop = dropped.read_crop

    def counted(*args: Any, **kwargs: Any) -> list[Line]:
        calls.append(args)
        return read_crop(*args, **kwargs)

    monkeypatch.setattr(dropped, "read_crop", counted)
    # All read: nothing to look at.
    img, lines = _page(set())
    assert dropped.recover_faint(img, lines, 300, ("eng",)) == 0
    assert calls == []
    # Six rows dropped, printed black: ink the page's threshold sees, recover's business.
    img, lines = _page(set(range(5, 11)))
    assert dropped.recover_faint(img, lines, 300, ("eng",)) == 0
    assert calls == []
    # The same rows printed light grey on grainy paper: read, and put where they stand.
    img, lines = _page(set(range(5, 11)), grey=190)
    img = on_grain(img, seed=3, mean=236, sigma=8)
    assert dropped.recover_faint(img, lines, 300, ("eng",)) == 1
    text = _text(lines)
    assert "row 5: status ok" in text and "row 10: status ok" in text, text
    assert text.index("row 4:") < text.index("row 5:") < text.index("row 11:"), text
