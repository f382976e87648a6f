"""The Redis cache backend: entries shared by every replica.

``{prefix}:ocrcache:{key}`` holds the entry, set with ``PX`` = ``ttl``, so Redis expires it;
the total is bounded by Redis itself (``maxmemory`` with an ``allkeys-lru`` or
``volatile-lru`` policy evicts entries before anything else needs the room). Keys carry no hash
tag, so on a Redis Cluster entries spread over the nodes. Calls go through the same kind of
:class:`~aigateway.tenancy.state.breaker.Breaker` as the state backend: bounded, failing fast
while Redis is away (one log line when it goes, one when it is back); a failure is a miss.
"""

from __future__ import annotations

from typing import Any

from ...tenancy.state.breaker import Breaker, StateUnavailableError
from ...tenancy.state.redis import connect, unreachable_errors
from ...tenancy.state.url import parse_state_url
from .backends import CacheBackend

__all__ = ("RedisCache",)


class RedisCache(CacheBackend):
    """Entries in Redis under ``{prefix}:ocrcache:``, expiring after ``ttl`` seconds."""

    name = "redis"

    def __init__(
        self, url: str | list[str], prefix: str, ttl: float, timeout: float, logger: Any
    ) -> None:
        target = parse_state_url(url)
        self.target = target.describe()
        self.prefix = f"{prefix}:ocrcache:"
        self.ttl_ms = max(1, int(ttl * 1000))
        self._redis, self._sentinel = connect(target, timeout)
        self._errors = unreachable_errors()
        self.breaker = Breaker("redis", self.target, logger, timeout=2 * timeout, role="ocr cache")
        self.logger = logger

    async def _call(self, op: Any) -> Any:
        try:
            return await self.breaker.run(op, self._errors)
        except StateUnavailableError:
            return None  # down (logged once by the breaker): a miss, or a write not made
        except Exception as exc:  # a reply we did not expect: still never a failed request
            self.logger.warning("ocr cache redis error", error=type(exc).__name__)
            return None

    async def get(self, key: str) -> bytes | None:
        value = await self._call(lambda: self._redis.get(self.prefix + key))
        return bytes(value) if value is not None else None

    async def set(self, key: str, value: bytes) -> None:
        await self._call(lambda: self._redis.set(self.prefix + key, value, px=self.ttl_ms))

    async def aclose(self) -> None:
        await self._redis.aclose()
        if self._sentinel is not None:
            await self._sentinel.aclose()
