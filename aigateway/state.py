"""Shared limit state behind one interface: in-process memory, or Redis for N replicas.

Two kinds of state:

* **Window counters** (requests, pages, tokens per minute or day): the counter of a window lives
  under ``{prefix}:{tenant}:{name}:{n}`` (``n`` = window number) and expires with it.
* **Leases** (``max_concurrent``): each admitted request holds a lease with its own id and a
  short expiry (``[state] lease_ttl``), renewed while the request is in flight and dropped on
  release. A lease nobody renews (its replica crashed, or its release was lost while the
  backend was unreachable) lapses by itself, so no fault can lock a tenant out for longer than
  one lease TTL.

:meth:`StateBackend.consume` checks *all* the counters of a request, and its lease, and takes
them only if every one has room, atomically (one Lua script in Redis, which also drops expired
leases first; no ``await`` between check and write in memory). Concurrent requests on any number
of replicas never overshoot a limit, and a rejected request is charged nothing.
"""

from __future__ import annotations

import abc
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from .config import StateConfig
from .state_breaker import StateUnavailableError

__all__ = (
    "Counter",
    "Decision",
    "Lease",
    "MemoryBackend",
    "StateBackend",
    "StateUnavailableError",
    "StateUsage",
    "make_backend",
)


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
class Lease:
    """One concurrency slot: member ``id`` of the lease set ``key``, alive for ``ttl`` seconds
    after each admission or renewal."""

    key: str
    id: str
    limit: int
    ttl: float
    name: str = "max_concurrent"

    @property
    def ttl_ms(self) -> int:
        """The expiry in whole milliseconds (at least 1)."""
        return max(1, int(self.ttl * 1000))


@dataclass(frozen=True)
class Decision:
    """Outcome of :meth:`StateBackend.consume`: ``failed`` names the limit without room."""

    failed: Counter | None = None

    @property
    def allowed(self) -> bool:
        """True when every counter and the lease had room (and were taken)."""
        return self.failed is None


def lease_rejection(lease: Lease) -> Decision:
    """The decision for a lease set that is full."""
    return Decision(Counter(lease.key, 1, lease.limit, int(lease.ttl) + 1, name=lease.name))


class StateBackend(abc.ABC):
    """Atomic counters, leases and usage hashes shared by the replicas of one deployment.

    Operations raise :class:`StateUnavailableError` when the backend cannot be reached.
    """

    name = "abstract"
    target = ""
    """Where the backend lives, without credentials (logs, ``/readyz``)."""

    @abc.abstractmethod
    async def consume(self, counters: Sequence[Counter], lease: Lease | None = None) -> Decision:
        """Increment every counter and take ``lease`` if all have room; else change nothing."""

    @abc.abstractmethod
    async def renew(self, lease: Lease, *, reinstate: bool = False) -> bool:
        """Push the lease's expiry ``lease.ttl`` into the future; False if it was not held.

        With ``reinstate`` a lease that is gone (it lapsed while the backend was unreachable)
        is added back, even over the limit: the request it stands for is still in flight.
        """

    @abc.abstractmethod
    async def release(self, lease: Lease) -> None:
        """Drop the lease (idempotent)."""

    @abc.abstractmethod
    async def leases(self, key: str) -> int:
        """Live (unexpired) leases in the lease set ``key``."""

    @abc.abstractmethod
    async def add(self, key: str, amount: int, ttl: int) -> None:
        """Add ``amount`` (may be negative, never below 0) without a limit check: refunds,
        charges after the fact."""

    @abc.abstractmethod
    async def get(self, key: str) -> int:
        """Current value of a counter (0 when absent or expired)."""

    @abc.abstractmethod
    async def add_usage(self, key: str, fields: dict[str, int]) -> None:
        """Add to the usage hash ``key``."""

    @abc.abstractmethod
    async def usage(self, prefix: str) -> dict[str, dict[str, int]]:
        """Every usage hash whose key starts with ``prefix`` (on every node of a cluster)."""

    @abc.abstractmethod
    async def ping(self) -> bool:
        """True when the backend is reachable (never raises)."""

    @property
    def available(self) -> bool:
        """False while the backend is known to be unreachable (no I/O)."""
        return True

    async def aclose(self) -> None:  # noqa: B027 - optional
        """Release connections."""


class MemoryBackend(StateBackend):
    """State of one process (the default: one server process, or tests). Same rules as Redis,
    on the monotonic clock."""

    name = "memory"
    target = "process memory"

    def __init__(self) -> None:
        self._values: dict[str, tuple[int, float]] = {}
        self._leases: dict[str, dict[str, float]] = {}
        self._usage: dict[str, dict[str, int]] = {}

    def _current(self, key: str, now: float) -> int:
        value = self._values.get(key)
        if value is None:
            return 0
        if value[1] <= now:
            del self._values[key]
            return 0
        return value[0]

    def _live(self, key: str, now: float) -> dict[str, float]:
        held = self._leases.get(key)
        if held is None:
            return {}
        for lease_id in [i for i, exp in held.items() if exp <= now]:
            del held[lease_id]
        if not held:
            del self._leases[key]
        return held

    async def consume(self, counters: Sequence[Counter], lease: Lease | None = None) -> Decision:
        # No await between the checks and the writes: atomic on the event loop.
        now = time.monotonic()
        for c in counters:
            if self._current(c.key, now) + c.amount > c.limit:
                return Decision(c)
        if lease is not None and len(self._live(lease.key, now)) >= lease.limit:
            return lease_rejection(lease)
        for c in counters:
            self._values[c.key] = (self._current(c.key, now) + c.amount, now + c.ttl)
        if lease is not None:
            self._leases.setdefault(lease.key, {})[lease.id] = now + lease.ttl
        if len(self._values) + len(self._leases) > 100_000:
            self._sweep(now)
        return Decision()

    def _sweep(self, now: float) -> None:
        for key in [k for k, (_, exp) in self._values.items() if exp <= now]:
            del self._values[key]
        for key in list(self._leases):
            self._live(key, now)

    async def renew(self, lease: Lease, *, reinstate: bool = False) -> bool:
        now = time.monotonic()
        held = self._live(lease.key, now)
        if lease.id not in held and not reinstate:
            return False
        self._leases.setdefault(lease.key, held)[lease.id] = now + lease.ttl
        return True

    async def release(self, lease: Lease) -> None:
        held = self._leases.get(lease.key)
        if held is not None:
            held.pop(lease.id, None)
            if not held:
                del self._leases[lease.key]

    async def leases(self, key: str) -> int:
        return len(self._live(key, time.monotonic()))

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


def make_backend(config: StateConfig, logger: Any) -> StateBackend:
    """The backend ``[state]`` asks for (Redis needs the ``redis`` extra)."""
    if config.backend == "redis":
        from .state_redis import RedisBackend

        return RedisBackend(config, logger)
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
