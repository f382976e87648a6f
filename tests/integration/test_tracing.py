"""Traces of one OCR request and one streamed chat: in memory, and through a served gateway's
OTLP/HTTP export to a loopback receiver.

The OCR request runs on the real local engine (worker processes: each page span carries the
worker's own timing, inside its provider call's span); the chat streams from a loopback fake
of an OpenAI-compatible server, which records the ``traceparent`` it received. With tracing off
nothing of OpenTelemetry is imported at all.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import openai
import pytest
from litestar.testing import AsyncTestClient
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from aigateway import create_app, parse_config
from tests.support.docgen import text_pdf
from tests.support.server import gateway_server
from tests.support.sized_docs import pad_pdf
from tests.support.traces import check_chat_trace, check_ocr_trace, from_sdk, one
from tests.support.upstreams.openai_fake import OpenAIFake
from tests.support.upstreams.otlp import OtlpReceiver, ReceivedSpan

REPO = Path(__file__).resolve().parents[2]
UPSTREAM_KEY = "sk-upstream-trace-key"
PAGES = ["Invoice 2291 for the harbour crane.", "Terms: thirty days net.", "Signed, Ada."]

CONFIG = """
[ocr_pool]
workers = 2

[[ocr_models]]
id = "local"
provider = "local"

[[chat_models]]
id = "primary"
base_url = "{url}/v1"
api_key = "{key}"
models = ["gpt-test"]

[[routes]]
path = "/"
ocr_model_refs = ["local"]
chat_model_refs = ["primary"]

[tracing]
enabled = true
service_name = "gw-under-test"
{extra}
"""

INCOMING_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
INCOMING_PARENT = "00f067aa0ba902b7"


@pytest.fixture(scope="module")
def upstream() -> Iterator[OpenAIFake]:
    fake = OpenAIFake("primary", UPSTREAM_KEY).start()
    try:
        yield fake
    finally:
        fake.stop()


def _words(fake: OpenAIFake) -> int:
    return len(fake.text_for("gpt-test").split())


async def test_in_memory_traces_of_ocr_and_a_streamed_chat(upstream: OpenAIFake) -> None:
    upstream.reset()
    exporter = InMemorySpanExporter()
    settings = parse_config(CONFIG.format(url=upstream.url, key=UPSTREAM_KEY, extra=""))
    app = create_app(settings, span_exporter=exporter)
    pdf = text_pdf(PAGES)
    async with AsyncTestClient(app, timeout=120) as client:
        ocr = await client.post(
            "/v1/ocr",
            files={"image": ("invoice.pdf", pdf, "application/pdf")},
            data={"model": "gpt-4o"},  # the local engine cannot honour it: not echoed
            headers={"traceparent": f"00-{INCOMING_TRACE}-{INCOMING_PARENT}-01"},
        )
        chat = await client.post(
            "/v1/chat/completions",
            json={
                "model": "gpt-test",
                "stream": True,
                "stream_options": {"include_usage": True},
                "messages": [{"role": "user", "content": "three word prompt"}],
            },
        )
        assert app.state.runtime.tracer.flush()
    assert ocr.status_code == 200, ocr.text
    assert ocr.json()["model"] == "local-auto"
    assert chat.status_code == 200 and "[DONE]" in chat.text
    spans = [from_sdk(s) for s in exporter.get_finished_spans()]
    assert {s.resource["service.name"] for s in spans} == {"gw-under-test"}
    # The OCR request continued the caller's trace, as the child of the caller's span.
    server = one(spans, kind="SERVER", trace_id=INCOMING_TRACE)
    assert server.parent_id == INCOMING_PARENT
    assert server.name == "POST /v1/ocr"
    check_ocr_trace(spans, server, pages=3, model="local-auto")
    chat_server = one(spans, kind="SERVER", name="POST /v1/chat/completions")
    sent = upstream.requests[-1].headers["traceparent"]
    check_chat_trace(
        spans,
        chat_server,
        model="gpt-test",
        input_tokens=3,
        output_tokens=_words(upstream),
        upstream_traceparent=sent,
    )
    assert chat_server.trace_id != INCOMING_TRACE  # a new trace: no traceparent came in


async def test_incoming_traceparent_unsampled_or_hostile(upstream: OpenAIFake) -> None:
    upstream.reset()
    exporter = InMemorySpanExporter()
    settings = parse_config(CONFIG.format(url=upstream.url, key=UPSTREAM_KEY, extra=""))
    app = create_app(settings, span_exporter=exporter)
    body = {"model": "gpt-test", "messages": [{"role": "user", "content": "hi"}]}
    async with AsyncTestClient(app) as client:
        unsampled = await client.post(
            "/v1/chat/completions",
            json=body,
            headers={"traceparent": f"00-{INCOMING_TRACE}-{INCOMING_PARENT}-00"},
        )
        app.state.runtime.tracer.flush()
        assert exporter.get_finished_spans() == ()
        # The decision travels on: the upstream is told the trace is not sampled.
        sent = upstream.requests[-1].headers["traceparent"]
        assert sent.startswith(f"00-{INCOMING_TRACE}-") and sent.endswith("-00")
        hostile = [
            "00-" + "z" * 32 + "-" + "1" * 16 + "-01",  # not hex
            f"00-{'0' * 32}-{INCOMING_PARENT}-01",  # the all-zero trace id is invalid
            "ff-" + INCOMING_TRACE + "-" + INCOMING_PARENT + "-01",  # forbidden version
            "00-" + INCOMING_TRACE * 300,  # long junk
        ]
        for value in hostile:
            answer = await client.post(
                "/v1/chat/completions", json=body, headers={"traceparent": value}
            )
            assert answer.status_code == 200
        app.state.runtime.tracer.flush()
    assert unsampled.status_code == 200
    # Each hostile header started a new, valid trace of its own instead.
    servers = [from_sdk(s) for s in exporter.get_finished_spans() if s.kind.name == "SERVER"]
    assert len(servers) == len(hostile)
    assert all(s.parent_id == "" and s.trace_id != INCOMING_TRACE for s in servers)
    assert len({s.trace_id for s in servers}) == len(hostile)


@pytest.mark.parametrize("installed", [True, False], ids=["otel-installed", "otel-missing"])
def test_tracing_off_imports_no_opentelemetry(
    upstream: OpenAIFake, tmp_path: Path, installed: bool
) -> None:
    """Off is free: serving requests imports nothing of OpenTelemetry's SDK or exporter (nor
    our implementation), requests import nothing of it at all, and without the package
    installed the gateway serves the same. (Litestar itself looks for ``opentelemetry`` once,
    when an app is built, if the API package happens to be installed.)"""
    upstream.reset()
    config = tmp_path / "gw.toml"
    config.write_text(
        CONFIG.format(url=upstream.url, key=UPSTREAM_KEY, extra="").replace(
            "enabled = true", "enabled = false"
        )
    )
    script = f"""
