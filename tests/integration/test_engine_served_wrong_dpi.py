"""Images whose DPI tag no page could have, through ``aigateway serve`` as shipped.

Cameras, image editors and many converters write 72 or 96 DPI whatever the pixels hold. A page
scanned or rendered at 300 DPI and saved so measures 34 x 49 inches, its body text 40-50 pt;
believed, the tag told Tesseract and every pass that measures in millimetres a resolution four
times too coarse, and the page reported 72 DPI. Such a tag now gives way to the resolution the
page's text says (:func:`aigateway.ocr.engine.textsize.checked_dpi`); a tag a real sheet could
have (a slide at 96 DPI) is kept. One real server process (uvloop, two workers), more pages at
once than workers.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
from PIL import Image

from ..support.docgen import find_font, render_text
from ..support.served_pages import LOCAL_OCR_CONFIG, encode, found_in_order, post_ocr
from ..support.server import GatewayProcess

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(find_font("DejaVuSerif.ttf") is None, reason="fonts-dejavu-core"),
]

TEXT = (
    "A replica that loses its connection to the state backend keeps serving within the limits "
    "it last saw, and it takes its leases back as soon as the backend answers again. Tenants "
    "are never locked out for longer than one lease, whatever happens to the connection, and "
    "the metrics say how often a replica had to fall back on what it knew. Pages that arrive "
    "as scans are read by the local engine, which keeps the layout of columns and tables while "
    "it recognises the words on each line of the page, and says for each page how it was read."
)


@pytest.fixture(scope="module")
def gateway(module_gateway_factory: Callable[..., GatewayProcess]) -> GatewayProcess:
    return module_gateway_factory(LOCAL_OCR_CONFIG)


def _page() -> Image.Image:
    """An A4 page at 300 DPI: 10 pt serif type (42 px), three paragraphs."""
    return render_text(
        "\n\n".join([TEXT] * 3), width=2480, size=42, font_name="DejaVuSerif.ttf", min_height=3508
    )


def test_a_300_dpi_page_tagged_72_or_96_is_read_and_reported_at_its_texts_resolution(
    gateway: GatewayProcess,
) -> None:
    page, words = _page(), " ".join([TEXT] * 3).split()
    # 28 pt type on a 13 inch slide at 96 DPI, over a faint texture.
    slide = render_text(TEXT, width=1280, size=37, min_height=720)
    slide = Image.blend(slide, Image.effect_noise(slide.size, 30).convert("L"), 0.05)
    grain = Image.effect_noise((2500, 1800), 40).convert("L")  # 35 in at 72, nothing to measure
    docs = [
        encode(page, "PNG", dpi=72),
        encode(page, "JPEG", quality=85, dpi=96),
        encode(page, "PNG", dpi=300),
        encode(slide, "PNG", dpi=96),
        encode(grain, "PNG", dpi=72),
    ]
    with ThreadPoolExecutor(len(docs)) as ex:
        tagged72, tagged96, true300, slide_r, grain_r = ex.map(
            lambda doc: post_ocr(gateway, doc), docs
        )
    for r in (tagged72, tagged96, true300, slide_r, grain_r):
        assert r.status_code == 200, r.text
    for r in (tagged72, tagged96):
        got = r.json()["pages"][0]
        # Before: dpi 72 (96) from "metadata", a 34 inch page.
        assert got["reading"]["dpi_source"] == "estimated", got["reading"]
        assert 240 <= got["dimensions"]["dpi"] <= 400, got["dimensions"]
        assert found_in_order(got["markdown"], words) >= 0.98, got["markdown"]
    # A tag a real page could have is believed, however large its print or its pixels.
    for r, dpi in ((true300, 300), (slide_r, 96), (grain_r, 72)):
        got = r.json()["pages"][0]
        assert (got["dimensions"]["dpi"], got["reading"]["dpi_source"]) == (dpi, "metadata")
    assert found_in_order(true300.json()["pages"][0]["markdown"], words) >= 0.98
    assert found_in_order(slide_r.json()["pages"][0]["markdown"], TEXT.split()) >= 0.95
