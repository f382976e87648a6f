"""Chat, embeddings and models through a real gateway process and a loopback fake upstream.

The gateway runs as ``aigateway serve`` (``tests/support/server.py``); the upstream is
``tests/support/upstreams/openai_fake.py`` on 127.0.0.1. Streaming, keep-alive and disconnect behaviour
can only be seen this way: in-process test clients buffer whole responses.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.server import GatewayProcess, gateway_server, gateway_server_factory
from tests.support.upstreams.openai_fake import OpenAIFake

__all__ = ("gateway_server_factory",)  # the fixture, used below

REPO = Path(__file__).resolve().parents[2]
KEY = "sk-gw-acme-key-1"
UPSTREAM_KEY = "sk-upstream-secret-123"
MODELS = [
    "gpt-test", "embed-test", "fail-400", "fail-401", "fail-500", "always-429", "flaky-429",
    "slow", "not-json", "gated", "hang", "break", "no-done",
]  # fmt: skip

CONFIG = """
[server]
sse_ping_interval = 0.2

[limits]
max_size_upload = 65536

[[ocr_models]]
id = "mistral-ocr"
provider = "mistral"
base_url = "http://127.0.0.1:9"
api_key = "unused"

[[chat_models]]
id = "primary"
base_url = "{url}/v1"
api_key = "{key}"
models = {models}
aliases = {{ fast = "gpt-test" }}
# Under the fake's 3 s "slow" delay, yet long enough that a loaded CI machine never turns the
# gated stream's deliberate silence into a read timeout.
timeout = 2.5

[[routes]]
path = "/"
plugin = "openai_compat"
ocr_model_refs = ["mistral-ocr"]
chat_model_refs = ["primary"]

