"""Job stores and queues: once-only results in the local store (and after a crash), Redis
(single server and Cluster) with XAUTOCLAIM, and the webhook POST through the SSRF guard."""

from __future__ import annotations

import asyncio
import json
import os
import threading
from collections.abc import Callable
from pathlib import Path

import msgspec
import pytest

from aigateway.batches.jobs import LocalJobStore
from aigateway.batches.protocol import Counts, Job
from aigateway.batches.queue import LineRef
from aigateway.errors import BadRequestError


def _job(job_id: str = "j1") -> Job:
    return Job(
        id=job_id, tenant="t", api="openai", endpoint="/v1/ocr", input_files=["f"], created_at=1
    )


def _append(path: Path, data: bytes) -> None:
    with path.open("ab") as f:
        f.write(data)


async def test_local_job_store_writes_each_line_once_and_survives_a_restart(tmp_path: Path) -> None:
    store = LocalJobStore(tmp_path)
    await store.put(_job())
    results = await asyncio.gather(
        *(store.record("j1", i % 3, i % 2 == 0, b'{"n":%d}' % i) for i in range(9))
    )
    assert sum(results) == 3
    await store.aclose()
    _append(tmp_path / "j1.results", b'[5,true,{"cut sho')  # a crash in the middle of a write
    again = LocalJobStore(tmp_path)
    counts = await again.counts("j1")
    assert counts.done == 3
    got = [r async for r in again.results("j1", 10)]
    assert [(i, ok) for i, ok, _ in got] == [(0, True), (1, False), (2, True)]
    assert [json.loads(line)["n"] for _, _, line in got] == [0, 1, 2]
    assert await again.record("j1", 5, True, b"{}")  # the cut line runs again
    assert (await again.get("j1")) == _job()


