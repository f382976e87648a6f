"""Concurrency leases on both backends (memory, real redis-server): expiry, renewal,
reinstatement, idempotent release, and the Redis breaker's fail-fast, backoff and two log lines."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from aigateway.config import LoggingConfig, StateConfig, TenantLimits
from aigateway.errors import RateLimitError, ServiceUnavailableError
from aigateway.server.logs import make_logger
from aigateway.tenancy.auth import Tenant
from aigateway.tenancy.quotas import Quotas
from aigateway.tenancy.state import (
    Counter,
    Lease,
    MemoryBackend,
    StateBackend,
    StateUnavailableError,
)
from aigateway.tenancy.state.redis import RedisBackend

from ..support.state_support import LogLines


def make_state(kind: str, url: str = "", **config: Any) -> StateBackend:
    if kind == "memory":
        return MemoryBackend()
    return RedisBackend(StateConfig(backend="redis", url=url, **config), LogLines().logger)


@pytest.fixture(params=["memory", "redis"])
async def backend(request: pytest.FixtureRequest) -> Any:
    url = request.getfixturevalue("redis_url") if request.param == "redis" else ""
    state = make_state(request.param, url)
    yield state
    await state.aclose()


def lease(n: int, ttl: float = 0.4, limit: int = 2) -> Lease:
    return Lease("aigw:{t}:leases", f"lease-{n}", limit, ttl)


async def test_lease_limit_and_idempotent_release(backend: StateBackend) -> None:
    assert (await backend.consume([], lease(1, ttl=30))).allowed
    assert (await backend.consume([], lease(2, ttl=30))).allowed
    third = await backend.consume([], lease(3, ttl=30))
    assert not third.allowed
    assert third.failed is not None and third.failed.name == "max_concurrent"
    await backend.release(lease(1))
    await backend.release(lease(1))  # twice: still one slot freed, not two
    assert await backend.leases("aigw:{t}:leases") == 1
    assert (await backend.consume([], lease(3, ttl=30))).allowed
    assert not (await backend.consume([], lease(4, ttl=30))).allowed


async def test_unrenewed_leases_lapse_inside_admission(backend: StateBackend) -> None:
    assert (await backend.consume([], lease(1))).allowed
    assert (await backend.consume([], lease(2))).allowed
    assert not (await backend.consume([], lease(3))).allowed
    await asyncio.sleep(0.5)  # both expired; nobody released them (a crashed replica)
    assert (await backend.consume([], lease(3))).allowed
    assert (await backend.consume([], lease(4))).allowed
    assert await backend.leases("aigw:{t}:leases") == 2


async def test_renewal_keeps_and_reinstates(backend: StateBackend) -> None:
    assert (await backend.consume([], lease(1))).allowed
    for _ in range(4):  # 0.8 s in all, twice the TTL
        await asyncio.sleep(0.2)
        assert await backend.renew(lease(1))
    assert await backend.leases("aigw:{t}:leases") == 1
    await asyncio.sleep(0.5)
    assert not await backend.renew(lease(1))  # lapsed
    assert await backend.leases("aigw:{t}:leases") == 0
    assert await backend.renew(lease(1), reinstate=True)
    assert await backend.leases("aigw:{t}:leases") == 1


async def test_counters_and_lease_are_all_or_nothing(backend: StateBackend) -> None:
    rpm = Counter("aigw:{t}:rpm:1", 1, 3, 60, "requests_per_minute")
    assert (await backend.consume([rpm], lease(1, ttl=30, limit=1))).allowed
    # The lease set is full: the request counter must not be charged either.
    assert not (await backend.consume([rpm], lease(2, ttl=30, limit=1))).allowed
    assert await backend.get(rpm.key) == 1
    full = Counter(rpm.key, 1, 1, 60, "requests_per_minute")
    decision = await backend.consume([full], lease(3, ttl=30, limit=5))
    assert decision.failed == full
    assert await backend.leases("aigw:{t}:leases") == 1  # no lease taken for a rejected request


async def test_redis_leases_use_the_server_clock(redis_session: Any, redis_url: str) -> None:
    state = make_state("redis", redis_url)
    try:
        assert (await state.consume([], lease(1, ttl=30))).allowed
        score = float(redis_session.command("ZSCORE", "aigw:{t}:leases", "lease-1").split()[1])
        secs, micros = (int(x) for x in redis_session.command("TIME").split()[2::2])
        server_ms = secs * 1000 + micros // 1000
        assert 29_000 < score - server_ms <= 30_000
        ttl = int(redis_session.command("PTTL", "aigw:{t}:leases")[1:])
        assert ttl > 30_000  # the set outlives its newest lease
    finally:
        await state.aclose()


def tenant(**limits: int) -> Tenant:
    return Tenant(id="t", allowed_refs=None, limits=TenantLimits(**limits))


async def test_admission_renews_until_released() -> None:
    config = StateConfig(lease_ttl=0.3)
    quotas = Quotas(MemoryBackend(), config, make_logger(LoggingConfig()))
    held = await quotas.admit(tenant(max_concurrent=1))
    await asyncio.sleep(1.0)  # more than three TTLs: only renewal keeps the slot
    with pytest.raises(RateLimitError) as err:
        await quotas.admit(tenant(max_concurrent=1))
    assert err.value.code == "concurrency_limit_exceeded"
    await held.release()
    await held.release()
    again = await quotas.admit(tenant(max_concurrent=1))
    await again.release()
    await asyncio.sleep(0.01)  # let the cancelled renewal task finish
    assert quotas._renewals == set()


async def test_forgotten_admission_stops_renewing() -> None:
    import gc

    quotas = Quotas(MemoryBackend(), StateConfig(lease_ttl=0.15), make_logger(LoggingConfig()))
    await quotas.admit(tenant(max_concurrent=1))  # dropped without release (a bug somewhere)
    await asyncio.sleep(0.1)
    gc.collect()
    await asyncio.sleep(0.4)
    assert quotas._renewals == set()
    # ... and its slot lapses instead of leaking forever.
    (await quotas.admit(tenant(max_concurrent=1))).lease  # noqa: B018


async def test_breaker_fails_fast_and_logs_twice(redis_session: Any, redis_url: str) -> None:
    logs = LogLines()
    state = RedisBackend(StateConfig(backend="redis", url=redis_url, timeout=0.5), logs.logger)
    try:
        assert await state.ping()
        redis_session.stop()
        with pytest.raises(StateUnavailableError):
            await state.consume([], lease(1))
        assert not state.available
        await asyncio.sleep(0.6)  # a few probes fail, with backoff, silently
        assert not await state.ping()
        redis_session.start()
        for _ in range(40):
            if await state.ping():
                break
            await asyncio.sleep(0.1)
        assert state.available
        assert (await state.consume([], lease(1))).allowed
    finally:
        if redis_session.proc is None:
            redis_session.start()
        await state.aclose()
    assert logs.events() == ["state backend unreachable", "state backend reachable again"]


async def test_hung_redis_times_out_and_fail_closed_is_503(
    redis_session: Any, redis_url: str
) -> None:
    config = StateConfig(backend="redis", url=redis_url, timeout=0.3, fail_open=False)
    state = RedisBackend(config, LogLines().logger)
    quotas = Quotas(state, config, LogLines().logger)
    try:
        (await quotas.admit(tenant(max_concurrent=2))).lease  # noqa: B018 - warm the pool
        redis_session.pause()
        try:
            # A hung server costs one bounded wait (the guard below only catches a hang).
            with pytest.raises(ServiceUnavailableError):
                await asyncio.wait_for(quotas.admit(tenant(max_concurrent=2)), 10)
            assert not state.available
        finally:
            redis_session.resume()
    finally:
        await quotas.aclose()
        await state.aclose()


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def monotonic(self) -> float:
        return self.now


async def test_breaker_backoff_one_probe_at_a_time(monkeypatch: pytest.MonkeyPatch) -> None:
    from aigateway.tenancy.state import breaker as state_breaker
    from aigateway.tenancy.state.breaker import Breaker

    clock = FakeClock()
    monkeypatch.setattr(state_breaker, "time", clock)
    logs = LogLines()
    breaker = Breaker("redis", "redis://x:1/0", logs.logger, timeout=5)
    calls: list[str] = []
    answer: dict[str, Any] = {"error": ConnectionError("refused")}

    async def op() -> str:
        calls.append("op")
        await asyncio.sleep(0)
        if answer["error"] is not None:
            raise answer["error"]
        return "ok"

    async def attempt() -> str:
        try:
            return await breaker.run(op, (ConnectionError,))
        except StateUnavailableError:
            return "unavailable"

    assert await attempt() == "unavailable"
    assert len(calls) == 1 and not breaker.up
    assert [await attempt() for _ in range(20)] == ["unavailable"] * 20
    assert len(calls) == 1  # within the backoff: refused without touching the backend
    waits = []
    for _ in range(6):  # each failed probe doubles the wait, up to 2 s
        start = clock.now
        while len(calls) == len(waits) + 1:
            clock.now += 0.125  # exact in binary: no float drift
            await attempt()
        waits.append(round(clock.now - start, 2))
    assert waits == [0.25, 0.5, 1.0, 2.0, 2.0, 2.0]
    # Concurrent callers during a probe: one probe, the rest refused at once.
    clock.now += 2.0
    answer["error"] = None
    results = await asyncio.gather(*(attempt() for _ in range(5)))
    assert sorted(results) == ["ok"] + ["unavailable"] * 4
    assert breaker.up and await attempt() == "ok"
    # Errors that do not mean "unreachable" pass through and leave the breaker closed.
    answer["error"] = ValueError("bad script")
    with pytest.raises(ValueError, match="bad script"):
        await breaker.run(op, (ConnectionError,))
    assert breaker.up
    assert logs.events() == ["state backend unreachable", "state backend reachable again"]


@pytest.fixture
def not_redis() -> Any:
    """A TCP server on 127.0.0.1 that answers anything with an HTTP error, then hangs up."""
    import socket
    import threading

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)

    def serve() -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            with conn:
                conn.recv(65536)
                conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")

    threading.Thread(target=serve, daemon=True).start()
    yield server.getsockname()[1]
    server.close()


@pytest.mark.parametrize(
    "url",
    [
        pytest.param("redis://127.0.0.1:{closed}/0", id="single"),
        pytest.param("redis+cluster://127.0.0.1:{closed},127.0.0.1:{closed}", id="cluster"),
        pytest.param("redis+sentinel://127.0.0.1:{closed}/mymaster", id="sentinel"),
        pytest.param("redis://127.0.0.1:{http}/0", id="not-redis"),
    ],
)
async def test_unreachable_from_the_start_opens_the_breaker(url: str, not_redis: int) -> None:
    from ..support.redis_server import free_port

    logs = LogLines()
    config = StateConfig(backend="redis", url=url.format(closed=free_port(), http=not_redis))
    state = RedisBackend(config, logs.logger)
    quotas = Quotas(state, config, logs.logger)
    try:
        for _ in range(3):  # fail_open: served, uncounted; one log line for the outage
            admission = await asyncio.wait_for(quotas.admit(tenant(max_concurrent=1)), 10)
            await admission.release()
        assert not state.available
        assert not await state.ping()
    finally:
        await quotas.aclose()
        await state.aclose()
    assert logs.events() == ["state backend unreachable"]


async def test_request_outliving_an_outage_counts_again(redis_session: Any, redis_url: str) -> None:
    """Redis restarts empty while a request is in flight: its renewal puts the lease back, so
    the tenant's second request is refused again instead of running past max_concurrent."""
    config = StateConfig(backend="redis", url=redis_url, lease_ttl=0.6, timeout=0.2)
    state = RedisBackend(config, LogLines().logger)
    quotas = Quotas(state, config, LogLines().logger)
    key = quotas.lease_key(tenant())
    try:
        running = await quotas.admit(tenant(max_concurrent=1))
        redis_session.stop()  # no persistence: every lease is gone with it
        await asyncio.sleep(0.8)
        redis_session.start()
        for _ in range(100):
            if state.available and await state.leases(key) == 1:
                break
            await asyncio.sleep(0.05)
        assert await state.leases(key) == 1
        assert quotas.reinstated >= 1
        with pytest.raises(RateLimitError):
            await quotas.admit(tenant(max_concurrent=1))
        await running.release()
        await (await quotas.admit(tenant(max_concurrent=1))).release()
    finally:
        if redis_session.proc is None:
            redis_session.start()
        await quotas.aclose()
        await state.aclose()


async def test_usage_scan_matches_tenant_ids_literally(redis_url: str) -> None:
    from aigateway.tenancy.usage import StateUsage

    state = make_state("redis", redis_url)
    usage = StateUsage(state, "aigw")
    try:
        for t in ("t*", "tx", "t[1]", "t1"):
            await usage.record(t, "e", requests=1)
        assert set(await usage.snapshot()) == {"t*", "tx", "t[1]", "t1"}
        assert set(await usage.snapshot("t*")) == {"t*"}  # not tx, t[1], t1
        assert set(await usage.snapshot("t[1]")) == {"t[1]"}  # not t1
    finally:
        await state.aclose()
