"""Code that runs inside an OCR worker process: the serve loop.

The pool sends ``(function, args)`` pairs over a pipe; :func:`serve` calls them one at a time and
answers ``("ok", value)``, ``("gateway", class name, message, param)`` for a
:class:`~aigateway.errors.GatewayError` (rebuilt by the pool, since those do not pickle with
their attributes) or ``("error", text)`` for anything else. Page tasks
(:mod:`.page`) take a :class:`Source`: small documents travel as bytes, large ones as a path.
"""

from __future__ import annotations

import contextlib
import os
import signal
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from ...errors import GatewayError

__all__ = ("Source", "serve")

IMAGE_TYPES = frozenset(
    {"image/png", "image/jpeg", "image/gif", "image/webp", "image/tiff", "image/bmp"}
)


@dataclass(frozen=True)
class Source:
    """Where a worker finds the document: ``data`` (small) or ``path`` (large)."""

    media_type: str
    data: bytes | None = None
    path: str | None = None
    password: str | None = None

    def input(self) -> bytes | str:
        """What pdfium / Pillow open: the bytes or the path."""
        if self.data is not None:
            return self.data
        assert self.path is not None
        return self.path


# --- the serve loop ---------------------------------------------------------------------------


def serve(conn: Any, warmups: Sequence[tuple[Callable[..., Any], tuple[Any, ...]]]) -> None:
    """Worker process entry point: warm up, say ready, then run tasks until EOF or ``None``."""
    # Ctrl-C in a terminal reaches the whole process group: let the parent decide shutdown.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # One page per process at a time: Tesseract's OpenMP threads would only oversubscribe cores.
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
    for fn, args in warmups:
        # A failed warm-up resurfaces, with context, on the first real task.
        with contextlib.suppress(Exception):
            fn(*args)
    conn.send(("ready", os.getpid()))
    while True:
        try:
            msg = conn.recv()
        except (EOFError, OSError):
            return
        if msg is None:
            return
        fn, args = msg
        try:
            reply: tuple[Any, ...] = ("ok", fn(*args))
        except GatewayError as exc:
            reply = ("gateway", type(exc).__name__, exc.message, exc.param)
        except Exception as exc:
            tb = traceback.format_exc(limit=6)
            reply = ("error", f"{type(exc).__name__}: {exc}\n{tb}")
        try:
            conn.send(reply)
        except (EOFError, OSError):
            return
