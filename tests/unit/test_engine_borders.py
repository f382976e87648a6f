"""A scanner's dark borders are cleared to paper; dark parts of the page's own are not
(``ocr/engine/borders.py``)."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw

from aigateway.ocr.engine import borders

from ..support.docgen import find_font, font, prose_page

pytestmark = pytest.mark.skipif(find_font("DejaVuSerif.ttf") is None, reason="fonts-dejavu-core")

PROSE = (
    "A page scanned with the lid open comes back with the scanner's bed beside the sheet, "
    "black along its edges. The text in between is what the reader wants. " * 6
)


def _page() -> Image.Image:
    """An A4 page at 300 DPI of serif prose on a light grey scanned paper."""
    page = prose_page(PROSE, margin=260)
    return Image.eval(page, lambda v: 30 + v * 205 // 255)


def _bordered(page: Image.Image) -> Image.Image:
    out = page.copy()
    d = ImageDraw.Draw(out)
    d.rectangle((0, 0, 70, out.height), fill=18)  # the bed beyond the sheet's left edge
    d.polygon([(0, 0), (out.width, 0), (out.width, 30), (0, 80)], fill=25)  # and its top, askew
    return out


def test_a_plain_page_has_no_border_and_is_returned_as_it_is() -> None:
    page = _page()
    assert borders.find(page, 300) is None
    assert borders.clear(page, 300) is page


def test_black_bands_along_two_edges_are_painted_paper_and_the_text_is_kept() -> None:
    page = _page()
    cleared = np.asarray(borders.clear(_bordered(page), 300)).astype(int)
    # The bands are the paper's grey now (a scan's soft edge may keep a pixel's grey).
    assert cleared[200:3400, 0:60].min() >= 200
    assert cleared[0:20, 100:2400].min() >= 200
    # The text is every pixel as it was.
    assert np.array_equal(cleared[150:, 120:], np.asarray(page).astype(int)[150:, 120:])


def test_a_border_all_round_the_sheet_is_cleared() -> None:
    page = _page()
    framed = Image.new("L", (page.width + 160, page.height + 120), 22)
    framed.paste(page, (90, 50))
    cleared = np.asarray(borders.clear(framed, 300)).astype(int)
    assert cleared[:, :80].min() >= 200 and cleared[-60:, :].min() >= 200
    assert np.array_equal(cleared[300:3000, 400:2200], np.asarray(framed)[300:3000, 400:2200])


def test_a_dark_bar_with_light_text_in_it_stays() -> None:
    # A screenshot's title bar, a banner: light letters in a dark band along the top edge.
    page = _page()
    d = ImageDraw.Draw(page)
    d.rectangle((0, 0, page.width, 180), fill=35)
    d.text((120, 50), "Quarterly report: regional figures", font=font(70), fill=250)
    assert borders.find(page, 300) is None


def test_a_dark_mode_page_and_a_rule_along_the_edge_stay() -> None:
    # Its dark ground is most of the page, with a few light lines on it.
    dark = Image.new("L", (2480, 3508), 30)
    ImageDraw.Draw(dark).text((300, 300), "Settings  Profile  Sign out", font=font(40), fill=220)
    assert borders.find(dark, 300) is None
    ruled = _page()
    ImageDraw.Draw(ruled).rectangle((0, 0, 10, ruled.height), fill=0)
    assert borders.find(ruled, 300) is None  # 11 px at 300 DPI: a 0.9 mm rule
    banded = _page()  # a new image: the passes keep what they measured per image
    ImageDraw.Draw(banded).rectangle((0, 0, 17, banded.height), fill=0)
    assert borders.find(banded, 300) is not None  # 1.5 mm: the edge of a scanner's bed


def test_a_sheet_askew_on_the_bed_leaves_a_wedge_that_is_cleared() -> None:
    page = _page()
    ImageDraw.Draw(page).polygon([(0, 0), (120, 0), (0, 2400)], fill=15)
    cleared = np.asarray(borders.clear(page, 300)).astype(int)
    assert cleared[:2200, :3].min() >= 200


def test_a_dark_figure_short_of_the_side_stays() -> None:
    page = _page()
    ImageDraw.Draw(page).rectangle((0, 1200, 600, 2000), fill=20)  # a photo at the edge
    assert borders.find(page, 300) is None


def test_a_dark_ground_under_most_of_the_page_stays_even_with_dim_print_on_it() -> None:
    # Grey print on a dark ground (too dim to count as light detail): too much to be a border.
    page = Image.new("L", (2480, 3508), 235)
    d = ImageDraw.Draw(page)
    d.rectangle((0, 0, 1800, 3508), fill=40)
    d.text((300, 600), "Status: all systems normal", font=font(40), fill=62)
    assert borders.find(page, 300) is None
