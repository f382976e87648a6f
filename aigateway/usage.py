"""Usage accounting: requests, tokens, pages, bytes and errors per tenant and entity.

Services call :meth:`UsageStore.record` once per upstream attempt (the openai SDK retries
non-idempotent POSTs, so an attempt is what the upstream bills). :class:`MemoryUsage` keeps the
counters in this process; a shared backend (Redis) implements the same two async methods, so
callers never know which one they hold.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Protocol

__all__ = ("MemoryUsage", "UsageCounters", "UsageStore")


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

    def as_dict(self) -> dict[str, int]:
        """The counters as a plain dict (for admin endpoints and tests)."""
        return asdict(self)


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
    ) -> None:
        """Add to the counters of ``(tenant, entity)``."""
        ...

    async def snapshot(self, tenant: str | None = None) -> dict[str, dict[str, dict[str, int]]]:
        """``{tenant: {entity: counters}}``, for one tenant or all."""
        ...


class MemoryUsage:
    """In-process counters (one replica). No awaits inside: each update is atomic on the loop."""

    def __init__(self) -> None:
        self._counters: dict[tuple[str, str], UsageCounters] = {}

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
    ) -> None:
        """Add to the counters of ``(tenant, entity)``."""
        c = self._counters.get((tenant, entity))
        if c is None:
            c = self._counters[(tenant, entity)] = UsageCounters()
        c.requests += requests
        c.errors += errors
        c.tokens_in += tokens_in
        c.tokens_out += tokens_out
        c.pages += pages
        c.bytes_in += bytes_in
        c.bytes_out += bytes_out

    async def snapshot(self, tenant: str | None = None) -> dict[str, dict[str, dict[str, int]]]:
        """``{tenant: {entity: counters}}``, for one tenant or all."""
        out: dict[str, dict[str, dict[str, int]]] = {}
        for (t, e), c in self._counters.items():
            if tenant is None or t == tenant:
                out.setdefault(t, {})[e] = c.as_dict()
        return out
