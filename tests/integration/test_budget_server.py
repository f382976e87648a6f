"""Budgets, served: two ``aigateway serve`` replicas sharing one real redis-server, 40 concurrent
requests per scenario split between them.

The bound (README "Cost and budgets", :mod:`aigateway.tenancy.budgets`): spend never passes the
budget by more than what the requests admitted while it still had room cost *beyond their
reservations*, i.e. ``spend <= budget + sum(max(0, cost - reserved))`` over the admitted
requests. Each scenario asserts it with the settle difference it knows:

* OCR (pages counted from the document, so reserved = cost, difference 0): spend <= budget, and
  exactly as many requests as fit were served;
* chat with ``max_tokens`` (an upstream that honours it; reserved >= cost): spend <= budget;
* chat without a maximum on an entity reserving fewer completion tokens than the answer has
  (difference 8 tokens each): spend <= budget + admitted x 8 x the output price.
"""

from __future__ import annotations

import asyncio
import base64
import json
import time
from collections import Counter
from decimal import Decimal
from typing import Any

import httpx
import pytest

from aigateway.tenancy.auth import hash_key
from aigateway.tenancy.cost import estimate_input_tokens

from ..support.docgen import text_pdf
from ..support.redis_server import RedisServer
from ..support.state_support import Start
from ..support.upstreams.mistral import FakeMistral
from ..support.upstreams.openai_fake import OpenAIFake

pytestmark = pytest.mark.slow

KEYS = {"ocr": "sk-budget-ocr-00001", "chat": "sk-budget-chat-0001", "loose": "sk-budget-loose-001"}
ADMIN = "admin-key-budget-0001"
NANOS = 10**9
PAGE = 1_000_000  # cost_per_page = 0.001
IN, OUT = 1_000, 10_000  # nanos per token: 1e-6 and 1e-5


def config(mistral: FakeMistral, openai: OpenAIFake, redis: RedisServer) -> str:
    return f"""admin_key = "{hash_key(ADMIN)}"

[[ocr_models]]
id = "mistral"
provider = "mistral"
base_url = "{mistral.url}"
api_key = "sk-mistral-test"
cost_per_page = 0.001

[[chat_models]]
id = "up"
base_url = "{openai.url}/v1"
api_key = "sk-upstream-secret-123"
models = ["gpt-test", "hang", "break"]
input_cost_per_token = 0.000001
output_cost_per_token = 0.00001
reserve_output_tokens = 16
timeout = 30

[[chat_models]]
id = "loose"
base_url = "{openai.url}/v1"
api_key = "sk-upstream-secret-123"
models = ["loose-model"]
input_cost_per_token = 0.000001
output_cost_per_token = 0.00001
reserve_output_tokens = 2

[[routes]]
path = "/"
ocr_model_refs = ["mistral"]
chat_model_refs = ["up", "loose"]

[state]
backend = "redis"
url = "{redis.url}"

[[tenants]]
id = "ocr"
api_keys = ["{hash_key(KEYS["ocr"])}"]
budget = {{ amount = 0.05, period = "day" }}

[[tenants]]
id = "chat"
api_keys = ["{hash_key(KEYS["chat"])}"]
budget = {{ amount = 0.002, period = "month" }}

[[tenants]]
id = "loose"
api_keys = ["{hash_key(KEYS["loose"])}"]
budget = {{ amount = 0.001, period = "day" }}
"""


async def _fire(urls: list[str], path: str, body: bytes, tenant: str) -> list[httpx.Response]:
    headers = {"authorization": f"Bearer {KEYS[tenant]}", "content-type": "application/json"}
    async with httpx.AsyncClient(timeout=60) as client:
        return await asyncio.gather(
            *(client.post(urls[i % 2] + path, content=body, headers=headers) for i in range(40))
        )


def _spend(url: str, tenant: str) -> tuple[int, dict[str, Any]]:
    report = httpx.get(
        url + f"/admin/usage?tenant={tenant}", headers={"authorization": f"Bearer {ADMIN}"}
    ).json()
    spent = sum(e["cost_nanos"] for e in report["data"].get(tenant, {}).values())
    return spent, report["budgets"][tenant]


