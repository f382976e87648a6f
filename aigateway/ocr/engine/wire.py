"""How the OCR pool and its workers talk: length-prefixed pickle frames over a socket.

A frame is an 8-byte big-endian payload length, then the payload (a pickle). Framing is ours
rather than ``multiprocessing.Connection``'s because the pool's end of the socket is
non-blocking (an event loop watches it): ``Connection.send`` there raises ``BlockingIOError``
halfway through any message larger than the socket buffer, and ``Connection.recv`` cannot
resume a partly received one. Here the parent side writes and reads incrementally
(:class:`FrameReader`, :func:`encode` giving buffers to write piecewise), and the worker side,
which owns a blocking socket, uses :func:`send` and :func:`recv`.
"""

from __future__ import annotations

import pickle
import socket
import struct
from typing import Any

__all__ = (
    "HEADER",
    "MAX_FRAME",
    "FrameError",
    "FrameReader",
    "Undecodable",
    "encode",
    "recv",
    "send",
)

HEADER = struct.Struct("!Q")
MAX_FRAME = 1 << 30
"""Largest payload either side accepts (1 GiB): a corrupt length fails fast, not by OOM."""

_READ_CHUNK = 1 << 18


class FrameError(Exception):
    """A message cannot be framed: too large to send, or a received length over the limit
    (the stream is then out of step and must be closed)."""


class Undecodable:
    """Stands in for a frame whose payload did not unpickle; the stream itself is intact."""

    __slots__ = ("error",)

    def __init__(self, error: str) -> None:
        self.error = error

    def __repr__(self) -> str:
        return f"Undecodable({self.error!r})"


def encode(msg: Any) -> tuple[bytes, bytes]:
    """The header and payload of ``msg``, to be written in this order.

    Raises:
        FrameError: the pickle is larger than :data:`MAX_FRAME`.
        Exception: whatever ``pickle.dumps`` raises for an unpicklable ``msg``.
    """
    payload = pickle.dumps(msg, protocol=pickle.HIGHEST_PROTOCOL)
    if len(payload) > MAX_FRAME:
        raise FrameError(f"a message of {len(payload)} bytes is over the {MAX_FRAME} limit")
    return HEADER.pack(len(payload)), payload


def _decode(payload: bytes | bytearray | memoryview) -> Any:
    try:
        return pickle.loads(payload)
    except Exception as exc:
        return Undecodable(f"{type(exc).__name__}: {exc}")


class FrameReader:
    """Reassembles frames from chunks as they arrive, in any split.

    Once a header is read, the payload is received into one preallocated buffer: a large
    result costs one copy, and each chunk is O(its size), not O(what was received before).
    """

    __slots__ = ("_body", "_filled", "_head", "max_frame")

    def __init__(self, max_frame: int = MAX_FRAME) -> None:
        self.max_frame = max_frame
        self._head = bytearray()
        self._body: bytearray | None = None
        self._filled = 0

    @property
    def partial(self) -> bool:
        """True in the middle of a frame."""
        return bool(self._head) or self._body is not None

    def feed(self, data: bytes | bytearray | memoryview) -> list[Any]:
        """Consume ``data``; returns the messages it completed, in order (an
        :class:`Undecodable` for a payload that does not unpickle).

        Raises:
            FrameError: a length over ``max_frame``.
        """
        out: list[Any] = []
        view = memoryview(data)
        while view:
            if self._body is None:
                take = HEADER.size - len(self._head)
                self._head += view[:take]
                view = view[take:]
                if len(self._head) < HEADER.size:
                    break
                (length,) = HEADER.unpack(self._head)
                self._head.clear()
                if length > self.max_frame:
                    raise FrameError(f"frame of {length} bytes is over the {self.max_frame} limit")
                self._body = bytearray(length)
                self._filled = 0
            body = self._body
            take = min(len(body) - self._filled, len(view))
            body[self._filled : self._filled + take] = view[:take]
            self._filled += take
            view = view[take:]
            if self._filled == len(body):
                self._body = None
                out.append(_decode(body))
        return out


def send(sock: socket.socket, msg: Any) -> None:
    """Write one frame on a blocking socket (the worker's side)."""
    header, payload = encode(msg)
    sock.sendall(header)
    sock.sendall(payload)


def _recv_exact(sock: socket.socket, n: int) -> bytearray | None:
    buf = bytearray(n)
    view = memoryview(buf)
    got = 0
    while got < n:
        k = sock.recv_into(view[got:], min(n - got, _READ_CHUNK))
        if k == 0:
            return None
        got += k
    return buf


def recv(sock: socket.socket, max_frame: int = MAX_FRAME) -> Any:
    """Read one frame from a blocking socket (an :class:`Undecodable` for a bad payload).

    Raises:
        EOFError: the peer closed the socket (between frames or in the middle of one).
        FrameError: a length over ``max_frame``.
    """
    header = _recv_exact(sock, HEADER.size)
    if header is None:
        raise EOFError
    (length,) = HEADER.unpack(header)
    if length > max_frame:
        raise FrameError(f"frame of {length} bytes is over the {max_frame} limit")
    payload = _recv_exact(sock, length)
    if payload is None:
        raise EOFError
    return _decode(payload)
