"""The OCR service with the cache, in process over the echo provider: the paths a served test
cannot steer (a leader cancelled or refused mid-flight), and what hits are charged."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from aigateway.blob import Blob
from aigateway.errors import RateLimitError
from aigateway.http.limits import DocumentLimits
from aigateway.ocr.cache.flights import Flights
from aigateway.ocr.protocol import DocumentSource, OcrRequest
from aigateway.tenancy.auth import hash_key

from ..support.docgen import text_pdf
from ..support.echo import EchoOcrProvider, echo_app, echo_settings

pytestmark = pytest.mark.usefixtures("echo_provider")

PDF = text_pdf(["the same document"])
KEYS = {"broke": "sk-broke-tenant-01", "rich": "sk-rich-tenant-001", "paged": "sk-paged-tenant-1"}


def _settings(cache: str = "", tenants: str = "") -> Any:
    return echo_settings(
        f"""
[[ocr_models]]
id = "cached"
provider = "echo"
cache = true
cost_per_page = 0.01

[[routes]]
path = "/c"
plugin = "ocr"
refs = ["cached"]

[cache]
{cache}
{tenants}"""
    )


def _request() -> OcrRequest:
    return OcrRequest(source=DocumentSource(blob=Blob.from_bytes(PDF)))


async def test_a_cancelled_leader_hands_the_call_to_a_follower() -> None:
    app = echo_app(_settings())
    service = app.state.runtime.ocr
    limits = DocumentLimits.of(app.state.runtime.settings.limits, 10_000_000)
    EchoOcrProvider.delay = 0.3

    async def call() -> Any:
        return await service.process(_request(), refs=["cached"], limits=limits)

    leader = asyncio.ensure_future(call())
    await asyncio.sleep(0.05)  # the leader is at the provider now
    follower = asyncio.ensure_future(call())
    await asyncio.sleep(0.05)
    leader.cancel()  # its client left
    outcome = await follower
    assert outcome.cache == "miss"  # it led the next flight
    assert EchoOcrProvider.calls == ["cached", "cached"]
    with pytest.raises(asyncio.CancelledError):
        await leader
    again = await call()
    assert again.cache == "hit" and again.body == outcome.body
    await app.state.runtime.aclose()


async def test_a_leader_refused_by_its_budget_does_not_refuse_other_tenants(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    tenants = "".join(
        f'\n[[tenants]]\nid = "{t}"\napi_keys = ["{hash_key(k)}"]\n'
        + ("budget = { amount = 0.0 }\n" if t == "broke" else "")
        for t, k in KEYS.items()
    )
    app = echo_app(_settings('scope = "global"', tenants))
    rt = app.state.runtime
    limits = DocumentLimits.of(rt.settings.limits, 10_000_000)
    keys = rt.gate.keys

    async def call(tenant: str) -> Any:
        admission = await rt.gate.admit(keys.tenants[tenant])
        try:
            return await rt.ocr.process(
                _request(), refs=["cached"], limits=limits, admission=admission
            )
        finally:
            await admission.release()

    followed: list[str] = []
    follow = Flights.follow

    async def spy(self: Flights, key: str) -> Any:
        found = key in self.active
        result = await follow(self, key)
        if found:
            followed.append("answer" if result is not None else "abandoned")
        return result

    monkeypatch.setattr(Flights, "follow", spy)
    # The broke tenant leads (its page count runs in a thread: the rich one joins meanwhile),
    # then its budget refuses it; the rich tenant must not inherit that 429.
    broke = asyncio.ensure_future(call("broke"))
    rich = asyncio.ensure_future(call("rich"))
    with pytest.raises(RateLimitError) as err:
        await broke
    assert err.value.code == "budget_exceeded"
    outcome = await rich
    assert outcome.cache == "miss" and outcome.cost_nanos == 10_000_000
    assert followed == ["abandoned"]  # it did follow the broke leader, then led itself
    assert EchoOcrProvider.calls == ["cached"]
    await rt.aclose()


@pytest.mark.minute_window
@pytest.mark.parametrize("charged", [False, True])
async def test_hits_count_against_page_limits_only_when_asked(charged: bool) -> None:
    tenants = (
        f'\n[[tenants]]\nid = "paged"\napi_keys = ["{hash_key(KEYS["paged"])}"]\n'
        "limits = { pages_per_minute = 2 }\n"
    )
    app = echo_app(_settings(f"charge_hit_pages = {str(charged).lower()}", tenants))
    headers = {"authorization": f"Bearer {KEYS['paged']}"}
    async with AsyncTestClient(app) as client:
        statuses = []
        for _ in range(4):
            r = await client.post(
                "/c", files={"file": ("d.pdf", PDF, "application/pdf")}, headers=headers
            )
            statuses.append((r.status_code, r.headers.get("x-aigateway-cache")))
    assert EchoOcrProvider.calls == ["cached"]
    if charged:  # 1 page each: the miss and one hit fit pages_per_minute = 2
        assert statuses == [(200, "miss"), (200, "hit"), (429, None), (429, None)]
    else:
        assert statuses == [(200, "miss"), (200, "hit"), (200, "hit"), (200, "hit")]
