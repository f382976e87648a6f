"""Grain is told from clean pages by the median of several samples down the page.

One sample from the page's middle missed a grainy page whose middle was a grey code box: grain
over a darker ground changes less under a median filter, so the page was read as it was, its
grain's specks taken for tiny text (enlarged twice, 18 s, 806 edits where the clean-up reads
it with 7)."""

from __future__ import annotations

from typing import Any

import pytest
from PIL import Image, ImageChops, ImageDraw

from aigateway.ocr.engine import preprocess

from ..support.docgen import on_grain, render_text

TEXT = "\n\n".join(
    f"Paragraph {k}: the harbour office keeps a ledger of every vessel that anchors in the bay."
    for k in range(24)
)


def _page(box: bool) -> Image.Image:
    page = render_text(TEXT, size=28, width=1700, min_height=2200)
    if box:
        # A grey code box across the page's middle, as manuals set their listings.
        shade = Image.new("L", page.size, 255)
        top, bottom = round(0.42 * page.height), round(0.58 * page.height)
        ImageDraw.Draw(shade).rectangle((0, top, page.width, bottom), 150)
        page = ImageChops.darker(page, shade)
    return page


def test_grain_over_a_grey_middle_is_found() -> None:
    page = on_grain(_page(box=True), 1)
    x, y = page.width // 2, page.height // 2
    middle = page.crop((x - 256, y - 256, x + 256, y + 256))
    # The middle sample alone reads as clean: the check must look further down the page.
    assert not preprocess.grainy(middle)
    assert preprocess.grainy(page)
    assert preprocess.grainy(on_grain(_page(box=False), 2))


def test_clean_pages_with_or_without_a_grey_box_are_not_grainy() -> None:
    assert not preprocess.grainy(_page(box=True))
    assert not preprocess.grainy(_page(box=False))


def test_a_skewed_grainy_page_is_judged_grainy_before_it_is_levelled(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Levelling interpolates the page, which averages its grain below the grain check's
    # level: judged afterwards, a page fed askew onto a textured bed was read raw, grain and
    # all. Its first whole-page reading must be of a clean-up (two grey levels).
    from aigateway.ocr.engine import deskew, fastops, reader
    from aigateway.ocr.engine.options import EngineOptions

    page = on_grain(_page(box=False).rotate(1.5, fillcolor=255), 3)
    angle = deskew.skew_angle(page)
    assert abs(angle) >= deskew.MIN_ANGLE
    assert preprocess.grainy(page) and not preprocess.grainy(fastops.rotate(page, angle))
    seen: list[Image.Image] = []
    tesseract = reader._tesseract

    def spy(img: Image.Image, *args: Any, **kwargs: Any) -> Any:
        seen.append(img)
        return tesseract(img, *args, **kwargs)

    monkeypatch.setattr(reader, "_tesseract", spy)
    r = reader.read_image(page, 300, EngineOptions(engine="tesseract"))
    assert r.has_text and r.cleanup
    assert len([n for n in seen[0].histogram() if n]) == 2
