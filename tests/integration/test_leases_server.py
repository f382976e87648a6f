"""Tenant limits heal after faults: real ``aigateway serve`` processes and a real redis-server.

* Redis hangs (SIGSTOP) for 7 s while two requests end: full concurrency is back within the
  lease TTL + 5 s of SIGCONT (the old counter stayed stuck for an hour).
* ``kill -9`` of one of two replicas with requests in flight: its slots come back within the
  lease TTL + 5 s and the survivor serves at full capacity.
* A stream and a slow OCR job running for several lease TTLs keep their slots all along.
* ``/readyz`` with ``fail_open`` on and off, Redis up and down; one log line per outage edge.
"""

from __future__ import annotations

import base64
import concurrent.futures
import time
from collections.abc import Iterator

import httpx
import pytest

from ..support.docgen import scanned_pdf
from ..support.redis_server import RedisServer
from ..support.state_support import (
    SlowMistral,
    Start,
    auth,
    chat,
    events,
    full_capacity,
    gateway_config,
    held_streams,
    wait_for,
)
from ..support.upstreams.openai_fake import OpenAIFake

pytestmark = pytest.mark.slow

TTL = 3.0
LEASES = "aigw:{acme}:leases"


@pytest.fixture(scope="module")
def openai() -> Iterator[OpenAIFake]:
    fake = OpenAIFake("primary").start()
    try:
        yield fake
    finally:
        fake.gate.set()  # release any stream still waiting
        fake.stop()


@pytest.fixture
def fake(openai: OpenAIFake) -> Iterator[OpenAIFake]:
    openai.reset()
    yield openai
    openai.gate.set()  # streams held by a failed test end instead of waiting 20 s


def leases(redis: RedisServer) -> int:
    return int(redis.command("ZCOUNT", LEASES, f"{int(time.time() * 1000)}", "+inf")[1:])


def state(redis: RedisServer, *, fail_open: bool = True, ttl: float = TTL) -> str:
    return (
        f'backend = "redis"\nurl = "{redis.url}"\nfail_open = {str(fail_open).lower()}\n'
        f"lease_ttl = {ttl}\ntimeout = 0.5\n"
    )


def test_redis_hang_heals_within_lease_ttl(
    gateway_server_factory: Start, fake: OpenAIFake, redis: RedisServer
) -> None:
    gw = gateway_server_factory(gateway_config(state(redis, fail_open=False), fake))
    with held_streams(gw, 2) as statuses:
        assert statuses == [200, 200]
        refused = httpx.post(gw.url + "/v1/chat/completions", json=chat(), headers=auth())
        assert refused.status_code == 429
        assert leases(redis) == 2
        redis.pause()
        paused = time.monotonic()
    # Both clients hung up while Redis hung: their releases could not reach it.
    try:
        time.sleep(max(0.0, 7.0 - (time.monotonic() - paused)))
        during = httpx.post(gw.url + "/v1/chat/completions", json=chat(), headers=auth())
        assert during.status_code == 503  # fail_open = false: refused, not hung
        assert during.headers["retry-after"]
    finally:
        redis.resume()
    took = wait_for(lambda: full_capacity(gw, 2), TTL + 5)
    print(f"full concurrency {took:.2f} s after SIGCONT (lease TTL {TTL} s)")
    assert events(gw, "state backend unreachable") == 1
    assert events(gw, "state backend reachable again") == 1


def test_killed_replica_slots_come_back(
    gateway_server_factory: Start, fake: OpenAIFake, redis: RedisServer
) -> None:
    config = gateway_config(state(redis), fake)
    doomed = gateway_server_factory(config)
    survivor = gateway_server_factory(config)
    with held_streams(doomed, 2) as statuses:
        assert statuses == [200, 200]
        refused = httpx.post(survivor.url + "/v1/chat/completions", json=chat(), headers=auth())
        assert refused.status_code == 429  # the replicas share the limit
        doomed.process.kill()  # SIGKILL: no release, no cleanup
        doomed.process.wait(10)
        killed = time.monotonic()
        assert leases(redis) == 2  # the dead replica's slots are still taken ...
    # ... until their leases lapse, with nobody left to renew them.
    wait_for(lambda: full_capacity(survivor, 2), TTL + 5 - (time.monotonic() - killed))
    took = time.monotonic() - killed
    print(f"survivor at full capacity {took:.2f} s after kill -9 (lease TTL {TTL} s)")
    with held_streams(survivor, 2) as statuses:
        assert statuses == [200, 200]
        assert leases(redis) == 2


