"""The pooled transport: the socket is looked up once, dead keep-alive connections are noticed."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import httpcore
import httpx

from aigateway.upstream.transport import CachedSocketStream, PinnedTransport


class _CountingStream(httpcore.AsyncNetworkStream):
    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.lookups = 0

    def get_extra_info(self, info: str) -> Any:
        self.lookups += 1
        return self.sock if info == "socket" else None


def test_socket_looked_up_once_and_readability_polled() -> None:
    a, b = socket.socketpair()
    try:
        inner = _CountingStream(a)
        stream = CachedSocketStream(inner)
        assert [stream.get_extra_info("is_readable") for _ in range(100)] == [False] * 100
        b.sendall(b"x")  # the peer spoke (or closed): an idle connection is then unusable
        assert stream.get_extra_info("is_readable") is True
        assert inner.lookups == 1
    finally:
        a.close()
        b.close()


async def test_connection_closed_by_the_server_is_not_reused() -> None:
    connections = 0

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        await reader.readuntil(b"\r\n\r\n")
        # Keep-alive announced, then closed anyway: the pool must notice before reusing it.
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    limits = httpx.Limits(max_connections=4, max_keepalive_connections=4)
    async with httpx.AsyncClient(transport=PinnedTransport(limits)) as client:
        for _ in range(3):
            resp = await client.get(f"http://127.0.0.1:{port}/")
            assert resp.text == "ok"
            await asyncio.sleep(0.05)
    server.close()
    await server.wait_closed()
    assert connections == 3


async def test_aiohttp_transport_maps_failures_to_httpx_errors() -> None:
    import pytest

    from aigateway.upstream.transport import AiohttpTransport

    release = asyncio.Event()

    async def slow(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await reader.readuntil(b"\r\n\r\n")
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc")
            await writer.drain()
            await release.wait()  # the rest never comes in time
        finally:
            writer.close()

    server = await asyncio.start_server(slow, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed_port = s.getsockname()[1]  # nothing listens here once the socket is closed
    limits = httpx.Limits(max_connections=4)
    async with httpx.AsyncClient(transport=AiohttpTransport(limits), timeout=0.3) as client:
        with pytest.raises(httpx.ConnectError):
            await client.get(f"http://127.0.0.1:{closed_port}/")
        with pytest.raises(httpx.ReadTimeout):
            await client.get(f"http://127.0.0.1:{port}/")
    release.set()
    await asyncio.sleep(0.05)
    server.close()
    await server.wait_closed()


async def test_aiohttp_transport_closes_the_connection_of_an_abandoned_body() -> None:
    from aigateway.upstream.transport import AiohttpTransport

    disconnected = asyncio.Event()

    async def streaming(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n")
        await writer.drain()
        if await reader.read(1) == b"":  # EOF: the client closed the connection
            disconnected.set()
        writer.close()

    server = await asyncio.start_server(streaming, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with httpx.AsyncClient(transport=AiohttpTransport(httpx.Limits())) as client:
        async with client.stream("GET", f"http://127.0.0.1:{port}/") as resp:
            async for chunk in resp.aiter_raw():
                assert chunk == b"abc"
                break
        await asyncio.wait_for(disconnected.wait(), 5)
    server.close()
    await server.wait_closed()
