"""The local OCR worker pool, under both event loops the server may run: asyncio and uvloop.

uvloop makes a watched socket non-blocking on its own: the pool once hung there on any task
over the socket buffer while passing every test run on asyncio. Each test here runs on both
loops (the ``run`` fixture), with real worker processes (two per pool, no OCR warm-up, so the
file stays quick); the page-reading side of the engine is in ``test_local_engine.py``.
"""

from __future__ import annotations

import asyncio
import base64
import os
import signal
import time
from collections.abc import Callable, Coroutine
from typing import Any

import pytest
import uvloop

from aigateway.config import LimitsConfig, OcrPoolConfig, parse_config
from aigateway.errors import (
    GatewayError,
    ServiceUnavailableError,
    UnprocessableDocumentError,
    UpstreamTimeoutError,
)
from aigateway.ocr.engine.pool import MAX_ATTEMPTS, OcrPool
from aigateway.ocr.registry import OcrRegistry

from ..support.docgen import text_pdf

Run = Callable[[Coroutine[Any, Any, Any]], Any]
MiB = 1 << 20


@pytest.fixture(params=["asyncio", "uvloop"])
def run(request: pytest.FixtureRequest) -> Run:
    """Run a coroutine to completion on a fresh loop of the parametrized kind."""
    factory = asyncio.new_event_loop if request.param == "asyncio" else uvloop.new_event_loop

    def runner(coro: Coroutine[Any, Any, Any]) -> Any:
        with asyncio.Runner(loop_factory=factory) as r:
            return r.run(coro)

    return runner


def make_pool(events: list[tuple[str, str]] | None = None, **config: Any) -> OcrPool:
    cfg = OcrPoolConfig(**{"workers": 2, **config})
    hook = None if events is None else (lambda kind, detail: events.append((kind, detail)))
    return OcrPool(cfg, LimitsConfig(), on_event=hook)


async def until(condition: Callable[[], bool], what: object = "condition") -> None:
    """Wait until ``condition()`` holds; 60 s without it is a failure (a hang), not a timing."""
    deadline = time.monotonic() + 60
    while not condition():
        assert time.monotonic() < deadline, what
        await asyncio.sleep(0.02)


async def ready(pool: OcrPool) -> None:
    """Wait until every worker of ``pool`` is live."""
    await asyncio.wait_for(pool.wait_ready(), 60)
    await until(lambda: pool.alive == pool.size, pool.status())


# --- functions the workers run (module level: they travel by reference) -----------------------


def echo_len(data: bytes) -> int:
    return len(data)


def make_bytes(n: int) -> bytes:
    return os.urandom(n)


def sleep_pid(seconds: float) -> int:
    time.sleep(seconds)
    return os.getpid()


def die(code: int) -> None:
    os._exit(code)


def die_once(marker: str) -> int:
    """Die the first time (leaving ``marker`` behind), succeed the second."""
    if not os.path.exists(marker):
        with open(marker, "w"):
            pass
        os.kill(os.getpid(), signal.SIGKILL)
    return os.getpid()


def unpicklable() -> Any:
    return lambda: None


def raise_gateway() -> None:
    raise UnprocessableDocumentError("page 3 is unreadable", param="document")


# --- transport ---------------------------------------------------------------------------------

SIZES = [0, 1, 65_535, 65_537, 212_993, 300 * 1024, MiB + 1, 5 * MiB, 48 * MiB]
"""Empty, tiny, around the inline limit, around a socket buffer, the sizes that hung, large."""


def test_any_size_goes_both_ways_with_more_callers_than_workers(run: Run) -> None:
    async def scenario() -> None:
        events: list[tuple[str, str]] = []
        pool = make_pool(events)
        try:
            await ready(pool)
            sent = [os.urandom(n) for n in SIZES]
            # Every size at once, 9 callers for 2 workers, both directions.
            lengths = await asyncio.gather(*(pool.run(echo_len, d) for d in sent))
            assert lengths == SIZES
            results = await asyncio.gather(*(pool.run(make_bytes, n) for n in SIZES))
            assert [len(r) for r in results] == SIZES
            assert events == []
            assert pool.health.restarts == {"crashed": 0, "timeout": 0, "failed_start": 0}
        finally:
            await pool.aclose()

    run(scenario())


def test_pages_spread_over_the_workers(run: Run) -> None:
    async def scenario() -> None:
        pool = make_pool()
        try:
            await ready(pool)
            pids = await pool.run_batch([(sleep_pid, (0.3,)) for _ in range(6)])
            assert len(set(pids)) == 2
        finally:
            await pool.aclose()

    run(scenario())


