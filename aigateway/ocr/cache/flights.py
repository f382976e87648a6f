"""Coalescing identical OCR requests in flight: one upstream call for N concurrent callers.

The first request with a key that is not cached becomes the **leader** of a :class:`Flight`;
requests with the same key that arrive while it runs **follow** it and get its answer without
calling anyone. How a flight ends decides what followers do:

* :meth:`Flight.land` (an answer): every follower gets it;
* :meth:`Flight.fail` (the document or the upstream failed): every follower gets the same error,
  as it would have had it called at the same moment;
* :meth:`Flight.abandon` (the leader was cancelled, its client left, or its *tenant* was refused
  by a limit or budget that says nothing about the followers): followers try again, and one of
  them leads the next flight.

Flights live in one process: replicas do not see each other's (README, "OCR result cache").
"""

from __future__ import annotations

import asyncio

from .entry import CacheEntry

__all__ = ("Flight", "Flights")


class _Abandoned(Exception):
    """The leader gave up without an answer or an error that applies to its followers."""


class Flight:
    """One leader's upstream call, awaited by its followers."""

    __slots__ = ("_flights", "future", "key")

    def __init__(self, flights: Flights, key: str) -> None:
        self._flights = flights
        self.key = key
        self.future: asyncio.Future[CacheEntry] = asyncio.get_running_loop().create_future()

    @property
    def done(self) -> bool:
        """True once the flight has landed, failed or been abandoned."""
        return self.future.done()

    def land(self, entry: CacheEntry) -> None:
        """Hand the answer to the followers (they go on at once)."""
        if not self.future.done():
            self.future.set_result(entry)

    def fail(self, exc: BaseException) -> None:
        """Hand the leader's error to the followers."""
        self._end(exc)

    def abandon(self) -> None:
        """Let the followers try again (one of them leads next)."""
        self._end(_Abandoned())

    def _end(self, exc: BaseException) -> None:
        if not self.future.done():
            self.future.set_exception(exc)
            self.future.exception()  # retrieved: no "never retrieved" log when nobody followed
        self.close()

    def close(self) -> None:
        """Stop taking followers (the answer is stored, or there is none)."""
        if self._flights.active.get(self.key) is self:
            del self._flights.active[self.key]


class Flights:
    """The flights of one process, by cache key."""

    def __init__(self) -> None:
        self.active: dict[str, Flight] = {}

    def lead(self, key: str) -> Flight | None:
        """A new flight for ``key`` led by the caller, or ``None`` when one is already up."""
        if key in self.active:
            return None
        flight = self.active[key] = Flight(self, key)
        return flight

    async def follow(self, key: str) -> CacheEntry | None:
        """The answer of the flight up for ``key``; ``None`` when there is none, or it was
        abandoned (the caller looks again). Raises the leader's error when it failed."""
        flight = self.active.get(key)
        if flight is None:
            return None
        try:
            # Shielded: a follower that is cancelled must not cancel the leader's future.
            return await asyncio.shield(flight.future)
        except _Abandoned:
            return None