async def test_local_counts_never_run_ahead_of_the_results_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A finalizer that sees every line counted must find every result: a line is counted only
    once its write is done (it once was counted while the write was still in a thread)."""
    import aigateway.batches.jobs as jobs_module

    store = LocalJobStore(tmp_path)
    await store.put(_job())
    real_write = os.write
    writing = threading.Event()
    release = threading.Event()

    def slow_write(fd: int, data: bytes) -> int:
        writing.set()
        release.wait(5)
        return real_write(fd, data)

    monkeypatch.setattr(jobs_module.os, "write", slow_write)
    task = asyncio.create_task(store.record("j1", 0, True, b'{"n":0}'))
    await asyncio.to_thread(writing.wait, 5)
    # The result is claimed (a second record is refused) but not readable yet: not counted.
    assert not await store.record("j1", 0, False, b"{}")
    assert (await store.counts("j1")).done == 0
    assert [r async for r in store.results("j1", 1)] == []
    release.set()
    assert await task
    assert await store.counts("j1") == Counts(succeeded=1, failed=0)
    assert [i async for i, _, _ in store.results("j1", 1)] == [0]
    await store.aclose()


async def _store_and_stream(url: str | list[str]) -> None:
    from aigateway.batches.redis_store import RedisJobStore, RedisStreamQueue, redis_client

    r, _ = redis_client(url, 1.0)
    try:
        store = RedisJobStore(r, "unit")
        await store.put(_job())
        done = await asyncio.gather(*(store.record("j1", i % 4, True, b"{}") for i in range(12)))
        assert sum(done) == 4 and (await store.counts("j1")).succeeded == 4
        assert [await store.attempt("j1", 7) for _ in range(3)] == [1, 2, 3]
        assert await RedisJobStore(r, "unit").attempt("j1", 7) == 4  # shared by replicas

        def to(status: str) -> Callable[[Job], bool]:
            def change(job: Job) -> bool:
                if job.status == "completed":
                    return False
                job.status = status
                return True

            return change

        moved = await asyncio.gather(
            *(store.update("j1", to(s)) for s in ["in_progress", "completed"] * 3)
        )
        assert all(m is not None for m in moved)
        assert (await store.get("j1")).status == "completed"  # type: ignore[union-attr]
        assert await store.active() == []
        dead = RedisStreamQueue(r, "unit", claim_idle=0.3)
        alive = RedisStreamQueue(r, "unit", claim_idle=0.3)
        await dead.push([LineRef("j1", "t", "f", i * 10, 10, i) for i in range(5)])
        taken = await dead.take(5, wait=0.5)
        assert [d.ref.index for d in taken] == [0, 1, 2, 3, 4]
        assert await alive.take(5, wait=0.1) == []  # pending with another consumer
        await asyncio.sleep(0.4)
        claimed = await alive.take(5, wait=0.1)
        assert sorted(d.ref.index for d in claimed) == [0, 1, 2, 3, 4]
        assert all(d.claimed for d in claimed) and not any(d.claimed for d in taken)
        for d in claimed:
            await alive.ack(d)
        await asyncio.sleep(0.4)
        assert await dead.take(5, wait=0.1) == []  # acknowledged lines never come back
        assert [i async for i, _, _ in store.results("j1", 10)] == [0, 1, 2, 3]
    finally:
        await r.aclose()


async def test_redis_store_and_stream_claim_back_a_dead_consumers_lines(redis_url: str) -> None:
    await _store_and_stream(redis_url)


async def test_batch_state_works_on_a_redis_cluster() -> None:
    """Every batch key shares one hash tag: scripts and pipelines stay single-slot."""
    from ..support.redis_server import redis_cluster

    with redis_cluster() as nodes:
        await _store_and_stream([f"redis://127.0.0.1:{n.port}" for n in nodes])


async def test_webhook_post_keeps_the_ssrf_guard() -> None:
    from aigateway.config import FetchConfig
    from aigateway.upstream.fetch import Fetcher

    from ..support.upstreams.server import FakeUpstream

    receiver = FakeUpstream().start()
    try:
        guarded = Fetcher(FetchConfig())
        with pytest.raises(BadRequestError) as info:
            await guarded.post(receiver.url + "/hook", b"{}", headers={})
        assert info.value.code == "url_not_allowed" and info.value.param == "webhook_url"
        assert receiver.requests == []
        await guarded.aclose()
        allowed = Fetcher(FetchConfig(allow_private=True))
        status = await allowed.post(
            receiver.url + "/hook", b'{"a":1}', headers={"x-aigateway-signature": "t=1,v1=00"}
        )
        await allowed.aclose()
        assert status == 404  # FakeUpstream's default answer: delivered, and the status returned
        (req,) = receiver.requests
        assert (req.method, req.path, req.body) == ("POST", "/hook", b'{"a":1}')
        assert req.headers["x-aigateway-signature"] == "t=1,v1=00"
    finally:
        receiver.stop()


async def test_finished_jobs_drop_their_results_and_are_forgotten_after_retention(
    tmp_path: Path,
) -> None:
    store = LocalJobStore(tmp_path)
    await store.put(_job())
    await store.record("j1", 0, True, b"{}")
    done = msgspec.structs.replace(_job(), status="completed", completed_at=100, final=(1, 0))
    await store.put(done)
    await store.purge_results("j1")
    assert not (tmp_path / "j1.results").exists()
    assert await store.counts_of(done) == Counts(1, 0)  # the record keeps the final counts
    assert await store.forget(before=50) == 0
    assert await store.forget(before=101) == 1
    assert await store.get("j1") is None and not (tmp_path / "j1.json").exists()
    assert await LocalJobStore(tmp_path).get("j1") is None


async def test_redis_finished_job_records_expire_and_results_go(redis_url: str) -> None:
    from aigateway.batches.redis_store import RedisJobStore, redis_client

    r, _ = redis_client(redis_url, 1.0)
    try:
        store = RedisJobStore(r, "ret", keep_seconds=600)
        await store.put(_job())
        await store.record("j1", 0, True, b"{}")
        await store.attempt("j1", 0)

        def finish(job: Job) -> bool:
            job.status, job.final = "completed", (1, 0)
            return True

        await store.update("j1", finish)
        await store.purge_results("j1")
        assert 0 < await r.ttl("{ret:batch}:job:j1") <= 600
        assert await r.exists("{ret:batch}:res:j1", "{ret:batch}:cnt:j1", "{ret:batch}:try:j1") == 0
        await r.delete("{ret:batch}:job:j1")  # as if it had expired
        assert await store.for_tenant("t") == []
        assert await r.zcard("{ret:batch}:jobs:t") == 0
    finally:
        await r.aclose()


async def test_a_look_at_an_unfinished_job_takes_no_finalization_lock(redis_url: str) -> None:
    """Every replica's janitor asks about every active job every few seconds. It used to take
    the job's finalization lock to find a job unfinished: a replica killed in that moment left
    the lock to expire (two minutes) before another could finish the job."""
    from aigateway.batches.finalize import Finalizer
    from aigateway.batches.redis_store import RedisJobStore, redis_client

    r, _ = redis_client(redis_url, 1.0)
    try:
        store = RedisJobStore(r, "due", keep_seconds=600)
        job = msgspec.structs.replace(_job(), status="in_progress", total=3)
        await store.put(job)
        await store.record("j1", 0, True, b"{}")
        taken: list[str] = []
        lock = store.lock

        async def spy(job_id: str, owner: str, ttl: float) -> bool:
            taken.append(owner)
            return await lock(job_id, owner, ttl)

        store.lock = spy  # type: ignore[method-assign]
        finalizer = Finalizer(store, None, "replica-a", None, None)  # type: ignore[arg-type]
        assert await finalizer.maybe_finalize("j1") is False
        assert taken == []
        # Another replica can lock it at once (as when A died mid-look before).
        assert await lock("j1", "replica-b", 120.0)

        def cancel(j: Job) -> bool:
            j.status = "cancelling"
            return True

        await store.update("j1", cancel)
        await store.unlock("j1", "replica-b")
        # A job with something to finalize is locked as before (here the lock is held).
        assert await store.lock("j1", "replica-c", 120.0)
        assert await finalizer.maybe_finalize("j1") is False
        assert taken[-1] == "replica-a"
    finally:
        await r.aclose()
