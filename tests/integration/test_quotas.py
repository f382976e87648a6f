"""Tenant limits over the memory and Redis backends (in-process apps, real redis-server)."""

from __future__ import annotations

import asyncio
import base64
from typing import Any

import httpx
import pytest
from litestar import Litestar

from aigateway.tenancy.auth import hash_key

from ..support.docgen import text_pdf, text_png
from ..support.echo import EchoOcrProvider, echo_app, echo_settings
from ..support.officegen import deck_pptx, report_docx

pytestmark = pytest.mark.usefixtures("echo_provider")

KEY = "tenant-key-0001"
AUTH = {"authorization": f"Bearer {KEY}"}
PNG = text_png("quota", size=20, width=200)


def tenant(limits: str, state: str = "") -> str:
    return f"""
{state}
[[tenants]]
id = "t1"
api_keys = ["{hash_key(KEY)}"]
limits = {{ {limits} }}
"""


def redis_state(url: str, fail_open: bool = True) -> str:
    return f'[state]\nbackend = "redis"\nurl = "{url}"\nfail_open = {str(fail_open).lower()}\n'


def pdf_body(pages: int) -> dict[str, Any]:
    data = text_pdf([f"page {i}" for i in range(pages)])
    return {"document_base64": base64.b64encode(data).decode()}


IMAGE = {"document_base64": base64.b64encode(PNG).decode()}


class AsyncTestClient(httpx.AsyncClient):
    """httpx over ASGI in this event loop: requests really run concurrently (Litestar's test
    client serializes them, which would hide races)."""

    def __init__(self, app: Litestar) -> None:
        super().__init__(transport=httpx.ASGITransport(app=app), base_url="http://gw")
        self.app = app

    async def __aexit__(self, *exc: Any) -> None:
        await super().__aexit__(*exc)
        await self.app.state.runtime.aclose()


@pytest.fixture(params=["memory", "redis"])
def state(request: pytest.FixtureRequest) -> str:
    if request.param == "memory":
        return ""
    return redis_state(request.getfixturevalue("redis_url"))


@pytest.mark.minute_window
async def test_requests_per_minute_then_429_with_retry_after(state: str) -> None:
    app = echo_app(echo_settings(tenant("requests_per_minute = 3", state)))
    async with AsyncTestClient(app) as c:
        codes = []
        for _ in range(3):
            codes.append((await c.post("/v1/ocr", json=IMAGE, headers=AUTH)).status_code)
        assert codes == [200, 200, 200]
        resp = await c.post("/v1/ocr", json=IMAGE, headers=AUTH)
        assert resp.status_code == 429
        err = resp.json()["error"]
        assert "requests_per_minute = 3" in err["message"]
        assert err["code"] == "requests_per_minute_exceeded"
        assert 1 <= int(resp.headers["retry-after"]) <= 60
    assert len(EchoOcrProvider.calls) == 3


@pytest.mark.minute_window
async def test_concurrent_requests_cannot_overshoot(state: str) -> None:
    app = echo_app(echo_settings(tenant("requests_per_minute = 10", state)))
    EchoOcrProvider.delay = 0.01
    async with AsyncTestClient(app) as c:
        results = await asyncio.gather(
            *(c.post("/v1/ocr", json=IMAGE, headers=AUTH) for _ in range(40))
        )
    codes = sorted(r.status_code for r in results)
    assert codes.count(200) == 10
    assert codes.count(429) == 30


@pytest.mark.minute_window
async def test_page_quota_counts_pdf_pages_before_any_ocr(state: str) -> None:
    app = echo_app(echo_settings(tenant("pages_per_day = 4", state)))
    async with AsyncTestClient(app) as c:
        big = await c.post("/v1/ocr", json=pdf_body(5), headers=AUTH)
        assert big.status_code == 429
        assert "pages_per_day = 4" in big.json()["error"]["message"]
        assert "5 pages" in big.json()["error"]["message"]
        assert EchoOcrProvider.calls == []  # refused before the provider saw it
        assert (await c.post("/v1/ocr", json=pdf_body(3), headers=AUTH)).status_code == 200
        # A selection counts only its pages: 1 more fits, 2 do not.
        two = await c.post("/v1/ocr", json={**pdf_body(3), "pages": [0, 1]}, headers=AUTH)
        assert two.status_code == 429
        one = await c.post("/v1/ocr", json={**pdf_body(3), "pages": [2]}, headers=AUTH)
        assert one.status_code == 200
    assert len(EchoOcrProvider.calls) == 2


