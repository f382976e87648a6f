"""Usage accounting: requests, tokens, pages, bytes and errors per tenant and entity.

Services call :meth:`UsageStore.record` once per upstream attempt (the openai SDK retries
non-idempotent POSTs, so an attempt is what the upstream bills). :class:`MemoryUsage` keeps the
counters in this process; :class:`StateUsage` keeps them in the state backend (Redis: totals
across every replica) behind the same two async methods, so callers never know which one they
hold.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Protocol

from .state import StateBackend

__all__ = ("MemoryUsage", "StateUsage", "UsageCounters", "UsageStore")


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


class StateUsage:
    """Usage counters kept in a :class:`StateBackend` (Redis: totals across all replicas).

    Implements :class:`UsageStore`.
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
