"""Shared counters behind one interface: in-process memory, or Redis for N replicas.

Limits are fixed windows: the counter of a window lives under ``{prefix}:{tenant}:{name}:{n}``
(``n`` = window number) and expires with it. :meth:`StateBackend.consume` checks *all* the
counters of a request and increments them only if every one has room — atomically (a Lua
script in Redis; no ``await`` between check and write in memory), so concurrent requests on any
number of replicas can never overshoot a limit and a rejected request is charged nothing.
"""

from __future__ import annotations

import abc
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from .config import StateConfig

__all__ = ("Counter", "Decision", "MemoryBackend", "RedisBackend", "StateBackend", "make_backend")


@dataclass(frozen=True)
class Counter:
    """One limit of one request: add ``amount`` to ``key`` unless it would pass ``limit``."""

    key: str
    amount: int
    limit: int
    ttl: int
    """Seconds the counter lives (the window, plus slack); refreshed on every increment."""
    name: str = ""
    """What the limit is called in messages (``requests_per_minute``)."""
    reset_at: float = 0.0
    """When the window ends (Unix time), for ``Retry-After``."""


@dataclass(frozen=True)
class Decision:
    """Outcome of :meth:`StateBackend.consume`: ``failed`` names the counter without room."""

    failed: Counter | None = None

    @property
    def allowed(self) -> bool:
        """True when every counter had room (and was incremented)."""
        return self.failed is None


class StateBackend(abc.ABC):
    """Atomic counters and usage hashes shared by the replicas of one deployment."""

    name = "abstract"

    @abc.abstractmethod
    async def consume(self, counters: Sequence[Counter]) -> Decision:
        """Increment every counter if all have room; otherwise change nothing."""

    @abc.abstractmethod
    async def add(self, key: str, amount: int, ttl: int) -> None:
        """Add ``amount`` (may be negative) without a limit check (refunds, usage after the
        fact, releasing a concurrency slot)."""

    @abc.abstractmethod
    async def get(self, key: str) -> int:
        """Current value of a counter (0 when absent or expired)."""

    @abc.abstractmethod
    async def add_usage(self, key: str, fields: dict[str, int]) -> None:
        """Add to the usage hash ``key``."""

    @abc.abstractmethod
    async def usage(self, prefix: str) -> dict[str, dict[str, int]]:
        """Every usage hash whose key starts with ``prefix``."""

    @abc.abstractmethod
    async def ping(self) -> bool:
        """True when the backend is reachable."""

    async def aclose(self) -> None:  # noqa: B027 - optional
        """Release connections."""


class MemoryBackend(StateBackend):
    """Counters of one process (the default: one server process, or tests)."""

    name = "memory"

    def __init__(self) -> None:
        self._values: dict[str, tuple[int, float]] = {}
        self._usage: dict[str, dict[str, int]] = {}

    def _current(self, key: str, now: float) -> int:
        value = self._values.get(key)
        if value is None:
            return 0
        if value[1] <= now:
            del self._values[key]
            return 0
        return value[0]

    async def consume(self, counters: Sequence[Counter]) -> Decision:
        # No await between the checks and the writes: atomic on the event loop.
        now = time.monotonic()
        for c in counters:
            if self._current(c.key, now) + c.amount > c.limit:
                return Decision(c)
        for c in counters:
            self._values[c.key] = (self._current(c.key, now) + c.amount, now + c.ttl)
        if len(self._values) > 100_000:
            self._sweep(now)
        return Decision()

    def _sweep(self, now: float) -> None:
        for key in [k for k, (_, exp) in self._values.items() if exp <= now]:
            del self._values[key]

    async def add(self, key: str, amount: int, ttl: int) -> None:
        now = time.monotonic()
        self._values[key] = (max(0, self._current(key, now) + amount), now + ttl)

    async def get(self, key: str) -> int:
        return self._current(key, time.monotonic())

    async def add_usage(self, key: str, fields: dict[str, int]) -> None:
        bucket = self._usage.setdefault(key, {})
        for f, v in fields.items():
            bucket[f] = bucket.get(f, 0) + v

    async def usage(self, prefix: str) -> dict[str, dict[str, int]]:
        return {k: dict(v) for k, v in self._usage.items() if k.startswith(prefix)}

    async def ping(self) -> bool:
        return True


