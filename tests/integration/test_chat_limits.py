"""Tenant limits on chat: requests per minute, tokens per minute (charged from the upstream's
usage, streams included) and concurrency slots released after streams."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from aigateway import create_app
from aigateway.config import parse_config
from aigateway.tenancy.auth import hash_key
from tests.support.upstreams.openai_fake import OpenAIFake

UPSTREAM_KEY = "sk-upstream-secret-123"
KEY = "sk-limited-tenant-1"
AUTH = {"authorization": f"Bearer {KEY}"}


@pytest.fixture(scope="module")
def fake() -> Iterator[OpenAIFake]:
    up = OpenAIFake("a", UPSTREAM_KEY).start()
    try:
        yield up
    finally:
        up.stop()


def _config(url: str, limits: str) -> str:
    return f"""
[[chat_models]]
id = "a"
base_url = "{url}/v1"
api_key = "{UPSTREAM_KEY}"
models = ["gpt-test"]

[[routes]]
path = "/"
chat_model_refs = ["a"]

[[tenants]]
id = "t"
api_keys = ["{hash_key(KEY)}"]
limits = {{ {limits} }}
"""


@pytest.fixture
async def make(fake: OpenAIFake) -> AsyncIterator[Any]:
    clients: list[AsyncTestClient[Any]] = []

    async def start(limits: str) -> AsyncTestClient[Any]:
        fake.reset()
        client = AsyncTestClient(create_app(parse_config(_config(fake.url, limits))))
        await client.__aenter__()
        clients.append(client)
        return client

    yield start
    for c in clients:
        await c.__aexit__(None, None, None)


def _body(stream: bool = False) -> dict[str, Any]:
    body: dict[str, Any] = {
        "model": "gpt-test",
        "messages": [{"role": "user", "content": "one two three four"}],
    }
    if stream:
        body |= {"stream": True, "stream_options": {"include_usage": True}}
    return body


@pytest.mark.minute_window
async def test_tokens_per_minute_charged_from_usage(make: Any, fake: OpenAIFake) -> None:
    client = await make("tokens_per_minute = 10")
    first = await client.post("/v1/chat/completions", json=_body(), headers=AUTH)
    assert first.status_code == 200
    used = first.json()["usage"]["total_tokens"]
    assert used >= 10  # one call spends the window
    second = await client.post("/v1/chat/completions", json=_body(stream=True), headers=AUTH)
    assert second.status_code == 429
    err = second.json()["error"]
    assert "tokens_per_minute = 10" in err["message"]
    assert int(second.headers["retry-after"]) >= 1
    assert len(fake.requests) == 1  # refused before going upstream


@pytest.mark.minute_window
async def test_stream_usage_counts_toward_tokens(make: Any) -> None:
    client = await make("tokens_per_minute = 10")
    resp = await client.post("/v1/chat/completions", json=_body(stream=True), headers=AUTH)
    assert resp.status_code == 200
    assert "data: [DONE]" in resp.text
    again = await client.post("/v1/chat/completions", json=_body(), headers=AUTH)
    assert again.status_code == 429


@pytest.mark.minute_window
async def test_requests_per_minute_and_slots_on_chat(make: Any) -> None:
    client = await make("requests_per_minute = 3, max_concurrent = 1")
    codes = []
    for stream in (True, False, True, False):
        resp = await client.post("/v1/chat/completions", json=_body(stream), headers=AUTH)
        codes.append(resp.status_code)
    # Sequential calls: each stream gave its concurrency slot back when it ended.
    assert codes == [200, 200, 200, 429]
