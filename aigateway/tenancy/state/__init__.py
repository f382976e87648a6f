"""Shared limit state: window counters and leases, in process memory or in Redis.

:func:`make_backend` builds the backend ``[state]`` asks for; it is also where ``[state] url``
is checked (``aigateway check`` builds the backend, so a bad URL is reported there, with its
key path, without connecting).
"""

from __future__ import annotations

from typing import Any

from ...config import StateConfig
from ...errors import ConfigError
from .base import Counter, Decision, Lease, StateBackend, StateUnavailableError
from .memory import MemoryBackend
from .url import parse_state_url

__all__ = (
    "Counter",
    "Decision",
    "Lease",
    "MemoryBackend",
    "StateBackend",
    "StateUnavailableError",
    "make_backend",
)


def make_backend(config: StateConfig, logger: Any, source: str = "<memory>") -> StateBackend:
    """The backend ``[state]`` asks for (Redis needs the ``redis`` extra). Nothing connects yet.

    Raises:
        ConfigError: ``[state] url`` is not a Redis URL we can use (``source`` names the file).
    """
    if config.backend == "redis":
        try:
            parse_state_url(config.url)
        except ValueError as exc:
            raise ConfigError(f"{source}: $.state.url: {exc}") from None
        try:
            import redis  # noqa: F401  (an optional dependency: the `redis` extra)
        except ImportError:
            raise ConfigError(
                f'{source}: $.state.backend: "redis" needs the redis package: '
                "pip install 'aigateway[redis]'"
            ) from None
        from .redis import RedisBackend

        return RedisBackend(config, logger)
    return MemoryBackend()
