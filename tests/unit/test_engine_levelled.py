"""A page skewed by less than deskew's least angle: its word boxes levelled by the skew left
on it before the layout pass (``geometry.levelled``, ``deskew.level``)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image, ImageDraw

from aigateway.ocr.engine import deskew, layout
from aigateway.ocr.engine.geometry import LEAST_SKEW, Line, Paragraph, Table, Word, levelled

from ..support.docgen import font

ITEMS = [
    ("Cable", "748.10"),
    ("Bolts and washers", "544.19"),
    ("Marine paint", "803.75"),
    ("Harbour lamp", "722.88"),
    ("Mooring rope", "883.26"),
]


def price_list(skew: float) -> list[Line]:
    """A price list's rows, each item at the left margin and its price 1900 px to the right,
    on a page turned ``skew`` degrees clockwise: each price lower than its item by the
    slope's rise over that distance (0.3 degrees: 10 px, a third of a 30 px line)."""
    slope = math.tan(math.radians(skew))
    lines = []
    for k, (item, price) in enumerate(ITEMS):
        y = 300 + 60 * k
        words, x = [], 250
        for t in item.split():
            words.append(
                Word(t, 95.0, x, y + round(slope * x), x + 18 * len(t), y + 30 + round(slope * x))
            )
            x += 18 * len(t) + 14
        px = 2160
        dy = round(slope * (px + 50))
        words.append(Word(price, 95.0, px, y + dy, px + 100, y + 30 + dy))
        lines.append(Line(words, 1, 1))
    return lines


def _rows(items: list[Paragraph | Table]) -> list[tuple[str, ...]]:
    out: list[tuple[str, ...]] = []
    for item in items:
        if isinstance(item, Table):
            out += item.rows
        else:
            out += [(text,) for text in item.lines]
    return out


def test_a_price_list_skewed_less_than_deskew_turns_for_keeps_each_price_on_its_row() -> None:
    lines = price_list(0.3)
    # Unlevelled, the items and the prices were texts side by side: all items, then prices.
    assert _rows(layout.build_page(lines))[:2] == [("Cable",), ("Bolts and washers",)]
    assert _rows(layout.build_page(lines, skew=0.3)) == [(i, p) for i, p in ITEMS]


@settings(max_examples=60, deadline=None)
@given(skew=st.floats(-0.39, 0.39))
def test_levelling_by_the_pages_own_skew_puts_each_row_level(skew: float) -> None:
    lines = price_list(skew)
    if abs(skew) < LEAST_SKEW:
        assert levelled(lines, skew) == lines  # within deskew's step: left as read
        return
    for ln in levelled(lines, skew):
        tops = {w.y0 for w in ln.words}
        assert max(tops) - min(tops) <= 2


def test_levelled_keeps_text_order_and_lines() -> None:
    lines = price_list(0.3)
    out = levelled(lines, 0.3)
    assert [[w.text for w in ln.words] for ln in out] == [
        [w.text for w in ln.words] for ln in lines
    ]
    assert [(w.x0, w.x1) for ln in out for w in ln.words] == [
        (w.x0, w.x1) for ln in lines for w in ln.words
    ]
    assert levelled(lines, 0.0) == lines


@pytest.mark.parametrize("angle", [0.3, -0.3, 2.0])
def test_level_reports_the_skew_it_leaves(angle: float) -> None:
    page = Image.new("L", (1700, 2200), 255)
    draw = ImageDraw.Draw(page)
    f = font(32)
    for k in range(30):
        draw.text(
            (150, 150 + 60 * k),
            "the harbour works office pays within thirty days " * 2,
            font=f,
            fill=0,
        )
    skewed = page.rotate(-angle, fillcolor=255, resample=Image.Resampling.BILINEAR)
    img, turned, left = deskew.level(skewed)
    if abs(angle) < deskew.MIN_ANGLE:
        assert turned == 0.0 and img is skewed
        assert left == pytest.approx(angle, abs=0.15)
    else:
        assert turned == pytest.approx(angle, abs=0.2) and left == 0.0
