"""The OCR result cache the service consults: keys, lookups with coalescing, and storing.

:meth:`OcrCache.lookup` answers a key with a cached entry (``hit``), the answer of an identical
request already in flight in this process (``coalesced``), or a :class:`Flight` the caller now
leads (``miss``): it makes the upstream call and hands the answer to :meth:`OcrCache.store`,
which passes it to the followers and keeps it. Entries older than ``[cache] ttl`` are misses
whatever the backend still holds; entries over ``max_entry_bytes`` are served, not kept.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import anyio.to_thread

from ...config import CacheConfig, OcrModelConfig
from ..protocol import Document, OcrOptions
from .backends import CacheBackend
from .entry import CacheEntry, dumps, loads
from .flights import Flight, Flights
from .key import HASH_IN_THREAD, cache_key, document_digest

__all__ = ("Lookup", "OcrCache")


@dataclass(frozen=True)
class Lookup:
    """What a lookup found: an ``entry`` (``how`` is ``hit`` or ``coalesced``), or the
    ``flight`` the caller leads (``how`` is ``miss``)."""

    how: str
    entry: CacheEntry | None = None
    flight: Flight | None = None


class OcrCache:
    """One app's OCR result cache over a :class:`CacheBackend`."""

    def __init__(self, backend: CacheBackend, config: CacheConfig) -> None:
        self.backend = backend
        self.config = config
        self.flights = Flights()
        self.stored = 0
        self.too_large = 0

    def scope(self, tenant_id: str) -> str:
        """The key scope of ``tenant_id``'s requests: its own, or everyone's (``global``)."""
        return "*" if self.config.scope == "global" else f"tenant:{tenant_id}"

    async def key(
        self,
        *,
        tenant_id: str,
        entity: OcrModelConfig,
        model: str | None,
        document: Document,
        options: OcrOptions,
    ) -> str:
        """The cache key of a request (hashing a large document off the event loop)."""
        if document.size >= HASH_IN_THREAD:
            digest = await anyio.to_thread.run_sync(document_digest, document.blob)
        else:
            digest = document_digest(document.blob)
        return cache_key(
            scope=self.scope(tenant_id),
            entity=entity,
            model=model,
            digest=digest,
            media_type=document.media_type,
            options=options,
        )

    async def _get(self, key: str) -> CacheEntry | None:
        raw = await self.backend.get(key)
        entry = loads(raw) if raw is not None else None
        if entry is None or entry.meta.created + self.config.ttl <= time.time():
            return None
        return entry

    async def lookup(self, key: str) -> Lookup:
        """A cached entry, an identical request's answer, or a flight to lead.

        Raises:
            GatewayError: the identical request in flight failed (the same error).
        """
        while True:
            entry = await self.flights.follow(key)
            if entry is not None:
                return Lookup("coalesced", entry)
            entry = await self._get(key)
            if entry is not None:
                return Lookup("hit", entry)
            flight = self.flights.lead(key)
            if flight is not None:
                return Lookup("miss", flight=flight)
            # An identical request started while we looked: follow it.

    async def store(self, flight: Flight, entry: CacheEntry) -> None:
        """Hand ``entry`` to ``flight``'s followers and keep it (when not too large)."""
        flight.land(entry)
        try:
            if entry.size > self.config.max_entry_bytes:
                self.too_large += 1
                return
            await self.backend.set(flight.key, dumps(entry))
            self.stored += 1
        finally:
            flight.close()

    async def aclose(self) -> None:
        """Close the backend."""
        await self.backend.aclose()


def make_cache(
    config: CacheConfig, state_url: str | list[str], prefix: str, timeout: float, logger: Any
) -> OcrCache:
    """The cache ``[cache]`` asks for (nothing connects yet).

    Raises:
        ValueError: ``[cache] url`` (or the ``[state] url`` it defaults to) is not usable.
    """
    backend: CacheBackend
    if config.backend == "redis":
        from .redis import RedisCache

        url = config.url if config.url is not None else state_url
        backend = RedisCache(url, prefix, config.ttl, timeout, logger)
    elif config.backend == "disk":
        from .disk import DiskCache

        backend = DiskCache(config.path, config.max_bytes, config.ttl, logger)
    else:
        from .backends import MemoryCache

        backend = MemoryCache(config.max_bytes, config.ttl)
    return OcrCache(backend, config)
