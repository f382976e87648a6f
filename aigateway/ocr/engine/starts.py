"""Starting the OCR pool's workers, warming them, and backing off when they keep dying at start.

:class:`WorkerStarts` is the part of :class:`~.pool.OcrPool` that keeps ``size`` workers
starting or running: it spawns them in the background (starting a process blocks, so it runs
in a thread), counts those in flight so none is started twice, and, once workers die before
saying ready :data:`~.health.FAILED_STARTS` times in a row, stops respawning, fails what waits
with 503 and tries again after a back-off that doubles from :data:`RESTART_BACKOFF` to
:data:`MAX_BACKOFF` seconds (a timer, so the pool recovers with no request to prompt it).

A worker runs the pool's warm-ups before it says ready, and its *idle* warm-ups right after:
what most pages need but readiness should not wait for (a restarted worker is ready as soon as
Tesseract is). The pool sends them as the worker's first task and hands it no page until they
are done, so a page never waits inside a warming worker with its ``task_timeout`` running: it
waits in the queue, for the first worker to be warm.
"""

from __future__ import annotations

import abc
import asyncio
import logging
from collections.abc import Callable
from typing import Any

from ...errors import ServiceUnavailableError
from . import procs, serve
from .batches import BatchQueue
from .health import FAILED_STARTS, PoolHealth

__all__ = (
    "IDLE_WARM_TIMEOUT",
    "MAX_BACKOFF",
    "RESTART_BACKOFF",
    "WARM_DEATHS",
    "WorkerStarts",
)

_log = logging.getLogger("aigateway.ocr.pool")

RESTART_BACKOFF = 5.0
"""Seconds before starting workers again once they keep dying at start (doubling each time)."""
MAX_BACKOFF = 60.0
IDLE_WARM_TIMEOUT = 120.0
"""Seconds a worker's idle warm-ups may take before it is killed and replaced; the pool then
stops running them (the first page that needs a model loads it)."""
WARM_DEATHS = 2
"""Workers in a row that may die during their idle warm-ups before the pool stops running them:
a load that crashes its worker would otherwise restart workers for ever."""


class WorkerStarts(abc.ABC):
    """Worker start-up for :class:`~.pool.OcrPool` (whose ``__init__`` sets these fields)."""

    size: int
    health: PoolHealth
    _warmups: list[tuple[Callable[..., Any], tuple[Any, ...]]]
    _idle_warmups: list[tuple[Callable[..., Any], tuple[Any, ...]]]
    _warm_deaths: int
    _workers: list[procs.Worker]
    _idle: list[procs.Worker]
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

    @abc.abstractmethod
    def _pump(self) -> None:
        """Hand queued tasks to idle workers."""

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

    @property
    def warming(self) -> int:
        """Workers running their idle warm-ups."""
        return sum(1 for w in self._workers if w.warming)

    def _said_ready(self, w: procs.Worker) -> None:
        """Worker ``w`` said ready: send it the idle warm-ups, or let it take tasks at once."""
        if self._idle_warmups and not (self._closed or self._draining):
            try:
                w.send((serve.run_warmups, (list(self._idle_warmups),)))
            except ConnectionError:
                return  # the worker is gone: its close replaces it
            except Exception:  # a warm-up that does not pickle: a bug, not worth a dead pool
                _log.exception("the OCR pool's idle warm-ups cannot be sent; dropping them")
                self._idle_warmups.clear()
            else:
                w.warming = True
                assert self._loop is not None
                w.warm_timer = self._loop.call_later(IDLE_WARM_TIMEOUT, self._warm_stuck, w)
                return
        self._takes_tasks(w)

    def _warmed(self, w: procs.Worker) -> None:
        """Worker ``w`` finished its idle warm-ups: it takes tasks now."""
        self._stop_warming(w)
        self._warm_deaths = 0
        self._takes_tasks(w)

    def _takes_tasks(self, w: procs.Worker) -> None:
        """Count ``w`` (if still usable) among the idle workers and hand out queued tasks."""
        if w.usable and w not in self._idle:
            self._idle.append(w)
        self._pump()

    def _stop_warming(self, w: procs.Worker) -> None:
        w.warming = False
        if w.warm_timer is not None:
            w.warm_timer.cancel()
            w.warm_timer = None

    def _warm_stuck(self, w: procs.Worker) -> None:
        if not w.warming:
            return
        _log.warning(
            "an OCR worker's idle warm-ups ran over %g s: replacing it, and workers now load "
            "on their first page instead",
            IDLE_WARM_TIMEOUT,
        )
        self._idle_warmups.clear()
        w.timed_out = True
        w.kill()

    def _died_warming(self, w: procs.Worker) -> None:
        """Worker ``w`` died during its idle warm-ups (its replacement gets them again, up to
        :data:`WARM_DEATHS` deaths in a row)."""
        self._stop_warming(w)
        self._warm_deaths += 1
        if self._warm_deaths >= WARM_DEATHS and self._idle_warmups:
            _log.warning(
                "%d OCR workers in a row died during their idle warm-ups: workers now load on "
                "their first page instead",
                self._warm_deaths,
            )
            self._idle_warmups.clear()

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
