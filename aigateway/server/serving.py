"""Connection guards of ``aigateway serve``: a header-read timeout and a connection cap.

uvicorn (httptools) bounds the idle time *between* requests (``timeout_keep_alive``) but not the
time a client takes to send a request's line and headers, and it accepts connections without
limit: a slowloris client that opens thousands of sockets and trickles one header byte now and
then holds them all, forever, and with them the process's file descriptors. Two guards close
that hole, both in :class:`GuardedHttpToolsProtocol`, uvicorn's httptools protocol plus:

- ``[server] header_timeout``: a request's head (request line and headers) must be complete
  this many seconds after the connection opens, or after the first byte of a later request on a
  kept-alive connection. Otherwise the gateway answers ``408`` (when no response is in
  progress) and closes the connection. Bodies are not covered: they are read by the endpoint,
  under the upload caps, after authentication.
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
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self.header_timeout = header_timeout
        self.max_connections = max_connections
        self._head_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if self.max_connections and len(self.connections) > self.max_connections:
            transport.write(_FULL_RESPONSE)
            transport.close()
            return
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if self._head_timer is None:  # a later request on a kept-alive connection
            self._arm()

    def on_headers_complete(self) -> None:
        self._disarm()
        super().on_headers_complete()

    def _arm(self) -> None:
        self._head_timer = self.loop.call_later(self.header_timeout, self._head_timed_out)

    def _disarm(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if self.transport.is_closing():
            return
        if self.cycle is None or self.cycle.response_complete:
            # Never inside a response still being written (a pipelined request's head).
            self.transport.write(_TIMEOUT_RESPONSE)
        self.transport.close()


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
        max_connections=connection_cap(server.max_connections),
    )
    return {"http": protocol}
