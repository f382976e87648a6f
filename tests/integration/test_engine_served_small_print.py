"""Screen-sized print in images without a DPI tag, through ``aigateway serve`` as shipped.

A screenshot carries no DPI tag (or a wrong one), and its 11-13 px text is an 8-10 pt font at
screen resolution. Read as the 300 DPI an untagged image is taken for, Tesseract measured those
lines as 2-4 pt print and cut them into fragments: runs of words were dropped without a word
of doubt and the rest came back out of order (:func:`aigateway.ocr.engine.textsize.told_dpi`).

The other way round, cameras, image editors and many converters write 72 or 96 DPI whatever the
pixels hold: a page scanned at 300 DPI and saved so measures 34 x 49 inches, its body text
40-50 pt. Believed, the tag told Tesseract and every pass that measures in millimetres a
resolution four times too coarse, and the page reported 72 DPI. Such a tag now gives way to the
resolution the page's text says (:func:`aigateway.ocr.engine.textsize.checked_dpi`); a tag a
real sheet could have (a slide at 96 DPI) is kept.

One real server process (uvloop, two workers), more pages at once than workers.
"""

from __future__ import annotations

import random
import textwrap
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
from PIL import Image, ImageDraw

from ..support.docgen import find_font, font, render_text
from ..support.served_pages import LOCAL_OCR_CONFIG, encode, found_in_order, post_ocr
from ..support.server import GatewayProcess

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(find_font("DejaVuSansMono.ttf") is None, reason="fonts-dejavu-core"),
]

TEXT = (
    "The gateway reads its settings from one file when it starts and again when it is told to "
    "reload. Each model entry names a provider, the base address of the upstream and the key "
    "it sends there; a request that names no model is answered by the first entry that can "
    "serve it. Uploads larger than the configured limit are refused before they are read, "
    "with an error that names the field and the limit. Pages are read by a pool of worker "
    "processes, one for each core by default, and a request that waits longer than its "
    "deadline is cancelled without holding a worker. Tenants share their limits across "
    "replicas through the state backend, and a replica that loses its connection to that "
    "backend keeps serving within the limits it last saw. Every response carries the usage "
    "of the request, and the metrics endpoint counts pages, tokens and errors by model and "
    "by tenant. When a provider answers with an error, the gateway passes on its status and "
    "message in the same envelope, so that clients written for the upstream keep working. "
    "Documents fetched from a link are checked at connect time, and addresses inside the "
    "private ranges are refused unless the operator allows them by name."
)

# (font, px size, window width, line pitch, background, ink): a light editor, a dark document
# viewer, a dark terminal, a blue dashboard.
SCREENS = [
    ("DejaVuSansMono.ttf", 12, 1440, 15, (255, 255, 255), (30, 30, 30)),
    ("DejaVuSerif.ttf", 11, 1440, 16, (30, 30, 36), (220, 220, 220)),
    ("DejaVuSansMono.ttf", 11, 1440, 16, (30, 30, 36), (220, 220, 220)),
    ("DejaVuSansCondensed.ttf", 11, 1440, 14, (25, 40, 80), (230, 235, 245)),
]


