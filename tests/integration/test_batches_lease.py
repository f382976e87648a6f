"""The batch finalization lock is a lease: renewed while a replica writes a job's files, given
up when it cannot be renewed, and gone seconds after its holder is killed (it was a two-minute
lock: a replica killed while finalizing held the job up that long, and a finalization slower
than that lost it while it ran)."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import textwrap
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from aigateway.batches import finalize
from aigateway.batches.finalize import Finalizer
from aigateway.batches.lease import LeaseLost, hold
from aigateway.batches.protocol import Job
from aigateway.batches.redis_store import RedisJobStore, redis_client
from aigateway.config.settings import FilesConfig
from aigateway.files.storage import LocalStorage
from aigateway.files.store import FileStore


class _Log:
    def __init__(self) -> None:
        self.events: list[tuple[str, dict[str, Any]]] = []

    def info(self, event: str, **kw: Any) -> None:
        self.events.append((event, kw))

    def warning(self, event: str, **kw: Any) -> None:
        self.events.append((event, kw))


class _SlowFiles:
    """A FileStore whose writes take ``delay`` seconds each (a slow S3)."""

    def __init__(self, inner: FileStore, delay: float) -> None:
        self.inner, self.delay = inner, delay

    async def create(self, *args: Any, **kw: Any) -> Any:
        await asyncio.sleep(self.delay)
        return await self.inner.create(*args, **kw)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def _files(tmp_path: Path) -> FileStore:
    return FileStore(FilesConfig(), LocalStorage(tmp_path / "files"), tmp_path)


async def _done_job(store: RedisJobStore, job_id: str = "j1") -> None:
    """A job whose two lines are done (one succeeded, one failed): due to be finalized."""
    job = Job(
        id=job_id,
        tenant="t",
        api="openai",
        endpoint="/v1/ocr",
        input_files=["f"],
        created_at=1,
        status="in_progress",
        total=2,
    )
    await store.put(job)
    await store.record(job_id, 0, True, b'{"custom_id":"a"}')
    await store.record(job_id, 1, False, b'{"custom_id":"b"}')


# -- hold(): the lease keeper on its own ---------------------------------------------------


async def test_work_longer_than_the_lease_runs_to_its_end_while_renewed() -> None:
    renewals: list[float] = []

    async def renew(ttl: float) -> bool:
        renewals.append(ttl)
        return True

    async def work() -> str:
        await asyncio.sleep(0.5)
        return "written"

    assert await hold(renew, work(), lease=0.15) == "written"
    assert len(renewals) >= 5 and set(renewals) == {0.15}


async def test_a_lease_taken_by_another_holder_stops_the_work() -> None:
    stopped = asyncio.Event()

    async def renew(ttl: float) -> bool:
        return False

    async def work() -> None:
        try:
            await asyncio.sleep(10)
        finally:
            stopped.set()

    t0 = time.monotonic()
    with pytest.raises(LeaseLost):
        await hold(renew, work(), lease=0.3)
    assert stopped.is_set() and time.monotonic() - t0 < 1.0


async def test_a_store_that_stops_answering_ends_the_lease_when_it_runs_out() -> None:
    calls = 0

    async def renew(ttl: float) -> bool:
        nonlocal calls
        calls += 1
        raise ConnectionError("store unreachable")

    t0 = time.monotonic()
    with pytest.raises(LeaseLost):
        await hold(renew, asyncio.sleep(10), lease=0.3)
    # Not at the first failed renewal: only when the lease it still had has run out.
    assert calls >= 3 and 0.3 <= time.monotonic() - t0 < 1.0


async def test_a_renewal_that_fails_once_keeps_the_lease() -> None:
    answers = iter([True, ConnectionError("blip"), True, True, True, True, True, True])

    async def renew(ttl: float) -> bool:
        answer = next(answers)
        if isinstance(answer, Exception):
            raise answer
        return answer

    async def work() -> int:
        await asyncio.sleep(0.35)
        return 7

    assert await hold(renew, work(), lease=0.15) == 7


async def test_cancelling_the_holder_cancels_the_work_and_is_not_a_lost_lease() -> None:
    stopped = asyncio.Event()

    async def renew(ttl: float) -> bool:
        return True

    async def work() -> None:
        try:
            await asyncio.sleep(10)
        finally:
            stopped.set()

    task = asyncio.create_task(hold(renew, work(), lease=0.3))
    await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert stopped.is_set()


# -- the finalizer on a real Redis ---------------------------------------------------------


KEY = "{lease:batch}:fin:j1"
"""The finalization lock of job ``j1`` in :func:`store`."""


@pytest.fixture
async def client(redis_url: str) -> AsyncIterator[Any]:
    r, _ = redis_client(redis_url, 1.0)
    yield r
    await r.aclose()


@pytest.fixture
def store(client: Any) -> RedisJobStore:
    return RedisJobStore(client, "lease")


async def test_redis_renews_only_its_owners_lease(client: Any, store: RedisJobStore) -> None:
    assert await store.lock("j1", "replica-a", 2.0)
    assert await store.renew("j1", "replica-a", 30.0)
    assert 20_000 < await client.pttl(KEY) <= 30_000
    assert not await store.renew("j1", "replica-b", 30.0)
    await store.unlock("j1", "replica-b")  # not its lock: kept
    assert await client.get(KEY) == b"replica-a"
    await client.delete(KEY)  # expired
    assert not await store.renew("j1", "replica-a", 30.0)
    assert await client.exists(KEY) == 0  # a lapsed lease is not brought back


async def test_a_finalization_slower_than_the_lease_keeps_the_job_to_itself(
    client: Any, store: RedisJobStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(finalize, "LEASE", 0.6)
    await _done_job(store)
    # Each of the two files takes longer than the whole lease to write.
    files = _SlowFiles(_files(tmp_path), 0.8)
    a = Finalizer(store, files, "replica-a", _Log(), None)  # type: ignore[arg-type]
    b = Finalizer(store, _files(tmp_path), "replica-b", _Log(), None)
    running = asyncio.create_task(a.maybe_finalize("j1"))
    tries = 0
    while not running.done():
        await asyncio.sleep(0.1)
        tries += 1
        # Replica B's janitor finds the job due but never gets the lock from A.
        assert not await b.maybe_finalize("j1")
    assert await running and tries >= 12
    job = await store.get("j1")
    assert job is not None and job.status == "completed" and job.final == (1, 1)
    assert await client.exists(KEY) == 0  # given back


async def test_a_finalizer_that_loses_its_lease_stops_and_another_finishes(
    client: Any, store: RedisJobStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(finalize, "LEASE", 0.6)
    await _done_job(store)
    log = _Log()
    a = Finalizer(store, _SlowFiles(_files(tmp_path), 5.0), "replica-a", log, None)  # type: ignore[arg-type]
    running = asyncio.create_task(a.maybe_finalize("j1"))
    await asyncio.sleep(0.1)
    # A's lease lapses (the store lost it, or A was paused past it) and B takes the job.
    await client.delete(KEY)
    assert await store.lock("j1", "replica-b", 30.0)
    t0 = time.monotonic()
    assert await running is False
    assert time.monotonic() - t0 < 0.6  # stopped at its next renewal, not after its write
    assert ("batch finalization stopped: its lease ran out", {"job": "j1"}) in log.events
    job = await store.get("j1")
    assert job is not None and job.status == "finalizing"  # A marked nothing done
    assert (await store.counts("j1")).done == 2  # and purged nothing
    assert await client.get(KEY) == b"replica-b"  # nor took B's lock away
    await store.unlock("j1", "replica-b")
    b = Finalizer(store, _files(tmp_path), "replica-b", _Log(), None)
    assert await b.maybe_finalize("j1")
    job = await store.get("j1")
    assert job is not None and job.status == "completed" and job.final == (1, 1)


_ROOT = str(Path(__file__).resolve().parents[2])

_HOLDER = textwrap.dedent(
    """
    import asyncio, sys
    from aigateway.batches import finalize
    from aigateway.batches.redis_store import RedisJobStore, redis_client

    finalize.LEASE = float(sys.argv[2])

    class Log:
        def info(self, *a, **k): pass
        def warning(self, *a, **k): pass

    class Hung:  # a files storage that never answers
        async def get_scratch(self, key): return None
        async def drop_scratch(self, tenant, job_id): pass
        async def create(self, *a, **k):
            print("writing", flush=True)
            await asyncio.Event().wait()

    async def main():
        r, _ = redis_client(sys.argv[1], 1.0)
        await finalize.Finalizer(RedisJobStore(r, "lease"), Hung(), "replica-a", Log(), None).maybe_finalize("j1")

    asyncio.run(main())
    """
)


async def test_a_replica_killed_while_finalizing_holds_the_job_up_only_for_its_lease(
    redis_url: str, client: Any, store: RedisJobStore, tmp_path: Path
) -> None:
    """A real process takes the lock and is SIGKILLed while it writes the job's files; the
    other replica finishes the job once the lease has run out (3 s here, renewed each
    second while the process lived), not after the two minutes the lock used to hold."""
    short = 3.0
    # The job first: the process finalizes it as soon as it starts.
    await _done_job(store)
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        _HOLDER,
        redis_url,
        str(short),
        stdout=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": _ROOT},
    )
    try:
        assert proc.stdout is not None
        line = await asyncio.wait_for(proc.stdout.readline(), 30)
        assert line.strip() == b"writing"
        await asyncio.sleep(short)  # past the first lease: renewed, still held
        assert await client.get(KEY) == b"replica-a" and await client.pttl(KEY) > 1000
        b = Finalizer(store, _files(tmp_path), "replica-b", _Log(), None)
        assert not await b.maybe_finalize("j1")
        proc.send_signal(signal.SIGKILL)
        await asyncio.wait_for(proc.wait(), 5)
        killed = time.monotonic()
        while not await b.maybe_finalize("j1"):
            assert time.monotonic() - killed < short + 2, (
                "the dead replica's lock outlived its lease"
            )
            await asyncio.sleep(0.2)
        job = await store.get("j1")
        assert job is not None and job.status == "completed" and job.final == (1, 1)
        record = await _files(tmp_path).get("t", job.output_file or "")
        assert record.num_lines == 1  # the one line that succeeded
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
