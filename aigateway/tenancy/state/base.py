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
from collections.abc import Sequence
from dataclasses import dataclass

from .breaker import StateUnavailableError

__all__ = (
    "Counter",
    "Decision",
    "Lease",
    "StateBackend",
    "StateUnavailableError",
    "lease_rejection",
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
    async def add_usage(
        self, key: str, fields: dict[str, int], *, day_key: str | None = None, day_ttl: int = 0
    ) -> None:
        """Add ``fields`` to the usage hash ``key``, and to ``day_key`` (expiring ``day_ttl``
        seconds after its last write) when given."""

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
