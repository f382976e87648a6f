"""The local OCR worker pool: CPU-heavy page work in child processes, never on the event loop.

Why not ``concurrent.futures.ProcessPoolExecutor``: it cannot stop one runaway task (a timeout
would leave the worker busy for good), a crash breaks the whole executor, and tasks it has
already moved to its call queue cannot be cancelled. This pool owns its processes instead:

* one pipe per worker, read with ``loop.add_reader`` (no thread per task);
* a queue of *batches* (one per request) served round-robin, so one 500-page document does not
  starve the one-page requests that arrive after it;
* admission control: past ``max_queue`` waiting page tasks a new batch gets
  :class:`~aigateway.errors.ServiceUnavailableError` (503 + ``Retry-After``) at once;
* a cancelled request drops its not-yet-started tasks; started ones finish (bounded by the
  timeout) and their results are discarded;
* a task running longer than ``task_timeout`` kills its worker (504 for that request) and a
  fresh worker replaces it; a worker that dies (segfault, OOM kill) is replaced too, and its
  task is retried once on another worker before the request gets a 422.

Processes are started with ``forkserver`` (``spawn`` where unavailable): the server process has
threads, and ``fork`` would copy their locks. The pool is bound to the event loop it is first
used from.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import os
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Sequence
from typing import Any

from ... import errors as _errors
from ...config import LimitsConfig, OcrPoolConfig
from ...errors import (
    GatewayError,
    ServiceUnavailableError,
    UnprocessableDocumentError,
    UpstreamTimeoutError,
)
from . import worker as _worker

__all__ = ("OcrPool",)

_log = logging.getLogger("aigateway.ocr.pool")

Call = tuple[Callable[..., Any], tuple[Any, ...]]


class _Task:
    __slots__ = ("args", "fn", "future", "retries", "started", "timer")

    def __init__(self, fn: Callable[..., Any], args: tuple[Any, ...], future: asyncio.Future[Any]):
        self.fn = fn
        self.args = args
        self.future = future
        self.retries = 0
        self.started = 0.0
        self.timer: asyncio.TimerHandle | None = None


class _Worker:
    __slots__ = ("conn", "pid", "proc", "ready", "task")

    def __init__(self, proc: Any, conn: Any) -> None:
        self.proc = proc
        self.conn = conn
        self.pid: int | None = None
        self.ready = False
        self.task: _Task | None = None


class OcrPool:
    """Worker processes running page tasks (see the module docstring for the policies)."""

    def __init__(self, config: OcrPoolConfig, limits: LimitsConfig) -> None:
        self.config = config
        self.limits = limits
        self.size = config.workers if config.workers > 0 else (os.cpu_count() or 1)
        """Number of worker processes."""
        methods = multiprocessing.get_all_start_methods()
        self._ctx: Any = multiprocessing.get_context(
            "forkserver" if "forkserver" in methods else "spawn"
        )
        self._warmups: list[Call] = []
        self._workers: list[_Worker] = []
        self._idle: list[_Worker] = []
        self._batches: OrderedDict[int, deque[_Task]] = OrderedDict()
        self._waiting = 0
        self._next_batch = 0
        self._avg_seconds = 1.0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._background: set[asyncio.Task[None]] = set()
        self._started = False
        self._closed = False
        self._spawn_error: str | None = None
        self._failed_starts = 0
        """Workers in a row that died before saying ready (stops a respawn loop)."""

    # --- public API -----------------------------------------------------------------------------

    @property
    def waiting(self) -> int:
        """Page tasks queued and not yet started."""
        return self._waiting

    @property
    def running(self) -> int:
        """Page tasks currently in a worker."""
        return sum(1 for w in self._workers if w.task is not None)

    @property
    def alive(self) -> int:
        """Workers started and ready for tasks."""
        return sum(1 for w in self._workers if w.ready)

    def add_warmup(self, fn: Callable[..., Any], *args: Any) -> None:
        """Run ``fn(*args)`` in every worker when it starts (e.g. load a Tesseract model)."""
        if (fn, args) not in self._warmups:
            self._warmups.append((fn, args))

    async def start(self) -> None:
        """Start the workers in the background; returns at once."""
        self._ensure_started()

    def retry_after(self, extra: int = 0) -> float:
        """Seconds until ``extra`` more tasks would likely have started."""
        return max(1.0, (self._waiting + extra) * self._avg_seconds / self.size)

    async def run(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Run one task in a worker and return its value."""
        return (await self.run_batch([(fn, args)]))[0]

    async def run_batch(self, calls: Sequence[Call]) -> list[Any]:
        """Run tasks in parallel across the workers; values in the order of ``calls``.

        Raises:
            ServiceUnavailableError: the queue is full (nothing was enqueued).
            UpstreamTimeoutError: a task ran longer than ``task_timeout``.
            GatewayError: what a task raised, rebuilt in this process.
        """
        if self._closed:
            raise ServiceUnavailableError("the OCR engine is shutting down")
        if not calls:
            return []
        self._ensure_started()
        n = len(calls)
        # An idle queue takes any batch (else a document with more pages than max_queue could
        # never run); a busy one only up to max_queue waiting tasks.
        if self._waiting and self._waiting + n > self.config.max_queue:
            raise ServiceUnavailableError(
                f"the local OCR engine is saturated ({self._waiting} pages waiting for "
                f"{self.size} workers); retry later",
                retry_after=self.retry_after(n),
            )
        loop = self._bind()
        tasks = [_Task(fn, args, loop.create_future()) for fn, args in calls]
        batch = self._next_batch
        self._next_batch += 1
        self._batches[batch] = deque(tasks)
        self._waiting += n
        self._pump()
        try:
            return list(await asyncio.gather(*(t.future for t in tasks)))
        finally:
            queued = self._batches.pop(batch, None)
            if queued:
                self._waiting -= len(queued)
            for t in tasks:
                if not t.future.done():
                    t.future.cancel()

    async def aclose(self) -> None:
        """Stop every worker (waiting tasks fail with 503)."""
        if self._closed:
            return
        self._closed = True
        for bg in list(self._background):
            bg.cancel()
        for queue in self._batches.values():
            for t in queue:
                if not t.future.done():
                    t.future.set_exception(ServiceUnavailableError("the OCR engine stopped"))
        self._batches.clear()
        self._waiting = 0
        workers, self._workers, self._idle = self._workers, [], []
        for w in workers:
            self._detach(w)
            if w.task is not None and not w.task.future.done():
                w.task.future.set_exception(ServiceUnavailableError("the OCR engine stopped"))
            with contextlib.suppress(OSError, ValueError):
                w.conn.send(None)
            w.conn.close()
        await asyncio.gather(*(asyncio.to_thread(self._reap, w.proc, 2.0) for w in workers))

    # --- internals ------------------------------------------------------------------------------

    def _bind(self) -> asyncio.AbstractEventLoop:
        loop = asyncio.get_running_loop()
        if self._loop is None:
            self._loop = loop
        elif self._loop is not loop:
            raise RuntimeError("an OcrPool is bound to the event loop it was first used from")
        return loop

    def _ensure_started(self) -> None:
        if self._started or self._closed:
            return
        self._bind()
        self._started = True
        for _ in range(self.size):
            self._spawn()

    def _spawn(self) -> None:
        task = asyncio.get_running_loop().create_task(self._start_worker())
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _start_worker(self) -> None:
        parent, child = self._ctx.Pipe(duplex=True)
        proc = self._ctx.Process(
            target=_worker.serve,
            args=(child, list(self._warmups)),
            name="aigateway-ocr",
            daemon=True,
        )
        try:
            # Starting a process (and, the first time, the forkserver) blocks: not on the loop.
            await asyncio.to_thread(proc.start)
        except Exception as exc:
            parent.close()
            child.close()
            self._spawn_error = f"{type(exc).__name__}: {exc}"
            _log.exception("could not start an OCR worker")
            if not any(w.ready or w.proc.is_alive() for w in self._workers):
                self._fail_waiting(
                    GatewayError(f"the local OCR workers could not start ({self._spawn_error})")
                )
            return
        finally:
            if proc.pid is not None:
                child.close()
        if self._closed:
            parent.close()
            await asyncio.to_thread(self._reap, proc, 2.0)
            return
        w = _Worker(proc, parent)
        self._workers.append(w)
        assert self._loop is not None
        self._loop.add_reader(parent.fileno(), self._on_readable, w)

    def _detach(self, w: _Worker) -> None:
        if self._loop is not None:
            with contextlib.suppress(OSError, ValueError):
                self._loop.remove_reader(w.conn.fileno())

    @staticmethod
    def _reap(proc: Any, timeout: float) -> None:
        proc.join(timeout)
        if proc.is_alive():
            proc.kill()
            proc.join(timeout)

    def _on_readable(self, w: _Worker) -> None:
        try:
            msg = w.conn.recv()
        except (EOFError, OSError):
            self._worker_died(w)
            return
        if msg[0] == "ready":
            self._failed_starts = 0
            w.ready = True
            w.pid = msg[1]
            self._idle.append(w)
            self._pump()
            return
        task, w.task = w.task, None
        self._idle.append(w)
        if task is not None:
            if task.timer is not None:
                task.timer.cancel()
            elapsed = time.monotonic() - task.started
            self._avg_seconds = 0.8 * self._avg_seconds + 0.2 * elapsed
            if not task.future.done():
                kind = msg[0]
                if kind == "ok":
                    task.future.set_result(msg[1])
                elif kind == "gateway":
                    task.future.set_exception(_rebuild(msg[1], msg[2], msg[3]))
                else:
                    _log.error("OCR task failed in worker %s: %s", w.pid, msg[1])
                    first = str(msg[1]).splitlines()[0]
                    task.future.set_exception(GatewayError(f"the local OCR engine failed: {first}"))
        self._pump()

    def _worker_died(self, w: _Worker) -> None:
        self._detach(w)
        with contextlib.suppress(OSError):
            w.conn.close()
        if w in self._workers:
            self._workers.remove(w)
        if w in self._idle:
            self._idle.remove(w)
        reaper = asyncio.get_running_loop().create_task(asyncio.to_thread(self._reap, w.proc, 5.0))
        self._background.add(reaper)
        reaper.add_done_callback(self._background.discard)
        task, w.task = w.task, None
        if task is not None:
            if task.timer is not None:
                task.timer.cancel()
            if not task.future.done():
                if task.retries == 0:
                    # Maybe the worker was OOM-killed for someone else's page: one more try.
                    task.retries += 1
                    self._requeue(task)
                else:
                    task.future.set_exception(
                        UnprocessableDocumentError(
                            "the local OCR engine crashed twice reading this document "
                            f"(worker exit code {w.proc.exitcode})",
                            param="document",
                        )
                    )
        if self._closed:
            return
        if not w.ready:
            self._failed_starts += 1
        if self._failed_starts >= 3:
            _log.error("OCR workers keep dying at start (exit code %s)", w.proc.exitcode)
            if not self._workers:
                self._fail_waiting(
                    GatewayError(f"the local OCR workers die at start (exit {w.proc.exitcode})")
                )
                self._started = False  # the next request tries again
            return
        _log.warning("OCR worker %s exited (code %s); starting another", w.pid, w.proc.exitcode)
        self._spawn()
        self._pump()

    def _requeue(self, task: _Task) -> None:
        batch = -1  # runs before any other batch
        self._batches.setdefault(batch, deque()).appendleft(task)
        self._batches.move_to_end(batch, last=False)
        self._waiting += 1

    def _on_timeout(self, w: _Worker, task: _Task) -> None:
        if w.task is not task:
            return
        w.task = None
        if not task.future.done():
            task.future.set_exception(
                UpstreamTimeoutError(
                    f"the local OCR engine took longer than {self.config.task_timeout:g} s "
                    "on one page"
                )
            )
        # The only way to stop a page mid-recognition; the pipe's EOF then replaces the worker.
        with contextlib.suppress(OSError, AttributeError):
            w.proc.kill()

    def _fail_waiting(self, exc: GatewayError) -> None:
        for queue in self._batches.values():
            for t in queue:
                if not t.future.done():
                    t.future.set_exception(exc)
        self._batches.clear()
        self._waiting = 0

    def _pump(self) -> None:
        """Hand queued tasks to idle workers, one batch after another (round-robin)."""
        while self._idle and self._batches:
            batch, queue = next(iter(self._batches.items()))
            task = queue.popleft()
            if queue:
                self._batches.move_to_end(batch)
            else:
                del self._batches[batch]
            self._waiting -= 1
            if task.future.done():
                continue
            w = self._idle.pop()
            try:
                w.conn.send((task.fn, task.args))
            except (OSError, ValueError):
                self._requeue(task)
                self._worker_died(w)
                return
            w.task = task
            task.started = time.monotonic()
            assert self._loop is not None
            task.timer = self._loop.call_later(self.config.task_timeout, self._on_timeout, w, task)


def _rebuild(name: str, message: str, param: str | None) -> GatewayError:
    cls = getattr(_errors, name, None)
    if not (isinstance(cls, type) and issubclass(cls, GatewayError)):
        return GatewayError(message, param=param)
    try:
        return cls(message, param=param)
    except TypeError:  # an error class with required extra arguments
        return GatewayError(message, param=param)
