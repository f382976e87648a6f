"""The one owner of an app's HTTP clients: pooled clients for upstreams, and the fetcher.

Providers never build clients themselves: they ask :class:`UpstreamClients` (through their
feature's registry), which creates each client with explicit timeouts and limits on the
aiohttp transport, hands out the one safe :class:`~aigateway.upstream.fetch.Fetcher` for
document URLs, and closes them all when the app stops. One instance per app: no module-level
state.
"""

from __future__ import annotations

import httpx

from ..config import FetchConfig
from ..tracing import Tracer
from .fetch import Fetcher
from .transport import AiohttpTransport

__all__ = ("UpstreamClients",)


class UpstreamClients:
    """HTTP clients and the fetcher of one app, closed together by :meth:`aclose`."""

    def __init__(self, fetch: FetchConfig, tracer: Tracer | None = None) -> None:
        """``tracer`` (tracing on) wraps every upstream client's transport: a client span per
        request, and the ``traceparent`` header the upstream receives."""
        self._fetch = fetch
        self.tracer = tracer
        self._clients: list[httpx.AsyncClient] = []
        self._fetcher: Fetcher | None = None

    def http_client(
        self,
        *,
        base_url: str,
        timeout: float,
        headers: dict[str, str] | None = None,
        max_connections: int = 100,
    ) -> httpx.AsyncClient:
        """A pooled client for one upstream with explicit timeouts; closed in :meth:`aclose`.

        ``trust_env`` is off: a proxy variable in the server's environment must not silently
        reroute upstream traffic (and its credentials).
        """
        limits = httpx.Limits(
            max_connections=max_connections,
            max_keepalive_connections=max_connections,
            keepalive_expiry=30.0,
        )
        transport: httpx.AsyncBaseTransport = AiohttpTransport(limits)
        if self.tracer is not None:
            transport = self.tracer.transport(transport)
        client = httpx.AsyncClient(
            base_url=base_url,
            timeout=httpx.Timeout(timeout, connect=min(10.0, timeout)),
            transport=transport,
            headers=headers,
            trust_env=False,
            follow_redirects=False,
        )
        self._clients.append(client)
        return client

    @property
    def fetcher(self) -> Fetcher:
        """The safe downloader for document URLs (created on first use)."""
        if self._fetcher is None:
            self._fetcher = Fetcher(self._fetch)
        return self._fetcher

    async def aclose(self) -> None:
        """Close every client and the fetcher."""
        for client in self._clients:
            await client.aclose()
        self._clients.clear()
        if self._fetcher is not None:
            await self._fetcher.aclose()
            self._fetcher = None
