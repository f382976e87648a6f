"""Pages in languages written with marks, through ``aigateway serve`` as shipped.

The engine's language pack is English; its Tesseract model reads ``à`` as ``a``, ``Würde`` as
``Wiirde`` and ``razón`` as ``razon``, sure of itself. On a page written with marks every line
is read again by the recogniser, and its marked letters put in place of Tesseract's
(:mod:`aigateway.ocr.engine.diacritics`); an English page with a few marked names is left as
Tesseract and the doubtful stretches' re-reading gave it. One real server process (uvloop, two
workers), more pages at once than workers: a French page rendered, a German one scanned, a
Spanish one as a screenshot, and an English one.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from PIL import Image, ImageFilter

from aigateway.ocr.engine.diacritics import marked

from ..support.docgen import find_font, noise, on_grain, prose_page, render_text
from ..support.marked_texts import ENGLISH_WITH_NAMES, FRENCH, GERMAN, SPANISH
from ..support.served_pages import (
    LOCAL_OCR_CONFIG,
    encode,
    found_in_order,
    read_beside_truncated,
)
from ..support.server import GatewayProcess

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(find_font("DejaVuSerif.ttf") is None, reason="fonts-dejavu-core"),
]

_PUNCT = ".,;:!?¿¡"


@pytest.fixture(scope="module")
def gateway(module_gateway_factory: Callable[..., GatewayProcess]) -> GatewayProcess:
    return module_gateway_factory(LOCAL_OCR_CONFIG)


def _words(text: str) -> list[str]:
    return [w.strip(_PUNCT) for w in text.split() if w.strip(_PUNCT)]


def _screenshot(text: str) -> Image.Image:
    """``text`` as a browser shows it at 1x: 17 px sans on a 1280 px wide window, in colour,
    untagged, under a photograph (blurred noise in colour) as a web page's article has."""
    img = render_text(text, width=1280, size=17, margin=60, line_spacing=1.6, min_height=1000)
    rgb = Image.merge("RGB", (img, img, img.point(lambda v: min(255, v + 12))))
    photo = Image.merge("RGB", [noise((1160, 360), 60, seed=k) for k in range(3)])
    shot = Image.new("RGB", (1280, rgb.height + 420), (255, 255, 255))
    shot.paste(photo.filter(ImageFilter.GaussianBlur(2)), (60, 30))
    shot.paste(rgb, (0, 420))
    return shot


def test_pages_in_languages_with_marks_read_their_marks_and_english_is_left_alone(
    gateway: GatewayProcess,
) -> None:
    texts = [FRENCH, GERMAN, SPANISH, ENGLISH_WITH_NAMES]
    flat = [t.replace("\n\n", " ") for t in texts]
    scanned = prose_page(flat[1]).filter(ImageFilter.GaussianBlur(0.7))
    docs = [
        encode(prose_page(flat[0]), "PNG", dpi=300),
        encode(scanned.convert("RGB"), "JPEG", quality=75, dpi=300),
        encode(_screenshot(flat[2]), "PNG"),
        encode(on_grain(prose_page(flat[3]), seed=4, mean=235, sigma=12), "JPEG", 80, dpi=300),
    ]
    # Beside them, hostile: the German scan cut off a third of the way into its JPEG stream.
    pages = read_beside_truncated(gateway, docs, cut=1, keep=1 / 3)
    for text, got in zip(flat, pages, strict=True):
        assert found_in_order(got, text.split()) >= 0.97, got[:600]
        want = _words(text)
        if text is flat[3]:
            continue
        # Every word with a marked letter read with its marks (one may slip), where before
        # French lost every "à", German "Würde" and "Männer", Spanish "razón" and "están".
        with_marks = [w for w in want if marked(w)]
        read = set(_words(got))
        missed = [w for w in with_marks if w not in read]
        assert len(missed) <= 1, (missed, got[:600])
    # Nothing marked on the English page but its names (which keep what Tesseract and the
    # doubtful stretches' re-reading made of them: the page is not read again).
    assert {w for w in _words(pages[3]) if marked(w)} <= {w for w in _words(flat[3]) if marked(w)}
