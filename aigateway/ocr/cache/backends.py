"""Where cached OCR answers live: process memory (this module), a directory (:mod:`.disk`) or
Redis (:mod:`.redis`), behind one small async interface.

A backend stores opaque bytes under a hex key; expiry by age is the cache's own business (every
entry carries its creation time), so backends only bound their size. None of them ever raises
into a request: a backend that fails answers "not there" and drops the write.
"""

from __future__ import annotations

import abc
import time
from collections import OrderedDict

__all__ = ("CacheBackend", "MemoryCache")


class CacheBackend(abc.ABC):
    """Bytes by key. Implementations must be safe under concurrent calls on one event loop."""

    name = "abstract"

    @abc.abstractmethod
    async def get(self, key: str) -> bytes | None:
        """The value stored under ``key``, or ``None``."""

    @abc.abstractmethod
    async def set(self, key: str, value: bytes) -> None:
        """Store ``value`` under ``key`` (best effort)."""

    async def aclose(self) -> None:  # noqa: B027 - optional
        """Release connections and files."""


class MemoryCache(CacheBackend):
    """An LRU of this process bounded in bytes: the least recently used entries leave first.

    No ``await`` inside: each call is atomic on the event loop.
    """

    name = "memory"

    def __init__(self, max_bytes: int, ttl: float) -> None:
        self.max_bytes = max_bytes
        self.ttl = ttl
        self.bytes = 0
        self._items: OrderedDict[str, tuple[float, bytes]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._items)

    async def get(self, key: str) -> bytes | None:
        item = self._items.get(key)
        if item is None:
            return None
        if item[0] <= time.monotonic():
            self._drop(key)
            return None
        self._items.move_to_end(key)
        return item[1]

    async def set(self, key: str, value: bytes) -> None:
        if len(value) > self.max_bytes:
            return
        if key in self._items:
            self._drop(key)
        self._items[key] = (time.monotonic() + self.ttl, value)
        self.bytes += len(value)
        while self.bytes > self.max_bytes:
            self._drop(next(iter(self._items)))

    def _drop(self, key: str) -> None:
        _, value = self._items.pop(key)
        self.bytes -= len(value)
