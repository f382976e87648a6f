"""``aigateway serve`` reads pages with the base install alone (``AIGATEWAY_EXTRAS=``).

README offers Tesseract alone (``AIGATEWAY_EXTRAS= scripts/serve``, a base install without
the ``rapidocr`` extra). Until the seventeenth round that install answered every OCR page with
an error: the engine's ink grids import numpy, which only the extra brought. Here the server
runs as shipped (uvloop, a pool of two workers) with the extras' packages hidden in every
process it starts (a ``sitecustomize`` on ``PYTHONPATH`` makes them fail to import, as a
missing package does), and reads real-size pages, more at once than it has workers.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from PIL import Image, ImageFilter

from ..support.docgen import render_text
from ..support.served_pages import LOCAL_OCR_CONFIG, encode, post_ocr
from ..support.server import GatewayProcess

pytestmark = pytest.mark.slow

HIDDEN = ("rapidocr", "onnxruntime", "openvino", "cv2")

PROSE = (
    "Tesseract alone reads this page when the gateway was installed without any extras, "
    "and the answer names the engine that read it. "
)


@pytest.fixture
def gateway(
    gateway_server_factory: Callable[..., GatewayProcess], tmp_path: Path
) -> GatewayProcess:
    hide = tmp_path / "hide"
    hide.mkdir()
    (hide / "sitecustomize.py").write_text(
        textwrap.dedent(
            f"""
            import sys
            for name in {HIDDEN!r}:
                sys.modules[name] = None  # what a package that is not installed looks like
            """
        )
    )
    return gateway_server_factory(LOCAL_OCR_CONFIG, env={"PYTHONPATH": str(hide)})


def _page(skew: float = 0.0, blur: float = 0.0) -> Image.Image:
    page = render_text(PROSE * 16, size=34, min_height=2400)
    if skew:
        page = page.rotate(skew, expand=True, fillcolor=255)
    return page.filter(ImageFilter.GaussianBlur(blur)) if blur else page


def test_the_base_install_serves_ocr(gateway: GatewayProcess) -> None:
    docs = [
        encode(_page(), "PNG", dpi=300),
        encode(_page(skew=2.5, blur=1.0), "JPEG", quality=92),
        encode(_page(blur=0.8).convert("RGB"), "PNG"),
    ]
    with ThreadPoolExecutor(len(docs)) as ex:
        answers = list(ex.map(lambda d: post_ocr(gateway, d), docs))
    for r in answers:
        assert r.status_code == 200, r.text
        (page,) = r.json()["pages"]
        assert page["reading"]["method"] == "ocr"
        # auto without RapidOCR installed: Tesseract reads, and says so.
        assert page["reading"]["engine"] == "tesseract"
        text = " ".join(page["markdown"].split())
        assert "installed without any extras" in text, text[:300]
    # Hostile input on the same install: a PNG cut off halfway is the client's error,
    # named, not the engine's.
    media, data = docs[0]
    bad = post_ocr(gateway, (media, data[: len(data) // 2]))
    assert bad.status_code == 422, bad.text
    assert bad.json()["error"]["param"] == "document", bad.text
    # The server's log holds no traceback from a worker that could not import a module.
    assert "ModuleNotFoundError" not in gateway.log()
