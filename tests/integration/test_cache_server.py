"""The OCR result cache, served: real ``aigateway serve`` processes over the loopback Mistral fake
(and the local engine's worker pool), with the memory, disk and Redis backends.

* A second identical request does not reach the upstream, whatever transport carries the bytes;
  10 concurrent identical requests reach it once; another tenant's identical request misses.
* Errors are not kept; concurrent identical requests that fail share the one failure.
* The local engine: 6 identical scans at once with one pool worker are OCR'd once.
* A disk directory serves two processes; Redis serves two replicas, and its outage is a miss,
  never an error. ``scope = "global"`` shares entries between tenants (a deliberate opt-in).
"""

from __future__ import annotations

import base64
import concurrent.futures
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from mistralai.client import Mistral

from aigateway.tenancy.auth import hash_key

from ..support.docgen import scanned_pdf
from ..support.redis_server import RedisServer
from ..support.server import GatewayProcess
from ..support.sized_docs import sized_document
from ..support.state_support import Start
from ..support.upstreams.mistral import FakeMistral

pytestmark = pytest.mark.slow

KEYS = {"a": "sk-cache-tenant-a-01", "b": "sk-cache-tenant-b-01"}
ADMIN = "admin-key-cache-0001"


@pytest.fixture(scope="module")
def mistral() -> Iterator[FakeMistral]:
    fake = FakeMistral().start()
    try:
        yield fake
    finally:
        fake.stop()


@pytest.fixture
def fake(mistral: FakeMistral) -> FakeMistral:
    mistral.reset()
    return mistral


def config(mistral: FakeMistral, cache: str = "", *, state: str = "", extra: str = "") -> str:
    tenants = "".join(
        f'\n[[tenants]]\nid = "{t}"\napi_keys = ["{hash_key(k)}"]\n' for t, k in KEYS.items()
    )
    return f"""admin_key = "{hash_key(ADMIN)}"

[[ocr_models]]
id = "mistral"
provider = "mistral"
base_url = "{mistral.url}"
api_key = "sk-mistral-test"
model = "mistral-ocr-latest"
cache = true
cost_per_page = 0.002
{extra}
[[routes]]
path = "/"
ocr_model_refs = ["mistral"]

[cache]
{cache}

[state]
{state}
{tenants}"""


def b64_body(data: bytes, media: str, **options: Any) -> dict[str, Any]:
    kind = "image_url" if media.startswith("image/") else "document_url"
    uri = f"data:{media};base64," + base64.b64encode(data).decode()
    return {"model": "mistral-ocr-latest", "document": {"type": kind, kind: uri}, **options}


def ocr(gw: GatewayProcess, body: dict[str, Any], tenant: str = "a") -> httpx.Response:
    headers = {"authorization": f"Bearer {KEYS[tenant]}"}
    return httpx.post(gw.url + "/v1/ocr", json=body, headers=headers, timeout=60)


def ocr_multipart(gw: GatewayProcess, data: bytes, media: str, tenant: str = "a") -> httpx.Response:
    headers = {"authorization": f"Bearer {KEYS[tenant]}"}
    files = {"file": ("doc", data, media)}
    return httpx.post(gw.url + "/v1/ocr", files=files, headers=headers, timeout=60)


def at_once(n: int, call: Any) -> list[httpx.Response]:
    with concurrent.futures.ThreadPoolExecutor(n) as pool:
        return list(pool.map(lambda _: call(), range(n)))


def metric(gw: GatewayProcess, name: str, **labels: str) -> float:
    text = httpx.get(gw.url + "/metrics").text
    want = ",".join(f'{k}="{v}"' for k, v in labels.items())
    m = re.search(rf"^{name}\{{{re.escape(want)}\}} (\S+)$", text, re.M)
    return float(m.group(1)) if m else 0.0


