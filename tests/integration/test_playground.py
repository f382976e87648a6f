"""The playground's server side: the page-image endpoint and what the page is told.

In process for the preview's answers and errors; through ``aigateway serve`` for concurrent
previews of real-size documents next to OCR on the same documents. The page itself runs in a
browser in ``test_playground_browser.py``.
"""

from __future__ import annotations

import base64
import io
import json
import math
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from litestar.testing import AsyncTestClient
from PIL import Image

from aigateway.config import parse_config
from aigateway.tenancy.auth import hash_key

from ..support.docgen import encrypted_pdf, png_header, scanned_pdf, text_pdf, text_png, tiff_frames
from ..support.echo import echo_app
from ..support.server import GatewayProcess

KEY = "sk-preview-tenant-key"

pytestmark = pytest.mark.usefixtures("echo_provider")

# In process, the OCR entity is the echo provider (the preview never calls a provider, and no
# OCR worker pool needs starting); the served test below runs the real local engine.
BASE = """
[limits]
max_size_upload = {cap}

[[ocr_models]]
id = "local"
provider = "echo"

[[routes]]
path = "/"
plugin = "openai_compat"
ocr_model_refs = ["local"]
"""


def config(extra: str = "", cap: int = 10_000_000) -> Any:
    return parse_config(BASE.format(cap=cap) + extra)


def _image(page: dict[str, Any]) -> Image.Image:
    assert page["media_type"] == "image/jpeg"
    img = Image.open(io.BytesIO(base64.b64decode(page["data"])))
    img.load()
    assert (img.width, img.height) == (page["width"], page["height"])
    return img


