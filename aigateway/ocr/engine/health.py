"""Whether the OCR pool can serve: worker restarts, start failures and the readiness verdict.

The pool reports every worker death here; :meth:`PoolHealth.status` turns the record into what
``/readyz`` says. The pool cannot serve, and is not ready, when

* no worker is alive (still starting, or all dead);
* workers die before they say ready, :data:`FAILED_STARTS` times in a row (a broken install,
  a missing library, a memory limit): the pool stops respawning and answers 503 at once;
* workers restart more than :data:`STORM_RESTARTS_PER_WORKER` times per worker within
  :data:`STORM_WINDOW` seconds (a restart storm: something kills them as fast as they start);
* it is shutting down.

One crashing document costs two restarts (its page is retried once), so a storm needs many
such documents a minute: the threshold trades a few hostile requests against hiding a pool
that is really broken.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

__all__ = (
    "FAILED_STARTS",
    "RESTART_REASONS",
    "STORM_RESTARTS_PER_WORKER",
    "STORM_WINDOW",
    "PoolHealth",
    "PoolStatus",
)

RESTART_REASONS = ("crashed", "timeout", "failed_start")
"""Why a worker was replaced: it died mid-task or idle, it was killed for running past
``task_timeout``, or it died before saying ready."""
FAILED_STARTS = 3
STORM_WINDOW = 60.0
STORM_RESTARTS_PER_WORKER = 10


@dataclass(frozen=True)
class PoolStatus:
    """A snapshot of the pool for ``/readyz``."""

    ready: bool
    state: str
    """``ready``, ``starting``, ``failing``, ``restart storm``, ``stopping`` or ``idle``."""
    detail: str
    workers: int
    alive: int
    busy: int
    waiting: int
    restarts_recent: int
    warming: int = 0
    """Workers ready but still loading what most pages need (the pool's idle warm-ups): they
    take tasks once done, and meanwhile tasks wait in the queue."""
    """Restarts within the storm window."""

    def as_dict(self) -> dict[str, object]:
        """The fields as a JSON-ready dict."""
        return {
            "status": self.state,
            "detail": self.detail,
            "workers": self.workers,
            "alive": self.alive,
            "busy": self.busy,
            "waiting": self.waiting,
            "restarts_last_minute": self.restarts_recent,
            "warming": self.warming,
        }


class PoolHealth:
    """Counts restarts and start failures; decides readiness."""

    def __init__(self, size: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.size = size
        self._clock = clock
        self.restarts = dict.fromkeys(RESTART_REASONS, 0)
        """Replacements started, by reason, since the pool was made."""
        self.task_retries = 0
        """Tasks handed to a second worker after the first one died running them."""
        self.failed_starts = 0
        """Workers in a row that died before saying ready."""
        self.last_exit: int | None = None
        self._recent: deque[float] = deque()

    @property
    def failing(self) -> bool:
        """True when workers keep dying at start (the pool stops respawning them)."""
        return self.failed_starts >= FAILED_STARTS

    def ready(self) -> None:
        """A worker said ready."""
        self.failed_starts = 0

    def died(self, reason: str, exitcode: int | None) -> None:
        """A worker died (``reason`` from :data:`RESTART_REASONS`)."""
        self.last_exit = exitcode
        if reason == "failed_start":
            self.failed_starts += 1

    def restarted(self, reason: str) -> None:
        """A replacement for a dead worker is being started."""
        self.restarts[reason] += 1
        self._recent.append(self._clock())

    def recent_restarts(self) -> int:
        """Restarts within the last :data:`STORM_WINDOW` seconds."""
        horizon = self._clock() - STORM_WINDOW
        while self._recent and self._recent[0] < horizon:
            self._recent.popleft()
        return len(self._recent)

    def status(
        self,
        *,
        alive: int,
        busy: int,
        waiting: int,
        started: bool,
        closing: bool,
        warming: int = 0,
    ) -> PoolStatus:
        """The readiness verdict for the pool's current counts."""
        recent = self.recent_restarts()
        storm = recent > STORM_RESTARTS_PER_WORKER * self.size
        if closing:
            state, detail = "stopping", "the OCR pool is shutting down"
        elif self.failing and alive == 0:
            state = "failing"
            detail = (
                f"OCR workers die at start ({self.failed_starts} in a row, last exit code "
                f"{self.last_exit})"
            )
        elif storm:
            state = "restart storm"
            detail = f"{recent} OCR worker restarts in the last {STORM_WINDOW:g} s"
        elif alive == 0:
            state = "starting" if started else "idle"
            detail = "no OCR worker is ready yet" if started else "the OCR pool is not started"
        else:
            state, detail = "ready", f"{alive} of {self.size} OCR workers ready"
        return PoolStatus(
            ready=state == "ready",
            state=state,
            detail=detail,
            workers=self.size,
            alive=alive,
            busy=busy,
            waiting=waiting,
            restarts_recent=recent,
            warming=warming,
        )
