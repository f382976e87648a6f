"""The local OCR worker pool: CPU-heavy page work in child processes, never on the event loop.

Why not ``concurrent.futures.ProcessPoolExecutor``: it cannot stop one runaway task (a timeout
would leave the worker busy for good), a crash breaks the whole executor, and tasks it has
already moved to its call queue cannot be cancelled. This pool owns its processes instead:

* one socket per worker carrying framed messages, written and read without ever blocking the
  loop (:mod:`.channel`): neither a task's nor a result's size matters, on asyncio or uvloop
  (documents themselves travel as a file path unless tiny: see the local provider);
* a queue of batches, one per request, served round-robin (:mod:`.batches`);
* admission control: past ``max_queue`` waiting page tasks a new batch gets
  :class:`~aigateway.errors.ServiceUnavailableError` (503 + ``Retry-After``) at once;
* a cancelled request drops its not-yet-started tasks; started ones finish (bounded by the
  timeout) and their results are discarded;
* a task running longer than ``task_timeout`` kills its worker (504 for that request); a worker
  that dies (segfault, OOM kill) is replaced, and its task is handed to one more worker (every
  retry counted, :data:`MAX_ATTEMPTS` in all) before the request gets a 422;
* workers that keep dying at start are retried with a growing back-off while requests get 503
  at once; readiness comes from :mod:`.health`; :meth:`OcrPool.drain` and
  :meth:`OcrPool.aclose` keep shutdown within bounds even with every worker busy.

The pool is bound to the event loop it is first used from.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from typing import Any

from ... import cpus
from ...config import LimitsConfig, OcrPoolConfig
from ...errors import (
    GatewayError,
    ServiceUnavailableError,
    UnprocessableDocumentError,
    UpstreamTimeoutError,
)
from ...upstream.retry import do_not_retry, not_here
from . import procs
from .batches import BatchQueue, Task
from .health import PoolHealth, PoolStatus
from .results import rebuild_error
from .starts import RESTART_BACKOFF, WorkerStarts
from .wire import Undecodable

__all__ = ("MAX_ATTEMPTS", "OcrPool")

_log = logging.getLogger("aigateway.ocr.pool")

Call = tuple[Callable[..., Any], tuple[Any, ...]]
EventHook = Callable[[str, str], None]

MAX_ATTEMPTS = 2
"""Workers a task may be handed to: a worker dying under it costs one retry, a second a 422."""


class OcrPool(WorkerStarts):
    """Worker processes running page tasks (see the module docstring for the policies)."""

    def __init__(
        self, config: OcrPoolConfig, limits: LimitsConfig, *, on_event: EventHook | None = None
    ) -> None:
        """``on_event(kind, detail)`` hears ``("restart", reason)`` and ``("retry", "")``."""
        self.config = config
        self.limits = limits
        self.size = config.workers if config.workers > 0 else cpus.usable()
        """Number of worker processes."""
        self.health = PoolHealth(self.size)
        self.on_event = on_event
        self._warmups: list[Call] = []
        self._idle_warmups: list[Call] = []
        self._warm_deaths = 0
        self._workers: list[procs.Worker] = []
        self._idle: list[procs.Worker] = []
        self._queue = BatchQueue()
        self._avg_seconds = 1.0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._background: set[asyncio.Task[Any]] = set()
        self._started = False
        self._closed = False
        self._draining = False
        self._starting = 0
        self._backoff = RESTART_BACKOFF
        self._retry_timer: asyncio.TimerHandle | None = None
        self._spawn_error: str | None = None
        self._ready_waiters: list[asyncio.Future[None]] = []

    # --- public API -----------------------------------------------------------------------------

    @property
    def waiting(self) -> int:
        """Page tasks queued and not yet started."""
        return self._queue.waiting

    @property
    def running(self) -> int:
        """Page tasks currently in a worker."""
        return sum(1 for w in self._workers if w.task is not None)

    def status(self) -> PoolStatus:
        """Whether the pool can serve, with its counts (for ``/readyz``)."""
        return self.health.status(
            alive=self.alive,
            busy=self.running,
            waiting=self.waiting,
            started=self._started,
            closing=self._closed or self._draining,
            warming=self.warming,
        )

    def add_warmup(self, fn: Callable[..., Any], *args: Any, idle: bool = False) -> None:
        """Run ``fn(*args)`` in every worker when it starts: before it says ready (e.g. load a
        Tesseract model), or with ``idle`` right after, before it is given a task (what most
        pages need but readiness need not wait for: see :mod:`.starts`)."""
        warmups = self._idle_warmups if idle else self._warmups
        if (fn, args) not in warmups:
            warmups.append((fn, args))

    async def start(self) -> None:
        """Start the workers in the background; returns at once."""
        self._ensure_started()

    def retry_after(self, extra: int = 0) -> float:
        """Seconds until ``extra`` more tasks would likely have started."""
        return max(1.0, (self.waiting + extra) * self._avg_seconds / self.size)

    async def run(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Run one task in a worker and return its value."""
        return (await self.run_batch([(fn, args)]))[0]

    async def run_batch(self, calls: Sequence[Call]) -> list[Any]:
        """Run tasks in parallel across the workers; values in the order of ``calls``.

        Raises:
            ServiceUnavailableError: the queue is full, the pool is stopping, or its workers
                keep dying at start (nothing was enqueued).
            UpstreamTimeoutError: a task ran longer than ``task_timeout``.
            GatewayError: what a task raised, rebuilt in this process.
        """
        if self._closed or self._draining:
            raise self._stopping("the OCR engine is shutting down")
        if not calls:
            return []
        loop = self._bind()
        self._ensure_started()
        if self.health.failing and not self.alive:
            raise ServiceUnavailableError(
                f"the local OCR engine cannot start its workers ({self._failure()}); retry later",
                retry_after=self._backoff,
            )
        n = len(calls)
        # An idle queue takes any batch (else a document with more pages than max_queue could
        # never run); a busy one only up to max_queue waiting tasks.
        if self.waiting and self.waiting + n > self.config.max_queue:
            raise ServiceUnavailableError(
                f"the local OCR engine is saturated ({self.waiting} pages waiting for "
                f"{self.size} workers); retry later",
                retry_after=self.retry_after(n),
            )
        tasks = [Task(fn, args, loop.create_future()) for fn, args in calls]
        batch = self._queue.add(tasks)
        self._pump()
        try:
            return list(await asyncio.gather(*(t.future for t in tasks)))
        finally:
            self._queue.remove(batch)
            for t in tasks:
                if not t.future.done():
                    t.future.cancel()

    def drain(self, timeout: float) -> None:
        """Refuse new batches now; after ``timeout`` s fail what is still queued or running
        with 503 (killing busy workers), so a server stops within its graceful timeout."""
        if self._closed or self._draining:
            return
        self._draining = True
        if self._loop is not None:
            self._loop.call_later(max(0.0, timeout), self._abort, "the OCR engine stopped")

    async def aclose(self) -> None:
        """Stop every worker (queued and running tasks fail with 503); bounded in time."""
        if self._closed:
            return
        self._closed = True
        self._wake_waiters()
        if self._retry_timer is not None:
            self._retry_timer.cancel()
        self._abort("the OCR engine stopped")
        workers, self._workers, self._idle = self._workers, [], []
        for w in workers:
            w.retired = True
            self._stop_warming(w)
            w.close()  # an idle worker reads EOF and exits; a busy one was killed by _abort
        await asyncio.gather(*(asyncio.to_thread(procs.reap, w.proc, 2.0) for w in workers))
        # Workers still starting see _closed and stop themselves; replacements reap theirs.
        if self._background:
            _done, late = await asyncio.wait(list(self._background), timeout=10.0)
            for bg in late:
                bg.cancel()

    # --- messages and deaths --------------------------------------------------------------------

    def _on_message(self, w: procs.Worker, msg: Any) -> None:
        if isinstance(msg, tuple) and msg and msg[0] == "ready":
            self.health.ready()
            self._spawn_error = None
            self._backoff = RESTART_BACKOFF
            w.ready = True
            self._wake_waiters()
            self._said_ready(w)
            return
        if w.warming:
            self._warmed(w)
            return
        task, w.task = w.task, None
        if task is not None:
            task.stop_timer()
            elapsed = time.monotonic() - task.started
            self._avg_seconds = 0.8 * self._avg_seconds + 0.2 * elapsed
            if not task.future.done():
                self._settle(task, msg, w)
        self._takes_tasks(w)

    def _settle(self, task: Task, msg: Any, w: procs.Worker) -> None:
        if isinstance(msg, Undecodable):
            _log.error("undecodable answer from OCR worker %s: %s", w.pid, msg.error)
            task.fail(GatewayError("the local OCR engine sent an answer that cannot be decoded"))
        elif msg[0] == "ok":
            task.future.set_result(msg[1])
        elif msg[0] == "gateway":
            task.fail(rebuild_error(msg[1], msg[2], msg[3]))
        else:
            _log.error("OCR task failed in worker %s: %s", w.pid, msg[1])
            first = str(msg[1]).splitlines()[0]
            task.fail(GatewayError(f"the local OCR engine failed: {first}"))

    def _on_close(self, w: procs.Worker, why: str) -> None:
        """The worker's socket closed: it exited or was killed. Reap it, then replace it."""
        if w not in self._workers:
            return  # closed by aclose
        self._workers.remove(w)
        if w in self._idle:
            self._idle.remove(w)
        self._background_task(self._replace(w, why))

    async def _replace(self, w: procs.Worker, why: str) -> None:
        code = await asyncio.to_thread(procs.reap, w.proc, 5.0)
        if w.warming:
            self._died_warming(w)
        task, w.task = w.task, None
        if task is not None and not task.future.done():
            task.stop_timer()
            if task.attempts < MAX_ATTEMPTS and not (self._closed or w.retired):
                # Maybe the worker was OOM-killed for someone else's page: one more try.
                self.health.task_retries += 1
                self._emit("retry", "")
                self._queue.retry(task)
            else:
                task.fail(
                    UnprocessableDocumentError(
                        f"the local OCR engine crashed {task.attempts} times reading this "
                        f"document (worker exit code {code})",
                        param="document",
                    )
                )
        if self._closed or w.retired:
            return  # stopped on purpose: not a restart
        reason = "timeout" if w.timed_out else ("crashed" if w.ready else "failed_start")
        self.health.died(reason, code)
        if reason == "failed_start" and self.health.failing:
            _log.error("OCR workers keep dying at start (exit code %s, %s)", code, why)
            self._start_failed()
            return
        _log.warning("OCR worker %s exited (code %s, %s); starting another", w.pid, code, why)
        self.health.restarted(reason)
        self._emit("restart", reason)
        self._spawn()
        self._pump()

    def _emit(self, kind: str, detail: str) -> None:
        if self.on_event is not None:
            try:
                self.on_event(kind, detail)
            except Exception:  # a metrics hook must never break the pool
                _log.exception("OCR pool event hook failed")

    def _on_timeout(self, w: procs.Worker, task: Task) -> None:
        if w.task is not task:
            return
        w.task = None
        # Deterministic: the same page takes as long again (a retry had the caller wait twice
        # the timeout and killed a second worker), so neither the gateway nor its caller
        # retries it; a fallback entity may still read it.
        task.fail(
            do_not_retry(
                UpstreamTimeoutError(
                    f"the local OCR engine took longer than {self.config.task_timeout:g} s on "
                    "one page"
                )
            )
        )
        # The only way to stop a page mid-recognition; the socket's EOF then replaces it.
        w.timed_out = True
        w.kill()

    @staticmethod
    def _stopping(message: str) -> ServiceUnavailableError:
        """The 503 of a pool that is stopping: the caller may retry elsewhere (another
        replica), but this pool will not take the work again (a retry on it, a second after,
        outlived the server's graceful timeout and was cut off as a 500)."""
        return not_here(ServiceUnavailableError(message, retry_after=1))

    def _abort(self, message: str) -> None:
        """Fail every queued and running task with 503; kill the busy workers."""
        self._queue.fail_all(self._stopping(message))
        for w in self._workers:
            task, w.task = w.task, None
            if task is not None:
                task.fail(self._stopping(message))
                w.retired = True  # stopped on purpose: not a crash, not replaced
                w.kill()

    def _pump(self) -> None:
        """Hand queued tasks to idle workers."""
        while self._idle and self._queue:
            w = self._idle.pop()
            if not w.usable:
                continue  # its close is being handled
            task = self._queue.pop()
            if task.future.done():
                self._idle.append(w)
                continue
            try:
                w.send((task.fn, task.args))
            except Exception as exc:  # the task does not pickle: its fault, not the worker's
                self._idle.append(w)
                task.fail(GatewayError(f"the OCR task could not be sent: {exc}"))
                continue
            # A send that fails for real closes the channel; _on_close then retries the task.
            w.task = task
            task.attempts += 1
            task.started = time.monotonic()
            assert self._loop is not None
            task.timer = self._loop.call_later(self.config.task_timeout, self._on_timeout, w, task)
