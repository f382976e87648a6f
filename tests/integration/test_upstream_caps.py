"""Upstream answers cannot exhaust the gateway: ``aigateway serve`` against a hostile upstream.

The loopback upstream (``tests/support/upstreams/hostile.py``) sends 100 MB bodies, SSE events that
never end, JSON nested 100,000 deep, 5,000-character error codes and ``Retry-After: 1e400``.
Every entity here caps answers at 1 MiB (``max_response_size``, ``max_event_size``), so each big
answer must end in a 502 (or a final SSE error event) that names the limit, after the gateway
read about 1 MiB of the 100 MB and hung up.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import httpx
import msgspec
import pytest

from tests.support.docgen import text_png
from tests.support.server import GatewayProcess, gateway_server
from tests.support.upstreams.hostile import MB, HostileUpstream

pytestmark = pytest.mark.slow

CAP = 1 << 20

CONFIG = """
[limits]
max_size_upload = 10485760

[[ocr_models]]
id = "mistral"
provider = "mistral"
base_url = "{url}"
api_key = "k"
max_retries = 0
max_response_size = {cap}

[[ocr_models]]
id = "alphaedge"
provider = "alphaedge"
base_url = "{url}"
api_key = "k"
max_retries = 0
max_response_size = {cap}

[[ocr_models]]
id = "azure"
provider = "azure_docintel"
base_url = "{url}"
api_key = "k"
max_retries = 0
max_response_size = {cap}
options = {{ poll_interval = 0.05 }}

[[ocr_models]]
id = "vision"
provider = "openai_vision"
base_url = "{url}/v1"
model = "huge"
max_retries = 0
max_response_size = {cap}

[[chat_models]]
id = "hostile"
base_url = "{url}/v1"
models = ["huge", "huge-declared", "sse-endless", "sse-huge-ok", "deep", "long-code",
          "retry-inf", "fine"]
max_response_size = {cap}
max_event_size = {cap}

[[routes]]
path = "/"
plugin = "openai_compat"
ocr_model_refs = ["mistral", "alphaedge", "azure", "vision"]
chat_model_refs = ["hostile"]
"""


@pytest.fixture(scope="module")
def upstream() -> Iterator[HostileUpstream]:
    fake = HostileUpstream(size=100 * MB).start()
    try:
        yield fake
    finally:
        fake.stop()


@pytest.fixture(scope="module")
def gateway(
    upstream: HostileUpstream, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[GatewayProcess]:
    config = CONFIG.format(url=upstream.url, cap=CAP)
    with gateway_server(config, tmp_path_factory.mktemp("caps")) as gw:
        yield gw


def _error(response: httpx.Response) -> dict[str, Any]:
    body = response.json()
    assert set(body) == {"error"}, body
    error: dict[str, Any] = body["error"]
    return error


def _assert_capped(response: httpx.Response, upstream: HostileUpstream) -> None:
    assert response.status_code == 502, response.text[:500]
    error = _error(response)
    assert error["code"] == "upstream_response_too_large"
    assert "max_response_size" in error["message"]
    assert str(CAP) in error["message"]
    # The gateway stopped reading long before the end of the 100 MB.
    assert upstream.sent < 20 * MB


@pytest.mark.parametrize("model", ["huge", "huge-declared"])
def test_chat_body_over_the_cap_is_a_502(
    gateway: GatewayProcess, upstream: HostileUpstream, model: str
) -> None:
    r = httpx.post(
        gateway.url + "/v1/chat/completions",
        json={"model": model, "messages": [{"role": "user", "content": "hi"}]},
        timeout=60,
    )
    _assert_capped(r, upstream)
    assert r.headers.get("x-should-retry") == "false"


def test_embeddings_body_over_the_cap_is_a_502(
    gateway: GatewayProcess, upstream: HostileUpstream
) -> None:
    r = httpx.post(gateway.url + "/v1/embeddings", json={"model": "huge", "input": "x"}, timeout=60)
    _assert_capped(r, upstream)


@pytest.mark.parametrize("provider", ["mistral", "alphaedge", "azure", "vision"])
def test_ocr_answer_over_the_cap_is_a_502(
    gateway: GatewayProcess, upstream: HostileUpstream, provider: str
) -> None:
    png = base64.b64encode(text_png("cap")).decode()
    r = httpx.post(
        gateway.url + "/v1/ocr",
        json={"provider": provider, "document_base64": png},
        timeout=60,
    )
    _assert_capped(r, upstream)


@pytest.mark.parametrize("model", ["sse-endless", "sse-huge-ok"])
def test_sse_event_over_the_cap_ends_the_stream_with_one_error_event(
    gateway: GatewayProcess, upstream: HostileUpstream, model: str
) -> None:
    body = {"model": model, "stream": True, "messages": [{"role": "user", "content": "hi"}]}
    with httpx.stream(
        "POST", gateway.url + "/v1/chat/completions", json=body, timeout=60
    ) as response:
        assert response.status_code == 200
        raw = response.read()
    events = [e for e in raw.split(b"\n\n") if e.strip() and not e.startswith(b":")]
    assert len(events) == 1, raw[:300]
    error = msgspec.json.decode(events[0].removeprefix(b"data: "))["error"]
    assert error["code"] == "upstream_event_too_large"
    assert "max_event_size" in error["message"]
    assert upstream.sent < 20 * MB


def test_deeply_nested_upstream_json_is_a_502(gateway: GatewayProcess) -> None:
    r = httpx.post(
        gateway.url + "/v1/chat/completions",
        json={"model": "deep", "messages": [{"role": "user", "content": "hi"}]},
        timeout=30,
    )
    assert r.status_code == 502, r.text[:300]
    assert "nested deeper" in _error(r)["message"]


def test_upstream_error_code_and_param_are_bounded(gateway: GatewayProcess) -> None:
    r = httpx.post(
        gateway.url + "/v1/chat/completions",
        json={"model": "long-code", "messages": [{"role": "user", "content": "hi"}]},
        timeout=30,
    )
    assert r.status_code == 400
    error = _error(r)
    # 5,000-character values are not identifiers: the gateway's own code, no param.
    assert error["code"] == "invalid_value"
    assert error["param"] is None
    assert len(r.content) < 1000
    metrics = httpx.get(gateway.url + "/metrics", timeout=10).text
    assert "c" * 100 not in metrics
    assert max(len(line) for line in metrics.splitlines()) < 400


def test_absurd_retry_after_is_a_429_with_a_sane_wait(gateway: GatewayProcess) -> None:
    r = httpx.post(
        gateway.url + "/v1/chat/completions",
        json={"model": "retry-inf", "messages": [{"role": "user", "content": "hi"}]},
        timeout=30,
    )
    assert r.status_code == 429, r.text[:300]
    assert 1 <= int(r.headers["retry-after"]) <= 3600


def test_gateway_still_serves_after_the_hostile_answers(gateway: GatewayProcess) -> None:
    r = httpx.post(
        gateway.url + "/v1/chat/completions",
        json={"model": "fine", "messages": [{"role": "user", "content": "hi"}]},
        timeout=30,
    )
    assert r.status_code == 200
    assert r.json()["choices"][0]["message"]["content"] == "fine"
    assert "Traceback" not in gateway.log()