[[tenants]]
id = "acme"
api_keys = ["{gw_key}"]
"""


@pytest.fixture(scope="module")
def upstream() -> Iterator[OpenAIFake]:
    fake = OpenAIFake("primary", UPSTREAM_KEY).start()
    try:
        yield fake
    finally:
        fake.stop()


@pytest.fixture(scope="module")
def gateway(upstream: OpenAIFake, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    config = CONFIG.format(
        url=upstream.url, key=UPSTREAM_KEY, models=json.dumps(MODELS), gw_key=KEY
    )
    with gateway_server(config, tmp_path_factory.mktemp("gw")) as gw:
        yield gw


@pytest.fixture
def fake(upstream: OpenAIFake) -> OpenAIFake:
    upstream.reset()
    return upstream


def _headers() -> dict[str, str]:
    return {"Authorization": f"Bearer {KEY}"}


def _run_scenarios(python: Path, gw: GatewayProcess) -> dict[str, Any]:
    script = REPO / "tests" / "support" / "clients" / "openai_scenarios.py"
    proc = subprocess.run(
        [str(python), str(script), gw.url, KEY],
        capture_output=True,
        text=True,
        timeout=60,
        env={k: v for k, v in os.environ.items() if not k.startswith("OPENAI")},
    )
    assert proc.returncode == 0, f"{proc.stderr}\n--- gateway log ---\n{gw.log()[-3000:]}"
    report: dict[str, Any] = json.loads(proc.stdout)
    return report


def _check_report(report: dict[str, Any], fake: OpenAIFake) -> None:
    text = fake.text_for("gpt-test")
    assert "gpt-test" in report["models"]
    assert "fast" in report["models"]
    assert report["retrieve_alias"] == "fast"
    assert report["retrieve_prefixed"] == "primary/gpt-test"
    chat = report["chat"]
    assert chat["text"] == text
    assert chat["finish_reason"] == "stop"
    assert chat["usage"] == [3, len(text.split())]
    assert chat["request_id"]
    assert report["stream"]["text"] == chat["text"]
    assert report["stream"]["chunks"] == len(text.split()) + 2  # role chunk, words, finish
    assert report["stream_usage"]["text"] == text
    assert report["stream_usage"]["usage"] == [3, len(text.split()), 0]
    vectors = report["embeddings"]["vectors"]
    assert vectors == [[7.0, 0.0, 0.5], [5.0, 1.0, 0.5]]
    assert report["embeddings"]["usage"] == 3
    errors = report["errors"]
    expected = {
        "400": ("BadRequestError", 400, "context_length_exceeded", "messages"),
        "401": ("AuthenticationError", 401, "invalid_api_key", "authorization"),
        "404": ("NotFoundError", 404, "model_not_found", "model"),
        "413": ("APIStatusError", 413, "payload_too_large", None),
        "429": ("RateLimitError", 429, "rate_limit_exceeded", None),
        "502": ("InternalServerError", 502, "upstream_error", None),
        "stream_502": ("InternalServerError", 502, "upstream_error", None),
    }
    for key, (cls, status, code, param) in expected.items():
        got = errors[key]
        assert (got["class"], got["status"], got["code"], got["param"]) == (
            cls,
            status,
            code,
            param,
        ), (key, got)
        assert got["request_id"], (key, got)
        assert UPSTREAM_KEY not in json.dumps(got)
    assert errors["429"]["retry_after"] == "1"
    assert "8 tokens" in errors["400"]["message"]
    assert "65536" in errors["413"]["message"]
    # A failure after the first byte reaches the SDK as one error event: APIError, no status.
    assert errors["midstream"]["class"] == "APIError"
    assert errors["midstream"]["code"] == "upstream_error"
    assert errors["midstream"]["status"] is None
    retry = report["retry"]
    assert retry["calls"] == 2
    assert retry["seconds"] >= 0.9  # the SDK waited for Retry-After: 1
    assert retry["text"] == fake.text_for("flaky-429")


def test_openai_sdk_current(gateway: GatewayProcess, fake: OpenAIFake) -> None:
    report = _run_scenarios(REPO / ".venv" / "bin" / "python", gateway)
    assert not report["openai_version"].startswith("1.")
    _check_report(report, fake)
    # The gateway sent the upstream model name and its own key, never the caller's.
    chat = next(r for r in fake.requests if r.path == "/v1/chat/completions")
    assert chat.headers["authorization"] == f"Bearer {UPSTREAM_KEY}"
    assert KEY not in json.dumps(chat.headers)
    assert fake.calls["flaky-429"] == 2


def test_openai_sdk_legacy(gateway: GatewayProcess, fake: OpenAIFake) -> None:
    python = REPO / ".venv-legacy" / "bin" / "python"
    if not python.exists():
        pytest.fail(
            f"{python} is missing: create it with the 1.x SDKs "
            "(python -m venv .venv-legacy && .venv-legacy/bin/pip install 'openai<2' "
            "'mistralai<2'); CI creates it"
        )
    report = _run_scenarios(python, gateway)
    assert report["openai_version"].startswith("1.")
    _check_report(report, fake)


def test_unknown_fields_and_nulls_pass_through_and_model_is_rewritten(
    gateway: GatewayProcess, fake: OpenAIFake
) -> None:
    body = (
        b'{"model": "fast", "messages": [{"role": "user", "content": "hi"}],'
        b' "temperature": 1.50, "seed": null, "x_vendor": {"a": [1, 2.0]}}'
    )
    r = httpx.post(
        gateway.url + "/v1/chat/completions",
        content=body,
        headers={**_headers(), "content-type": "application/json"},
    )
    assert r.status_code == 200, r.text
    assert r.headers["x-aigateway-provider"] == "primary"
    sent = fake.requests[-1].body
    assert b'"model":"gpt-test"' in sent
    # Values keep their exact spelling: 1.50 is not re-printed as 1.5, null stays null.
    assert b'"temperature":1.50' in sent
    assert b'"seed":null' in sent
    assert b'"x_vendor":{"a": [1, 2.0]}' in sent
    assert b"max_tokens" not in sent  # absent stays absent


def test_stream_chunks_arrive_before_upstream_finishes(
    gateway: GatewayProcess, fake: OpenAIFake
) -> None:
    body = {"model": "gated", "messages": [{"role": "user", "content": "hi"}], "stream": True}
    seen = b""
    pings = 0
    with (
        httpx.Client(timeout=10) as client,
        client.stream(
            "POST", gateway.url + "/v1/chat/completions", json=body, headers=_headers()
        ) as r,
    ):
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/event-stream")
        assert r.headers["x-request-id"]
        it = r.iter_raw()
        while b'"content": "Hello ' not in seen:
            seen += next(it)
        # The upstream holds everything after its first word until the gate opens.
        assert not fake.gate.is_set()
        assert fake.chunks_sent == 2
        # While it is silent the gateway sends keep-alive comments (interval 0.2 s).
        while pings < 2:
            chunk = next(it)
            pings += chunk.count(b": ping\n\n")
            seen += chunk
        assert fake.chunks_sent == 2
        fake.gate.set()
        for chunk in it:
            seen += chunk
    events = [e for e in seen.split(b"\n\n") if e]
    data = [e for e in events if e.startswith(b"data: ")]
    assert data[-1] == b"data: [DONE]"
    assert all(e == b": ping" or e.startswith(b"data: ") for e in events)
    text = "".join(
        c["choices"][0]["delta"].get("content") or ""
        for c in (json.loads(e[6:]) for e in data[:-1])
    )
    assert text == fake.text_for("gated")


def test_client_disconnect_closes_upstream(gateway: GatewayProcess, fake: OpenAIFake) -> None:
    body = {"model": "hang", "messages": [{"role": "user", "content": "hi"}], "stream": True}
    with (
        httpx.Client(timeout=10) as client,
        client.stream(
            "POST", gateway.url + "/v1/chat/completions", json=body, headers=_headers()
        ) as r,
    ):
        assert r.status_code == 200
        # Keep the iterator: a discarded one is closed at once, and closing it closes the
        # client's connection, which is exactly the event this test waits for.
        chunks = r.iter_raw()
        next(chunks)
        assert fake.stream_started.wait(5)
        time.sleep(0.3)  # a stream still open after a while: nothing hung up early
        assert not fake.disconnected.is_set()
    # Leaving the block closed the client connection; the gateway must hang up upstream.
    start = time.monotonic()
    assert fake.disconnected.wait(5), "the upstream never saw the gateway disconnect"
    assert time.monotonic() - start < 5


def test_stream_without_done_gets_done(gateway: GatewayProcess, fake: OpenAIFake) -> None:
    body = {"model": "no-done", "messages": [{"role": "user", "content": "hi"}], "stream": True}
    r = httpx.post(gateway.url + "/v1/chat/completions", json=body, headers=_headers())
    assert r.status_code == 200
    assert r.content.endswith(b"data: [DONE]\n\n")
    assert r.content.count(b"[DONE]") == 1


@pytest.mark.parametrize(
    ("model", "status", "code"),
    [
        pytest.param("slow", 504, "upstream_timeout", id="timeout"),
        pytest.param("not-json", 502, "upstream_error", id="malformed"),
        pytest.param("fail-401", 502, "upstream_auth_failed", id="upstream-credentials"),
    ],
)
def test_upstream_failures_map_to_envelope(
    gateway: GatewayProcess, fake: OpenAIFake, model: str, status: int, code: str
) -> None:
    body = {"model": model, "messages": [{"role": "user", "content": "hi"}]}
    r = httpx.post(gateway.url + "/v1/chat/completions", json=body, headers=_headers())
    assert r.status_code == status, r.text
    error = r.json()["error"]
    assert error["code"] == code
    assert r.headers["x-request-id"]
    assert UPSTREAM_KEY not in r.text


def test_stream_request_failing_before_first_byte_is_json_error(
    gateway: GatewayProcess, fake: OpenAIFake
) -> None:
    body = {"model": "slow", "messages": [], "stream": True}
    r = httpx.post(gateway.url + "/v1/chat/completions", json=body, headers=_headers())
    assert r.status_code == 504
    assert r.headers["content-type"].startswith("application/json")
    assert r.json()["error"]["code"] == "upstream_timeout"


@pytest.mark.parametrize(
    ("body", "param"),
    [
        pytest.param(b'{"messages": []}', "model", id="no-model"),
        pytest.param(b'{"model": 3, "messages": []}', "model", id="model-not-string"),
        pytest.param(b'{"model": "gpt-test", "stream": "yes"}', "stream", id="stream-not-bool"),
        pytest.param(b"[1, 2]", None, id="not-object"),
        pytest.param(b'{"model": ', None, id="not-json"),
    ],
)
def test_bad_bodies_are_400_naming_the_field(
    gateway: GatewayProcess, fake: OpenAIFake, body: bytes, param: str | None
) -> None:
    r = httpx.post(
        gateway.url + "/v1/chat/completions",
        content=body,
        headers={**_headers(), "content-type": "application/json"},
    )
    assert r.status_code == 400, r.text
    assert r.json()["error"]["param"] == param
    assert not fake.requests


def test_models_list_marks_ocr(gateway: GatewayProcess) -> None:
    r = httpx.get(gateway.url + "/v1/models", headers=_headers())
    cards = {c["id"]: c for c in r.json()["data"]}
    assert cards["mistral-ocr"]["type"] == "ocr"
    assert cards["gpt-test"]["owned_by"] == "primary"
    missing = httpx.get(gateway.url + "/v1/models/nobody/gpt-test", headers=_headers())
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "model_not_found"


def test_server_helper_reports_startup_failures(
    gateway_server_factory: Callable[..., GatewayProcess],
) -> None:
    with pytest.raises(RuntimeError, match=r"(?s)exited with code 1.*chat_model_refs"):
        gateway_server_factory('[[routes]]\nchat_model_refs = ["nope"]\n', startup_timeout=20)
    gw = gateway_server_factory("[[routes]]\n")
    r = httpx.get(gw.url + "/v1/models")
    assert r.status_code == 200
    assert r.json() == {"data": [], "object": "list"}
    assert gw.process.poll() is None