def test_long_stream_and_slow_ocr_keep_their_slots(
    gateway_server_factory: Start, fake: OpenAIFake, redis: RedisServer
) -> None:
    ttl = 2.0
    mistral = SlowMistral().start()
    try:
        mistral.delay = 3 * ttl
        gw = gateway_server_factory(gateway_config(state(redis, ttl=ttl), fake, mistral))
        document = scanned_pdf(["slow scan page one", "page two"])  # ~250 KB
        body = {"document": {"type": "document_url", "document_url": _data_uri(document)}}
        with (
            held_streams(gw, 1) as statuses,
            concurrent.futures.ThreadPoolExecutor(1) as pool,
        ):
            assert statuses == [200]
            ocr = pool.submit(httpx.post, gw.url + "/v1/ocr", json=body, headers=auth(), timeout=60)
            wait_for(lambda: len(mistral.requests) == 1, 10)
            started = time.monotonic()
            while time.monotonic() - started < 2.5 * ttl:  # well past one lease TTL
                refused = httpx.post(gw.url + "/v1/chat/completions", json=chat(), headers=auth())
                assert refused.status_code == 429, refused.text
                assert leases(redis) == 2
                time.sleep(ttl / 2)
            assert not ocr.done()
            fake.gate.set()  # the stream may finish now
            result = ocr.result(timeout=30)
        assert result.status_code == 200
        assert result.json()["usage_info"]["pages_processed"] == 2
        wait_for(lambda: leases(redis) == 0, 10)  # both released, long before any TTL
        fake.gate.clear()
        assert full_capacity(gw, 2)
    finally:
        mistral.stop()


def _data_uri(data: bytes) -> str:
    return "data:application/pdf;base64," + base64.b64encode(data).decode()


def test_disconnected_stream_releases_at_once(
    gateway_server_factory: Start, fake: OpenAIFake, redis: RedisServer
) -> None:
    gw = gateway_server_factory(gateway_config(state(redis, ttl=600), fake))
    with held_streams(gw, 2) as statuses:
        assert statuses == [200, 200]
        assert leases(redis) == 2
    # The lease TTL is 10 minutes: only a release can free the slots this soon.
    wait_for(lambda: leases(redis) == 0, 10)
    assert full_capacity(gw, 2)


def test_readyz_both_fail_modes(
    gateway_server_factory: Start, fake: OpenAIFake, redis: RedisServer
) -> None:
    lenient = gateway_server_factory(gateway_config(state(redis, fail_open=True), fake))
    strict = gateway_server_factory(gateway_config(state(redis, fail_open=False), fake))
    for gw in (lenient, strict):
        ready = httpx.get(gw.url + "/readyz")
        assert ready.status_code == 200
        assert ready.json()["status"] == "ready"
        assert ready.json()["checks"]["state"]["limits"] == "enforced"
    redis.stop()
    try:
        down = httpx.get(lenient.url + "/readyz")
        assert down.status_code == 200
        assert down.json()["status"] == "degraded"
        assert "without tenant limits" in down.json()["reasons"][0]
        served = httpx.post(lenient.url + "/v1/chat/completions", json=chat(), headers=auth())
        assert served.status_code == 200
        down = httpx.get(strict.url + "/readyz")
        assert down.status_code == 503
        assert down.json()["status"] == "not ready"
        refused = httpx.post(strict.url + "/v1/chat/completions", json=chat(), headers=auth())
        assert refused.status_code == 503
        assert "state backend" in refused.json()["error"]["message"]
        for _ in range(5):  # many requests during the outage: still one log line
            httpx.post(lenient.url + "/v1/chat/completions", json=chat(), headers=auth())
    finally:
        redis.start()
    for gw in (lenient, strict):
        # Redis is probed again within 2 s: limits are enforced again without a restart.
        wait_for(lambda gw=gw: httpx.get(gw.url + "/readyz").json()["status"] == "ready", 10)
        assert httpx.get(gw.url + "/readyz").status_code == 200
        assert events(gw, "state backend unreachable") == 1
        assert events(gw, "state backend reachable again") == 1
        assert "Traceback" not in gw.log()
