"""httpx transports for upstream calls: aiohttp underneath, or httpcore with a cheaper pool.

Upstream clients keep httpx's API (every provider speaks it) over :class:`AiohttpTransport`:
aiohttp's connection handling costs about a third of httpcore's CPU per request, which is most
of what a pass-through gateway spends. The fetcher, which pins connections to checked
addresses with its own network backend, stays on httpcore through :class:`PinnedTransport`.

httpcore checks every pooled connection on every request (``has_expired`` asks the stream
``is_readable``). Through anyio each of those asks rebuilds the socket's attribute table,
including a ``getpeername()`` system call: a third of a gateway worker's CPU at 16 upstream
connections. :class:`CachedSocketStream` looks the raw socket up once per connection and
answers ``is_readable`` with one zero-timeout ``poll``. httpx's own transport takes no network
backend, so :class:`PinnedTransport` is an httpx transport of its own over an httpcore pool
built on ours, through public APIs only (httpcore's exceptions mapped to httpx's, as httpx
maps them).
"""

from __future__ import annotations

import contextlib
import select
import socket
import ssl
from collections.abc import AsyncIterator, Iterable, Iterator
from typing import Any

import aiohttp
import httpcore
import httpx

__all__ = ("AiohttpTransport", "CachedSocketStream", "CachingBackend", "PinnedTransport")


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


_HTTPCORE_TO_HTTPX: tuple[tuple[type[Exception], type[httpx.TransportError]], ...] = (
    # Most specific first: the first match is the one raised.
    (httpcore.ConnectTimeout, httpx.ConnectTimeout),
    (httpcore.ReadTimeout, httpx.ReadTimeout),
    (httpcore.WriteTimeout, httpx.WriteTimeout),
    (httpcore.PoolTimeout, httpx.PoolTimeout),
    (httpcore.TimeoutException, httpx.TimeoutException),
    (httpcore.ConnectError, httpx.ConnectError),
    (httpcore.ReadError, httpx.ReadError),
    (httpcore.WriteError, httpx.WriteError),
    (httpcore.NetworkError, httpx.NetworkError),
    (httpcore.ProxyError, httpx.ProxyError),
    (httpcore.UnsupportedProtocol, httpx.UnsupportedProtocol),
    (httpcore.LocalProtocolError, httpx.LocalProtocolError),
    (httpcore.RemoteProtocolError, httpx.RemoteProtocolError),
    (httpcore.ProtocolError, httpx.ProtocolError),
)


@contextlib.contextmanager
def _httpx_errors() -> Iterator[None]:
    """httpcore's exceptions as httpx's; anything else (a network backend's own refusal)
    passes through unchanged."""
    try:
        yield
    except Exception as exc:
        for source, target in _HTTPCORE_TO_HTTPX:
            if isinstance(exc, source):
                raise target(str(exc)) from exc
        raise


