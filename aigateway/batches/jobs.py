"""Job stores: job records, once-only line results and atomic counts.

:class:`JobStore` is what the batch service and runner need; :class:`LocalJobStore` keeps
jobs in the local files directory (the memory state backend: one node) so that jobs survive a
restart, and :class:`~aigateway.batches.redis_store.RedisJobStore` keeps them in Redis for
several replicas. In both, :meth:`JobStore.record` writes a line's result only if the line has
none yet and counts it in the same step, so a line run twice (a replica died after the call
but before acknowledging it) is counted and written once.
"""

from __future__ import annotations

import abc
import asyncio
import contextlib
import functools
import os
import tempfile
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import anyio.to_thread
import msgspec

from .protocol import TERMINAL, Counts, Job

__all__ = ("JobStore", "LocalJobStore")


class JobStore(abc.ABC):
    """Job records, results and counts shared by this deployment's runners."""

    _tries: dict[str, dict[int, int]]

    def __init__(self) -> None:
        self._tries = {}

    @abc.abstractmethod
    async def put(self, job: Job) -> None:
        """Create or replace the record of ``job``."""

    @abc.abstractmethod
    async def get(self, job_id: str) -> Job | None:
        """The job, if it exists."""

    @abc.abstractmethod
    async def update(self, job_id: str, change: Callable[[Job], bool]) -> Job | None:
        """Apply ``change`` to the stored job atomically (compare-and-set); ``change`` edits
        the job and returns True to save it. Returns the job as it now is (``None``: absent).
        """

    @abc.abstractmethod
    async def for_tenant(self, tenant: str) -> list[Job]:
        """``tenant``'s jobs, newest first."""

    @abc.abstractmethod
    async def record(self, job_id: str, index: int, ok: bool, line: bytes) -> bool:
        """Store the result of line ``index`` unless it has one; True when this call did."""

    @abc.abstractmethod
    async def has_result(self, job_id: str, index: int) -> bool:
        """True when line ``index`` has a result."""

    @abc.abstractmethod
    async def counts(self, job_id: str) -> Counts:
        """Lines succeeded and failed so far."""

    async def counts_of(self, job: Job) -> Counts:
        """What ``job`` reports: its final counts once it has ended, else the live ones."""
        if job.final is not None and job.status in TERMINAL:
            return Counts(succeeded=job.final[0], failed=job.final[1])
        return await self.counts(job.id)

    @abc.abstractmethod
    def results(self, job_id: str, total: int) -> AsyncIterator[tuple[int, bool, bytes]]:
        """Every stored result ``(index, ok, output line)`` of lines ``0 … total-1``, in line
        order, a bounded number at a time (a job's outputs never sit in memory at once)."""

    async def attempt(self, job_id: str, index: int) -> int:
        """Count one more start of line ``index``; returns how many starts it has had.

        A line whose runner keeps dying (a document that kills the process) is given up after
        a few starts instead of taking every replica down in turn.
        """
        tries = self._tries.setdefault(job_id, {})
        tries[index] = tries.get(index, 0) + 1
        return tries[index]

    @abc.abstractmethod
    async def lock(self, job_id: str, owner: str, ttl: float) -> bool:
        """Take the job's finalization lock (one replica finalizes) for ``ttl`` seconds; True
        when taken."""

    @abc.abstractmethod
    async def renew(self, job_id: str, owner: str, ttl: float) -> bool:
        """Extend the lock to ``ttl`` seconds from now if ``owner`` still holds it; True if so."""

    @abc.abstractmethod
    async def unlock(self, job_id: str, owner: str) -> None:
        """Give the lock back (only if ``owner`` still holds it)."""

    @abc.abstractmethod
    async def active(self) -> list[str]:
        """Ids of jobs not yet in a terminal state."""

    @abc.abstractmethod
    async def purge_results(self, job_id: str) -> None:
        """Drop a finished job's line results (its files hold them now; its record keeps the
        final counts)."""

    @abc.abstractmethod
    async def delete(self, job: Job) -> None:
        """Remove a finished job's record and results."""

    async def forget(self, before: float) -> int:
        """Delete the records of jobs that ended before ``before`` (Unix time); how many.

        Stores whose records expire by themselves (Redis) have nothing to do here.
        """
        return 0

    async def aclose(self) -> None:  # noqa: B027 - optional
        """Release connections and files."""


