"""Ending a job: output and error files in the APIs' JSONL format, then the webhook.

One replica finalizes a job (the store's lock); finalizing again is harmless because the
output files get ids derived from the job id, so a retry after a crash overwrites, never
duplicates. Lines are written in input order: successes to the output file (``purpose``
``batch_output`` for OpenAI jobs, ``batch`` with ``sample_type`` ``batch_result`` for Mistral
jobs), failures to the error file.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import time
import uuid
from collections.abc import Callable
from typing import Any

import msgspec

from ..blob import SpoolingWriter
from ..errors import GatewayError
from ..files.store import FileStore
from ..upstream.fetch import Fetcher
from .jobs import JobStore
from .lease import LEASE, LeaseLost, hold
from .protocol import TERMINAL, Job, mistral_view, openai_view

__all__ = ("SPILLED", "Finalizer", "Webhook")

SPILLED = b'{"$spilled":'
"""Start of a stored result that is a reference to a scratch object (the runner spills large
output lines to the files storage)."""
_NS = uuid.UUID("6f1b7c9e-2d4a-4c1e-9a0b-3e5f7d8c9b10")


class Webhook:
    """A signed POST when a job ends: ``x-aigateway-signature: t=<unix>,v1=<hex>``.

    ``v1`` is HMAC-SHA256 of ``"<t>." + body`` with ``[batches] webhook_secret``; receivers
    recompute it and reject old ``t`` values. Sent through the guarded fetcher (SSRF rules of
    ``[fetch]``), tried three times on failure.
    """

    def __init__(self, url: str, secret: str, fetcher: Callable[[], Fetcher], logger: Any):
        self.url = url
        self._secret = secret.encode()
        self.fetcher = fetcher
        self.logger = logger

    def headers(self, body: bytes, now: int) -> dict[str, str]:
        """The headers of one delivery of ``body``."""
        mac = hmac.new(self._secret, str(now).encode() + b"." + body, hashlib.sha256)
        return {
            "content-type": "application/json",
            "x-aigateway-signature": f"t={now},v1={mac.hexdigest()}",
        }

    async def send(self, job: Job, view: dict[str, Any]) -> None:
        """Deliver the event for ``job`` (logged, never raised)."""
        body = msgspec.json.encode(
            {"type": f"batch.{job.status}", "created_at": int(time.time()), "data": view}
        )
        for attempt in range(3):
            try:
                status = await self.fetcher().post(
                    self.url, body, headers=self.headers(body, int(time.time()))
                )
            except GatewayError as exc:
                status, why = 0, exc.message
            else:
                why = f"status {status}"
                if 200 <= status < 300:
                    self.logger.info("batch webhook delivered", job=job.id, status=status)
                    return
            if attempt < 2:
                await asyncio.sleep(1.0 * 2**attempt)
        self.logger.warning("batch webhook failed", job=job.id, reason=why)


class Finalizer:
    """Writes a finished (or cancelled) job's files and marks it terminal."""

    def __init__(
        self, store: JobStore, files: FileStore, owner: str, logger: Any, webhook: Webhook | None
    ) -> None:
        self.store = store
        self.files = files
        self.owner = owner
        self.logger = logger
        self.webhook = webhook
        self._tasks: set[asyncio.Task[None]] = set()

    async def _due(self, job_id: str) -> bool:
        """``job_id`` has something to finalize: it is being cancelled, a finalizer began it
        (and may have died), or every line is done.

        Asked before the lock is taken, not only under it: every replica's janitor asks
        about every active job each ``claim_idle`` seconds, and a replica killed while it
        held the lock for a job that was not done left the lock to expire (then two minutes)
        before any other replica could finalize it."""
        job = await self.store.get(job_id)
        if job is None or job.status in TERMINAL:
            return False
        if job.status in ("cancelling", "finalizing"):
            return True
        return job.total > 0 and (await self.store.counts(job_id)).done >= job.total

    async def maybe_finalize(self, job_id: str) -> bool:
        """Finalize ``job_id`` if every line is done or it is being cancelled; True if done.

        The job's lock is a lease (:mod:`.lease`), renewed while the files are written: a
        replica killed here holds the job up for seconds, not minutes. A finalization whose
        lease ran out is stopped (another replica may have the job by then) and is left for
        the janitor to begin again: it changes nothing another run would not write the same."""
        if not await self._due(job_id) or not await self.store.lock(job_id, self.owner, LEASE):
            return False

        async def renew(ttl: float) -> bool:
            return await self.store.renew(job_id, self.owner, ttl)

        try:
            job = await hold(renew, self._finalize(job_id), LEASE)
        except LeaseLost:
            self.logger.warning("batch finalization stopped: its lease ran out", job=job_id)
            return False
        finally:
            await self.store.unlock(job_id, self.owner)
        if job is None:
            return False
        self.logger.info("batch finished", job=job.id, status=job.status, lines=job.total)
        if self.webhook is not None:
            final = await self.store.counts_of(job)
            view = openai_view(job, final) if job.api == "openai" else mistral_view(job, final)
            task = asyncio.create_task(self.webhook.send(job, view))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return True

    async def _finalize(self, job_id: str) -> Job | None:
        """Under the lock: write the files and mark the job terminal; the job, or None if
        there was nothing to finalize after all."""
        counts = await self.store.counts(job_id)

        def begin(j: Job) -> bool:
            if j.status in TERMINAL or j.status == "cancelling":
                return False
            if j.total == 0 or counts.done < j.total:
                return False
            if j.status != "finalizing":
                j.status, j.finalizing_at = "finalizing", int(time.time())
            return True

        job = await self.store.update(job_id, begin)
        if job is None or job.status not in ("finalizing", "cancelling"):
            return None
        if job.status == "finalizing" and counts.done < job.total:
            return None
        written = await self._write_files(job)
        outputs = (job.output_file, job.error_file)

        def end(j: Job) -> bool:
            if j.status in TERMINAL:
                return False
            j.output_file, j.error_file = outputs
            j.final = written
            if j.status == "cancelling" and j.expiring:
                j.status, j.expired_at = "expired", int(time.time())
            elif j.status == "cancelling":
                j.status, j.cancelled_at = "cancelled", int(time.time())
            else:
                j.status, j.completed_at = "completed", int(time.time())
            return True

        job = await self.store.update(job_id, end) or job
        if job.status in TERMINAL:
            await self.store.purge_results(job_id)
        return job

    async def _write_files(self, job: Job) -> tuple[int, int]:
        """Write the output and error files; ``(succeeded, failed)`` lines written."""
        writers = {True: SpoolingWriter(), False: SpoolingWriter()}
        lines = {True: 0, False: 0}
        try:
            # A job cancelled while validating has no total yet, but lines may have run.
            async for _, ok, line in self.store.results(job.id, job.total or job.planned):
                if line.startswith(SPILLED):
                    key = msgspec.json.decode(line, type=dict[str, str])["$spilled"]
                    line = await self.files.get_scratch(key) or b""
                writers[ok].write(line)
                writers[ok].write(b"\n")
                lines[ok] += 1
        except BaseException:
            for w in writers.values():
                w.discard()
            raise
        for ok, kind in ((True, "output"), (False, "error")):
            if not lines[ok]:
                writers[ok].discard()
                continue
            blob = writers[ok].finish()
            try:
                record = await self.files.create(
                    job.tenant,
                    blob,
                    filename=f"batch_{job.id}_{kind}.jsonl",
                    purpose="batch_output" if job.api == "openai" else "batch",
                    mimetype="application/jsonl",
                    sample_type="batch_result" if ok else "batch_error",
                    source="mistral" if job.api == "mistral" else "upload",
                    num_lines=lines[ok],
                    file_id=str(uuid.uuid5(_NS, f"{job.id}:{kind}")),
                )
            finally:
                blob.close()
            if ok:
                job.output_file = record.id
            else:
                job.error_file = record.id
        await self.files.drop_scratch(job.tenant, job.id)
        return lines[True], lines[False]

    async def aclose(self) -> None:
        """Wait briefly for webhooks in flight."""
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=5)
