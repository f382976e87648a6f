"""The local OCR engine served as users run it: ``aigateway serve`` (uvloop, httptools) with a
real worker pool, real document sizes, more concurrent requests than workers.

These are the tests that would have caught the pool hanging on any document over a socket
buffer (about 200 KB) sent inline.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from .server import GatewayProcess
from .sized_docs import sized_document

pytestmark = pytest.mark.slow

POOL_WORKERS = 2
MiB = 1 << 20

SERVED = f"""
[limits]
max_size_upload = {8 * MiB}

[ocr_pool]
workers = {POOL_WORKERS}

[[ocr_models]]
id = "local"
provider = "local"

[[routes]]
path = "/"
plugin = "openai_compat"
ocr_model_refs = ["local"]
"""

CASES = [
    ("png", 1024, "Tiny png reads one kilobyte"),
    ("jpeg", 100 * 1024, "Jpeg photo of a receipt for coffee"),
    ("pdf", 300 * 1024, "Scanned letter about the garden fence"),
    ("png", 700 * 1024, "Screenshot of a chart legend in blue"),
    ("pdf", MiB + 1, "Contract page with one byte over a mebibyte"),
    ("tiff", 5 * MiB, "Fax cover sheet from the harbour office"),
]


def words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


def restarts(metrics: str) -> float:
    """The sum of every ``aigw_ocr_worker_restarts_total`` sample (the counter must exist)."""
    samples = re.findall(r"^aigw_ocr_worker_restarts_total(?:\{[^}]*\})? (\S+)$", metrics, re.M)
    assert samples, "aigw_ocr_worker_restarts_total is missing from /metrics"
    return sum(float(s) for s in samples)


def post_document(url: str, data: bytes, media_type: str, transport: str) -> httpx.Response:
    # A generous timeout: the failure this guards against is a hang, not slowness.
    with httpx.Client(timeout=180) as client:
        if transport == "json":
            body = {"document_base64": base64.b64encode(data).decode(), "content_type": media_type}
            return client.post(url + "/v1/ocr", json=body)
        return client.post(url + "/v1/ocr", files={"file": ("doc", data, media_type)})


def test_documents_of_every_size_both_transports_at_once(
    gateway_server_factory: Callable[..., GatewayProcess],
) -> None:
    gw = gateway_server_factory(SERVED)
    jobs = []
    for fmt, size, text in CASES:
        data, media_type = sized_document(fmt, text, size)
        for transport in ("json", "multipart"):
            jobs.append((f"{fmt}-{size}-{transport}", data, media_type, transport, text))
    assert len(jobs) >= 2 * POOL_WORKERS
    with ThreadPoolExecutor(len(jobs)) as ex:
        futures = [
            (name, text, ex.submit(post_document, gw.url, data, media_type, transport))
            for name, data, media_type, transport, text in jobs
        ]
        answers = [(name, text, f.result()) for name, text, f in futures]
    for name, text, resp in answers:
        assert resp.status_code == 200, (name, resp.text[:500])
        body = resp.json()
        assert words(body["text"]) == words(text), name
        assert body["usage_info"]["pages_processed"] == 1, name
    metrics = httpx.get(gw.url + "/metrics", timeout=10).text
    assert restarts(metrics) == 0, metrics
    assert "exited" not in gw.log()