TAGGED_TEXT = (
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


def _screenshot(k: int) -> tuple[Image.Image, list[str]]:
    """Screen ``k`` of :data:`SCREENS`: a window bar, then the text (8-9 lines) in its
    font, wrapped to the window, with a faint seeded grain (a capture's)."""
    name, size, width, pitch, ground, ink = SCREENS[k]
    face = font(size, name)
    per_line = int((width - 80) / (face.getlength("abcdefghijklmnopqrstuvwxyz ") / 27))
    lines = textwrap.wrap(TEXT, per_line)
    img = Image.new("RGB", (width, 60 + pitch * len(lines) + 40), ground)
    d = ImageDraw.Draw(img)
    d.rectangle((0, 0, width, 28), fill=tuple(max(0, c - 24) for c in ground))
    for i, line in enumerate(lines):
        d.text((40, 60 + pitch * i), line, font=face, fill=ink)
    noise = random.Random(k).randbytes(img.width * img.height)
    grain = Image.frombytes("L", img.size, noise).convert("RGB")
    return Image.blend(img, grain, 0.03), " ".join(lines).split()


def test_screenshots_in_small_print_read_whole_and_in_order(gateway: GatewayProcess) -> None:
    shots = [_screenshot(k) for k in range(len(SCREENS))]
    # Untagged PNGs, as screenshots are, and the second as a JPEG too (as one is shared).
    docs = [encode(img, "PNG") for img, _ in shots] + [encode(shots[1][0], "JPEG", quality=97)]
    words = [w for _, w in shots] + [shots[1][1]]

    with ThreadPoolExecutor(len(docs)) as ex:
        answers = list(ex.map(lambda doc: post_ocr(gateway, doc), docs))
    for k, (r, want) in enumerate(zip(answers, words, strict=True)):
        assert r.status_code == 200, r.text
        page = r.json()["pages"][0]
        text = " ".join(page["markdown"].split())
        # Before, the last three screens kept 82-95 % of their words in order (in process).
        assert found_in_order(text, want) >= 0.96, (k, text)
        # Screen print measured as such: an 8-10 pt font at 70-100 DPI (before, 100-170 from
        # the fragments' heights).
        dpi, source = page["dimensions"]["dpi"], page["reading"]["dpi_source"]
        assert source == "estimated" and 50 <= dpi <= 100, (k, dpi, source)


def test_untagged_screens_without_measurable_print_are_read_and_errors_name_the_field(
    gateway: GatewayProcess,
) -> None:
    # Hostile and odd untagged captures beside real ones: a screen of pure grain (no lines to
    # measure), a one-line strip of tiny print (too few lines to measure), a truncated PNG.
    grain = Image.frombytes("RGB", (1440, 240), random.Random(9).randbytes(1440 * 240 * 3))
    strip = Image.blend(
        Image.new("RGB", (4000, 30), "white"),
        Image.frombytes("RGB", (4000, 30), random.Random(10).randbytes(4000 * 30 * 3)),
        0.3,
    )
    ImageDraw.Draw(strip).text((10, 8), TEXT[:600], font=font(11), fill=(0, 0, 0))
    shot = encode(_screenshot(2)[0], "PNG")
    broken = (shot[0], shot[1][: len(shot[1]) // 2])
    docs = [encode(grain, "PNG"), encode(strip, "PNG"), broken, shot, shot]
    with ThreadPoolExecutor(len(docs)) as ex:
        grain_r, strip_r, broken_r, *shots = ex.map(lambda doc: post_ocr(gateway, doc), docs)
    for r in (grain_r, strip_r, *shots):
        assert r.status_code == 200, r.text
    assert found_in_order(shots[0].json()["pages"][0]["markdown"], _screenshot(2)[1]) >= 0.96
    assert broken_r.status_code in (400, 422), broken_r.text
    error = broken_r.json()["error"]
    assert error["param"] == "document" and "truncated" in error["message"], error


def _a4_page() -> Image.Image:
    """An A4 page at 300 DPI: 10 pt serif type (42 px), three paragraphs."""
    return render_text(
        "\n\n".join([TAGGED_TEXT] * 3),
        width=2480,
        size=42,
        font_name="DejaVuSerif.ttf",
        min_height=3508,
    )


def test_a_300_dpi_page_tagged_72_or_96_is_read_and_reported_at_its_texts_resolution(
    gateway: GatewayProcess,
) -> None:
    page, words = _a4_page(), " ".join([TAGGED_TEXT] * 3).split()
    # 28 pt type on a 13 inch slide at 96 DPI, over a faint texture.
    slide = render_text(TAGGED_TEXT, width=1280, size=37, min_height=720)
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
    assert found_in_order(slide_r.json()["pages"][0]["markdown"], TAGGED_TEXT.split()) >= 0.95
