"""Model routing, load balancing, fallbacks and usage, against loopback fake upstreams.

The gateway runs in-process (the answers here are whole JSON bodies or short streams, which the
test client can buffer); the upstreams are real HTTP servers on 127.0.0.1 speaking the OpenAI
wire format, so every fallback is triggered by a real status line or a real timeout.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from aigateway import create_app
from aigateway.chat.protocol import parse_body
from aigateway.chat.service import CallContext
from aigateway.config import parse_config
from aigateway.server.runtime import Runtime
from tests.support.upstreams.openai_fake import OpenAIFake
from tests.support.upstreams.server import Reply

KEY = "sk-upstream-secret-123"
ALICE = "sk-alice-key-1"
BOB = "sk-bob-key-22"

CONFIG = """
[server]
sse_ping_interval = 0.2

[[chat_models]]
id = "a"
base_url = "{a}/v1"
api_key = "{key}"
models = ["gpt-test", "embed-test"]
aliases = {{ fast = "gpt-test" }}
timeout = 0.5
fallbacks = ["c"]

[[chat_models]]
id = "b"
base_url = "{b}/v1"
api_key = "{key}"
models = ["gpt-test", "embed-test"]
timeout = 0.5

[[chat_models]]
id = "c"
base_url = "{c}/v1"
api_key = "{key}"
aliases = {{ solo = "c-model" }}
timeout = 0.5

[[routes]]
path = "/"
chat_model_refs = ["a", "b", "c"]

[[tenants]]
id = "alice"
api_keys = ["{alice}"]

