"""A folded sheet's creases are lifted out; printed rules, panels and short lines stay
(``ocr/engine/creases.py``)."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw

from aigateway.ocr.engine import creases

from ..support.docgen import creased, find_font, prose_page

pytestmark = pytest.mark.skipif(find_font("DejaVuSerif.ttf") is None, reason="fonts-dejavu-core")

PROSE = "A letter folded in three for its envelope shows two creases once it is scanned. " * 14


def _page() -> Image.Image:
    """An A4 page at 300 DPI of serif prose."""
    return prose_page(PROSE)


def _rows_off_paper(img: Image.Image, y0: int, y1: int) -> int:
    """Pixels of rows ``y0``-``y1`` of the margin (left of the print) darker than the paper."""
    return int((np.asarray(img)[y0:y1, 20:280] < 235).sum())


def test_a_page_without_creases_is_returned_as_it_is() -> None:
    page = _page()
    assert creases.find(page, 300) == []
    assert creases.clear(page, 300) is page


def test_two_creases_through_the_text_are_filled_in_and_the_glyphs_kept() -> None:
    page = _page()
    folded = creased(creased(page, page.height / 3), 2 * page.height / 3, grey=175, drop=-40)
    found = creases.find(folded, 300)
    assert len(found) == 2
    assert all(150 < c.level < 220 for c in found)
    cleared = creases.clear(folded, 300)
    # The margin the creases crossed is paper again.
    third = page.height // 3
    assert _rows_off_paper(folded, third - 10, third + 20) > 500
    assert _rows_off_paper(cleared, third - 10, third + 20) == 0
    # Across the page, no more than a few pixels are far from the page as printed: the
    # crossed glyphs kept their ink (a white fill would leave gaps in every one).
    diff = np.abs(np.asarray(cleared).astype(int) - np.asarray(page).astype(int))
    crossed = np.abs(np.asarray(folded).astype(int) - np.asarray(page).astype(int)) > 60
    assert int(crossed.sum()) > 10000
    assert int((diff > 60).sum()) < int(crossed.sum()) // 20


def test_a_crease_faint_for_a_stretch_is_still_one() -> None:
    page = _page()
    folded = creased(page, page.height / 2)
    # Lighter over a centimetre and a half: the search skips a strip at a time.
    folded.paste(page.crop((1200, 0, 1240, page.height)), (1200, 0))
    assert len(creases.find(folded, 300)) == 1


@pytest.mark.parametrize(
    ("what", "draw"),
    [
        ("a black rule across the page", lambda d, w, y: d.line((0, y, w, y), fill=0, width=4)),
        ("a grey rule a third of the page", lambda d, w, y: d.line((0, y, w / 3, y), 190, 3)),
        ("a grey panel", lambda d, w, y: d.rectangle((0, y, w, y + 120), fill=200)),
    ],
)
def test_what_a_page_prints_is_no_crease(what: str, draw: object) -> None:
    page = _page()
    assert callable(draw)
    draw(ImageDraw.Draw(page), page.width, page.height // 2)
    assert creases.find(page, 300) == [], what
    assert creases.clear(page, 300) is page, what


def test_a_small_image_is_returned_as_it_is() -> None:
    small = Image.new("L", (40, 40), 255)
    assert creases.clear(small, 300) is small


@pytest.mark.parametrize(("size", "dpi"), [((5000, 64), 2400), ((5000, 200), 10000), ((80, 64), 1)])
def test_a_short_page_with_a_high_dpi_tag_is_returned_as_it_is(
    size: tuple[int, int], dpi: int
) -> None:
    # A grey line across a strip 64 px tall tagged 2400 DPI: the rows a crease's width above
    # and below it were past the page (numpy's broadcast error, a 500).
    page = Image.new("L", size, 250)
    ImageDraw.Draw(page).line((0, size[1] // 2, size[0], size[1] // 2), fill=180, width=2)
    assert creases.clear(page, dpi) is page
