"""Connection guards of ``aigateway serve``: header and body read timeouts and a connection cap.

uvicorn (httptools) bounds the idle time *between* requests (``timeout_keep_alive``) but not the
time a client takes to send a request's line and headers, and it accepts connections without
limit: a slowloris client that opens thousands of sockets and trickles one header byte now and
then holds them all, forever, and with them the process's file descriptors. Two guards close
that hole, all in :class:`GuardedHttpToolsProtocol`, uvicorn's httptools protocol plus:

- ``[server] header_timeout``: a request's head (request line and headers) must be complete
  this many seconds after the connection opens, or after the first byte of a later request on a
  kept-alive connection. Otherwise the gateway answers ``408`` (when no response is in
  progress) and closes the connection.
- ``[server] body_timeout``: a request's body may go this many seconds without a byte
  arriving while the server is reading it (a client trickling a byte now and then held its
  tenant's admission slot for as long as it liked). Then ``408`` and the connection is
  closed. Time the server itself is not reading (its buffer full, the endpoint busy) does not
  count.
- ``[server] max_connections``: open connections per server process. A connection beyond it
  is answered ``503`` with the error envelope and closed at once, before anything is parsed,
  so the process keeps descriptors for upstream calls, spooled uploads and the OCR pool. The
  value is clamped to the process's open-file limit minus a reserve.

:func:`server_options` turns ``[server]`` into keyword arguments for ``uvicorn.run`` (a
picklable factory, so ``--workers N`` processes get the same guards).
"""

from __future__ import annotations

import asyncio
import functools
import resource
from collections.abc import Callable
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from ..config import ServerConfig
from ..errors import BadRequestError, GatewayError, ServiceUnavailableError, error_body

__all__ = ("FD_RESERVE", "GuardedHttpToolsProtocol", "connection_cap", "server_options")

FD_RESERVE = 128
"""File descriptors kept out of ``max_connections`` (upstreams, spooled files, OCR workers)."""


def _canned(status: str, exc: GatewayError, headers: dict[str, str] | None = None) -> bytes:
    body = error_body(exc)
    head = [
        f"HTTP/1.1 {status}",
        "content-type: application/json",
        f"content-length: {len(body)}",
        "connection: close",
        *(f"{k}: {v}" for k, v in (headers or {}).items()),
    ]
    return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body


_TIMEOUT_RESPONSE = _canned(
    "408 Request Timeout",
    BadRequestError(
        "the request line and headers did not arrive in time (header_timeout)",
        code="request_timeout",
        status=408,
    ),
)
_BODY_TIMEOUT_RESPONSE = _canned(
    "408 Request Timeout",
    BadRequestError(
        "the request body stopped arriving (body_timeout)", code="request_timeout", status=408
    ),
)
_FULL_RESPONSE = _canned(
    "503 Service Unavailable",
    ServiceUnavailableError(
        "this server has as many connections open as it accepts (max_connections); retry",
        code="too_many_connections",
    ),
    {"retry-after": "1"},
)


class GuardedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with a header-read timeout and a connection cap."""

    def __init__(
        self,
        config: Any,
        server_state: Any,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
        *,
        header_timeout: float,
        max_connections: int,
        body_timeout: float = 0.0,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self.header_timeout = header_timeout
        self.body_timeout = body_timeout
        self.max_connections = max_connections
        self._head = _Timer()
        self._body = _Timer()

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if self.max_connections and len(self.connections) > self.max_connections:
            transport.write(_FULL_RESPONSE)
            transport.close()
            return
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        self._body_done()
        super().connection_lost(exc)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if not self._head.pending:  # a later request on a kept-alive connection
            self._arm()

    def on_headers_complete(self) -> None:
        self._disarm()
        super().on_headers_complete()
        self._body_wait()

    def on_body(self, body: bytes) -> None:
        super().on_body(body)
        self._body_wait()

    def on_message_complete(self) -> None:
        self._body_done()
        super().on_message_complete()

    def _body_wait(self) -> None:
        """(Re)start the wait for the body's next bytes."""
        if self.body_timeout > 0:
            # Starting the timer again replaces its last wait.
            self._body.start(self.loop, self.body_timeout, self._body_timed_out)

    def _body_done(self) -> None:
        self._body.stop()

    def _body_timed_out(self) -> None:
        if self.transport.is_closing():
            return
        if self.flow.read_paused or getattr(self.cycle, "waiting_for_100_continue", False):
            # The server is not reading, or the client waits for its ``100 Continue`` (sent
            # when the endpoint first reads): the client cannot be late.
            self._body_wait()
            return
        if self.cycle is not None and not self.cycle.response_started:
            self.transport.write(_BODY_TIMEOUT_RESPONSE)
        self.transport.close()

    def _arm(self) -> None:
        self._head.start(self.loop, self.header_timeout, self._head_timed_out)

    def _disarm(self) -> None:
        self._head.stop()

    def _head_timed_out(self) -> None:
        if self.transport.is_closing():
            return
        if self.cycle is None or self.cycle.response_complete:
            # Never inside a response still being written (a pipelined request's head).
            self.transport.write(_TIMEOUT_RESPONSE)
        self.transport.close()


class _Timer:
    """One pending ``call_later`` of a connection (the head's or the body's wait): starting it
    again replaces the last, and it knows whether it is still pending."""

    __slots__ = ("_handle",)

    def __init__(self) -> None:
        self._handle: asyncio.TimerHandle | None = None

    @property
    def pending(self) -> bool:
        return self._handle is not None

    def start(
        self, loop: asyncio.AbstractEventLoop, delay: float, callback: Callable[[], None]
    ) -> None:
        self.stop()
        self._handle = loop.call_later(delay, self._fire, callback)

    def stop(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None

    def _fire(self, callback: Callable[[], None]) -> None:
        self._handle = None
        callback()


def connection_cap(configured: int) -> int:
    """``max_connections`` clamped to the open-file limit less :data:`FD_RESERVE` (0: no cap)."""
    if configured <= 0:
        return 0
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return configured
    return max(1, min(configured, soft - FD_RESERVE))


def server_options(server: ServerConfig) -> dict[str, Any]:
    """Keyword arguments for ``uvicorn.run`` that install the guards of ``server``."""
    protocol = functools.partial(
        GuardedHttpToolsProtocol,
        header_timeout=server.header_timeout,
        body_timeout=server.body_timeout,
        max_connections=connection_cap(server.max_connections),
    )
    return {"http": protocol}
