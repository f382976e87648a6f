"""A real HTTP server on 127.0.0.1 for fake upstreams, run by uvicorn in a thread.

Each fake upstream subclasses :class:`FakeUpstream` and implements ``handle``; the server records
every request (method, path, query, headers, body) so tests can assert what the gateway sent.
Tests can queue scripted replies (``server.script.append(Reply(503, ...))``) that are answered
before ``handle`` runs: errors, slow answers, malformed JSON.
"""

from __future__ import annotations

import asyncio
import io
import json
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import uvicorn
from multipart import MultipartParser, parse_options_header

__all__ = ("FakeUpstream", "Part", "Recorded", "Reply", "TcpProbe", "read_request")


@dataclass
class Part:
    """One multipart/form-data part."""

    name: str
    filename: str | None
    content_type: str | None
    data: bytes


@dataclass
class Recorded:
    """A request as the fake upstream received it."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    """Lower-cased names."""
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    def form(self) -> dict[str, Part]:
        """The multipart parts by field name."""
        ctype, opts = parse_options_header(self.headers.get("content-type", ""))
        assert ctype == "multipart/form-data", ctype
        parser = MultipartParser(io.BytesIO(self.body), opts["boundary"])
        return {p.name: Part(p.name, p.filename, p.content_type, p.raw) for p in parser.parts()}


@dataclass
class Reply:
    """What the fake answers; ``body`` may be bytes, str or any JSON-able value."""

    status: int = 200
    body: Any = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    """Seconds to wait before answering (timeouts)."""

    def encoded(self) -> tuple[bytes, dict[str, str]]:
        headers = dict(self.headers)
        if isinstance(self.body, bytes):
            return self.body, headers
        if isinstance(self.body, str):
            headers.setdefault("content-type", "text/plain; charset=utf-8")
            return self.body.encode(), headers
        headers.setdefault("content-type", "application/json")
        return json.dumps(self.body).encode(), headers


async def read_request(scope: Any, receive: Any) -> Recorded:
    """Read a whole ASGI HTTP request into a :class:`Recorded`."""
    assert scope["type"] == "http"
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            break
    return Recorded(
        method=scope["method"],
        path=scope["path"],
        query=dict(parse_qsl(scope["query_string"].decode(), keep_blank_values=True)),
        headers={k.decode().lower(): v.decode() for k, v in scope["headers"]},
        body=b"".join(chunks),
    )


class FakeUpstream:
    """Base of the fake upstreams: an ASGI app plus its uvicorn thread."""

    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self.script: list[Reply] = []
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.port = 0

    # --- to override ------------------------------------------------------------------------

    async def handle(self, req: Recorded) -> Reply:
        return Reply(404, {"detail": "Not Found"})

    # --- ASGI --------------------------------------------------------------------------------

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        req = await read_request(scope, receive)
        self.requests.append(req)
        reply = self.script.pop(0) if self.script else await self.handle(req)
        if reply.delay:
            await asyncio.sleep(reply.delay)
        body, headers = reply.encoded()
        await send(
            {
                "type": "http.response.start",
                "status": reply.status,
                "headers": [(k.encode(), v.encode()) for k, v in headers.items()],
            }
        )
        await send({"type": "http.response.body", "body": body})

    # --- lifecycle ---------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def reset(self) -> None:
        self.requests.clear()
        self.script.clear()

    def start(self) -> FakeUpstream:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(
            self,
            log_level="warning",
            access_log=False,
            lifespan="off",
            ws="none",
            http="h11",
            loop="asyncio",
            timeout_graceful_shutdown=1,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("fake upstream did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._server.force_exit = True
            self._thread.join(10)
            self._server = None


class TcpProbe:
    """A bare listening socket that tells whether anything connected to it.

    The kernel completes TCP handshakes into the listen backlog even if nobody accepts, so a
    non-blocking ``accept`` after the test shows every connection that was made.
    """

    def __init__(self) -> None:
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(16)
        self._sock.setblocking(False)
        self.port: int = self._sock.getsockname()[1]

    def connections(self) -> int:
        n = 0
        while True:
            try:
                conn, _ = self._sock.accept()
            except BlockingIOError:
                return n
            conn.close()
            n += 1

    def close(self) -> None:
        self._sock.close()


def running(factory: Callable[[], FakeUpstream]) -> Any:
    """Start ``factory()`` and yield it; for module-scoped fixtures."""
    server = factory().start()
    try:
        yield server
    finally:
        server.stop()
