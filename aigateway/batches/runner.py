"""The batch runner every replica runs: takes lines from the queue and works them off.

One pump task takes as many lines as there are free slots (the lanes' caps together), one
task per line runs it (:class:`~aigateway.batches.execute.LineExecutor`), stores its result
once and only then acknowledges it. A heartbeat keeps this replica's in-flight lines from
being claimed by others; a janitor finalizes jobs whose last line was finished by a replica
that died before finalizing, fails jobs whose validation was interrupted, and applies file
retention. On a single node (memory backend) the runner re-queues unfinished lines of every
job at start, from the input files: jobs resume after a restart.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

import msgspec

from ..errors import BadRequestError
from ..files.store import FileStore
from .execute import LineExecutor, output_line
from .finalize import SPILLED, Finalizer
from .jobs import JobStore
from .protocol import Job, JobError, Line, parse_line
from .queue import Delivery, LineQueue, LineRef, MemoryQueue
from .scan import scan_inputs

__all__ = ("BatchRunner",)

RUNNABLE = frozenset({"validating", "in_progress"})
SPILL = 256 * 1024
"""Output lines larger than this go to the files storage; the job store keeps a reference."""

MAX_STARTS = 5
"""Starts of one line (runners dying while on it) before it is written off as an error."""
SWEEP_EVERY = 3600.0


def _interrupted(job: Job) -> bool:
    if job.status != "validating" or job.total:
        return False
    job.status, job.failed_at = "failed", int(time.time())
    job.errors = [JobError(message="validation was interrupted", code="interrupted")]
    return True


def _expire(job: Job) -> bool:
    # Past its completion window: stop like a cancel, end as `expired` with what is done.
    if job.status not in RUNNABLE:
        return False
    job.status, job.cancelling_at, job.expiring = "cancelling", int(time.time()), True
    return True


class BatchRunner:
    """Pump, line tasks, heartbeat and janitor of one replica."""

    def __init__(
        self,
        *,
        store: JobStore,
        queue: LineQueue,
        files: FileStore,
        executor: LineExecutor,
        finalizer: Finalizer,
        slots: int,
        claim_idle: float,
        max_lines: int,
        logger: Any,
        retention_days: float = 0.0,
    ) -> None:
        self.store = store
        self.queue = queue
        self.files = files
        self.executor = executor
        self.finalizer = finalizer
        self.slots = slots
        self.claim_idle = claim_idle
        self.max_lines = max_lines
        self.logger = logger
        self.retention_days = retention_days
        self._inflight: dict[int, Delivery] = {}
        self._free = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._lines: set[asyncio.Task[None]] = set()
        self._last_sweep = 0.0
        self._queue_ok = True
        self.started = False

    # --- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        """Resume local jobs (memory backend) and start the background tasks."""
        if self.started:
            return
        self.started = True
        if isinstance(self.queue, MemoryQueue):
            await self._resume()
        self._free.set()
        loops = (self._pump(), self._heartbeat(), self._janitor())
        self._tasks = [asyncio.create_task(c) for c in loops]

    async def aclose(self) -> None:
        """Stop taking lines; lines in flight are abandoned (redelivered to a runner later)."""
        for task in [*self._tasks, *self._lines]:
            task.cancel()
        for task in [*self._tasks, *self._lines]:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks.clear()
        self._lines.clear()
        await self.finalizer.aclose()
        self.started = False

    async def _resume(self) -> None:
        for job_id in await self.store.active():
            job = await self.store.get(job_id)
            if job is None:
                continue
            if job.status in RUNNABLE and job.total > 0:
                try:
                    refs, _ = await scan_inputs(
                        self.files, job.tenant, job.id, job.input_files, job.endpoint, job.total
                    )
                except Exception as exc:  # an input file vanished: fail the job, keep serving
                    job.status, job.failed_at = "failed", int(time.time())
                    job.errors = [JobError(message=f"cannot resume: {exc}", code="resume_failed")]
                    await self.store.put(job)
                    continue
                todo = [r for r in refs if not await self.store.has_result(job.id, r.index)]
                await self.queue.push(todo)
                self.logger.info("batch resumed", job=job.id, lines=len(todo))
            await self.finalizer.maybe_finalize(job.id)

    # --- the pump and the lines --------------------------------------------------------------

    async def _pump(self) -> None:
        while True:
            free = self.slots - len(self._inflight)
            if free <= 0:
                self._free.clear()
                await self._free.wait()
                continue
            try:
                deliveries = await self.queue.take(free, wait=1.0)
            except Exception as exc:  # Redis away: wait and retry, never die
                if self._queue_ok:  # one line per outage, not one per retry
                    self.logger.warning("batch queue unreachable", error=type(exc).__name__)
                self._queue_ok = False
                await asyncio.sleep(2.0)
                continue
            if not self._queue_ok:
                self.logger.info("batch queue reachable again")
                self._queue_ok = True
            taken_over = sum(1 for d in deliveries if d.claimed)
            if taken_over:
                self.logger.info("batch lines taken over from a silent replica", lines=taken_over)
            for d in deliveries:
                key = id(d)
                self._inflight[key] = d
                task = asyncio.create_task(self._handle(key, d))
                self._lines.add(task)
                task.add_done_callback(self._lines.discard)

    async def _handle(self, key: int, d: Delivery) -> None:
        ref = d.ref
        try:
            job = await self.store.get(ref.job)
            if job is None or job.status not in RUNNABLE:
                await self.queue.ack(d)  # cancelled or gone: drop the line
                if job is not None and job.status == "cancelling":
                    await self.finalizer.maybe_finalize(job.id)
                return
            if not await self.store.has_result(job.id, ref.index):
                ok, out = await self._run(job, ref)
                now = await self.store.get(job.id)
                if now is None or now.status not in RUNNABLE:
                    # Cancelled (or expired) while this line ran: its files are written or
                    # being written without it, so its counts must not include it either.
                    await self.queue.ack(d)
                    return
                if len(out) > SPILL:
                    # Redis (or the results file) holds a reference, not megabytes of OCR.
                    scratch = await self.files.put_scratch(job.tenant, job.id, str(ref.index), out)
                    out = SPILLED + msgspec.json.encode(scratch) + b"}"
                await self.store.record(job.id, ref.index, ok, out)
            await self.queue.ack(d)
            counts = await self.store.counts(job.id)
            if job.total and counts.done >= job.total:
                await self.finalizer.maybe_finalize(job.id)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # storage/Redis hiccup: the line stays pending, retried later
            self.logger.warning(
                "batch line not stored", job=ref.job, line=ref.index, error=type(exc).__name__
            )
            if isinstance(self.queue, MemoryQueue):
                await asyncio.sleep(1.0)
                await self.queue.push([ref])
        finally:
            self._inflight.pop(key, None)
            self._free.set()

    async def _run(self, job: Job, ref: LineRef) -> tuple[bool, bytes]:
        """Read, parse and run one line: ``(ok, output line)``."""
        try:
            raw = await self.files.read_range(ref.tenant, ref.file, ref.offset, ref.length)
            depth = self.executor.services.limits.max_json_depth
            line = parse_line(raw, ref.index, job.endpoint, depth)
        except (BadRequestError, FileNotFoundError) as exc:
            why = getattr(exc, "message", "the input file is gone")
            bad = Line(ref.index, str(ref.index), {})
            return False, output_line(bad, None, None, {"code": "invalid_line", "message": why}, "")
        starts = await self.store.attempt(job.id, ref.index)
        if starts > MAX_STARTS:
            why = f"a runner stopped while on this line {starts - 1} times; it was given up"
            return False, output_line(
                line, None, None, {"code": "line_abandoned", "message": why}, ""
            )
        result = await self.executor.run(job, line)
        return result.ok, result.line

    # --- background upkeep -------------------------------------------------------------------

    async def _heartbeat(self) -> None:
        while True:
            await asyncio.sleep(max(0.2, self.claim_idle / 3))
            if self._inflight:
                with contextlib.suppress(Exception):
                    await self.queue.touch(list(self._inflight.values()))

    async def _janitor(self) -> None:
        while True:
            await asyncio.sleep(max(1.0, min(30.0, self.claim_idle)))
            try:
                await self._upkeep()
            except Exception as exc:  # never let upkeep kill the runner
                self.logger.warning("batch upkeep failed", error=type(exc).__name__)

    async def _upkeep(self) -> None:
        now = time.time()
        for job_id in await self.store.active():
            job = await self.store.get(job_id)
            if job is None:
                continue
            if job.status == "validating" and job.total == 0:
                if now - job.created_at > max(600.0, 10 * self.claim_idle):
                    await self.store.update(job_id, _interrupted)
                continue
            if job.status in RUNNABLE and job.expires_at is not None and now > job.expires_at:
                await self.store.update(job_id, _expire)
            await self.finalizer.maybe_finalize(job_id)
        if now - self._last_sweep > SWEEP_EVERY:
            self._last_sweep = now
            removed = await self.files.sweep()
            if removed:
                self.logger.info("files past retention removed", files=removed)
            days = self.retention_days
            forgotten = await self.store.forget(now - days * 86_400) if days > 0 else 0
            if forgotten:
                self.logger.info("batch jobs past retention removed", jobs=forgotten)
