"""The OCR worker process's main loop: receive a task, run it, answer, repeat.

The pool sends ``(function, args)`` frames (see :mod:`.wire`); :func:`serve` calls them one at
a time and answers ``("ok", value)``, ``("gateway", class name, message, param)`` for a
:class:`~aigateway.errors.GatewayError` (rebuilt by the pool, since those do not pickle with
their attributes) or ``("error", text)`` for anything else. EOF or a ``None`` frame ends it.

The worker's socket is blocking (it has nothing else to do while waiting), and the worker dies
with its parent: when the server is killed, a worker in the middle of a long page would
otherwise run on until the page is done.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import signal
import socket
import sys
import traceback
from collections.abc import Callable, Sequence
from typing import Any

from ...errors import GatewayError
from . import wire

__all__ = ("run_task", "run_warmups", "serve")

Warmup = tuple[Callable[..., Any], tuple[Any, ...]]

_PR_SET_PDEATHSIG = 1
_PICKLE_ERRORS = (pickle.PicklingError, TypeError, AttributeError, RecursionError)
"""What ``pickle.dumps`` raises for values it cannot serialise."""


def _die_with_parent() -> None:
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() == 1:  # the parent died before prctl took effect
        os._exit(0)


def run_task(msg: Any) -> tuple[Any, ...]:
    """The reply to one task frame."""
    if isinstance(msg, wire.Undecodable):
        return ("error", f"the task could not be decoded in the worker: {msg.error}")
    try:
        fn, args = msg
        return ("ok", fn(*args))
    except GatewayError as exc:
        return ("gateway", type(exc).__name__, exc.message, exc.param)
    except Exception as exc:
        tb = traceback.format_exc(limit=6)
        return ("error", f"{type(exc).__name__}: {exc}\n{tb}")


def _answer(sock: socket.socket, reply: tuple[Any, ...]) -> None:
    try:
        wire.send(sock, reply)
    except (wire.FrameError, *_PICKLE_ERRORS) as exc:
        # The value cannot travel back (too large, unpicklable): say so instead. Nothing was
        # written yet (encode runs before the first byte is sent), so the stream is in step.
        wire.send(sock, ("error", f"the result cannot be returned: {type(exc).__name__}: {exc}"))


def run_warmups(warmups: Sequence[Warmup]) -> None:
    """Run each warm-up, ignoring its failure: a failed load resurfaces, with context, on the
    first real task that needs it."""
    for fn, args in warmups:
        with contextlib.suppress(Exception):
            fn(*args)


def serve(sock: socket.socket, warmups: Sequence[Warmup]) -> None:
    """Worker process entry point: warm up, say ready, then run tasks until EOF or ``None``."""
    # Ctrl-C in a terminal reaches the whole process group: let the parent decide shutdown.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _die_with_parent()
    # One page per process at a time: Tesseract's OpenMP threads would only oversubscribe cores.
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
    sock.setblocking(True)
    run_warmups(warmups)
    try:
        wire.send(sock, ("ready", os.getpid()))
        while True:
            msg = wire.recv(sock)
            if msg is None:
                return
            _answer(sock, run_task(msg))
    except (EOFError, OSError, wire.FrameError):
        return  # the pool closed the socket, or the stream is out of step: it replaces us
    finally:
        with contextlib.suppress(OSError):
            sock.close()
