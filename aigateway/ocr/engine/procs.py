"""Starting, signalling and reaping the OCR pool's worker processes.

Processes are started with ``forkserver`` (``spawn`` where unavailable): the server process has
threads, and ``fork`` would copy their locks. Each worker gets one end of a fresh
``socketpair``; the pool keeps the other inside a :class:`~.channel.Channel`. Starting a process
(and, the first time, the forkserver itself) and joining one both block, so they run in a
thread, never on the event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import socket
from collections.abc import Callable, Sequence
from typing import Any

from . import serve
from .channel import Channel

__all__ = ("Worker", "reap", "start_worker")

Warmup = tuple[Callable[..., Any], tuple[Any, ...]]


PRELOAD = ("aigateway.ocr.engine.serve", "aigateway.ocr.engine.worker")
"""Modules the forkserver imports once, so a new worker starts without importing the package
(about a second per worker on a loaded 2-core machine; restarts matter)."""


def _context() -> Any:
    methods = multiprocessing.get_all_start_methods()
    if "forkserver" not in methods:
        return multiprocessing.get_context("spawn")
    ctx = multiprocessing.get_context("forkserver")
    # Only effective before the forkserver starts; keeps the default "__main__".
    ctx.set_forkserver_preload(["__main__", *PRELOAD])
    return ctx


class Worker:
    """One worker process, the pool's channel to it, and what it is doing."""

    __slots__ = (
        "channel",
        "pid",
        "proc",
        "ready",
        "retired",
        "task",
        "timed_out",
        "warm_timer",
        "warming",
    )

    def __init__(self, proc: Any) -> None:
        self.proc = proc
        self.channel: Channel | None = None
        self.pid: int | None = proc.pid
        self.ready = False
        """True once the worker said ready (warm-ups done)."""
        self.task: Any = None
        """The task it is running, if any."""
        self.timed_out = False
        """True when the pool killed it for running past ``task_timeout``."""
        self.retired = False
        """True when the pool stopped it on purpose (shutdown): not a restart."""
        self.warming = False
        """True while it runs the pool's idle warm-ups (said ready, not yet given a task)."""
        self.warm_timer: asyncio.TimerHandle | None = None
        """Kills it if those warm-ups hang."""

    @property
    def usable(self) -> bool:
        """Ready, not being stopped, and its channel still open."""
        return (
            self.ready
            and not (self.timed_out or self.retired)
            and self.channel is not None
            and not self.channel.closed
        )

    def send(self, msg: Any) -> None:
        """Queue ``msg`` for the worker (see :meth:`Channel.send`)."""
        assert self.channel is not None
        self.channel.send(msg)

    def kill(self) -> None:
        """SIGKILL: the only way to stop a page in the middle of recognition."""
        with contextlib.suppress(OSError, AttributeError, ValueError):
            self.proc.kill()

    def close(self) -> None:
        """Close the pool's end of the socket; an idle worker then reads EOF and exits."""
        if self.channel is not None:
            self.channel.close()


async def start_worker(
    warmups: Sequence[Warmup],
    loop: asyncio.AbstractEventLoop,
    on_message: Callable[[Worker, Any], None],
    on_close: Callable[[Worker, str], None],
    ctx: Any = None,
) -> Worker:
    """Start one worker process and open the pool's channel to it.

    Raises:
        Exception: whatever starting the process raised (nothing is left open).
    """
    ctx = ctx or _context()
    parent, child = socket.socketpair()
    proc = ctx.Process(
        target=serve.serve, args=(child, list(warmups)), name="aigateway-ocr", daemon=True
    )
    try:
        await asyncio.to_thread(proc.start)
    except BaseException:
        parent.close()
        raise
    finally:
        child.close()
    w = Worker(proc)
    w.channel = Channel(loop, parent, lambda msg: on_message(w, msg), lambda why: on_close(w, why))
    return w


def reap(proc: Any, timeout: float) -> int | None:
    """Wait up to ``timeout`` s for ``proc`` to exit, then kill it; returns its exit code."""
    proc.join(timeout)
    if proc.is_alive():
        proc.kill()
        proc.join(timeout)
    code: int | None = proc.exitcode
    return code