import sys
if not {installed!r}:
    sys.modules["opentelemetry"] = None  # what an environment without it looks like
from litestar.testing import TestClient
from aigateway import create_app, load_config

def otel():
    return sorted(m for m, v in sys.modules.items() if m.split(".")[0] == "opentelemetry" and v)

app = create_app(load_config({str(config)!r}))
built = otel()
with TestClient(app) as client:
    for stream in (True, False):
        r = client.post("/v1/chat/completions", json={{"model": "gpt-test", "stream": stream,
                        "messages": [{{"role": "user", "content": "hi"}}]}})
        assert r.status_code == 200, r.text
import json
print(json.dumps({{"built": built, "after": otel(), "ours": "aigateway.tracing.otel" in sys.modules}}))
"""
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, cwd=REPO
    )
    assert proc.returncode == 0, proc.stderr
    seen = json.loads(proc.stdout.strip().splitlines()[-1])
    assert seen["after"] == seen["built"]  # the requests imported nothing of it
    assert not [
        m for m in seen["after"] if m.startswith(("opentelemetry.sdk", "opentelemetry.exp"))
    ]
    assert seen["ours"] is False
    if not installed:
        assert seen["after"] == []
    assert "traceparent" not in upstream.requests[-1].headers


def _wait_for(receiver: OtlpReceiver, want: int, timeout: float = 30.0) -> list[ReceivedSpan]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        spans = receiver.snapshot()
        if len(spans) >= want:
            return spans
        time.sleep(0.1)
    return receiver.snapshot()


@pytest.mark.slow
def test_served_gateway_exports_over_otlp(upstream: OpenAIFake, tmp_path: Path) -> None:
    """``aigateway serve`` exports OTLP/HTTP protobuf to a collector, with the configured
    headers; concurrent OCR requests (more than the pool's workers) each get a full trace."""
    upstream.reset()
    receiver = OtlpReceiver(token="Bearer otlp-token-42").start()
    try:
        extra = (
            f'endpoint = "{receiver.url}"\n'  # no path: /v1/traces is added
            'headers = { authorization = "Bearer ${OTLP_TOKEN}" }\n'
        )
        config = CONFIG.format(url=upstream.url, key=UPSTREAM_KEY, extra=extra)
        env = {"OTLP_TOKEN": "otlp-token-42", "OTEL_BSP_SCHEDULE_DELAY": "100"}
        pdf = pad_pdf(text_pdf(PAGES), 1_500_000)  # a real size: 1.5 MB
        with gateway_server(config, tmp_path, env=env) as gw:
            asyncio.run(_ocr_concurrently(gw.url, pdf, 4))
            client = openai.OpenAI(base_url=gw.url + "/v1", api_key="unused", max_retries=0)
            stream = client.chat.completions.create(
                model="gpt-test",
                messages=[{"role": "user", "content": "three word prompt"}],
                stream=True,
                stream_options={"include_usage": True},
            )
            text = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
            assert text == upstream.text_for("gpt-test")
            spans = _wait_for(receiver, 4 * 5 + 3)
            assert "otlp-token-42" not in gw.log()
        assert receiver.rejected == 0
        servers = [s for s in spans if s.kind == "SERVER" and s.name == "POST /v1/ocr"]
        assert len(servers) == 4
        assert len({s.trace_id for s in servers}) == 4
        for server in servers:
            check_ocr_trace(spans, server, pages=3, model="local-auto")
        assert {s.resource["service.name"] for s in spans} == {"gw-under-test"}
        chat_server = one(spans, kind="SERVER", name="POST /v1/chat/completions")
        check_chat_trace(
            spans,
            chat_server,
            model="gpt-test",
            input_tokens=3,
            output_tokens=_words(upstream),
            upstream_traceparent=upstream.requests[-1].headers["traceparent"],
        )
    finally:
        receiver.stop()


async def _ocr_concurrently(url: str, pdf: bytes, n: int) -> None:
    async with httpx.AsyncClient(timeout=120) as client:

        async def one_request(i: int) -> None:
            r = await client.post(
                url + "/v1/ocr",
                files={"image": (f"doc{i}.pdf", pdf, "application/pdf")},
                data={"model": "gpt-4o"},  # ignored by the local engine, and not echoed
            )
            assert r.status_code == 200, r.text
            body = r.json()
            assert body["model"] == "local-auto"
            assert [p["markdown"] for p in body["pages"]] == PAGES

        await asyncio.gather(*(one_request(i) for i in range(n)))