def test_identical_requests_reach_the_upstream_once(
    gateway_server_factory: Start, fake: FakeMistral
) -> None:
    gw = gateway_server_factory(config(fake))
    pdf, media = sized_document("pdf", "cached page", 1_000_000)

    first = ocr(gw, b64_body(pdf, media))
    assert first.status_code == 200, first.text
    assert first.headers["x-aigateway-cache"] == "miss"
    assert len(fake.requests) == 1
    # The same bytes as a multipart upload: the same request to the cache.
    again = ocr_multipart(gw, pdf, media)
    assert again.status_code == 200, again.text
    assert again.headers["x-aigateway-cache"] == "hit"
    assert again.content == first.content
    assert len(fake.requests) == 1
    # Hits are free unless [cache] charge_hit_cost says otherwise (tests/.../test_cost_server).
    assert (first.headers["x-aigateway-cost"], again.headers["x-aigateway-cost"]) == ("0.002", "0")
    # The official SDK parses a cached answer like a fresh one.
    sdk = Mistral(api_key=KEYS["a"], server_url=gw.url)
    uri = b64_body(pdf, media)["document"]["document_url"]
    resp = sdk.ocr.process(
        model="mistral-ocr-latest", document={"type": "document_url", "document_url": uri}
    )
    assert resp.pages[0].markdown.startswith("# Page 1")
    assert len(fake.requests) == 1
    # What changes the answer is another request.
    assert ocr(gw, b64_body(pdf, media, pages=[0])).headers["x-aigateway-cache"] == "miss"
    assert (
        ocr(gw, b64_body(pdf, media, include_image_base64=True)).headers["x-aigateway-cache"]
        == "miss"
    )
    assert len(fake.requests) == 3

    # 10 identical requests at once (a 300 KB scan): one upstream call, one answer for all.
    png, png_media = sized_document("png", "concurrent scan", 300_000)
    fake.reset()
    replies = at_once(10, lambda: ocr(gw, b64_body(png, png_media)))
    assert [r.status_code for r in replies] == [200] * 10
    assert len(fake.requests) == 1
    assert len({r.content for r in replies}) == 1
    assert sorted(r.headers["x-aigateway-cache"] for r in replies) == ["hit"] * 9 + ["miss"]

    # Another tenant's identical request misses (scope = "tenant"), then hits its own entry.
    fake.reset()
    assert ocr(gw, b64_body(pdf, media), tenant="b").headers["x-aigateway-cache"] == "miss"
    assert ocr(gw, b64_body(pdf, media), tenant="b").headers["x-aigateway-cache"] == "hit"
    assert len(fake.requests) == 1

    assert metric(gw, "aigw_ocr_cache_requests_total", entity="mistral", result="miss") == 5
    hits = metric(gw, "aigw_ocr_cache_requests_total", entity="mistral", result="hit")
    coalesced = metric(gw, "aigw_ocr_cache_requests_total", entity="mistral", result="coalesced")
    assert hits + coalesced == 12
    usage = httpx.get(gw.url + "/admin/usage", headers={"authorization": f"Bearer {ADMIN}"}).json()[
        "data"
    ]
    assert usage["a"]["mistral"]["cache_hits"] == 11
    assert usage["a"]["mistral"]["requests"] == 15
    assert usage["b"]["mistral"]["cache_hits"] == 1


def test_failures_are_shared_not_kept(gateway_server_factory: Start, fake: FakeMistral) -> None:
    gw = gateway_server_factory(config(fake))
    broken = b"%PDF-1.7\n" + b"\x00garbage" * 20_000  # the fake cannot open it: 500
    replies = at_once(8, lambda: ocr(gw, b64_body(broken, "application/pdf")))
    assert {r.status_code for r in replies} == {502}
    assert {r.json()["error"]["code"] for r in replies} == {"upstream_error"}
    # One call (the entity retries once), shared by every concurrent caller; nothing kept.
    calls = len(fake.requests)
    assert calls == 2
    assert ocr(gw, b64_body(broken, "application/pdf")).status_code == 502
    assert len(fake.requests) == 2 * calls


