"""Whether the shared state backend answers, and what to do while it does not.

Every Redis operation goes through :meth:`Breaker.run`. A failure (refused connection, timeout,
cluster down) opens the breaker: one log line says the backend is gone, and from then on
operations fail at once with :class:`StateUnavailableError` instead of each waiting out a
timeout, except one probe at a time after a backoff (0.25 s, doubling up to 2 s). The first
probe that succeeds closes the breaker and logs one line saying the backend is back and how
long it was gone. Callers decide what a failure means (serve without limits, or 503).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

__all__ = ("Breaker", "StateUnavailableError")

T = TypeVar("T")

FIRST_RETRY = 0.25
"""Seconds after a failure before the first probe."""
MAX_RETRY = 2.0
"""Longest wait between probes: bounds how long limits stay off after Redis is back."""


class StateUnavailableError(Exception):
    """The state backend did not answer (or is known to be down and not due for a probe)."""


class Breaker:
    """Fail fast while the backend is down; probe it with backoff; log going and coming back."""

    def __init__(
        self, backend: str, target: str, logger: Any, timeout: float, **log_context: Any
    ) -> None:
        """``timeout`` bounds one operation in all (connects, reconnects and retries inside
        the client included); ``log_context`` is added to the two log lines."""
        self.backend = backend
        self.target = target
        self.logger = logger
        self.timeout = timeout
        self.log_context = log_context
        self.up = True
        """False from the first failure until a probe succeeds."""
        self.down_since = 0.0
        self.outages = 0
        """How many times the backend went away (for ``/readyz`` and tests)."""
        self._retry_at = 0.0
        self._delay = FIRST_RETRY
        self._probing = False

    async def run(
        self,
        op: Callable[[], Awaitable[T]],
        errors: tuple[type[BaseException], ...],
        within: float | None = None,
    ) -> T:
        """Run ``op`` under the breaker; ``errors`` are the exceptions meaning "unreachable";
        ``within`` overrides the breaker's for long operations (a usage scan).

        Raises:
            StateUnavailableError: the backend is down (now or already known).
        """
        probing = False
        if not self.up:
            if self._probing or time.monotonic() < self._retry_at:
                raise StateUnavailableError(f"{self.backend} is unreachable")
            self._probing = probing = True
        unreachable: tuple[type[BaseException], ...] = (*errors, TimeoutError, OSError)
        try:
            async with asyncio.timeout(within or self.timeout):
                result = await op()
        except unreachable as exc:
            self._failed(exc, probing)
            raise StateUnavailableError(f"{self.backend} is unreachable") from exc
        finally:
            if probing:
                self._probing = False
        if not self.up:
            self._recovered()
        return result

    def _failed(self, exc: BaseException, probing: bool) -> None:
        now = time.monotonic()
        if self.up:
            self.up = False
            self.down_since = now
            self.outages += 1
            self._delay = FIRST_RETRY
            self.logger.error(
                "state backend unreachable",
                backend=self.backend,
                target=self.target,
                error=type(exc).__name__,
                **self.log_context,
            )
        elif probing:
            self._delay = min(self._delay * 2, MAX_RETRY)
        else:  # an operation started before the outage was noticed: no news
            return
        self._retry_at = now + self._delay

    def _recovered(self) -> None:
        self.up = True
        self.logger.warning(
            "state backend reachable again",
            backend=self.backend,
            target=self.target,
            down_seconds=round(time.monotonic() - self.down_since, 3),
        )
