"""A scanned PDF page's grain is judged on the scan's own pixels (:mod:`aigateway.ocr.engine.scans`).

pdfium interpolates a scan whose pixel count does not match the page's size at the render's
resolution (A4 at 300 DPI: 2480 px of scan, 2481 of render), which averages grain below
:func:`~aigateway.ocr.engine.preprocess.grainy`'s level: the render measures clean and was
read raw, grain and all."""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pypdfium2 as pdfium
from PIL import Image

from aigateway.ocr import pdf
from aigateway.ocr.engine import preprocess, scans

from ..support.docgen import on_grain, render_text, scanned_pdf, text_pdf

TEXT = "\n\n".join(
    f"Paragraph {k}: the harbour office keeps a ledger of every vessel that anchors in the bay."
    for k in range(12)
)


def _page_pdf(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format="PDF", resolution=300.0)
    return buf.getvalue()


@contextmanager
def _first_page(data: bytes) -> Iterator[Any]:
    doc = pdfium.PdfDocument(data)
    page = doc[0]
    try:
        yield page
    finally:
        page.close()
        doc.close()


def _grainy_a4() -> Image.Image:
    page = render_text(TEXT, size=36, width=2480, min_height=1754)
    return on_grain(page, 1, 205, 50)


def test_a_grainy_scan_is_judged_on_its_own_pixels() -> None:
    data = _page_pdf(_grainy_a4())
    with _first_page(data) as page:
        render, _ = pdf.render(page, 300, 10**9)
        # The render is resampled (one pixel wider) and measures clean ...
        assert render.width != 2480
        assert not preprocess.grainy(render)
        # ... the scan itself does not.
        assert scans.grainy_scan(page, 10**9)
        # Over the pixel cap the scan is not decoded.
        assert not scans.grainy_scan(page, 1000)


def test_clean_scans_text_pages_and_one_bit_scans_are_not_grainy() -> None:
    with _first_page(scanned_pdf([TEXT])) as page:
        assert not scans.grainy_scan(page, 10**9)
    with _first_page(text_pdf([TEXT])) as page:
        assert not scans.grainy_scan(page, 10**9)
    # A one-bit scan's noise is specks (despeckled elsewhere), not grain.
    bilevel = _grainy_a4().point(lambda v: 255 if v > 150 else 0).convert("1")
    with _first_page(_page_pdf(bilevel)) as page:
        assert not scans.grainy_scan(page, 10**9)
