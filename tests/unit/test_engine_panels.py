"""Text on mid-tone panels (``panels.py``): found where the page's threshold blacks it out,
read from the panel alone, and nothing found where there is nothing to read."""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image, ImageDraw

from aigateway.ocr.engine import panels
from aigateway.ocr.engine.layout import Line, Word
from aigateway.ocr.engine.options import EngineOptions, PageRequest
from aigateway.ocr.engine.page import read_page
from aigateway.ocr.engine.worker import Source

from ..support.docgen import font, noise

BODY = [
    "The committee reviewed the annual accounts and found them in good order.",
    "Income from membership fees rose by twelve percent over the year,",
    "while spending on the new premises stayed within the agreed budget.",
    "The treasurer thanked the volunteers who kept the books up to date.",
]
PANEL = "Panel text: harbour meadow lantern orchard"


def _page(panel: int, ink: int, text: str = PANEL) -> Image.Image:
    """An A4 page at 300 DPI: twelve body lines, then a full-width panel of grey ``panel``
    holding one line of grey ``ink`` (``text``, which may be empty)."""
    img = Image.new("L", (2480, 1600), 255)
    d = ImageDraw.Draw(img)
    for i in range(12):
        d.text((150, 100 + i * 100), BODY[i % 4], fill=0, font=font(40))
    d.rectangle((130, 1300, 2350, 1400), fill=panel)
    if text:
        d.text((160, 1325), text, fill=ink, font=font(40))
    return img


def _body_lines() -> list[Line]:
    return [
        Line([Word("body", 95.0, 150, 100 + i * 100, 400, 148 + i * 100)], 1, 1) for i in range(12)
    ]


def _read(img: Image.Image) -> str:
    buf = io.BytesIO()
    img.save(buf, format="PNG", dpi=(300, 300))
    r = read_page(
        Source("image/png", data=buf.getvalue()), 0, EngineOptions(), False, PageRequest()
    )
    return " ".join(r.markdown.split())


@pytest.mark.parametrize("grey", [90, 110, 130])
def test_dark_text_on_a_panel_the_threshold_blacks_out_is_read(grey: int) -> None:
    # Black text on a mid-grey panel: the page's one threshold (about 128) turned panel and
    # text into one black slab, and the line was lost without a doubt shown for it.
    text = _read(_page(grey, 0))
    assert PANEL in text, text
    assert text.count("committee") == 3 and text.count("volunteers") == 3, text
    # The panel's line comes after the body above it, not before.
    assert text.index(PANEL) > text.rindex("volunteers"), text


def test_a_dark_mode_banner_is_read_with_the_page_inverted() -> None:
    # A dark page (inverted before reading) with a mid-blue banner holding white text: once
    # inverted, the banner is a grey panel with black text, blacked out as above.
    img = Image.new("RGB", (1440, 900), (30, 30, 36))
    d = ImageDraw.Draw(img)
    d.text((300, 40), "Invoice INV-2024-0193 overview", fill=(240, 240, 240), font=font(22))
    d.rectangle((300, 90, 1400, 150), fill=(40, 110, 200))
    d.text(
        (320, 110), "Payment received from Northwind Traders", fill=(255, 255, 255), font=font(15)
    )
    d.text(
        (320, 400),
        "Notes: the client asked for a revised quote.",
        fill=(170, 170, 180),
        font=font(15),
    )
    text = _read(img.convert("L"))
    assert "Payment received from Northwind Traders" in text, text
    assert text.index("overview") < text.index("Payment") < text.index("Notes"), text


def test_a_panel_is_found_and_its_reading_kept_only_when_it_adds_text() -> None:
    img = _page(110, 0)
    height = 48.0
    (box,) = panels.find(img, height)
    assert box[0] <= 160 and box[2] >= 2000 and 1290 <= box[1] <= 1320 and box[3] <= 1410, box
    # Its line already read, as Tesseract reads light text on a dark panel: left as it was.
    said = [
        Word(w, 95.0, 160 + 150 * k, 1325, 300 + 150 * k, 1370) for k, w in enumerate(PANEL.split())
    ]
    lines = [*_body_lines(), Line(said, 2, 2)]
    assert panels.recover(img, lines, 300, ["eng"]) == 0
    assert lines[-1].words == said
    # Read as nothing: the panel's reading goes in, after the body.
    lines = _body_lines()
    assert panels.recover(img, lines, 300, ["eng"]) == 1
    assert " ".join(w.text for w in lines[-1].words) == PANEL


@pytest.mark.parametrize(
    "draw",
    [
        "black-bar",  # a redaction bar: one colour, nothing inside
        "thin-rule",  # a rule under a heading: not tall enough for a line
        "noise-block",  # a photograph's texture: no second grey in text's share
    ],
)
def test_slabs_that_hold_no_text_are_not_panels(draw: str) -> None:
    img = _page(255, 0, text="")
    d = ImageDraw.Draw(img)
    if draw == "black-bar":
        d.rectangle((130, 1300, 2350, 1400), fill=0)
    elif draw == "thin-rule":
        d.rectangle((130, 1300, 2350, 1330), fill=60)
    else:
        block = noise((2200, 200), 90).point(lambda v: min(110, v // 2))
        img.paste(block, (130, 1300))
    assert panels.find(img, 48.0) == []


def test_a_page_with_a_black_bar_reads_its_body_and_invents_nothing() -> None:
    img = _page(255, 0, text="")
    ImageDraw.Draw(img).rectangle((130, 1300, 2350, 1400), fill=0)
    text = _read(img)
    assert text.count("committee") == 3 and text.count("volunteers") == 3, text
    rest = text
    for line in BODY:
        rest = rest.replace(line, "")
    assert not re.search(r"[A-Za-z]{3,}", rest), text