def test_errors_come_back_as_gateway_errors_and_the_worker_stays(run: Run) -> None:
    async def scenario() -> None:
        events: list[tuple[str, str]] = []
        pool = make_pool(events)
        try:
            await ready(pool)
            with pytest.raises(UnprocessableDocumentError, match="page 3") as exc:
                await pool.run(raise_gateway)
            assert exc.value.param == "document"
            with pytest.raises(GatewayError, match="cannot be returned"):
                await pool.run(unpicklable)
            with pytest.raises(GatewayError, match="could not be sent"):
                await pool.run(echo_len, lambda: None)
            assert await pool.run(echo_len, b"still fine") == 10
            assert events == []
        finally:
            await pool.aclose()

    run(scenario())


# --- failures ---------------------------------------------------------------------------------


def test_a_crash_is_retried_once_then_422_and_every_restart_counted(run: Run) -> None:
    async def scenario() -> None:
        events: list[tuple[str, str]] = []
        pool = make_pool(events)
        try:
            await ready(pool)
            with pytest.raises(UnprocessableDocumentError, match="crashed 2 times") as exc:
                await pool.run(die, 3)
            assert "exit code 3" in exc.value.message
            assert MAX_ATTEMPTS == 2
            assert pool.health.task_retries == 1
            await ready(pool)
            assert pool.health.restarts["crashed"] == 2
            assert sorted(events) == [("restart", "crashed")] * 2 + [("retry", "")]
            assert await pool.run(echo_len, b"alive") == 5
        finally:
            await pool.aclose()

    run(scenario())


def test_a_worker_killed_under_a_task_costs_one_retry(run: Run, tmp_path: Any) -> None:
    async def scenario() -> None:
        pool = make_pool()
        try:
            await ready(pool)
            pid = await pool.run(die_once, str(tmp_path / "marker"))
            assert isinstance(pid, int)
            assert pool.health.task_retries == 1
        finally:
            await pool.aclose()

    run(scenario())


def test_task_timeout_is_504_and_the_pool_recovers(run: Run) -> None:
    async def scenario() -> None:
        events: list[tuple[str, str]] = []
        pool = make_pool(events, task_timeout=0.5)
        try:
            await ready(pool)
            with pytest.raises(UpstreamTimeoutError) as exc:
                await pool.run(time.sleep, 30)
            assert exc.value.status_code == 504
            assert await pool.run(echo_len, b"after") == 5
            await ready(pool)
            assert events == [("restart", "timeout")]
            assert pool.health.task_retries == 0
        finally:
            await pool.aclose()

    run(scenario())


def test_workers_dying_at_start_make_it_not_ready_and_503_at_once(run: Run) -> None:
    async def scenario() -> None:
        pool = make_pool()
        pool.add_warmup(die, 7)
        try:
            assert await asyncio.wait_for(pool.wait_ready(), 60) is False
            status = pool.status()
            assert (status.ready, status.state) == (False, "failing")
            assert "exit code 7" in status.detail
            with pytest.raises(ServiceUnavailableError, match="cannot start") as exc:
                await pool.run(echo_len, b"x")
            assert exc.value.status_code == 503
            assert int(exc.value.headers["Retry-After"]) >= 1
        finally:
            await pool.aclose()

    run(scenario())


def test_saturated_pool_answers_503_with_retry_after(run: Run) -> None:
    async def scenario() -> None:
        pool = make_pool(workers=1, max_queue=2)
        try:
            await ready(pool)
            busy = [asyncio.create_task(pool.run(time.sleep, 3))]
            await until(lambda: pool.running == 1)
            busy += [asyncio.create_task(pool.run(time.sleep, 3)) for _ in range(2)]
            await until(lambda: pool.waiting == 2)
            assert (pool.running, pool.waiting) == (1, 2)
            with pytest.raises(ServiceUnavailableError, match="saturated") as exc:
                await pool.run(echo_len, b"x")
            assert int(exc.value.headers["Retry-After"]) >= 1
            # Cancelled requests take their not-yet-started tasks out of the queue.
            for t in busy:
                t.cancel()
            await asyncio.gather(*busy, return_exceptions=True)
            assert pool.waiting == 0
        finally:
            await pool.aclose()

    run(scenario())


# --- shutdown ---------------------------------------------------------------------------------


