"""The OCR pool's idle warm-ups: what a worker loads after it says ready and before its first
task (the ``auto`` engine's re-reading recogniser), on both event loops, with real workers.

The rule under test: a page never waits inside a warming worker with its ``task_timeout``
running. It waits in the pool's queue, and its timeout starts when a warm worker takes it.
"""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

import pytest

from aigateway.ocr.engine.starts import WARM_DEATHS

from .test_ocr_pool import Run, echo_len, make_pool, ready, run, until

__all__ = ("run",)  # the event-loop fixture, shared with test_ocr_pool


def wait_for_file(path: str) -> None:
    """An idle warm-up that holds its worker until ``path`` exists, then leaves its mark."""
    deadline = time.monotonic() + 60
    while not os.path.exists(path):
        if time.monotonic() > deadline:
            return
        time.sleep(0.02)
    with open(f"{path}.{os.getpid()}.warm", "w"):
        pass


def warmed_here(path: str) -> bool:
    """Whether this worker ran :func:`wait_for_file` to the end."""
    return os.path.exists(f"{path}.{os.getpid()}.warm")


def marks(folder: Path) -> int:
    """Workers that ran :func:`wait_for_file` to the end."""
    return len(list(folder.glob("*.warm")))


def deaths(counter: str) -> int:
    with open(counter) as f:
        return len(f.read())


def die_warming(counter: str) -> None:
    """An idle warm-up that kills its worker (counting the deaths in ``counter``)."""
    with open(counter, "a") as f:
        f.write("x")
    os._exit(9)


def test_a_page_waits_for_the_idle_warmup_without_its_timeout_running(
    run: Run, tmp_path: Path
) -> None:
    gate = str(tmp_path / "gate")

    async def scenario() -> None:
        # A one-second task timeout and a warm-up held for longer: a page handed to the
        # warming worker at once would time out (504) before its warm-up ended.
        pool = make_pool(workers=1, task_timeout=1)
        pool.add_warmup(wait_for_file, gate, idle=True)
        try:
            await ready(pool)  # ready while the warm-up still waits for the gate
            assert (pool.status().warming, pool.status().as_dict()["warming"]) == (1, 1)
            assert marks(tmp_path) == 0
            task = asyncio.create_task(pool.run(warmed_here, gate))
            await until(lambda: pool.waiting == 1)
            await asyncio.sleep(1.5)
            assert not task.done()
            assert (pool.waiting, pool.running) == (1, 0)  # queued, not inside the worker
            (tmp_path / "gate").touch()
            # The warm-up ran to its end, in the worker that then ran the page.
            assert await asyncio.wait_for(task, 60) is True
            assert pool.warming == 0
            assert pool.health.restarts == {"crashed": 0, "timeout": 0, "failed_start": 0}
        finally:
            await pool.aclose()

    run(scenario())


def test_every_worker_warms_once_and_then_takes_pages(run: Run, tmp_path: Path) -> None:
    gate = str(tmp_path / "gate")
    (tmp_path / "gate").touch()

    async def scenario() -> None:
        pool = make_pool(workers=2)
        pool.add_warmup(wait_for_file, gate, idle=True)
        try:
            await ready(pool)
            await until(lambda: pool.warming == 0, pool.status())
            results = await asyncio.gather(*(pool.run(warmed_here, gate) for _ in range(6)))
            assert results == [True] * 6  # each worker warmed before its first page
            assert marks(tmp_path) == 2
        finally:
            await pool.aclose()

    run(scenario())


def test_a_warmup_that_kills_its_worker_is_dropped_and_pages_are_read(
    run: Run, tmp_path: Path
) -> None:
    counter = str(tmp_path / "deaths")

    async def scenario() -> None:
        pool = make_pool(workers=1)
        pool.add_warmup(die_warming, counter, idle=True)
        try:
            # The pool stops running it after WARM_DEATHS deaths in a row, and serves.
            assert await asyncio.wait_for(pool.run(echo_len, b"page"), 60) == 4
            await ready(pool)
            assert deaths(counter) == WARM_DEATHS
            assert pool.status().ready
            assert pool.health.restarts["crashed"] == WARM_DEATHS
        finally:
            await pool.aclose()

    run(scenario())


def test_a_warmup_that_cannot_be_sent_is_dropped_and_pages_are_read(
    run: Run, caplog: pytest.LogCaptureFixture
) -> None:
    async def scenario() -> None:
        pool = make_pool(workers=1)
        pool.add_warmup(lambda: None, idle=True)  # a lambda does not pickle
        try:
            assert await asyncio.wait_for(pool.run(echo_len, b"page"), 60) == 4
            assert pool.warming == 0
            assert pool.health.restarts == {"crashed": 0, "timeout": 0, "failed_start": 0}
        finally:
            await pool.aclose()

    run(scenario())
    assert "idle warm-ups cannot be sent" in caplog.text
