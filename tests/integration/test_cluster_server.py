"""Two ``aigateway serve`` replicas on a local 3-node Redis Cluster, and one on Sentinel.

Every limit is exact under 40 concurrent requests spread over both replicas: requests per
minute (chat), pages per minute (OCR of real scanned PDFs) and concurrency (held streams).
``/admin/usage`` adds up the usage hashes of every cluster node.
"""

from __future__ import annotations

import asyncio
import base64
from collections import Counter
from collections.abc import Iterator

import httpx
import pytest

from ..support.docgen import scanned_pdf
from ..support.redis_server import RedisServer, redis_cluster, redis_sentinel
from ..support.state_support import (
    ADMIN,
    LogLines,
    SlowMistral,
    Start,
    auth,
    chat,
    full_capacity,
    gateway_config,
    wait_for,
)
from ..support.upstreams.openai_fake import OpenAIFake

pytestmark = pytest.mark.slow

LIMITS = {
    "rpm": "requests_per_minute = 10",
    "pages": "pages_per_minute = 12",
    "acme": "max_concurrent = 3",
}


@pytest.fixture(scope="module")
def cluster() -> Iterator[list[RedisServer]]:
    with redis_cluster(3) as nodes:
        yield nodes


@pytest.fixture(scope="module")
def fakes() -> Iterator[tuple[OpenAIFake, SlowMistral]]:
    openai = OpenAIFake("primary").start()
    mistral = SlowMistral().start()
    try:
        yield openai, mistral  # type: ignore[misc]
    finally:
        openai.gate.set()
        openai.stop()
        mistral.stop()


async def _fire(urls: list[str], path: str, body: object, tenant: str, n: int) -> list[int]:
    """``n`` concurrent POSTs, alternating between the replicas; their statuses."""
    limits = httpx.Limits(max_connections=n)
    async with httpx.AsyncClient(timeout=60, limits=limits) as client:
        responses = await asyncio.gather(
            *(
                client.post(urls[i % len(urls)] + path, json=body, headers=auth(tenant))
                for i in range(n)
            )
        )
    return [r.status_code for r in responses]


async def _fire_streams(urls: list[str], n: int, openai: OpenAIFake) -> list[int]:
    """``n`` concurrent ``gated`` streams: the upstream holds each admitted one (and so its
    slot) until every request has its answer; then the gate opens and they finish."""
    statuses: list[int] = []
    answered = asyncio.Event()

    async def one(client: httpx.AsyncClient, url: str) -> None:
        async with client.stream(
            "POST", url + "/v1/chat/completions", json=chat("gated", True), headers=auth()
        ) as r:
            statuses.append(r.status_code)
            if len(statuses) == n:
                answered.set()
            await r.aread()

    openai.gate.clear()
    async with httpx.AsyncClient(timeout=60, limits=httpx.Limits(max_connections=n)) as client:
        tasks = [asyncio.create_task(one(client, urls[i % len(urls)])) for i in range(n)]
        await answered.wait()
        openai.gate.set()
        await asyncio.gather(*tasks)
    return statuses


