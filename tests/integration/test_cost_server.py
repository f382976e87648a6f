"""Cost accounting, served: two ``aigateway serve`` replicas sharing one redis-server, the
loopback Mistral and OpenAI mistral_openai, the official ``openai`` and ``mistralai`` SDKs as clients.

Every request's cost (``x-aigateway-cost``, or the ``: x-aigateway-cost:`` comment ending a
stream) adds up, to the last nano, to ``cost_nanos`` in ``/admin/usage`` (either replica), to
today's usage and to ``aigw_cost_total`` of both replicas: OCR with and without annotations, a
cache hit charged by ``charge_hit_cost``, chat plain and streamed (with and without the
caller's ``include_usage``), embeddings, and a failed call (free).
"""

from __future__ import annotations

import base64
import json
import re
import time
from decimal import Decimal
from typing import Any

import httpx
import pytest
from openai import OpenAI

from aigateway.tenancy.auth import hash_key

from ..support.docgen import text_pdf
from ..support.redis_server import RedisServer
from ..support.server import GatewayProcess
from ..support.state_support import Start
from ..support.upstreams.mistral import FakeMistral
from ..support.upstreams.openai_fake import OpenAIFake

pytestmark = pytest.mark.slow

KEY = "sk-cost-tenant-0001"
ADMIN = "admin-key-cost-00001"
UPSTREAM_KEY = "sk-upstream-secret-123"
NANOS = Decimal(10**9)
IN, OUT = Decimal("0.0000025"), Decimal("0.00001")
BIG_IN, BIG_OUT = Decimal("0.000005"), Decimal("0.00002")
EMBED_IN = Decimal("0.0000001")


def config(mistral: FakeMistral, openai: OpenAIFake, redis: RedisServer) -> str:
    return f"""admin_key = "{hash_key(ADMIN)}"

[[ocr_models]]
id = "mistral"
provider = "mistral"
base_url = "{mistral.url}"
api_key = "sk-mistral-test"
model = "mistral-ocr-latest"
max_retries = 0
cost_per_page = 0.001
cost_per_annotation_page = 0.003
cache = true

[[chat_models]]
id = "up"
base_url = "{openai.url}/v1"
api_key = "{UPSTREAM_KEY}"
models = ["gpt-test", "gpt-big", "embed-test", "fail-500"]
input_cost_per_token = {IN}
output_cost_per_token = {OUT}

[chat_models.prices.gpt-big]
input_cost_per_token = {BIG_IN}
output_cost_per_token = {BIG_OUT}

[chat_models.prices.embed-test]
input_cost_per_token = {EMBED_IN}

[[routes]]
path = "/"
ocr_model_refs = ["mistral"]
chat_model_refs = ["up"]

[cache]
charge_hit_cost = true

[state]
backend = "redis"
url = "{redis.url}"

[[tenants]]
id = "acme"
api_keys = ["{hash_key(KEY)}"]
"""


def trailer_cost(text: str) -> Decimal:
    (value,) = re.findall(r"^: x-aigateway-cost: (\S+)$", text, re.M)
    return Decimal(value)


def metric_total(gw: GatewayProcess) -> Decimal:
    text = httpx.get(gw.url + "/metrics").text
    return sum(
        (
            Decimal(v)
            for v in re.findall(r'^aigw_cost_total\{tenant="acme",[^}]*\} (\S+)$', text, re.M)
        ),
        Decimal(0),
    )


