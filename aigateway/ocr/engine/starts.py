"""Starting the OCR pool's workers, and backing off when they keep dying at start.

:class:`WorkerStarts` is the part of :class:`~.pool.OcrPool` that keeps ``size`` workers
starting or running: it spawns them in the background (starting a process blocks, so it runs
in a thread), counts those in flight so none is started twice, and, once workers die before
saying ready :data:`~.health.FAILED_STARTS` times in a row, stops respawning, fails what waits
with 503 and tries again after a back-off that doubles from :data:`RESTART_BACKOFF` to
:data:`MAX_BACKOFF` seconds (a timer, so the pool recovers with no request to prompt it).
"""

from __future__ import annotations

import abc
import asyncio
import logging
from collections.abc import Callable
from typing import Any

from ...errors import ServiceUnavailableError
from . import procs
from .batches import BatchQueue
from .health import FAILED_STARTS, PoolHealth

__all__ = ("MAX_BACKOFF", "RESTART_BACKOFF", "WorkerStarts")

_log = logging.getLogger("aigateway.ocr.pool")

RESTART_BACKOFF = 5.0
"""Seconds before starting workers again once they keep dying at start (doubling each time)."""
MAX_BACKOFF = 60.0


class WorkerStarts(abc.ABC):
    """Worker start-up for :class:`~.pool.OcrPool` (whose ``__init__`` sets these fields)."""

    size: int
    health: PoolHealth
    _warmups: list[tuple[Callable[..., Any], tuple[Any, ...]]]
    _workers: list[procs.Worker]
    _queue: BatchQueue
    _loop: asyncio.AbstractEventLoop | None
    _background: set[asyncio.Task[Any]]
    _started: bool
    _closed: bool
    _draining: bool
    _starting: int
    _backoff: float
    _retry_timer: asyncio.TimerHandle | None
    _spawn_error: str | None
    _ready_waiters: list[asyncio.Future[None]]

    @abc.abstractmethod
    def _on_message(self, w: procs.Worker, msg: Any) -> None:
        """A frame from worker ``w``."""

    @abc.abstractmethod
    def _on_close(self, w: procs.Worker, why: str) -> None:
        """Worker ``w``'s socket closed."""

    @property
    def alive(self) -> int:
        """Workers started and ready for tasks."""
        return sum(1 for w in self._workers if w.usable)

    async def wait_ready(self) -> bool:
        """Wait until a worker is live (True) or workers keep dying at start (False).

        Use under ``asyncio.timeout``: a pool whose workers start slowly waits that long.
        """
        self._ensure_started()
        while not self.alive:
            if self._closed or self.health.failing:
                return False
            waiter = self._bind().create_future()
            self._ready_waiters.append(waiter)
            await waiter
        return True

    def _bind(self) -> asyncio.AbstractEventLoop:
        loop = asyncio.get_running_loop()
        if self._loop is None:
            self._loop = loop
        elif self._loop is not loop:
            raise RuntimeError("an OcrPool is bound to the event loop it was first used from")
        return loop

    def _ensure_started(self) -> None:
        """Start the missing workers, unless they keep dying at start (a timer retries)."""
        if self._closed or self._draining or (self._started and self.health.failing):
            return
        self._bind()
        self._started = True
        for _ in range(self.size - len(self._workers) - self._starting):
            self._spawn()

    def _background_task(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    def _spawn(self) -> None:
        self._starting += 1
        self._background_task(self._start_worker())

    async def _start_worker(self) -> None:
        assert self._loop is not None
        try:
            w = await procs.start_worker(
                self._warmups, self._loop, self._on_message, self._on_close
            )
        except Exception as exc:
            self._spawn_error = f"{type(exc).__name__}: {exc}"
            _log.exception("could not start an OCR worker")
            self.health.died("failed_start", None)
            self._start_failed()
            return
        finally:
            self._starting -= 1
        if self._closed:
            w.retired = True
            w.close()
            await asyncio.to_thread(procs.reap, w.proc, 2.0)
            return
        self._workers.append(w)

    def _wake_waiters(self) -> None:
        waiters, self._ready_waiters = self._ready_waiters, []
        for f in waiters:
            if not f.done():
                f.set_result(None)

    def _start_failed(self) -> None:
        self._wake_waiters()  # they see the failure
        if self._closed:
            return
        if not self.health.failing:
            self._spawn()  # a one-off failure: try again
            return
        if not self.alive:  # nothing can serve what waits
            self._queue.fail_all(
                ServiceUnavailableError(
                    f"the local OCR engine cannot start its workers ({self._failure()})",
                    retry_after=self._backoff,
                )
            )
        # Live workers (if any) go on serving; the missing ones are tried again later.
        if self._retry_timer is None and not self._draining:
            assert self._loop is not None
            self._retry_timer = self._loop.call_later(self._backoff, self._retry_start)
            self._backoff = min(self._backoff * 2, MAX_BACKOFF)

    def _retry_start(self) -> None:
        self._retry_timer = None
        # One more failure stops it again; one worker saying ready resets the count.
        self.health.failed_starts = min(self.health.failed_starts, FAILED_STARTS - 1)
        self._ensure_started()

    def _failure(self) -> str:
        if self._spawn_error:
            return self._spawn_error
        h = self.health
        return f"{h.failed_starts} died at start, the last with exit code {h.last_exit}"
