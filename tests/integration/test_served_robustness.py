"""The generated robustness set (``hostile_docs``) through ``aigateway serve``'s HTTP API.

Blank pages, 1x1 images, noise, tiny text, huge sparse pages, 16-bit, CMYK, palette with
alpha, EXIF rotation, TIFF with blank frames, PDFs with blank and odd-MediaBox pages, broken
bytes: every answer is a 200 or the documented 4xx naming its limit, never a 5xx, and the
server stays healthy (no worker restarted) after all of them, sent at once.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from ..support.hostile_docs import Case, cases
from ..support.server import GatewayProcess
from .test_served_ocr import SERVED, restarts, words

pytestmark = pytest.mark.slow


def post(url: str, case: Case) -> httpx.Response:
    body: dict[str, Any] = {"document_base64": base64.b64encode(case.data).decode()}
    if case.media_type:
        body["content_type"] = case.media_type
    body.update(case.options)
    with httpx.Client(timeout=300) as client:
        return client.post(url + "/v1/ocr", json=body)


def check(case: Case, resp: httpx.Response) -> str | None:
    """What is wrong with ``resp`` for ``case`` (``None`` when it is right)."""
    if resp.status_code >= 500:
        return f"{case.name}: 5xx {resp.status_code} {resp.text[:300]}"
    if resp.status_code != case.status:
        return f"{case.name}: {resp.status_code} (want {case.status}) {resp.text[:300]}"
    body = resp.json()
    if case.status != 200:
        err = body.get("error", {})
        if case.message not in err.get("message", ""):
            return f"{case.name}: message {err.get('message')!r} lacks {case.message!r}"
        if err.get("param") not in ("document", "document_base64", "content_type"):
            return f"{case.name}: param {err.get('param')!r}"
        if re.search(r" at 0x[0-9a-fA-F]+>", err.get("message", "")):
            return f"{case.name}: a Python object's repr in the message: {err['message']!r}"
        return None
    if case.pages is not None:
        got = [words(p["markdown"]) for p in body["pages"]]
        if got != [words(p) for p in case.pages]:
            return f"{case.name}: pages {got} (want {case.pages})"
    if re.search(r"No text returned|Error reading image", resp.text):
        return f"{case.name}: engine error text leaked: {resp.text[:200]}"
    return None


def test_every_hostile_document_is_a_200_or_a_documented_4xx(
    gateway_server_factory: Callable[..., GatewayProcess],
) -> None:
    gw = gateway_server_factory(SERVED)
    docs = cases()
    with ThreadPoolExecutor(8) as ex:
        answers = list(ex.map(lambda c: (c, post(gw.url, c)), docs))
    problems = [p for c, r in answers if (p := check(c, r)) is not None]
    assert not problems, "\n".join(problems)
    with httpx.Client(base_url=gw.url, timeout=10) as client:
        assert restarts(client.get("/metrics").text) == 0
        assert client.get("/readyz").status_code == 200
    assert "Traceback" not in gw.log()