[[tenants]]
id = "bob"
api_keys = ["{bob}"]
allowed_refs = ["a"]
"""

ERROR_503 = Reply(503, {"error": {"message": "overloaded", "type": "server_error", "code": None}})


@pytest.fixture(scope="module")
def fakes() -> Iterator[dict[str, OpenAIFake]]:
    started = {name: OpenAIFake(name, KEY).start() for name in "abc"}
    try:
        yield started
    finally:
        for fake in started.values():
            fake.stop()


@pytest.fixture
def ups(fakes: dict[str, OpenAIFake]) -> dict[str, OpenAIFake]:
    for fake in fakes.values():
        fake.reset()
    return fakes


@pytest.fixture
async def client(ups: dict[str, OpenAIFake]) -> AsyncIterator[AsyncTestClient[Any]]:
    settings = parse_config(
        CONFIG.format(a=ups["a"].url, b=ups["b"].url, c=ups["c"].url, key=KEY, alice=ALICE, bob=BOB)
    )
    async with AsyncTestClient(create_app(settings)) as c:
        yield c


def _gw(client: AsyncTestClient[Any]) -> Runtime:
    gw: Runtime = client.app.state.runtime
    return gw


async def _chat(client: AsyncTestClient[Any], model: str, key: str = ALICE, **extra: Any) -> Any:
    body = {"model": model, "messages": [{"role": "user", "content": "hello there"}], **extra}
    return await client.post(
        "/v1/chat/completions", json=body, headers={"Authorization": f"Bearer {key}"}
    )


def _served(ups: dict[str, OpenAIFake]) -> dict[str, int]:
    return {name: len(f.requests) for name, f in ups.items()}


async def test_round_robin_across_entities_serving_one_name(
    client: AsyncTestClient[Any], ups: dict[str, OpenAIFake]
) -> None:
    providers = []
    for _ in range(6):
        r = await _chat(client, "gpt-test")
        assert r.status_code == 200, r.text
        providers.append(r.headers["x-aigateway-provider"])
        assert r.json()["choices"][0]["message"]["content"] == ups[providers[-1]].text_for(
            "gpt-test"
        )
    assert sorted(providers) == ["a", "a", "a", "b", "b", "b"]
    assert all(x != y for x, y in itertools.pairwise(providers))
    assert _served(ups) == {"a": 3, "b": 3, "c": 0}


async def test_least_in_flight_wins(
    client: AsyncTestClient[Any], ups: dict[str, OpenAIFake]
) -> None:
    gw = _gw(client)
    # Hold a stream open on "a" (the fake keeps "gated" streams open until the gate is set).
    relay = await gw.chat.open_stream(
        "chat/completions",
        parse_body(b'{"model": "a/gated", "messages": [], "stream": true}'),
        refs=["a", "b", "c"],
        allowed=None,
        ctx=CallContext("alice", "rid"),
        ping_interval=0.2,
    )
    try:
        providers = [(await _chat(client, "gpt-test")).headers["x-aigateway-provider"]]
        providers += [(await _chat(client, "gpt-test")).headers["x-aigateway-provider"]]
        # "a" has a stream in flight: every request goes to the idle "b".
        assert providers == ["b", "b"]
    finally:
        ups["a"].gate.set()
        await relay.aclose()
    assert gw.chat._in_flight["a"] == 0


@pytest.mark.parametrize(
    "reply",
    [
        pytest.param(ERROR_503, id="503"),
        pytest.param(
            Reply(429, {"error": {"message": "slow down"}}, {"retry-after": "7"}), id="429"
        ),
        pytest.param(Reply(200, {"late": True}, delay=1.5), id="timeout"),
        pytest.param(Reply(200, b"<html>", {"content-type": "text/html"}), id="malformed"),
    ],
)
async def test_falls_back_before_first_byte(
    client: AsyncTestClient[Any], ups: dict[str, OpenAIFake], reply: Reply
) -> None:
    # "a" fails once; of two requests one tries "a" first (round-robin) and moves on to "b".
    ups["a"].script.append(reply)
    for _ in range(2):
        r = await _chat(client, "gpt-test")
        assert r.status_code == 200, r.text
        assert r.headers["x-aigateway-provider"] == "b"
        assert r.json()["choices"][0]["message"]["content"] == ups["b"].text_for("gpt-test")
    assert _served(ups) == {"a": 1, "b": 2, "c": 0}
    usage = await _gw(client).usage.snapshot("alice")
    assert usage["alice"]["a"]["errors"] == 1
    assert usage["alice"]["b"] == {
        "requests": 2,
        "errors": 0,
        "tokens_in": 4,
        "tokens_out": 2 * len(ups["b"].text_for("gpt-test").split()),
        "pages": 0,
        "bytes_in": usage["alice"]["b"]["bytes_in"],
        "bytes_out": usage["alice"]["b"]["bytes_out"],
        "cost_nanos": 0,  # no prices configured
        "cache_hits": 0,
    }


async def test_caller_fault_is_not_retried_elsewhere(
    client: AsyncTestClient[Any], ups: dict[str, OpenAIFake]
) -> None:
    bad = {
        "error": {
            "message": "Invalid value for 'temperature'",
            "type": "invalid_request_error",
            "param": "temperature",
            "code": "invalid_value",
        }
    }
    ups["a"].script.append(Reply(400, bad))
    ups["b"].script.append(Reply(400, bad))
    r = await _chat(client, "gpt-test", temperature=9)
    assert r.status_code == 400
    assert r.json()["error"]["param"] == "temperature"
    assert sum(_served(ups).values()) == 1


async def test_configured_fallback_and_all_failing(
    client: AsyncTestClient[Any], ups: dict[str, OpenAIFake]
) -> None:
    # "a/…" pins entity a; its configured fallback "c" gets the same upstream model name.
    ups["a"].script.append(ERROR_503)
    r = await _chat(client, "a/gpt-test")
    assert r.status_code == 200, r.text
    assert r.headers["x-aigateway-provider"] == "c"
    assert ups["c"].requests[-1].json()["model"] == "gpt-test"
    ups["a"].script.append(ERROR_503)
    ups["c"].script.append(ERROR_503)
    r = await _chat(client, "a/gpt-test")
    assert r.status_code == 502
    assert r.json()["error"]["code"] == "upstream_error"
    assert "b" not in {name for name, n in _served(ups).items() if n}


async def test_tenant_allow_list_applies_to_routing_and_fallbacks(
    client: AsyncTestClient[Any], ups: dict[str, OpenAIFake]
) -> None:
    # bob may use only "a": no load balancing to "b", no fallback to "c".
    for _ in range(3):
        r = await _chat(client, "gpt-test", key=BOB)
        assert r.headers["x-aigateway-provider"] == "a"
    ups["a"].script.append(ERROR_503)
    r = await _chat(client, "gpt-test", key=BOB)
    assert r.status_code == 502
    assert _served(ups) == {"a": 4, "b": 0, "c": 0}
    for model in ("solo", "c/gpt-test"):
        r = await _chat(client, model, key=BOB)
        assert r.status_code == 404
        assert r.json()["error"] == {
            "message": f"the model {model!r} does not exist or is not available to this API key",
            "type": "invalid_request_error",
            "param": "model",
            "code": "model_not_found",
        }
    models = await client.get("/v1/models", headers={"Authorization": f"Bearer {BOB}"})
    assert [m["id"] for m in models.json()["data"]] == ["gpt-test", "embed-test", "fast"]


async def test_alias_and_prefix_routing(
    client: AsyncTestClient[Any], ups: dict[str, OpenAIFake]
) -> None:
    r = await _chat(client, "solo")
    assert r.headers["x-aigateway-provider"] == "c"
    assert ups["c"].requests[-1].json()["model"] == "c-model"
    r = await _chat(client, "b/some-upstream-model")
    assert r.headers["x-aigateway-provider"] == "b"
    assert ups["b"].requests[-1].json()["model"] == "some-upstream-model"
    r = await _chat(client, "nobody/gpt-test")
    assert r.status_code == 404
    card = await client.get("/v1/models/b/anything", headers={"Authorization": f"Bearer {ALICE}"})
    assert card.json() == {
        "id": "b/anything",
        "object": "model",
        "created": 0,
        "owned_by": "b",
        "type": "chat",
    }


async def test_stream_falls_back_and_records_usage(
    client: AsyncTestClient[Any], ups: dict[str, OpenAIFake]
) -> None:
    ups["a"].script.append(ERROR_503)
    r = await _chat(client, "a/gpt-test", stream=True, stream_options={"include_usage": True})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/event-stream")
    assert r.headers["x-aigateway-provider"] == "c"
    assert r.text.endswith("data: [DONE]\n\n")
    usage = await _gw(client).usage.snapshot()
    words = len(ups["c"].text_for("gpt-test").split())
    assert usage["alice"]["c"]["tokens_in"] == 2
    assert usage["alice"]["c"]["tokens_out"] == words
    assert usage["alice"]["a"]["errors"] == 1


async def test_embeddings_route_and_usage(
    client: AsyncTestClient[Any], ups: dict[str, OpenAIFake]
) -> None:
    headers = {"Authorization": f"Bearer {ALICE}"}
    r = await client.post(
        "/v1/embeddings", json={"model": "embed-test", "input": "a b c"}, headers=headers
    )
    assert r.status_code == 200, r.text
    assert r.json()["data"][0]["embedding"] == [5.0, 0.0, 0.5]
    entity = r.headers["x-aigateway-provider"]
    usage = await _gw(client).usage.snapshot("alice")
    assert usage["alice"][entity]["tokens_in"] == 3
    r = await client.post("/v1/embeddings", json={"model": "nope", "input": "x"}, headers=headers)
    assert r.status_code == 404


async def test_concurrent_requests_spread_over_entities(
    client: AsyncTestClient[Any], ups: dict[str, OpenAIFake]
) -> None:
    for fake in ups.values():
        fake.max_in_flight = 0
    results = await asyncio.gather(*[_chat(client, "gpt-test") for _ in range(8)])
    assert all(r.status_code == 200 for r in results)
    counts = _served(ups)
    assert counts["a"] + counts["b"] == 8
    assert abs(counts["a"] - counts["b"]) <= 2


async def test_stream_answered_with_json_is_replayed_as_events(
    client: AsyncTestClient[Any], ups: dict[str, OpenAIFake]
) -> None:
    r = await _chat(client, "b/ignore-stream", stream=True, stream_options={"include_usage": True})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/event-stream")
    events = [e for e in r.text.split("\n\n") if e]
    assert events[-1] == "data: [DONE]"
    chunks = [json.loads(e.removeprefix("data: ")) for e in events[:-1]]
    assert chunks[0]["object"] == "chat.completion.chunk"
    assert chunks[0]["choices"][0]["delta"]["content"] == ups["b"].text_for("ignore-stream")
    assert chunks[0]["choices"][0]["finish_reason"] == "stop"
    assert chunks[1]["choices"] == []
    assert chunks[1]["usage"]["prompt_tokens"] == 2
    # Neither events nor a completion: a JSON 502 before anything was streamed.
    r = await _chat(client, "b/not-json", stream=True)
    assert r.status_code == 502
    assert r.json()["error"]["code"] == "upstream_error"
