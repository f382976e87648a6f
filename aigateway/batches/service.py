"""Batch jobs as a service: create, get, list, cancel; and the runner's lifecycle.

No Litestar here. :func:`build_batch_service` wires the store and queue ``[state]`` asks for
(a local directory for the memory backend, Redis for several replicas), the executor over the
gateway's services, and the runner. The runner starts with the app's lifespan, or lazily on
the first batch or files request of an embedded app.
"""

from __future__ import annotations

import asyncio
import functools
import os
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, ParamSpec, TypeVar

import msgspec

from .. import cpus
from ..blob import Blob
from ..config import Settings
from ..errors import BadRequestError, GatewayError, NotFoundError, ServiceUnavailableError
from ..files.store import FileStore
from ..tenancy.auth import Tenant
from ..upstream.fetch import Fetcher
from .execute import Lanes, LineExecutor, Services
from .finalize import Finalizer, Webhook
from .jobs import JobStore, LocalJobStore
from .protocol import TERMINAL, Counts, CreateSpec, Job
from .queue import LineQueue, MemoryQueue
from .runner import BatchRunner
from .scan import scan_inputs

__all__ = ("BatchService", "build_batch_service")

P = ParamSpec("P")
R = TypeVar("R")


def _backend_errors() -> tuple[type[BaseException], ...]:
    """What an unreachable store raises. Looked up when an error is caught, not imported: a
    RedisError can only come from a redis-py that is already imported, and importing it for
    every app costs its import (redis-py 8 also loads the OpenTelemetry SDK when installed)."""
    exceptions = sys.modules.get("redis.exceptions")
    redis_error = getattr(exceptions, "RedisError", None)
    return (OSError, TimeoutError) if redis_error is None else (OSError, TimeoutError, redis_error)