async def _preview(
    c: AsyncTestClient[Any],
    data: bytes,
    name: str = "doc.pdf",
    fields: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    return await c.post(
        "/playground/preview",
        files={"image": (name, data, "application/octet-stream")},
        data=fields or {},
        headers=headers or {},
    )


async def test_pdf_pages_tiff_frames_and_images() -> None:
    async with AsyncTestClient(echo_app(config())) as c:
        r = await _preview(c, text_pdf(["one", "two", "three"]))
        assert r.status_code == 200
        body = r.json()
        assert body["page_count"] == 3 and body["truncated"] is False
        assert [p["index"] for p in body["pages"]] == [0, 1, 2]
        img = _image(body["pages"][0])
        # A4 at the default 100 dpi, within the long-side cap.
        assert (img.width, img.height) == (math.ceil(595 * 100 / 72), math.ceil(842 * 100 / 72))
        sel = (await _preview(c, text_pdf(["a", "b", "c"]), fields={"pages": "2,0"})).json()
        assert [p["index"] for p in sel["pages"]] == [0, 2]

        frames = (await _preview(c, tiff_frames(["x", "y", "z"]), "f.tif")).json()
        assert frames["page_count"] == 3 and [p["index"] for p in frames["pages"]] == [0, 1, 2]
        png = (await _preview(c, text_png("hello"), "a.png", {"pages": "0"})).json()
        assert png["page_count"] == 1 and _image(png["pages"][0]).width > 100


async def test_preview_limits_pages_and_resolution() -> None:
    extra = "[playground]\npreview_max_pages = 2\npreview_dpi = 50\n"
    async with AsyncTestClient(echo_app(config(extra))) as c:
        body = (await _preview(c, text_pdf(["a", "b", "c"]))).json()
    assert body["truncated"] is True and len(body["pages"]) == 2
    assert _image(body["pages"][0]).width == math.ceil(595 * 50 / 72)


@pytest.mark.parametrize(
    ("make", "fields", "status", "param"),
    [
        pytest.param(lambda: encrypted_pdf("secret", "pw"), {}, 422, "pdf_password", id="locked"),
        pytest.param(lambda: b"%PDF-1.7\n garbage \n%%EOF", {}, 422, "document", id="corrupt"),
        pytest.param(lambda: text_pdf(["a"]), {"pages": "3"}, 400, "pages", id="past-end"),
        pytest.param(lambda: text_pdf(["a"]), {"pages": "x"}, 400, "pages", id="bad-pages"),
        pytest.param(lambda: png_header(100_000, 100_000), {}, 413, "document", id="pixel-bomb"),
        pytest.param(
            lambda: b"<svg xmlns='http://www.w3.org/2000/svg'/>", {}, 415, "document", id="svg"
        ),
        pytest.param(lambda: b"x" * 20_000, {}, 413, "image", id="too-large"),
        pytest.param(lambda: b"", {}, 400, "image", id="empty"),
    ],
)
async def test_hostile_documents_get_the_envelope(
    make: Callable[[], bytes], fields: dict[str, str], status: int, param: str
) -> None:
    async with AsyncTestClient(echo_app(config(cap=10_000))) as c:
        r = await _preview(c, make(), fields=fields)
    assert r.status_code == status, r.text
    error = r.json()["error"]
    assert error["param"] == param
    assert "x-request-id" in r.headers


async def test_password_opens_the_pdf() -> None:
    async with AsyncTestClient(echo_app(config())) as c:
        r = await _preview(c, encrypted_pdf("secret", "pw"), fields={"pdf_password": "pw"})
    assert r.status_code == 200 and r.json()["page_count"] == 1


async def test_url_documents_are_refused_by_name() -> None:
    async with AsyncTestClient(echo_app(config())) as c:
        r = await c.post("/playground/preview", json={"document_url": "https://example.com/a.pdf"})
    assert r.status_code == 400
    assert r.json()["error"]["param"] == "document_url"


@pytest.mark.minute_window
async def test_preview_needs_the_tenant_key_and_counts_requests() -> None:
    tenants = f"""
[[tenants]]
id = "acme"
api_keys = ["{hash_key(KEY)}"]
limits = {{ requests_per_minute = 2, max_size_upload = 5000 }}
"""
    async with AsyncTestClient(echo_app(config(tenants))) as c:
        pdf = text_pdf(["a"])
        assert (await _preview(c, pdf)).status_code == 401
        bad = await _preview(c, pdf, headers={"authorization": "Bearer nope-nope-nope"})
        assert bad.status_code == 401
        auth = {"authorization": f"Bearer {KEY}"}
        assert (await _preview(c, pdf, headers=auth)).status_code == 200
        # The tenant's own upload cap applies.
        big = await _preview(c, text_pdf(["a"]) + b" " * 6000, headers=auth)
        assert big.status_code == 413
        limited = await _preview(c, pdf, headers=auth)
        assert limited.status_code == 429 and "retry-after" in limited.headers


async def test_page_data_uses_relative_endpoints_and_hides_entities_with_tenants() -> None:
    routes = """
[[chat_models]]
id = "up"
base_url = "http://127.0.0.1:9/v1"
models = ["m"]

[[routes]]
path = "/api"
plugin = "openai_compat"
ocr_model_refs = ["local"]
chat_model_refs = ["up"]

[[routes]]
path = "/scan"
plugin = "ocr"
refs = ["local"]
max_size_upload = 1234
"""
    async with AsyncTestClient(echo_app(config(routes))) as c:
        data = _data(await c.get("/playground"))
    assert data["auth"] is False
    assert [(r["ocr"], r["models"], r["entities"]) for r in data["ocr"]] == [
        ("v1/ocr", "v1/models", ["local"]),
        ("api/v1/ocr", "api/v1/models", ["local"]),
        ("scan/v1/ocr", None, ["local"]),
    ]
    assert data["ocr"][2]["max_upload"] == 1234
    assert [r["chat"] for r in data["chat"]] == ["api/v1/chat/completions"]
    assert data["preview"] == "playground/preview" and data["docs"] == "docs"

    tenants = f'[[tenants]]\nid = "t"\napi_keys = ["{hash_key(KEY)}"]\n'
    async with AsyncTestClient(echo_app(config(routes + tenants))) as c:
        data = _data(await c.get("/playground"))
    assert data["auth"] is True
    assert all(r["entities"] == [] for r in data["ocr"])


def _data(r: httpx.Response) -> dict[str, Any]:
    assert r.status_code == 200
    m = re.search(r'<script type="application/json" id="config">(.*?)</script>', r.text, re.S)
    assert m is not None
    result: dict[str, Any] = json.loads(m.group(1))
    return result


SERVED = """
[limits]
max_size_upload = 10000000

[ocr_pool]
workers = 2

[[ocr_models]]
id = "local"
provider = "local"

[[routes]]
path = "/"
plugin = "openai_compat"
ocr_model_refs = ["local"]

[[tenants]]
id = "acme"
api_keys = ["{key}"]
"""


@pytest.mark.slow
def test_served_previews_run_beside_ocr_under_load(
    gateway_server_factory: Callable[..., GatewayProcess],
) -> None:
    gw = gateway_server_factory(SERVED.format(key=hash_key(KEY)))
    # Three pages: at this branch's base (b675d32) four or more stall the local OCR pool
    # (workers respawn in a loop); main's reworked pool reads them. The previews here do not
    # depend on the pool either way.
    words = ["harbour", "tonnage", "pilotage"]
    scan = scanned_pdf([f"Page {i} speaks of {w}" for i, w in enumerate(words)])
    assert len(scan) > 100_000
    auth = {"authorization": f"Bearer {KEY}"}

    def preview(i: int) -> httpx.Response:
        files = {"image": (f"scan-{i}.pdf", scan, "application/pdf")}
        return httpx.post(gw.url + "/playground/preview", files=files, headers=auth, timeout=120)

    def ocr() -> httpx.Response:
        files = {"image": ("scan.pdf", scan, "application/pdf")}
        return httpx.post(gw.url + "/v1/ocr", files=files, headers=auth, timeout=300)

    # More concurrent requests than OCR workers: previews do not wait for the OCR pool.
    with ThreadPoolExecutor(8) as pool:
        ocr_future = pool.submit(ocr)
        previews = list(pool.map(preview, range(6)))
        hostile = pool.submit(
            lambda: httpx.post(
                gw.url + "/playground/preview",
                files={"image": ("x.pdf", b"%PDF-1.4\n" + b"\x00" * 300_000, "application/pdf")},
                headers=auth,
                timeout=60,
            )
        ).result()
        result = ocr_future.result()
    for r in previews:
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["page_count"] == 3 and len(body["pages"]) == 3
        _image(body["pages"][2])
    assert hostile.status_code == 422
    assert result.status_code == 200, result.text
    text = result.json()["text"].lower()
    assert sum(w in text for w in words) >= 2
    log = gw.log()
    assert KEY not in log
    assert "harbour" not in log  # no document text in the access log
    assert all(
        json.loads(line).get("status", 200) < 500
        for line in log.splitlines()
        if line.startswith("{")
    )
