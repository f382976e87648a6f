"""Check boxes (``checkboxes.py``): an empty square reads ☐, a crossed, ticked or filled one
☒, whatever glyphs Tesseract guessed; letters, brackets and solid bullets stay as read."""

from __future__ import annotations

import io

import pytest
from PIL import Image, ImageDraw, ImageFilter

from aigateway.ocr.engine import checkboxes
from aigateway.ocr.engine.geometry import Line, Word
from aigateway.ocr.engine.options import EngineOptions, PageRequest
from aigateway.ocr.engine.page import read_page
from aigateway.ocr.engine.worker import Source

from ..support.docgen import font, noise

OPTIONS = ["Adult", "Student", "Senior", "Visitor"]


def _box(d: ImageDraw.ImageDraw, x: int, y: int, size: int, mark: str, stroke: int) -> None:
    d.rectangle((x, y, x + size, y + size), outline=0, width=stroke)
    m = size // 5
    if mark == "cross":
        d.line((x + m, y + m, x + size - m, y + size - m), fill=0, width=stroke + 1)
        d.line((x + size - m, y + m, x + m, y + size - m), fill=0, width=stroke + 1)
    elif mark == "tick":
        d.line((x + m, y + size // 2, x + size // 2, y + size - m), fill=0, width=stroke + 1)
        d.line((x + size // 2, y + size - m, x + size - m, y + m), fill=0, width=stroke + 1)
    elif mark == "fill":
        d.rectangle((x + m, y + m, x + size - m, y + size - m), fill=0)


def _form(size: int, stroke: int, marks: list[str], blur: float = 0.0) -> bytes:
    """An A4-wide page at 300 DPI: a heading, a sentence, and a row of options, each with a
    check box of ``size`` px drawn with ``stroke`` px lines and marked as ``marks`` says."""
    img = Image.new("L", (2480, 700), 255)
    d = ImageDraw.Draw(img)
    d.text((150, 100), "Membership application form", fill=0, font=font(56))
    d.text((150, 230), "Tick the kind of card the applicant asks for below.", fill=0, font=font(40))
    for k, (option, mark) in enumerate(zip(OPTIONS, marks, strict=True)):
        x = 150 + 560 * k
        _box(d, x, 400 + (40 - size) // 2, size, mark, stroke)
        d.text((x + size + 30, 400), option, fill=0, font=font(40))
    if blur:
        img = img.filter(ImageFilter.GaussianBlur(blur))
    buf = io.BytesIO()
    img.save(buf, format="PNG", dpi=(300, 300))
    return buf.getvalue()


def _read(data: bytes) -> str:
    r = read_page(Source("image/png", data=data), 0, EngineOptions(), False, PageRequest())
    return " ".join(r.markdown.split())


@pytest.mark.parametrize(
    ("size", "stroke", "blur"), [(46, 4, 0.0), (38, 3, 0.0), (42, 2, 1.2), (56, 5, 0.8)]
)
def test_a_forms_check_boxes_read_as_empty_or_ticked(size: int, stroke: int, blur: float) -> None:
    marks = ["empty", "cross", "tick", "empty"]
    text = _read(_form(size, stroke, marks, blur))
    want = "☐ adult ☒ student ☒ senior ☐ visitor"  # the box is the point, not a capital
    assert want in text.lower(), text
    assert "Tick the kind of card the applicant asks for below." in text, text


def _word_on(draw: str) -> tuple[Image.Image, Word]:
    img = Image.new("L", (200, 120), 255)
    d = ImageDraw.Draw(img)
    if draw == "bracket":
        d.text((60, 20), "[]", fill=0, font=font(60))
    elif draw == "letter-o":
        d.text((60, 20), "O", fill=0, font=font(60))
    elif draw == "bullet":
        d.rectangle((60, 30, 110, 80), fill=0)
    elif draw == "box":
        d.rectangle((60, 30, 110, 80), outline=0, width=4)
    elif draw == "filled-in":  # a box filled in with a pen, a ring of paper inside its edge
        d.rectangle((60, 30, 110, 80), outline=0, width=4)
        d.rectangle((70, 40, 100, 70), fill=0)
    elif draw == "grain":
        img.paste(noise((60, 60), 30).point(lambda v: v // 4 + 180), (55, 25))
    box = img.point(lambda v: 255 - v).getbbox()
    assert box is not None
    return img, Word("[]", 20.0, *box)


@pytest.mark.parametrize(
    ("draw", "want"),
    [
        ("bracket", None),
        ("letter-o", None),
        ("bullet", None),
        ("grain", None),  # a scan's noise in a margin: its threshold draws any shape
        ("box", "☐"),
        ("filled-in", "☒"),
    ],
)
def test_only_a_square_outline_is_a_check_box(draw: str, want: str | None) -> None:
    img, word = _word_on(draw)
    assert checkboxes.mark(img, word) == want


@pytest.mark.parametrize("mode", ["RGB", "RGBA", "LA", "P"])
def test_a_colour_page_is_looked_at_in_grey(mode: str) -> None:
    # A direct caller's colour page raised "wrong number of lut entries" (the thresholds are
    # one band's lookup tables); the product passes grey, but the answer must not depend on it.
    for draw, want in (("box", "☐"), ("filled-in", "☒"), ("bracket", None)):
        img, word = _word_on(draw)
        assert checkboxes.mark(img.convert(mode), word) == want
        assert checkboxes._ink_box(img.convert(mode), (0, 0, img.width, img.height)) is not None


def test_words_of_text_are_never_looked_at() -> None:
    # Long words, and words not about square, are left alone whatever their pixels hold.
    img = Image.new("L", (600, 200), 255)
    ImageDraw.Draw(img).rectangle((100, 50, 150, 100), outline=0, width=4)
    lines = [
        Line([Word("Adults", 90.0, 100, 50, 150, 100), Word("an", 90.0, 100, 50, 300, 100)], 1, 1)
    ]
    assert checkboxes.restore(img, lines) == 0
    assert [w.text for w in lines[0].words] == ["Adults", "an"]


def test_a_word_at_the_pages_edge_is_not_framed_by_the_crop() -> None:
    # Pillow fills a crop's part outside the image with black: a short word in the corner
    # looked framed on two sides by it.
    img = Image.new("L", (300, 200), 255)
    ImageDraw.Draw(img).text((1, 1), "ol", fill=0, font=font(40))
    box = img.point(lambda v: 255 - v).getbbox()
    assert box is not None
    assert checkboxes.mark(img, Word("ol", 20.0, *box)) is None