def test_drain_refuses_new_work_then_fails_the_rest_with_503(run: Run) -> None:
    async def scenario() -> None:
        events: list[tuple[str, str]] = []
        pool = make_pool(events, workers=2)
        try:
            await ready(pool)
            # One task ends well before the drain's deadline, one never would, one waits.
            short = asyncio.create_task(pool.run(sleep_pid, 0.2))
            running = asyncio.create_task(pool.run(time.sleep, 60))
            await until(lambda: pool.running == 2)
            queued = asyncio.create_task(pool.run(time.sleep, 60))
            await until(lambda: pool.waiting == 1)
            pool.drain(2.0)
            assert not pool.status().ready
            with pytest.raises(ServiceUnavailableError, match="shutting down"):
                await pool.run(echo_len, b"x")
            assert isinstance(await asyncio.wait_for(short, 30), int)
            for t in (running, queued):
                with pytest.raises(ServiceUnavailableError, match="stopped"):
                    await asyncio.wait_for(t, 30)
            assert events == []  # a worker stopped on purpose is not a restart
        finally:
            await pool.aclose()

    run(scenario())


def test_aclose_stops_busy_workers_and_fails_their_callers(run: Run) -> None:
    async def scenario() -> list[int | None]:
        pool = make_pool()
        await ready(pool)
        pids = [w.pid for w in pool._workers]
        calls = [asyncio.create_task(pool.run(time.sleep, 120)) for _ in range(3)]
        await until(lambda: pool.running == 2)
        await asyncio.wait_for(pool.aclose(), 30)
        for c in calls:
            with pytest.raises(ServiceUnavailableError):
                await c
        return pids

    for pid in run(scenario()):
        assert pid is not None
        assert _gone(pid)


def _gone(pid: int) -> bool:
    """No such process any more (or only its zombie entry)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


# --- through the provider ---------------------------------------------------------------------


def test_the_local_provider_reads_documents_over_the_inline_limit(run: Run) -> None:
    from aigateway.blob import Blob
    from aigateway.ocr.protocol import Document, OcrOptions
    from aigateway.ocr.providers.base import OcrJob
    from aigateway.ocr.providers.local import INLINE_MAX

    async def scenario() -> None:
        settings = parse_config(
            {
                "ocr_pool": {"workers": 2},
                "ocr_models": [{"id": "local", "provider": "local"}],
            }
        )
        reg = OcrRegistry(settings)
        await reg.start()
        try:
            small = text_pdf(["Small inline document."])
            big = small + b"%" + b"x" * (INLINE_MAX + 10) + b"\n"  # trailing junk pdfium skips
            for data in (small, big):
                doc = Document(Blob.from_bytes(data), "application/pdf")
                job = OcrJob(doc, None, None, OcrOptions())
                result = await reg.providers["local"].process(job)
                assert result.pages[0].markdown == "Small inline document."
                doc.blob.close()
        finally:
            await reg.aclose()

    run(scenario())


# --- through the app: /readyz and /metrics ----------------------------------------------------


def test_readyz_and_metrics_report_workers_dying_at_start(run: Run) -> None:
    from litestar.testing import AsyncTestClient

    from aigateway import create_app

    async def scenario() -> None:
        settings = parse_config(
            {
                "ocr_pool": {"workers": 1},
                "ocr_models": [{"id": "local", "provider": "local"}],
                "routes": [{"path": "/", "ocr_model_refs": ["local"]}],
            }
        )
        app = create_app(settings)
        app.state.runtime.ocr_registry.ocr_pool().add_warmup(die, 7)
        async with AsyncTestClient(app) as client:
            first = (await client.get("/readyz")).json()["checks"]["ocr_pool"]
            assert first["status"] in ("starting", "failing")
            # (The test client runs the app on a loop of its own: watch through HTTP only.)
            deadline = time.monotonic() + 60
            while (await client.get("/readyz")).json()["checks"]["ocr_pool"]["status"] != (
                "failing"
            ):
                assert time.monotonic() < deadline, "the pool never reported failing"
                await asyncio.sleep(0.05)
            ready = await client.get("/readyz")
            assert ready.status_code == 503
            check = ready.json()["checks"]["ocr_pool"]
            assert check["status"] == "failing"
            assert "exit code 7" in check["detail"]
            assert check["alive"] == 0
            pdf = base64.b64encode(text_pdf(["never read"])).decode()
            answer = await client.post("/v1/ocr", json={"document_base64": pdf})
            assert answer.status_code == 503
            assert "cannot start" in answer.json()["error"]["message"]
            metrics = (await client.get("/metrics")).text
            assert 'aigw_ocr_worker_restarts_total{reason="failed_start"}' in metrics
            assert "aigw_ocr_workers_alive 0" in metrics

    run(scenario())