def test_costs_add_up_to_usage_across_replicas(
    gateway_server_factory: Start,
    mistral_openai: tuple[FakeMistral, OpenAIFake],
    redis: RedisServer,
) -> None:
    mistral, openai = mistral_openai
    mistral.reset()
    openai.reset()
    one = gateway_server_factory(config(mistral, openai, redis))
    two = gateway_server_factory(config(mistral, openai, redis))
    auth = {"authorization": f"Bearer {KEY}"}
    costs: list[Decimal] = []
    pdf = text_pdf(["one", "two", "three"])
    uri = "data:application/pdf;base64," + base64.b64encode(pdf).decode()
    fmt = {"type": "json_schema", "json_schema": {"name": "d", "schema": {"type": "object"}}}

    def ocr(gw: GatewayProcess, **options: Any) -> httpx.Response:
        body = {"document": {"type": "document_url", "document_url": uri}, **options}
        r = httpx.post(gw.url + "/v1/ocr", json=body, headers=auth, timeout=60)
        assert r.status_code == 200, r.text
        costs.append(Decimal(r.headers["x-aigateway-cost"]))
        return r

    # OCR: 3 pages at 0.001; annotated (Mistral says so) at 0.003 instead; a cache hit of the
    # first, charged (charge_hit_cost = true); 2 pages with a bbox annotation.
    assert ocr(one).headers["x-aigateway-cost"] == "0.003"
    annotated = ocr(two, document_annotation_format=fmt)
    assert annotated.headers["x-aigateway-cost"] == "0.009"
    assert annotated.json()["usage_info"]["pages_processed_annotation"] == 3
    hit = ocr(one)
    assert (hit.headers["x-aigateway-cache"], hit.headers["x-aigateway-cost"]) == ("hit", "0.003")
    assert ocr(two, pages=[0, 2], bbox_annotation_format=fmt).headers["x-aigateway-cost"] == "0.006"
    assert len(mistral.requests) == 3

    # Chat through the official SDK: the cost header of a plain answer, then embeddings.
    sdk = OpenAI(api_key=KEY, base_url=one.url + "/v1", max_retries=0)
    words = len(openai.text_for("gpt-test").split())
    raw = sdk.chat.completions.with_raw_response.create(
        model="gpt-test", messages=[{"role": "user", "content": "three word prompt"}]
    )
    assert raw.parse().usage is not None
    assert Decimal(raw.headers["x-aigateway-cost"]) == 3 * IN + words * OUT
    costs.append(Decimal(raw.headers["x-aigateway-cost"]))
    raw = sdk.chat.completions.with_raw_response.create(
        model="gpt-big", messages=[{"role": "user", "content": "hi"}], max_tokens=4
    )
    assert Decimal(raw.headers["x-aigateway-cost"]) == 1 * BIG_IN + 4 * BIG_OUT
    costs.append(Decimal(raw.headers["x-aigateway-cost"]))
    emb = OpenAI(api_key=KEY, base_url=two.url + "/v1", max_retries=0)
    raw_e = emb.embeddings.with_raw_response.create(model="embed-test", input=["a b c", "d e"])
    assert Decimal(raw_e.headers["x-aigateway-cost"]) == 5 * EMBED_IN
    costs.append(Decimal(raw_e.headers["x-aigateway-cost"]))

    # Streams: the cost is the comment before [DONE]. Without the caller's include_usage the
    # gateway asked the upstream for it and dropped that chunk; with it, the caller gets it.
    for gw, usage in ((one, False), (two, True)):
        body: dict[str, Any] = {
            "model": "gpt-test",
            "messages": [{"role": "user", "content": "stream me"}],
            "stream": True,
        }
        if usage:
            body["stream_options"] = {"include_usage": True}
        openai.reset()
        r = httpx.post(gw.url + "/v1/chat/completions", json=body, headers=auth, timeout=30)
        assert r.status_code == 200
        assert "x-aigateway-cost" not in r.headers  # sent before the usage was known
        sent = openai.requests[0].json()
        assert sent["stream_options"] == {"include_usage": True}
        chunks = [
            json.loads(line[6:]) for line in r.text.splitlines() if line.startswith("data: {")
        ]
        assert any(c.get("usage") for c in chunks) is usage
        assert all(c["choices"] for c in chunks) is not usage
        lines = r.text.splitlines()
        assert lines.index(
            next(x for x in lines if x.startswith(": x-aigateway-cost"))
        ) < lines.index("data: [DONE]")
        cost = trailer_cost(r.text)
        assert cost == 2 * IN + words * OUT
        costs.append(cost)

    # The SDK iterates a priced stream as usual: the comment and the dropped chunk are invisible.
    stream = sdk.chat.completions.create(
        model="gpt-test", messages=[{"role": "user", "content": "sdk stream"}], stream=True
    )
    text = "".join(c.choices[0].delta.content or "" for c in stream)
    assert text == openai.text_for("gpt-test")
    costs.append(2 * IN + words * OUT)  # what the upstream reported, at the entity's prices

    # A failed call costs nothing.
    failed = httpx.post(
        two.url + "/v1/chat/completions",
        json={"model": "fail-500", "messages": []},
        headers=auth,
        timeout=30,
    )
    assert failed.status_code == 502

    total = sum(costs, Decimal(0))
    admin = {"authorization": f"Bearer {ADMIN}"}
    deadline = time.monotonic() + 5
    while True:  # the SDK stream's usage is written as its connection closes
        report = httpx.get(one.url + "/admin/usage", headers=admin).json()
        recorded = sum(e["cost_nanos"] for e in report["data"]["acme"].values())
        if Decimal(recorded) / NANOS == total or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert Decimal(recorded) / NANOS == total
    assert report["data"]["acme"]["mistral"]["cost_nanos"] == 21_000_000
    assert report["data"]["acme"]["mistral"]["cost"] == 0.021
    assert report["data"]["acme"]["mistral"]["cache_hits"] == 1
    assert httpx.get(two.url + "/admin/usage", headers=admin).json()["data"] == report["data"]
    today = time.strftime("%Y-%m-%d", time.gmtime())
    by_day = httpx.get(one.url + f"/admin/usage?day={today}", headers=admin).json()
    assert by_day["day"] == today and by_day["data"] == report["data"]
    assert httpx.get(one.url + "/admin/usage?day=2001-01-01", headers=admin).json()["data"] == {}
    bad = httpx.get(one.url + "/admin/usage?day=yesterday", headers=admin)
    assert bad.status_code == 400 and bad.json()["error"]["param"] == "day"
    assert metric_total(one) + metric_total(two) == total
