"""Page geometry limits (``ocr/pdf.py``) and empty pages in the engine, in-process."""

from __future__ import annotations

import io
import math

import pytest
from PIL import Image

from aigateway.errors import PayloadTooLargeError, UnprocessableDocumentError
from aigateway.ocr import pdf
from aigateway.ocr.engine import worker

MP = 50_000_000


@pytest.mark.parametrize(
    ("w", "h", "dpi", "want"),
    [
        pytest.param(595, 842, 300, 300 / 72, id="a4-at-300"),
        pytest.param(1, 1, 300, 300 / 72, id="one-point"),
        pytest.param(14400, 14400, 300, math.sqrt(MP) / 14400, id="pixel-cap"),
        pytest.param(30000, 10, 300, pdf.MAX_SIDE / 30000, id="side-cap"),
        pytest.param(-595, -842, 300, 300 / 72, id="flipped"),
    ],
)
def test_page_scale_stays_within_the_limits(w: float, h: float, dpi: int, want: float) -> None:
    scale = pdf.page_scale(w, h, dpi, MP)
    assert scale == pytest.approx(want)
    assert abs(w) * scale <= pdf.MAX_SIDE + 1e-6
    assert abs(h) * scale <= pdf.MAX_SIDE + 1e-6
    assert abs(w * h) * scale * scale <= MP * (1 + 1e-9)


@pytest.mark.parametrize(
    ("w", "h"),
    [
        pytest.param(1e9, 1, id="1e9-by-1"),
        pytest.param(0, 842, id="zero-width"),
        pytest.param(math.inf, 10, id="infinite"),
        pytest.param(math.nan, 10, id="nan"),
    ],
)
def test_unrenderable_pages_are_422_naming_the_limit(w: float, h: float) -> None:
    with pytest.raises(UnprocessableDocumentError) as exc:
        pdf.page_scale(w, h, 300, MP)
    assert exc.value.status_code == 422
    assert exc.value.param == "document"
    assert "32767" in exc.value.message or "no area" in exc.value.message


def test_image_sides_over_the_limit_are_413() -> None:
    pdf.check_image_size(pdf.MAX_SIDE, 1, MP)
    with pytest.raises(PayloadTooLargeError, match="32767 pixels per side"):
        pdf.check_image_size(pdf.MAX_SIDE + 1, 1, MP)
    with pytest.raises(PayloadTooLargeError, match="pixels per page"):
        pdf.check_image_size(10_000, 10_000, MP)
    with pytest.raises(UnprocessableDocumentError, match="no pixels"):
        pdf.check_image_size(0, 10, MP)


@pytest.mark.parametrize("size", [(1700, 2200), (1, 1), (20000, 2)])
def test_an_empty_page_is_empty_markdown(size: tuple[int, int]) -> None:
    buf = io.BytesIO()
    Image.new("L", size, 255).save(buf, format="PNG")
    page = worker.read_page(
        worker.Source("image/png", data=buf.getvalue()), 0, worker.EngineOptions(), False
    )
    assert page.markdown == ""
    assert (page.width, page.height) == size
