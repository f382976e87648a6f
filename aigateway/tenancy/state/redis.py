"""The Redis state backend: one server, a Redis Cluster, or a Sentinel-managed master.

Each admission is one Lua script over the keys of one tenant. Keys carry the tenant as a Redis
Cluster hash tag (``aigw:{tenant}:…``), so every script touches a single slot and runs on one
node. Leases are a sorted set per tenant (member = lease id, score = expiry in milliseconds);
the scripts read the clock of the Redis server (``TIME``), so the replicas' clocks do not matter,
and drop expired leases before counting. Every call goes through a :class:`Breaker`: a bounded
timeout, fail-fast with backoff while Redis is away, one log line when it goes and one when it
comes back.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from ...config import StateConfig
from .base import Counter, Decision, Lease, StateBackend, lease_rejection
from .breaker import Breaker
from .url import RedisTarget, parse_state_url

__all__ = ("RedisBackend", "connect", "unreachable_errors")

T = TypeVar("T")

_NOW_MS = """
if redis.replicate_commands then redis.replicate_commands() end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
"""

# KEYS: the window counters, then (when ARGV[2] == '1') the lease set.
# ARGV: n counters, has lease, (amount, limit, ttl) per counter, lease id, lease limit, ttl ms.
_CONSUME = (
    _NOW_MS
    + """
local n = tonumber(ARGV[1])
for i = 1, n do
  local cur = tonumber(redis.call('GET', KEYS[i]) or '0')
  if cur + tonumber(ARGV[i * 3]) > tonumber(ARGV[i * 3 + 1]) then
    return i
  end
end
local lk, at
if ARGV[2] == '1' then
  lk, at = KEYS[n + 1], n * 3 + 3
  redis.call('ZREMRANGEBYSCORE', lk, '-inf', now)
  if redis.call('ZCARD', lk) >= tonumber(ARGV[at + 1]) then
    return n + 1
  end
end
for i = 1, n do
  redis.call('INCRBY', KEYS[i], ARGV[i * 3])
  redis.call('EXPIRE', KEYS[i], ARGV[i * 3 + 2])
end
if lk then
  local ttl = tonumber(ARGV[at + 2])
  redis.call('ZADD', lk, now + ttl, ARGV[at])
  redis.call('PEXPIRE', lk, ttl + 1000)
end
return 0
"""
)

# KEYS[1]: lease set. ARGV: lease id, ttl ms, reinstate ('1' adds a lease that is gone).
_RENEW = (
    _NOW_MS
    + """
local ttl = tonumber(ARGV[2])
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not (score and tonumber(score) > now) and ARGV[3] ~= '1' then
  return 0