def test_global_scope_shares_entries_between_tenants(
    gateway_server_factory: Start, fake: FakeMistral
) -> None:
    gw = gateway_server_factory(config(fake, 'scope = "global"'))
    pdf, media = sized_document("pdf", "shared", 120_000)
    assert ocr(gw, b64_body(pdf, media), tenant="a").headers["x-aigateway-cache"] == "miss"
    assert ocr(gw, b64_body(pdf, media), tenant="b").headers["x-aigateway-cache"] == "hit"
    assert len(fake.requests) == 1


def test_disk_cache_serves_every_process_of_a_host(
    gateway_server_factory: Start, fake: FakeMistral, tmp_path: Path
) -> None:
    cache = f'backend = "disk"\npath = "{tmp_path / "ocr-cache"}"\nmax_bytes = 50000000'
    one = gateway_server_factory(config(fake, cache))
    two = gateway_server_factory(config(fake, cache))
    pdf, media = sized_document("pdf", "on disk", 2_000_000)
    assert ocr(one, b64_body(pdf, media)).headers["x-aigateway-cache"] == "miss"
    r = ocr(two, b64_body(pdf, media))
    assert r.status_code == 200 and r.headers["x-aigateway-cache"] == "hit"
    assert len(fake.requests) == 1
    files = [p for p in (tmp_path / "ocr-cache").rglob("*") if p.is_file()]
    # One entry, readable by the gateway's user only (it holds the document's text).
    assert len(files) == 1 and (files[0].stat().st_mode & 0o777) == 0o600


def test_redis_cache_is_shared_by_replicas_and_an_outage_is_a_miss(
    gateway_server_factory: Start, fake: FakeMistral
) -> None:
    redis = RedisServer()
    redis.start()
    try:
        state = f'backend = "redis"\nurl = "{redis.url}"\ntimeout = 0.5'
        one = gateway_server_factory(config(fake, 'backend = "redis"', state=state))
        two = gateway_server_factory(config(fake, 'backend = "redis"', state=state))
        pdf, media = sized_document("pdf", "in redis", 500_000)
        assert ocr(one, b64_body(pdf, media)).headers["x-aigateway-cache"] == "miss"
        assert ocr(two, b64_body(pdf, media)).headers["x-aigateway-cache"] == "hit"
        assert len(fake.requests) == 1
        keys = redis.command("KEYS", "aigw:ocrcache:*")
        assert b"aigw:ocrcache:" in keys
        ttl = int(redis.command("PTTL", keys.split(b"\r\n")[2].decode())[1:])
        assert 0 < ttl <= 86_400_000
        redis.stop()
        r = ocr(two, b64_body(pdf, media))  # Redis is down: served, from the upstream
        assert r.status_code == 200 and r.headers["x-aigateway-cache"] == "miss"
        assert len(fake.requests) == 2
    finally:
        redis.close()


def test_local_engine_reads_identical_scans_once(gateway_server_factory: Start) -> None:
    gw = gateway_server_factory(
        """
[ocr_pool]
workers = 1

[[ocr_models]]
id = "local"
provider = "local"
cache = true

[[routes]]
path = "/"
ocr_model_refs = ["local"]
"""
    )
    pdf = scanned_pdf(["identical scan for the pool"])
    body = {"document_base64": base64.b64encode(pdf).decode(), "force_ocr": True}

    def call() -> httpx.Response:
        return httpx.post(gw.url + "/v1/ocr", json=body, timeout=120)

    replies = at_once(6, call)  # more requests than pool workers
    assert [r.status_code for r in replies] == [200] * 6, [r.text[:200] for r in replies]
    assert "identical" in replies[0].json()["text"].lower()
    assert len({r.content for r in replies}) == 1
    assert metric(gw, "aigw_ocr_cache_requests_total", entity="local", result="miss") == 1
    # The pool processed one page in all: the other five never reached it.
    assert metric(gw, "aigw_pages_total", tenant="anonymous", entity="local") == 1
