"""Light grey print on a scan, through ``aigateway serve`` as shipped.

A paragraph printed light grey between black ones (a form's or a web page's secondary text),
scanned: shaded paper, grain. The page's Otsu level, set between the black print and the
paper, took the grey print for paper, and Tesseract's own threshold of a crop kept the grain
with the strokes: the paragraph was lost, by raw Tesseract too
(:func:`aigateway.ocr.engine.dropped.recover_faint`). One real server process (uvloop, two
workers), more pages at once than workers, one of them cut short.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from ..support.docgen import FAINT_TEXTS, faint_scan, find_font
from ..support.served_pages import (
    LOCAL_OCR_CONFIG,
    encode,
    found_in_order,
    read_beside_truncated,
)
from ..support.server import GatewayProcess

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(find_font("DejaVuSans.ttf") is None, reason="fonts-dejavu-core"),
]


@pytest.fixture(scope="module")
def gateway(module_gateway_factory: Callable[..., GatewayProcess]) -> GatewayProcess:
    return module_gateway_factory(LOCAL_OCR_CONFIG)


def test_a_light_grey_paragraph_on_a_grainy_scan_is_read(gateway: GatewayProcess) -> None:
    docs = [
        encode(faint_scan(187, seed=1).convert("RGB"), "JPEG", quality=75),
        encode(faint_scan(200, seed=2), "JPEG", quality=85, dpi=300),
        encode(faint_scan(0, seed=3), "JPEG", quality=75, dpi=300),  # all black: unchanged
    ]
    # Beside them, hostile: the first scan cut off halfway through its JPEG stream.
    pages = read_beside_truncated(gateway, docs, cut=0, keep=1 / 2)
    for text in pages:
        for paragraph in FAINT_TEXTS:
            # Before: the grey paragraph's share was 0.
            assert found_in_order(text, (paragraph * 2).split()) >= 0.95, text
        assert text.count("Residents can read") == 2, text  # read once, not twice