end
redis.call('ZADD', KEYS[1], now + ttl, ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('PTTL', KEYS[1]) < ttl + 1000 then
  redis.call('PEXPIRE', KEYS[1], ttl + 1000)
end
return 1
"""
)

_COUNT = (
    _NOW_MS
    + """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
return redis.call('ZCARD', KEYS[1])
"""
)

_ADD = """
local v = redis.call('INCRBY', KEYS[1], ARGV[1])
if v < 0 then redis.call('SET', KEYS[1], 0) end
redis.call('EXPIRE', KEYS[1], ARGV[2])
return v
"""

MAX_CONNECTIONS = 64
"""Redis commands in flight per gateway process (and connections per Redis node); more wait.
One admission is one short script, so 64 carry tens of thousands of requests a second."""

_GLOB = re.compile(rb"([*?\[\]\\])")


def unreachable_errors() -> tuple[type[BaseException], ...]:
    """The redis-py exceptions that mean "Redis cannot be reached" (not a bad command)."""
    from redis.exceptions import (
        ClusterError,
        ConnectionError,
        InvalidResponse,
        ReadOnlyError,
        RedisClusterException,
        TimeoutError,
        TryAgainError,
    )

    # Besides refused, timed-out and dropped connections (a wrong password, a server still
    # loading): no cluster node reachable, cluster down, slots migrating, a connection still
    # on a master that a failover demoted, and something that is not Redis answering.
    return (
        ConnectionError,
        TimeoutError,
        ClusterError,
        RedisClusterException,
        TryAgainError,
        ReadOnlyError,
        InvalidResponse,
    )


def connect(target: RedisTarget, timeout: float) -> tuple[Any, Any]:
    """A redis-py asyncio client for ``target``, and what else must be closed with it.

    One quick reconnect per command (a server that restarted drops pooled connections) and no
    client-side backoff: the :class:`Breaker` owns waiting.
    """
    from redis.asyncio import Redis
    from redis.asyncio.retry import Retry
    from redis.backoff import NoBackoff
    from redis.exceptions import ConnectionError

    common: dict[str, Any] = {
        "socket_connect_timeout": timeout,
        # No per-read timeout: redis-py wraps every socket read and write in a timer, which
        # doubled the CPU of an admission. The breaker bounds each whole call instead, and a
        # cancelled command makes redis-py drop its connection.
        "socket_timeout": None,
        "retry": Retry(NoBackoff(), 1, supported_errors=(ConnectionError,)),
        "decode_responses": False,
        "max_connections": MAX_CONNECTIONS,
    }
    if target.kind == "single":
        return Redis.from_url(target.url, health_check_interval=10, **common), None
    auth: dict[str, Any] = {"username": target.username, "password": target.password}
    if target.kind == "cluster":
        from redis.asyncio.cluster import ClusterNode, RedisCluster

        client = RedisCluster(
            startup_nodes=[ClusterNode(h, p) for h, p in target.nodes],
            ssl=target.ssl,
            **auth,
            **common,
        )
        return client, None
    from redis.asyncio.sentinel import Sentinel

    sentinel = Sentinel(  # type: ignore[no-untyped-call, unused-ignore]  # typed from redis 8.2
        list(target.nodes),
        sentinel_kwargs={
            "socket_connect_timeout": timeout,
            "socket_timeout": timeout,
            "retry": common["retry"],
            "password": target.sentinel_password,
        },
    )
    client = sentinel.master_for(target.service, db=target.db, ssl=target.ssl, **auth, **common)
    return client, sentinel


class RedisBackend(StateBackend):
    """Counters, leases and usage in Redis: N replicas enforce one limit."""

    name = "redis"

    def __init__(self, config: StateConfig, logger: Any) -> None:
        target = parse_state_url(config.url)
        self.target = target.describe()
        self.kind = target.kind
        self._redis, self._sentinel = connect(target, config.timeout)
        self._errors = unreachable_errors()
        self._initialized = target.kind != "cluster"
        self._init_lock = asyncio.Lock()
        self._slots = asyncio.Semaphore(MAX_CONNECTIONS)
        # One call: connect (bounded by `timeout` itself), the command, maybe one reconnect.
        self.breaker = Breaker(
            self.name,
            self.target,
            logger,
            timeout=2 * config.timeout,
            fail_open=config.fail_open,
        )
        self._consume = self._redis.register_script(_CONSUME)
        self._renew = self._redis.register_script(_RENEW)
        self._count = self._redis.register_script(_COUNT)
        self._add = self._redis.register_script(_ADD)

    @property
    def available(self) -> bool:
        return self.breaker.up

    async def _run(self, op: Callable[[], Awaitable[T]], within: float | None = None) -> T:
        if not self._initialized:
            await self.breaker.run(self._initialize, self._errors)

        async def limited() -> T:
            # Wait for a connection rather than fail: redis-py refuses a command outright when
            # its pool is exhausted, which under a burst would look like an outage.
            async with self._slots:
                return await op()

        return await self.breaker.run(limited, self._errors, within)

    async def _initialize(self) -> None:
        # A cluster client discovers its nodes on first use. Commands racing that discovery
        # lose connections under them (redis-py 8), so the first caller discovers, under a
        # lock, before anyone sends a command.
        async with self._init_lock:
            if not self._initialized:
                await self._redis.initialize()
                self._initialized = True

    async def consume(self, counters: Sequence[Counter], lease: Lease | None = None) -> Decision:
        if not counters and lease is None:
            return Decision()
        keys = [c.key for c in counters]
        args: list[int | str] = [len(counters), 1 if lease is not None else 0]
        for c in counters:
            args += [c.amount, c.limit, c.ttl]
        if lease is not None:
            keys.append(lease.key)
            args += [lease.id, lease.limit, lease.ttl_ms]
        failed = int(await self._run(lambda: self._consume(keys=keys, args=args)))
        if not failed:
            return Decision()
        if failed > len(counters):
            assert lease is not None
            return lease_rejection(lease)
        return Decision(counters[failed - 1])

    async def renew(self, lease: Lease, *, reinstate: bool = False) -> bool:
        args = [lease.id, lease.ttl_ms, 1 if reinstate else 0]
        return bool(await self._run(lambda: self._renew(keys=[lease.key], args=args)))

    async def release(self, lease: Lease) -> None:
        await self._run(lambda: self._redis.zrem(lease.key, lease.id))

    async def leases(self, key: str) -> int:
        return int(await self._run(lambda: self._count(keys=[key])))

    async def add(self, key: str, amount: int, ttl: int) -> None:
        await self._run(lambda: self._add(keys=[key], args=[amount, ttl]))

    async def get(self, key: str) -> int:
        value = await self._run(lambda: self._redis.get(key))
        return int(value) if value is not None else 0

    async def add_usage(
        self, key: str, fields: dict[str, int], *, day_key: str | None = None, day_ttl: int = 0
    ) -> None:
        fields = {f: v for f, v in fields.items() if v}
        if not fields:
            return

        async def write() -> None:
            # One round trip (a pipeline, not a transaction: on a cluster the two hashes may
            # live on different nodes).
            pipe = self._redis.pipeline(transaction=False)
            for f, v in fields.items():
                pipe.hincrby(key, f, v)
            if day_key is not None:
                for f, v in fields.items():
                    pipe.hincrby(day_key, f, v)
                if day_ttl > 0:
                    pipe.expire(day_key, day_ttl)
            await pipe.execute()

        await self._run(write)

    async def usage(self, prefix: str) -> dict[str, dict[str, int]]:
        # SCAN MATCH is a glob: a tenant id with * or [ must match only itself. On a cluster,
        # scan_iter walks every primary.
        pattern = _GLOB.sub(rb"\\\1", prefix.encode()) + b"*"

        async def collect() -> dict[str, dict[str, int]]:
            keys = [raw async for raw in self._redis.scan_iter(match=pattern, count=1000)]
            out: dict[str, dict[str, int]] = {}
            for start in range(0, len(keys), 500):
                batch = keys[start : start + 500]
                pipe = self._redis.pipeline(transaction=False)
                for raw in batch:
                    pipe.hgetall(raw)
                for raw, values in zip(batch, await pipe.execute(), strict=True):
                    if values:  # expired or deleted between SCAN and HGETALL
                        out[raw.decode()] = {k.decode(): int(v) for k, v in values.items()}
            return out

        # A full scan may take longer than one command; it is an admin call, not a request.
        return await self._run(collect, within=max(30.0, self.breaker.timeout))

    async def ping(self) -> bool:
        try:
            return bool(await self._run(self._redis.ping))
        except Exception:  # unreachable (already logged by the breaker), or a broken reply
            return False

    async def aclose(self) -> None:
        await self._redis.aclose()
        if self._sentinel is not None:
            await self._sentinel.aclose()