def test_budget_holds_across_replicas_under_40_concurrent_requests(
    gateway_server_factory: Start,
    mistral_openai: tuple[FakeMistral, OpenAIFake],
    redis: RedisServer,
) -> None:
    mistral, openai = mistral_openai
    mistral.reset()
    urls = [gateway_server_factory(config(mistral, openai, redis)).url for _ in range(2)]

    # OCR: 3 pages = 0.003 each; 0.05 holds 16 of them (0.048), never 17.
    pdf = text_pdf(["one", "two", "three"])
    body = json.dumps({"document_base64": base64.b64encode(pdf).decode()}).encode()
    replies = asyncio.run(_fire(urls, "/v1/ocr", body, "ocr"))
    assert Counter(r.status_code for r in replies) == {200: 16, 429: 24}
    assert len(mistral.requests) == 16  # refused requests never went upstream
    refused = next(r for r in replies if r.status_code == 429)
    error = refused.json()["error"]
    assert error["code"] == "budget_exceeded" and error["type"] == "rate_limit_exceeded"
    assert "0.002 of it is left this day" in error["message"]
    assert "may cost up to 0.003" in error["message"]
    assert refused.headers["x-aigateway-budget-remaining"] == "0.002"
    assert int(refused.headers["retry-after"]) >= 1
    assert refused.headers["x-aigateway-budget-reset"].endswith("T00:00:00Z")
    served = sum(Decimal(r.headers["x-aigateway-cost"]) for r in replies if r.status_code == 200)
    spent, status = _spend(urls[0], "ocr")
    assert spent == 16 * 3 * PAGE == served * NANOS
    assert spent <= 0.05 * NANOS  # the bound, with a settle difference of 0
    assert status["spent_nanos"] == spent  # every reservation settled
    assert status["left"] == pytest.approx(0.002)
    assert _spend(urls[1], "ocr")[0] == spent

    # Chat with max_tokens = 4: reserved = body bytes + 4 tokens >= what the upstream bills.
    chat = json.dumps(
        {"model": "gpt-test", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 4}
    ).encode()
    reserved = estimate_input_tokens(chat) * IN + 4 * OUT
    cost = 1 * IN + 4 * OUT
    assert reserved >= cost
    replies = asyncio.run(_fire(urls, "/v1/chat/completions", chat, "chat"))
    ok = [r for r in replies if r.status_code == 200]
    assert {r.status_code for r in replies} <= {200, 429}
    assert {r.json()["error"]["code"] for r in replies if r.status_code == 429} <= {
        "budget_exceeded"
    }
    assert all(Decimal(r.headers["x-aigateway-cost"]) * NANOS == cost for r in ok)
    spent, status = _spend(urls[1], "chat")
    assert spent == len(ok) * cost
    assert spent <= 0.002 * NANOS  # the bound, with a settle difference of 0
    # At most budget // reserved requests can hold a reservation at once, so some of 40 at once
    # were refused unless settles freed room fast enough; all of them fit the budget's cost.
    assert len(ok) >= 0.002 * NANOS // reserved
    assert status["spent_nanos"] == spent

    # Chat without a maximum on an entity reserving 2 completion tokens: the answer has 10, so
    # each admitted request may settle 8 tokens above its reservation.
    loose = json.dumps({"model": "loose-model", "messages": [{"role": "user", "content": "hi"}]})
    replies = asyncio.run(_fire(urls, "/v1/chat/completions", loose.encode(), "loose"))
    ok = [r for r in replies if r.status_code == 200]
    words = len(openai.text_for("loose-model").split())
    difference = (words - 2) * OUT
    spent, _ = _spend(urls[0], "loose")
    assert spent == len(ok) * (1 * IN + words * OUT)
    assert spent <= 0.001 * NANOS + len(ok) * difference  # the documented bound
    assert len(ok) < 40  # the budget did stop the burst


def test_hostile_maxima_and_broken_streams_leave_no_reservation_behind(
    gateway_server_factory: Start,
    mistral_openai: tuple[FakeMistral, OpenAIFake],
    redis: RedisServer,
) -> None:
    mistral, openai = mistral_openai
    openai.reset()
    gw = gateway_server_factory(config(mistral, openai, redis))
    headers = {"authorization": f"Bearer {KEYS['chat']}"}

    def chat(**extra: Any) -> httpx.Response:
        body = {"model": "gpt-test", "messages": [{"role": "user", "content": "hi"}], **extra}
        return httpx.post(gw.url + "/v1/chat/completions", json=body, headers=headers, timeout=30)

    # A maximum no budget can hold: refused at once, and waiting would not help.
    for extra in ({"max_tokens": 10**15}, {"max_tokens": 4, "n": 10**12}):
        r = chat(**extra)
        assert r.status_code == 429, r.text
        assert r.json()["error"]["code"] == "budget_exceeded"
        assert "more than the whole budget" in r.json()["error"]["message"]
        assert r.headers["x-should-retry"] == "false"
    # Maxima the gateway cannot read are the upstream's to judge; the budget reserves the
    # entity's reserve_output_tokens and settles to what the answer used.
    for extra in ({"max_tokens": "many"}, {"max_tokens": -3}, {"max_completion_tokens": 1.5}):
        r = chat(**extra)
        assert r.status_code in (200, 400), r.text
    assert len(openai.requests) == 3  # the refused ones never went upstream

    # A stream that breaks mid-way and one whose client leaves: both reservations settle.
    stream = {"model": "break", "messages": [{"role": "user", "content": "x"}], "stream": True}
    r = httpx.post(gw.url + "/v1/chat/completions", json=stream, headers=headers, timeout=30)
    assert r.status_code == 200 and '"error"' in r.text
    assert ": x-aigateway-cost: " in r.text  # the cost comment comes before the error event
    hang = {**stream, "model": "hang"}
    with (
        httpx.Client(timeout=30) as client,
        client.stream("POST", gw.url + "/v1/chat/completions", json=hang, headers=headers) as held,
    ):
        assert held.status_code == 200
        next(held.iter_raw())
    assert openai.disconnected.wait(10)  # the gateway hung up on the upstream too

    def settled() -> bool:
        spent, status = _spend(gw.url, "chat")
        return bool(status["spent_nanos"] == spent)

    deadline = time.monotonic() + 10
    while not settled() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert settled()  # the budget counter holds the costs recorded, no reservation left