@pytest.mark.minute_window(20)
def test_limits_exact_on_a_cluster(
    gateway_server_factory: Start,
    cluster: list[RedisServer],
    fakes: tuple[OpenAIFake, SlowMistral],
) -> None:
    openai, mistral = fakes
    openai.reset()
    mistral.reset()
    url = "redis+cluster://" + ",".join(f"127.0.0.1:{n.port}" for n in cluster[:2])
    state = f'backend = "redis"\nurl = "{url}"\nlease_ttl = 5\nfail_open = false\n'
    config = gateway_config(state, openai, mistral, limits=LIMITS)
    one, two = gateway_server_factory(config), gateway_server_factory(config)
    urls = [one.url, two.url]
    pdf = scanned_pdf(["cluster page one", "cluster page two", "cluster page three"])
    document = {"document_base64": base64.b64encode(pdf).decode()}  # ~370 KB, 3 pages

    rpm = asyncio.run(_fire(urls, "/v1/chat/completions", chat(), "rpm", 40))
    assert Counter(rpm) == {200: 10, 429: 30}
    pages = asyncio.run(_fire(urls, "/v1/ocr", document, "pages", 40))
    assert Counter(pages) == {200: 4, 429: 36}  # 4 x 3 pages = pages_per_minute
    assert len(mistral.requests) == 4  # refused documents never went upstream

    concurrency = asyncio.run(_fire_streams(urls, 40, openai))
    assert Counter(concurrency) == {200: 3, 429: 37}
    openai.gate.clear()  # every slot was given back: 3 can be held again, not 4
    wait_for(lambda: full_capacity(two, 3), 15)
    openai.gate.set()

    # The keys of three tenants live on more than one node, and usage is summed across all.
    assert sum(int(n.command("DBSIZE")[1:]) > 0 for n in cluster) >= 2
    admin = {"authorization": f"Bearer {ADMIN}"}
    usage = httpx.get(one.url + "/admin/usage", headers=admin).json()["data"]
    assert usage["pages"]["mistral"]["pages"] == 12
    assert usage["pages"]["mistral"]["requests"] == 4
    assert sum(e["requests"] for e in usage["pages"].values()) == 40
    assert usage == httpx.get(two.url + "/admin/usage", headers=admin).json()["data"]


@pytest.mark.minute_window(20)
def test_sentinel_serves_limits(
    gateway_server_factory: Start, fakes: tuple[OpenAIFake, SlowMistral]
) -> None:
    openai, _ = fakes
    openai.reset()
    openai.gate.set()
    with redis_sentinel("gwmaster") as (master, sentinel_port):
        url = f"redis+sentinel://127.0.0.1:{sentinel_port}/gwmaster/1"
        state = f'backend = "redis"\nurl = "{url}"\nfail_open = false\n'
        gw = gateway_server_factory(
            gateway_config(state, openai, limits={"rpm": "requests_per_minute = 3"})
        )
        codes = [
            httpx.post(gw.url + "/v1/chat/completions", json=chat(), headers=auth("rpm"))
            for _ in range(4)
        ]
        assert [c.status_code for c in codes] == [200, 200, 200, 429]
        assert "requests_per_minute = 3" in codes[-1].json()["error"]["message"]
        assert b"db1:keys=" in master.command("INFO", "keyspace")  # the service's db
        ready = httpx.get(gw.url + "/readyz").json()
        assert ready["checks"]["state"]["target"] == (
            f"sentinel 127.0.0.1:{sentinel_port} service gwmaster db 1"
        )


async def test_bursts_and_dropped_connections_are_not_outages(
    cluster: list[RedisServer],
) -> None:
    """300 admissions at once, twice, with every connection killed in between: none fails
    and the breaker never opens (redis-py refuses commands past its pool size, and races
    commands against a cluster's first node discovery; the backend queues and discovers first).
    """
    from aigateway.config import StateConfig
    from aigateway.tenancy.state import Counter as Window
    from aigateway.tenancy.state import Lease
    from aigateway.tenancy.state.redis import RedisBackend

    logs = LogLines()
    url = "redis+cluster://" + ",".join(f"127.0.0.1:{n.port}" for n in cluster)
    backend = RedisBackend(StateConfig(backend="redis", url=url), logs.logger)

    async def admit(i: int) -> bool:
        tenant = f"burst-{i % 7}"
        window = Window(f"aigw:{{{tenant}}}:requests:1", 1, 10**9, 60)
        lease = Lease(f"aigw:{{{tenant}}}:leases", f"lease-{i}", 10**6, 30)
        return (await backend.consume([window], lease)).allowed

    try:
        assert all(await asyncio.gather(*(admit(i) for i in range(300))))
        for node in cluster:
            node.command("CLIENT", "KILL", "TYPE", "normal")
        assert all(await asyncio.gather(*(admit(i) for i in range(300, 600))))
    finally:
        await backend.aclose()
    assert backend.breaker.outages == 0
    assert logs.events() == []
