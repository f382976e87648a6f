"""Usage accounting: requests, tokens, pages, bytes, errors, cost and cache hits per tenant and
entity, in all and per UTC day.

Services call :meth:`UsageStore.record` once per upstream attempt (the openai SDK retries
non-idempotent POSTs, so an attempt is what the upstream bills). :class:`MemoryUsage` keeps the
counters in this process; :class:`StateUsage` keeps them in the state backend (Redis: totals
across every replica) behind the same async methods, so callers never know which one they
hold. Cost is counted in nanos (:mod:`.cost`), an integer like every other counter, so Redis
adds it up exactly; days are kept for :data:`DAY_RETENTION` seconds.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Protocol

from .state import StateBackend

__all__ = ("DAY_RETENTION", "MemoryUsage", "StateUsage", "UsageCounters", "UsageStore", "day_of")

DAY_RETENTION = 400 * 86_400
"""Seconds the counters of one day are kept (a year and a month)."""


def day_of(now: float | None = None) -> str:
    """The UTC day of ``now`` (default: now) as ``YYYY-MM-DD``."""
    return time.strftime("%Y-%m-%d", time.gmtime(time.time() if now is None else now))


@dataclass
class UsageCounters:
    """Running totals of one (tenant, entity) pair."""

    requests: int = 0
    errors: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    pages: int = 0
    bytes_in: int = 0
    bytes_out: int = 0
    cost_nanos: int = 0
    """Cost in billionths of the price currency (``/admin/usage`` adds ``cost`` beside it)."""
    cache_hits: int = 0
    """Requests answered from the OCR result cache (no upstream call)."""

    def add(self, counters: dict[str, int]) -> None:
        """Add ``counters`` (field name -> amount)."""
        for name, value in counters.items():
            setattr(self, name, getattr(self, name) + value)

    def as_dict(self) -> dict[str, int]:
        """The counters as a plain dict (for admin endpoints and tests)."""
        return asdict(self)


_FIELDS = frozenset(UsageCounters.__dataclass_fields__)

Snapshot = dict[str, dict[str, dict[str, int]]]


class UsageStore(Protocol):
    """Where usage goes; implementations must be safe to call concurrently."""

    async def record(
        self,
        tenant: str,
        entity: str,
        *,
        requests: int = 0,
        errors: int = 0,
        tokens_in: int = 0,
        tokens_out: int = 0,
        pages: int = 0,
        bytes_in: int = 0,
        bytes_out: int = 0,
        cost_nanos: int = 0,
        cache_hits: int = 0,
    ) -> None:
        """Add to the counters of ``(tenant, entity)``, in all and for today (UTC)."""
        ...

    async def snapshot(self, tenant: str | None = None, day: str | None = None) -> Snapshot:
        """``{tenant: {entity: counters}}``, for one tenant or all, in all or on one ``day``
        (``YYYY-MM-DD``, UTC)."""
        ...


class MemoryUsage:
    """In-process counters (one replica). No awaits inside: each update is atomic on the loop."""

    def __init__(self) -> None:
        self._counters: dict[tuple[str, str], UsageCounters] = {}
        self._days: dict[str, dict[tuple[str, str], UsageCounters]] = {}

    async def record(self, tenant: str, entity: str, **counters: int) -> None:
        """Add ``counters`` (requests, errors, tokens_in, …) to ``(tenant, entity)``."""
        unknown = set(counters) - _FIELDS
        if unknown:
            raise TypeError(f"unknown usage counters: {', '.join(sorted(unknown))}")
        day = day_of()
        days = self._days.get(day)
        if days is None:
            days = self._days[day] = {}
            # Keep DAY_RETENTION's worth of days (ISO dates sort by time).
            for old in sorted(self._days)[: max(0, len(self._days) - DAY_RETENTION // 86_400)]:
                del self._days[old]
        for table in (self._counters, days):
            c = table.get((tenant, entity))
            if c is None:
                c = table[(tenant, entity)] = UsageCounters()
            c.add(counters)

    async def snapshot(self, tenant: str | None = None, day: str | None = None) -> Snapshot:
        """``{tenant: {entity: counters}}``, for one tenant or all, in all or on one day."""
        table = self._counters if day is None else self._days.get(day, {})
        out: Snapshot = {}
        for (t, e), c in table.items():
            if tenant is None or t == tenant:
                out.setdefault(t, {})[e] = c.as_dict()
        return out


class StateUsage:
    """Usage counters kept in a :class:`StateBackend` (Redis: totals across all replicas).

    Two hashes per record: ``{prefix}:usage:{tenant}|{entity}`` (all time) and
    ``{prefix}:usaged:{day}:{tenant}|{entity}`` (one UTC day, expiring after
    :data:`DAY_RETENTION`). Implements :class:`UsageStore`.
    """

    def __init__(
        self,
        backend: StateBackend,
        prefix: str,
        on_error: Callable[[Exception], None] | None = None,
    ) -> None:
        self.backend = backend
        self.prefix = f"{prefix}:usage:"
        self.day_prefix = f"{prefix}:usaged:"
        self.on_error = on_error
        self.lost = 0
        """Records dropped because the backend was unreachable."""

    async def record(self, tenant: str, entity: str, **counters: int) -> None:
        """Add ``counters`` (requests, errors, tokens_in, …) to ``(tenant, entity)``.

        Never raises: usage is bookkeeping after the answer; a record the backend cannot take
        is counted in :attr:`lost` and reported to ``on_error``.
        """
        name = f"{tenant}|{entity}"
        try:
            await self.backend.add_usage(
                f"{self.prefix}{name}",
                counters,
                day_key=f"{self.day_prefix}{day_of()}:{name}",
                day_ttl=DAY_RETENTION,
            )
        except Exception as exc:  # backend down: the request itself already succeeded
            self.lost += 1
            if self.on_error is not None:
                self.on_error(exc)

    async def snapshot(self, tenant: str | None = None, day: str | None = None) -> Snapshot:
        """``{tenant: {entity: counters}}`` for one tenant or all, in all or on one day."""
        base = self.prefix if day is None else f"{self.day_prefix}{day}:"
        prefix = base + (f"{tenant}|" if tenant is not None else "")
        out: Snapshot = {}
        for key, values in (await self.backend.usage(prefix)).items():
            t, _, e = key[len(base) :].partition("|")
            out.setdefault(t, {})[e] = {**UsageCounters().as_dict(), **values}
        return out