async def test_office_files_count_their_pages_before_any_ocr() -> None:
    app = echo_app(echo_settings(tenant("pages_per_day = 4")))
    docx = report_docx(sections=5, photos=0)  # five pages, a page break between sections
    deck = deck_pptx(slides=3, photos=False)
    async with AsyncTestClient(app) as c:
        body = {"document_base64": base64.b64encode(docx).decode()}
        big = await c.post("/v1/ocr", json=body, headers=AUTH)
        assert big.status_code == 429
        assert "5 pages" in big.json()["error"]["message"]
        assert EchoOcrProvider.calls == []  # refused before the provider saw it
        body = {"document_base64": base64.b64encode(deck).decode()}
        assert (await c.post("/v1/ocr", json=body, headers=AUTH)).status_code == 200
        # Three slides counted: one page is left, and a two-page selection does not fit.
        body = {"document_base64": base64.b64encode(docx).decode(), "pages": [0, 1]}
        assert (await c.post("/v1/ocr", json=body, headers=AUTH)).status_code == 429
        body["pages"] = [4]
        assert (await c.post("/v1/ocr", json=body, headers=AUTH)).status_code == 200
    assert len(EchoOcrProvider.calls) == 2


@pytest.mark.minute_window
async def test_rejected_pages_refund_the_request(state: str) -> None:
    limits = "requests_per_minute = 2, pages_per_minute = 1"
    app = echo_app(echo_settings(tenant(limits, state)))
    async with AsyncTestClient(app) as c:
        assert (await c.post("/v1/ocr", json=pdf_body(3), headers=AUTH)).status_code == 429
        assert (await c.post("/v1/ocr", json=IMAGE, headers=AUTH)).status_code == 200
        # The page rejection above did not spend a request: a second image still fits the rpm
        # but not the page limit; a third request is over the rpm.
        resp = await c.post("/v1/ocr", json=IMAGE, headers=AUTH)
        assert "pages_per_minute" in resp.json()["error"]["message"]


async def test_max_concurrent(state: str) -> None:
    app = echo_app(echo_settings(tenant("max_concurrent = 2", state)))
    EchoOcrProvider.delay = 0.3
    async with AsyncTestClient(app) as c:
        results = await asyncio.gather(
            *(c.post("/v1/ocr", json=IMAGE, headers=AUTH) for _ in range(5))
        )
        codes = sorted(r.status_code for r in results)
        assert codes == [200, 200, 429, 429, 429]
        EchoOcrProvider.delay = 0.0
        # Slots are released: later requests pass again.
        assert (await c.post("/v1/ocr", json=IMAGE, headers=AUTH)).status_code == 200


async def test_bad_page_selection_is_400_before_charging() -> None:
    app = echo_app(echo_settings(tenant("pages_per_day = 100")))
    async with AsyncTestClient(app) as c:
        resp = await c.post("/v1/ocr", json={**pdf_body(2), "pages": [5]}, headers=AUTH)
        assert resp.status_code == 400
        assert resp.json()["error"]["param"] == "pages"


@pytest.mark.parametrize("fail_open", [True, False])
async def test_redis_down_mid_run(redis_session: Any, redis_url: str, fail_open: bool) -> None:
    state = redis_state(redis_url, fail_open)
    app = echo_app(echo_settings(tenant("requests_per_minute = 100", state)))
    async with AsyncTestClient(app) as c:
        assert (await c.post("/v1/ocr", json=IMAGE, headers=AUTH)).status_code == 200
        redis_session.stop()
        try:
            resp = await c.post("/v1/ocr", json=IMAGE, headers=AUTH)
            if fail_open:
                assert resp.status_code == 200
            else:
                assert resp.status_code == 503
                assert "state backend" in resp.json()["error"]["message"]
                assert resp.headers["retry-after"]
        finally:
            redis_session.start()
        # Redis is probed again with backoff (at most 2 s apart): limits come back on their own.
        for _ in range(60):
            resp = await c.post("/v1/ocr", json=IMAGE, headers=AUTH)
            if resp.status_code == 200 and app.state.runtime.state.available:
                break
            await asyncio.sleep(0.1)
        assert resp.status_code == 200
        assert app.state.runtime.state.available


async def test_frames_count_as_pages_for_tiff_only() -> None:
    import io

    from PIL import Image

    frames = [Image.new("L", (40, 20), c) for c in (0, 128, 255)]
    gif = io.BytesIO()
    frames[0].save(gif, format="GIF", save_all=True, append_images=frames[1:])
    buf = io.BytesIO()
    frames[0].save(buf, format="TIFF", save_all=True, append_images=frames[1:])
    tiff = buf.getvalue()
    app = echo_app(echo_settings(tenant("pages_per_day = 2")))
    async with AsyncTestClient(app) as c:
        body = {"document_base64": base64.b64encode(gif.getvalue()).decode()}
        assert (await c.post("/v1/ocr", json=body, headers=AUTH)).status_code == 200
        body = {"document_base64": base64.b64encode(tiff).decode()}
        resp = await c.post("/v1/ocr", json=body, headers=AUTH)
        assert resp.status_code == 429
        assert "3 pages" in resp.json()["error"]["message"]
