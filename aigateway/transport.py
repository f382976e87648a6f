"""httpx transports with a cheaper connection pool (one builder for every upstream client).

httpcore checks every pooled connection on every request (``has_expired`` asks the stream
``is_readable``). Through anyio each of those asks rebuilds the socket's attribute table,
including a ``getpeername()`` system call: a third of a gateway worker's CPU at 16 upstream
connections. :class:`CachedSocketStream` looks the raw socket up once per connection and
answers ``is_readable`` with one zero-timeout ``poll``. httpx takes no network backend, so
:func:`pooled_transport` swaps the pool httpx built for one with the same settings on ours.
"""

from __future__ import annotations

import select
import socket
import ssl
from collections.abc import Iterable
from typing import Any

import httpcore
import httpx

__all__ = ("CachedSocketStream", "CachingBackend", "pooled_transport")


def _readable(sock: socket.socket | None) -> bool:
    # A readable idle keep-alive connection means the peer closed it (or sent junk): expired.
    if sock is None or sock.fileno() < 0:
        return True
    try:
        poller = select.poll()
        poller.register(sock, select.POLLIN)
        return bool(poller.poll(0))
    except (OSError, ValueError):
        return True


class CachedSocketStream(httpcore.AsyncNetworkStream):
    """Delegates to httpcore's stream, answering socket questions from a cached socket."""

    def __init__(self, inner: httpcore.AsyncNetworkStream) -> None:
        self._inner = inner
        self._sock: socket.socket | None = inner.get_extra_info("socket")

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:  # noqa: ASYNC109
        return await self._inner.read(max_bytes, timeout)

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:  # noqa: ASYNC109
        await self._inner.write(buffer, timeout)

    async def aclose(self) -> None:
        await self._inner.aclose()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's signature
    ) -> httpcore.AsyncNetworkStream:
        return CachedSocketStream(
            await self._inner.start_tls(ssl_context, server_hostname, timeout)
        )

    def get_extra_info(self, info: str) -> Any:
        if info == "is_readable":
            return _readable(self._sock)
        if info == "socket":
            return self._sock
        return self._inner.get_extra_info(info)


class CachingBackend(httpcore.AsyncNetworkBackend):
    """Wraps a network backend (default: httpcore's anyio one) in :class:`CachedSocketStream`."""

    def __init__(self, inner: httpcore.AsyncNetworkBackend | None = None) -> None:
        self._inner = inner if inner is not None else httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's signature
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        stream = await self._inner.connect_tcp(host, port, timeout, local_address, socket_options)
        return CachedSocketStream(stream)

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's signature
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        stream = await self._inner.connect_unix_socket(path, timeout, socket_options)
        return CachedSocketStream(stream)

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


def pooled_transport(
    limits: httpx.Limits, backend: httpcore.AsyncNetworkBackend | None = None
) -> httpx.AsyncHTTPTransport:
    """An httpx transport whose pool runs on ``backend`` wrapped in :class:`CachingBackend`."""
    transport = httpx.AsyncHTTPTransport(limits=limits, trust_env=False)
    # Same settings httpx used for the pool it built, plus our backend.
    transport._pool = httpcore.AsyncConnectionPool(
        ssl_context=httpx.create_ssl_context(trust_env=False),
        max_connections=limits.max_connections,
        max_keepalive_connections=limits.max_keepalive_connections,
        keepalive_expiry=limits.keepalive_expiry,
        network_backend=CachingBackend(backend),
    )
    return transport