def _guarded(fn: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
    """A store or queue that cannot be reached is a 503 with ``Retry-After``, not a 500."""

    @functools.wraps(fn)
    async def call(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return await fn(*args, **kwargs)
        except GatewayError:
            raise
        except _backend_errors() as exc:
            raise ServiceUnavailableError(
                f"the batch job store is unreachable ({type(exc).__name__}); retry shortly",
                retry_after=2.0,
            ) from None

    return call


class BatchService:
    """Jobs of every tenant; a job is visible to its own tenant only (404 otherwise)."""

    def __init__(
        self,
        settings: Settings,
        files: FileStore,
        store: JobStore,
        queue: LineQueue,
        runner: BatchRunner,
        closers: list[Any],
    ) -> None:
        self.settings = settings
        self.files = files
        self.store = store
        self.queue = queue
        self.runner = runner
        self._closers = closers
        self._start_lock = asyncio.Lock()

    def rebind(self, services: Services, fetcher: Callable[[], Fetcher]) -> None:
        """Run lines on ``services`` from now on (a config reload built new ones)."""
        self.runner.executor.services = services
        if self.runner.finalizer.webhook is not None:
            self.runner.finalizer.webhook.fetcher = fetcher

    async def ensure_started(self) -> None:
        """Start the runner once (lifespan, or the first request of an embedded app)."""
        if not self.runner.started:
            async with self._start_lock:
                await self.runner.start()

    async def aclose(self) -> None:
        """Stop the runner and close the store and queue."""
        await self.runner.aclose()
        await self.store.aclose()
        await self.queue.aclose()
        for close in self._closers:
            await close()

    async def _mine(self, tenant: str, job_id: str) -> Job:
        job = await self.store.get(job_id) if job_id and len(job_id) <= 96 else None
        if job is None or job.tenant != tenant:
            raise NotFoundError(f"no batch job with id {job_id[:96]!r}", param="job_id")
        return job

    @_guarded
    async def get(self, tenant: str, job_id: str) -> tuple[Job, Counts]:
        """The job and its counts (404 when absent or another tenant's)."""
        job = await self._mine(tenant, job_id)
        return job, await self.store.counts_of(job)

    @_guarded
    async def list_jobs(self, tenant: str) -> list[tuple[Job, Counts]]:
        """The tenant's jobs, newest first."""
        return [(j, await self.store.counts_of(j)) for j in await self.store.for_tenant(tenant)]

    @_guarded
    async def create(
        self,
        tenant: Tenant,
        spec: CreateSpec,
        *,
        ocr_refs: list[str],
        chat_refs: list[str],
        max_bytes: int,
    ) -> tuple[Job, Counts]:
        """Validate the input, queue its lines and return the job (``in_progress``), or the job
        ``failed`` with its validation errors.

        Raises:
            NotFoundError: an input file is not the tenant's.
        """
        await self.ensure_started()
        job_id = str(uuid.uuid4())
        input_files = list(spec.input_files)
        for n, fid in enumerate(input_files):  # 404 before anything is created
            await self.files.get(tenant.id, fid, param=f"input_files[{n}]")
        if spec.requests is not None:
            body = b"".join(
                msgspec.json.encode({"custom_id": r.get("custom_id"), "body": r["body"]}) + b"\n"
                for r in spec.requests
            )
            record = await self.files.create(
                tenant.id,
                Blob(body),
                filename=f"batch_{job_id}_requests.jsonl",
                purpose="batch",
                mimetype="application/jsonl",
                num_lines=len(spec.requests),
            )
            input_files = [record.id]
        now = int(time.time())
        job = Job(
            id=job_id,
            tenant=tenant.id,
            api=spec.api,
            endpoint=spec.endpoint,
            model=spec.model,
            input_files=input_files,
            metadata=spec.metadata,
            created_at=now,
            expires_at=now + spec.timeout_hours * 3600,
            completion_window=spec.completion_window,
            ocr_refs=ocr_refs,
            chat_refs=chat_refs,
            max_bytes=max_bytes,
        )
        await self.store.put(job)
        max_lines = self.settings.batches.max_lines
        refs, errors = await scan_inputs(
            self.files,
            tenant.id,
            job_id,
            input_files,
            spec.endpoint,
            max_lines,
            self.settings.limits.max_json_depth,
        )
        if errors:
            job.status, job.failed_at, job.errors = "failed", int(time.time()), errors
            await self.store.put(job)
            return job, Counts()
        # Lines are queued first and run while the job is still validating; the total and
        # in_progress are written together afterwards (only over validating: a cancel may
        # have come first). A replica that dies in between leaves a job the janitor fails
        # as interrupted, never one stuck waiting for a total.
        job.planned = len(refs)
        await self.store.put(job)
        await self.queue.push(refs)

        def started(j: Job) -> bool:
            if j.status != "validating":
                return False
            j.total = len(refs)
            j.status, j.in_progress_at = "in_progress", int(time.time())
            return True

        job = await self.store.update(job_id, started) or job
        # Every line may have finished before the total was known: finalize now if so.
        await self.runner.finalizer.maybe_finalize(job_id)
        job = await self.store.get(job_id) or job
        return job, await self.store.counts_of(job)

    @_guarded
    async def cancel(self, tenant: str, job_id: str) -> tuple[Job, Counts]:
        """Stop a job: lines not started are dropped, results so far go to its files."""
        job = await self._mine(tenant, job_id)

        def cancelling(j: Job) -> bool:
            if j.status in TERMINAL or j.status in ("cancelling", "finalizing"):
                return False
            j.status, j.cancelling_at = "cancelling", int(time.time())
            return True

        if await self.store.update(job.id, cancelling) is not None:
            await self.runner.finalizer.maybe_finalize(job.id)
        job = await self._mine(tenant, job_id)
        return job, await self.store.counts_of(job)

    @_guarded
    async def delete(self, tenant: str, job_id: str) -> Job:
        """Forget a finished job (its output files stay until deleted or expired).

        Raises:
            BadRequestError: the job has not ended (cancel it first).
        """
        job = await self._mine(tenant, job_id)
        if job.status not in TERMINAL:
            raise BadRequestError(
                f"batch job {job_id!r} is {job.status}; cancel it and wait for it to end first",
                param="job_id",
                code="job_not_finished",
            )
        await self.store.delete(job)
        return job

    @_guarded
    async def outputs(self, job: Job) -> list[Any]:
        """The output file's lines, decoded (Mistral's ``inline=true``)."""
        if job.output_file is None:
            return []
        record = await self.files.get(job.tenant, job.output_file)
        blob = await self.files.blob(record)
        try:
            return [msgspec.json.decode(line) for line in blob.read().splitlines() if line]
        finally:
            blob.close()


def build_batch_service(
    settings: Settings,
    files: FileStore,
    services: Services,
    fetcher: Callable[[], Fetcher],
    logger: Any,
) -> BatchService:
    """The service for ``settings``: Redis-backed with ``[state] backend = "redis"``."""
    cfg = settings.batches
    store: JobStore
    queue: LineQueue
    closers: list[Any] = []
    if settings.state.backend == "redis":
        from .redis_store import RedisJobStore, RedisStreamQueue, redis_client

        client, sentinel = redis_client(settings.state.url, settings.state.timeout)
        keep = int(settings.files.retention_days * 86_400) or None
        store = RedisJobStore(client, settings.state.prefix, keep)
        queue = RedisStreamQueue(client, settings.state.prefix, cfg.claim_idle)
        closers.append(client.aclose)
        if sentinel is not None:
            closers.append(sentinel.aclose)
    else:
        store = LocalJobStore(files.directory / "batches")
        queue = MemoryQueue()
    workers = settings.ocr_pool.workers or cpus.usable()
    local_slots = max(1, int(workers * cfg.ocr_share))
    lanes = Lanes(asyncio.Semaphore(local_slots), asyncio.Semaphore(cfg.upstream_concurrency))
    owner = getattr(queue, "consumer", f"pid-{os.getpid()}")
    webhook = None
    if cfg.webhook_url and cfg.webhook_secret:
        webhook = Webhook(cfg.webhook_url, cfg.webhook_secret, fetcher, logger)
    finalizer = Finalizer(store, files, owner, logger, webhook)
    runner = BatchRunner(
        store=store,
        queue=queue,
        files=files,
        executor=LineExecutor(services, lanes, cfg.max_attempts, logger),
        finalizer=finalizer,
        slots=local_slots + cfg.upstream_concurrency,
        claim_idle=cfg.claim_idle,
        max_lines=cfg.max_lines,
        logger=logger,
        retention_days=settings.files.retention_days,
    )
    return BatchService(settings, files, store, queue, runner, closers)
