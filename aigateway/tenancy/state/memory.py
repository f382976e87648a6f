"""The in-process state backend: counters and leases of one server process."""

from __future__ import annotations

import time
from collections.abc import Sequence

from .base import Counter, Decision, Lease, StateBackend, lease_rejection

__all__ = ("MemoryBackend",)


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

    async def add_usage(
        self, key: str, fields: dict[str, int], *, day_key: str | None = None, day_ttl: int = 0
    ) -> None:
        # Day hashes do not expire here: a process does not live for DAY_RETENTION.
        for k in (key, day_key) if day_key is not None else (key,):
            bucket = self._usage.setdefault(k, {})
            for f, v in fields.items():
                bucket[f] = bucket.get(f, 0) + v

    async def usage(self, prefix: str) -> dict[str, dict[str, int]]:
        return {k: dict(v) for k, v in self._usage.items() if k.startswith(prefix)}

    async def ping(self) -> bool:
        return True