_CONSUME = """
for i = 1, #KEYS do
  local cur = tonumber(redis.call('GET', KEYS[i]) or '0')
  if cur + tonumber(ARGV[i * 3 - 2]) > tonumber(ARGV[i * 3 - 1]) then
    return i
  end
end
for i = 1, #KEYS do
  redis.call('INCRBY', KEYS[i], ARGV[i * 3 - 2])
  redis.call('EXPIRE', KEYS[i], ARGV[i * 3])
end
return 0
"""

_ADD = """
local v = redis.call('INCRBY', KEYS[1], ARGV[1])
if v < 0 then redis.call('SET', KEYS[1], 0) end
redis.call('EXPIRE', KEYS[1], ARGV[2])
return v
"""


class RedisBackend(StateBackend):
    """Counters in Redis: one Lua script per request, so N replicas enforce one limit."""

    name = "redis"

    def __init__(self, config: StateConfig) -> None:
        import redis.asyncio as aioredis

        self._redis: Any = aioredis.from_url(
            config.url,
            socket_connect_timeout=1.0,
            socket_timeout=1.0,
            health_check_interval=10,
            decode_responses=False,
        )
        self._consume = self._redis.register_script(_CONSUME)
        self._add = self._redis.register_script(_ADD)

    async def consume(self, counters: Sequence[Counter]) -> Decision:
        if not counters:
            return Decision()
        args: list[int] = []
        for c in counters:
            args += [c.amount, c.limit, c.ttl]
        failed = int(await self._consume(keys=[c.key for c in counters], args=args))
        return Decision(counters[failed - 1]) if failed else Decision()

    async def add(self, key: str, amount: int, ttl: int) -> None:
        await self._add(keys=[key], args=[amount, ttl])

    async def get(self, key: str) -> int:
        value = await self._redis.get(key)
        return int(value) if value is not None else 0

    async def add_usage(self, key: str, fields: dict[str, int]) -> None:
        pipe = self._redis.pipeline(transaction=False)
        for f, v in fields.items():
            if v:
                pipe.hincrby(key, f, v)
        await pipe.execute()

    async def usage(self, prefix: str) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {}
        async for raw in self._redis.scan_iter(match=prefix.encode() + b"*", count=500):
            values = await self._redis.hgetall(raw)
            out[raw.decode()] = {k.decode(): int(v) for k, v in values.items()}
        return out

    async def ping(self) -> bool:
        try:
            return bool(await self._redis.ping())
        except Exception:  # any connection failure means "not reachable"
            return False

    async def aclose(self) -> None:
        await self._redis.aclose()


def make_backend(config: StateConfig) -> StateBackend:
    """The backend ``[state]`` asks for."""
    if config.backend == "redis":
        return RedisBackend(config)
    return MemoryBackend()


class StateUsage:
    """Usage counters kept in a :class:`StateBackend` (Redis: totals across all replicas).

    Implements :class:`aigateway.usage.UsageStore`.
    """

    def __init__(
        self,
        backend: StateBackend,
        prefix: str,
        on_error: Callable[[Exception], None] | None = None,
    ) -> None:
        self.backend = backend
        self.prefix = f"{prefix}:usage:"
        self.on_error = on_error
        self.lost = 0
        """Records dropped because the backend was unreachable."""

    async def record(self, tenant: str, entity: str, **counters: int) -> None:
        """Add ``counters`` (requests, errors, tokens_in, …) to ``(tenant, entity)``.

        Never raises: usage is bookkeeping after the answer; a record the backend cannot take
        is counted in :attr:`lost` and reported to ``on_error``.
        """
        try:
            await self.backend.add_usage(f"{self.prefix}{tenant}|{entity}", counters)
        except Exception as exc:  # backend down: the request itself already succeeded
            self.lost += 1
            if self.on_error is not None:
                self.on_error(exc)

    async def snapshot(self, tenant: str | None = None) -> dict[str, dict[str, dict[str, int]]]:
        """``{tenant: {entity: counters}}`` for one tenant or all."""
        prefix = self.prefix + (f"{tenant}|" if tenant is not None else "")
        out: dict[str, dict[str, dict[str, int]]] = {}
        for key, values in (await self.backend.usage(prefix)).items():
            t, _, e = key[len(self.prefix) :].partition("|")
            out.setdefault(t, {})[e] = values
        return out