_result = msgspec.json.Decoder(tuple[int, bool, msgspec.Raw])


class LocalJobStore(JobStore):
    """Jobs as files: ``{root}/{id}.json`` (the record) and ``{id}.results`` (append-only).

    Counts and the set of finished lines are kept in memory and rebuilt from the results
    files when the process starts; a results line cut short by a crash is ignored (its line is
    simply run again).
    """

    def __init__(self, root: Path) -> None:
        super().__init__()
        self.root = root
        self._jobs: dict[str, Job] | None = None
        self._done: dict[str, dict[int, bool]] = {}
        self._ok: dict[str, int] = {}
        self._failed: dict[str, int] = {}
        """Succeeded and failed lines per job whose result is written (counts are O(1) per line;
        a line claimed in ``_done`` is counted only once its result can be read back, so a
        finalizer that sees every line counted finds every result in the file)."""
        self._files: dict[str, int] = {}
        self._locks: set[str] = set()
        self._load_lock = asyncio.Lock()

    async def _all(self) -> dict[str, Job]:
        if self._jobs is None:
            async with self._load_lock:
                if self._jobs is None:
                    self._jobs = await anyio.to_thread.run_sync(self._load)
        return self._jobs

    def _load(self) -> dict[str, Job]:
        jobs: dict[str, Job] = {}
        if not self.root.is_dir():
            return jobs
        for path in self.root.glob("*.json"):
            try:
                job = msgspec.json.decode(path.read_bytes(), type=Job)
            except (OSError, msgspec.DecodeError, msgspec.ValidationError):
                continue
            jobs[job.id] = job
            done: dict[int, bool] = {}
            with (
                contextlib.suppress(FileNotFoundError),
                open(self._results_path(job.id), "rb") as f,
            ):
                for raw in f:
                    try:
                        index, ok, _ = _result.decode(raw)
                    except (msgspec.DecodeError, msgspec.ValidationError):
                        continue  # a line cut short by a crash
                    done.setdefault(index, ok)
            self._done[job.id] = done
            self._ok[job.id] = sum(done.values())
            self._failed[job.id] = len(done) - self._ok[job.id]
        return jobs

    def _results_path(self, job_id: str) -> Path:
        return self.root / f"{job_id}.results"

    def _write_meta(self, job: Job) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=self.root)
        with os.fdopen(fd, "wb") as f:
            f.write(msgspec.json.encode(job))
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.root / f"{job.id}.json")

    async def put(self, job: Job) -> None:
        jobs = await self._all()
        jobs[job.id] = msgspec.structs.replace(job)
        self._done.setdefault(job.id, {})
        await anyio.to_thread.run_sync(self._write_meta, job)
        if job.status in TERMINAL:
            fd = self._files.pop(job.id, None)
            if fd is not None:
                os.close(fd)

    async def get(self, job_id: str) -> Job | None:
        job = (await self._all()).get(job_id)
        return msgspec.structs.replace(job) if job is not None else None

    async def update(self, job_id: str, change: Callable[[Job], bool]) -> Job | None:
        jobs = await self._all()
        current = jobs.get(job_id)
        if current is None:
            return None
        job = msgspec.structs.replace(current)
        # No await between reading and replacing the record: atomic on the event loop.
        if change(job):
            await self.put(job)
        return msgspec.structs.replace(job)

    async def for_tenant(self, tenant: str) -> list[Job]:
        jobs = [j for j in (await self._all()).values() if j.tenant == tenant]
        jobs.sort(key=lambda j: (j.created_at, j.id), reverse=True)
        return jobs

    async def record(self, job_id: str, index: int, ok: bool, line: bytes) -> bool:
        await self._all()
        done = self._done.setdefault(job_id, {})
        if index in done:
            return False
        done[index] = ok  # claimed before the write: no await between check and claim
        entry = msgspec.json.encode((index, ok, msgspec.Raw(line))) + b"\n"
        try:
            fd = self._files.get(job_id)
            if fd is None:
                self.root.mkdir(parents=True, exist_ok=True)
                path = self._results_path(job_id)
                fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
                self._files[job_id] = fd
            await anyio.to_thread.run_sync(os.write, fd, entry)
        except BaseException:
            done.pop(index, None)  # not written: the line may run again
            raise
        # Counted only now: counts reaching the total mean every result is in the file.
        counter = self._ok if ok else self._failed
        counter[job_id] = counter.get(job_id, 0) + 1
        return True

    async def has_result(self, job_id: str, index: int) -> bool:
        await self._all()
        return index in self._done.get(job_id, {})

    async def counts(self, job_id: str) -> Counts:
        await self._all()
        return Counts(succeeded=self._ok.get(job_id, 0), failed=self._failed.get(job_id, 0))

    def _locate(self, job_id: str) -> dict[int, tuple[bool, int, int]]:
        """``index -> (ok, offset, length)`` of each line's first result in the results file."""
        where: dict[int, tuple[bool, int, int]] = {}
        offset = 0
        with contextlib.suppress(FileNotFoundError), open(self._results_path(job_id), "rb") as f:
            for raw in f:
                try:
                    index, ok, _ = _result.decode(raw)
                except (msgspec.DecodeError, msgspec.ValidationError):
                    offset += len(raw)
                    continue
                if index not in where:
                    # The entry is `[index,ok,<line>]\n`: the line sits between the prefix
                    # and the closing bracket.
                    start = len(b"[%d,%s," % (index, b"true" if ok else b"false"))
                    where[index] = (ok, offset + start, len(raw.rstrip(b"\n")) - start - 1)
                offset += len(raw)
        return where

    def _read(self, job_id: str, spans: list[tuple[int, int]]) -> list[bytes]:
        out = []
        with open(self._results_path(job_id), "rb") as f:
            for offset, length in spans:
                f.seek(offset)
                out.append(f.read(length))
        return out

    async def results(self, job_id: str, total: int) -> AsyncIterator[tuple[int, bool, bytes]]:
        where = await anyio.to_thread.run_sync(self._locate, job_id)
        order = sorted(i for i in where if 0 <= i < total)
        for start in range(0, len(order), 256):
            chunk = order[start : start + 256]
            lines = await anyio.to_thread.run_sync(
                self._read, job_id, [where[i][1:] for i in chunk]
            )
            for index, line in zip(chunk, lines, strict=True):
                yield index, where[index][0], line

    async def lock(self, job_id: str, owner: str, ttl: float) -> bool:
        if job_id in self._locks:
            return False
        self._locks.add(job_id)
        return True

    async def renew(self, job_id: str, owner: str, ttl: float) -> bool:
        # One process: a lock it holds never expires, so it is this holder's while it is held.
        return job_id in self._locks

    async def unlock(self, job_id: str, owner: str) -> None:
        self._locks.discard(job_id)

    async def active(self) -> list[str]:
        return [j.id for j in (await self._all()).values() if j.status not in TERMINAL]

    async def purge_results(self, job_id: str) -> None:
        fd = self._files.pop(job_id, None)
        if fd is not None:
            os.close(fd)
        self._done.pop(job_id, None)
        self._ok.pop(job_id, None)
        self._failed.pop(job_id, None)
        path = self._results_path(job_id)
        await anyio.to_thread.run_sync(functools.partial(path.unlink, missing_ok=True))

    async def delete(self, job: Job) -> None:
        (await self._all()).pop(job.id, None)
        await self.purge_results(job.id)
        path = self.root / f"{job.id}.json"
        await anyio.to_thread.run_sync(functools.partial(path.unlink, missing_ok=True))

    async def forget(self, before: float) -> int:
        jobs = await self._all()
        old = [
            j.id
            for j in jobs.values()
            if j.status in TERMINAL
            and (j.completed_at or j.failed_at or j.cancelled_at or j.expired_at or 0) < before
        ]
        for job_id in old:
            del jobs[job_id]
            await self.purge_results(job_id)
            path = self.root / f"{job_id}.json"
            await anyio.to_thread.run_sync(functools.partial(path.unlink, missing_ok=True))
        return len(old)

    async def aclose(self) -> None:
        for fd in self._files.values():
            os.close(fd)
        self._files.clear()
