"""The pool's end of one worker's socket: framed messages, never blocking the event loop.

Writes go out as far as the socket buffer takes them; the rest waits in a queue and is flushed
from ``add_writer`` callbacks, so a message of any size costs the loop no waiting and a full
buffer is back-pressure, not an error. Reads take one chunk per readiness callback (a large
result does not monopolise the loop) into a :class:`~.wire.FrameReader`. Whatever the event
loop (asyncio's selector loop or uvloop, which makes the socket non-blocking on its own), the
socket is non-blocking and every partial transfer resumes.

Only a real failure closes the channel: EOF, a reset, or a frame that does not decode. The owner
hears about it once, through ``on_close(reason)`` called soon after (never from inside
:meth:`Channel.send`, so the caller's state is consistent when it runs).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections import deque
from collections.abc import Callable
from typing import Any

from . import wire

__all__ = ("Channel",)

_READ_CHUNK = 1 << 18


class Channel:
    """Framed, non-blocking messaging over ``sock`` on ``loop``."""

    __slots__ = (
        "_closed",
        "_loop",
        "_on_close",
        "_on_message",
        "_out",
        "_reader",
        "_sock",
        "_writing",
        "fd",
    )

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        sock: socket.socket,
        on_message: Callable[[Any], None],
        on_close: Callable[[str], None],
    ) -> None:
        sock.setblocking(False)
        self._loop = loop
        self._sock = sock
        self.fd = sock.fileno()
        self._on_message = on_message
        self._on_close = on_close
        self._out: deque[memoryview] = deque()
        self._reader = wire.FrameReader()
        self._writing = False
        self._closed = False
        loop.add_reader(self.fd, self._readable)

    @property
    def closed(self) -> bool:
        """True once the channel is closed (by either side)."""
        return self._closed

    @property
    def pending(self) -> int:
        """Bytes queued and not yet accepted by the socket."""
        return sum(len(v) for v in self._out)

    def send(self, msg: Any) -> None:
        """Queue ``msg`` and write as much as the socket takes now.

        Raises:
            wire.FrameError: ``msg`` pickles to more than the frame limit (nothing is queued).
        """
        if self._closed:
            raise ConnectionError("the channel is closed")
        header, payload = wire.encode(msg)
        self._out.append(memoryview(header))
        if payload:
            self._out.append(memoryview(payload))
        if not self._writing:
            self._flush()

    def close(self, reason: str = "closed") -> None:
        """Stop watching the socket and close it; ``on_close`` is not called for this."""
        self._shut(reason, notify=False)

    # --- loop callbacks ----------------------------------------------------------------------

    def _flush(self) -> None:
        while self._out:
            view = self._out[0]
            try:
                sent = self._sock.send(view)
            except (BlockingIOError, InterruptedError):
                sent = 0
            except OSError as exc:
                self._shut(f"send failed: {type(exc).__name__}: {exc}")
                return
            if sent < len(view):
                self._out[0] = view[sent:]
                if not self._writing:
                    self._writing = True
                    self._loop.add_writer(self.fd, self._flush)
                return
            self._out.popleft()
        if self._writing:
            self._writing = False
            self._loop.remove_writer(self.fd)

    def _readable(self) -> None:
        try:
            data = self._sock.recv(_READ_CHUNK)
        except (BlockingIOError, InterruptedError):
            return
        except OSError as exc:
            self._shut(f"receive failed: {type(exc).__name__}: {exc}")
            return
        if not data:
            self._shut("end of file in the middle of a message" if self._reader.partial else "eof")
            return
        try:
            messages = self._reader.feed(data)
        except wire.FrameError as exc:
            self._shut(str(exc))
            return
        for msg in messages:
            if self._closed:
                return
            self._on_message(msg)

    def _shut(self, reason: str, *, notify: bool = True) -> None:
        if self._closed:
            return
        self._closed = True
        with contextlib.suppress(OSError, ValueError, RuntimeError):
            self._loop.remove_reader(self.fd)
        if self._writing:
            with contextlib.suppress(OSError, ValueError, RuntimeError):
                self._loop.remove_writer(self.fd)
            self._writing = False
        self._out.clear()
        with contextlib.suppress(OSError):
            self._sock.close()
        if notify:
            # Not from inside send() or a read callback: the owner may be mid-update.
            self._loop.call_soon(self._on_close, reason)