class _PoolStream(httpx.AsyncByteStream):
    """An httpcore response body as an httpx stream."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    async def __aiter__(self) -> AsyncIterator[bytes]:
        with _httpx_errors():
            async for part in self._stream:
                yield part

    async def aclose(self) -> None:
        close = getattr(self._stream, "aclose", None)
        if close is not None:
            await close()


class PinnedTransport(httpx.AsyncBaseTransport):
    """An httpx transport over an httpcore connection pool on our network backend.

    ``backend`` (default: httpcore's anyio backend) decides where connections go (the fetcher's
    passes only checked addresses); it is wrapped in :class:`CachingBackend`. The pool has the
    settings httpx would give it: ``limits``, TLS verification without environment overrides,
    HTTP/1.1.
    """

    def __init__(
        self, limits: httpx.Limits, backend: httpcore.AsyncNetworkBackend | None = None
    ) -> None:
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=CachingBackend(backend),
        )

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        assert isinstance(request.stream, httpx.AsyncByteStream)
        core_request = httpcore.Request(
            method=request.method,
            url=httpcore.URL(
                scheme=request.url.raw_scheme,
                host=request.url.raw_host,
                port=request.url.port,
                target=request.url.raw_path,
            ),
            headers=request.headers.raw,
            content=request.stream,
            extensions=request.extensions,
        )
        with _httpx_errors():
            response = await self._pool.handle_async_request(core_request)
        return httpx.Response(
            status_code=response.status,
            headers=response.headers,
            stream=_PoolStream(response.stream),
            extensions=response.extensions,
        )

    async def aclose(self) -> None:
        await self._pool.aclose()


class _AiohttpStream(httpx.AsyncByteStream):
    """An aiohttp response body as an httpx stream; closing it mid-body drops the connection."""

    def __init__(self, response: Any, request: httpx.Request) -> None:
        self._response = response
        self._request = request

    async def __aiter__(self) -> Any:
        try:
            async for chunk in self._response.content.iter_any():
                yield chunk
        except TimeoutError as exc:
            raise httpx.ReadTimeout(str(exc) or "read timed out", request=self._request) from exc
        except aiohttp.ClientError as exc:
            raise httpx.ReadError(str(exc) or type(exc).__name__, request=self._request) from exc

    async def aclose(self) -> None:
        # A body read to the end goes back to the pool; anything else (a client that hung up
        # mid-stream) closes the upstream connection, so the upstream sees the disconnect.
        if self._response.content.at_eof():
            self._response.release()
        else:
            self._response.close()


class AiohttpTransport(httpx.AsyncBaseTransport):
    """An httpx transport that sends requests with an aiohttp session (created lazily, on the
    event loop that first uses it). Timeouts come from httpx's request extensions; aiohttp
    failures become the httpx exceptions callers already handle."""

    def __init__(self, limits: httpx.Limits) -> None:
        self._limits = limits
        self._session: Any = None

    def _open(self) -> Any:
        connector = aiohttp.TCPConnector(
            limit=self._limits.max_connections or 0,
            limit_per_host=0,
            keepalive_timeout=self._limits.keepalive_expiry or 15.0,
            ssl=ssl.create_default_context(),
        )
        # No decompression here: httpx's Response decodes per Content-Encoding itself.
        return aiohttp.ClientSession(
            connector=connector,
            auto_decompress=False,
            trust_env=False,
            cookie_jar=aiohttp.DummyCookieJar(),
        )

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self._session is None:
            self._session = self._open()
        t = request.extensions.get("timeout", {})
        timeout = aiohttp.ClientTimeout(
            total=None,
            connect=t.get("pool"),
            sock_connect=t.get("connect"),
            sock_read=t.get("read"),
        )
        stream = request.stream
        body: Any = request.content if isinstance(stream, httpx.ByteStream) else stream
        try:
            response = await self._session.request(
                request.method,
                str(request.url),
                data=body if body != b"" else None,
                headers=list(request.headers.multi_items()),
                skip_auto_headers=_SKIP_AUTO,
                allow_redirects=False,
                compress=None,
                timeout=timeout,
            )
        except TimeoutError as exc:
            raise httpx.ConnectTimeout(str(exc) or "timed out", request=request) from exc
        except aiohttp.ClientConnectorError as exc:
            raise httpx.ConnectError(str(exc), request=request) from exc
        except aiohttp.ServerDisconnectedError as exc:
            raise httpx.RemoteProtocolError(
                str(exc) or "server disconnected", request=request
            ) from exc
        except aiohttp.ClientError as exc:
            raise httpx.NetworkError(str(exc) or type(exc).__name__, request=request) from exc
        return httpx.Response(
            response.status,
            headers=response.raw_headers,
            stream=_AiohttpStream(response, request),
            extensions={"http_version": b"HTTP/1.1"},
            request=request,
        )

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


# httpx already sets these; aiohttp must not add its own on top.
_SKIP_AUTO = ("User-Agent", "Accept", "Accept-Encoding", "Content-Type")
