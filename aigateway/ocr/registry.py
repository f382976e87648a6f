"""The OCR entities of one app, built from ``[[ocr_models]]``, and what they share.

Each entity's ``provider`` names its adapter class: a built-in one (:data:`BUILTIN_PROVIDERS`,
found by convention as the ``PROVIDER`` class of module ``aigateway.ocr.providers.<name>``,
imported on first use so an optional engine's dependencies are needed only when a config names
it) or one the app was given (``create_app(..., ocr_providers={"name": cls})``: tests and
embedders add or replace adapters per app, without touching module state).

Providers borrow HTTP clients and the fetcher from the app's one
:class:`~aigateway.upstream.clients.UpstreamClients`; the registry owns the local OCR worker
pool (created on first use), and closes providers and pool with :meth:`OcrRegistry.aclose`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any

import httpx

from ..config import Settings
from ..tracing import Tracer
from ..upstream.adapters import adapter_class
from ..upstream.clients import UpstreamClients
from ..upstream.fetch import Fetcher
from .providers.base import OcrProvider

__all__ = ("BUILTIN_PROVIDERS", "OcrRegistry", "builtin_provider")

BUILTIN_PROVIDERS: tuple[str, ...] = (
    "local",
    "mistral",
    "alphaedge",
    "openai_vision",
    "azure_docintel",
)
"""The OCR providers that ship with the gateway (``[[ocr_models]] provider = "<name>"``)."""


def builtin_provider(name: str) -> type[OcrProvider]:
    """The adapter class of built-in provider ``name`` (imported now).

    Raises:
        ImportError: its module (or an optional dependency of it) cannot be imported.
    """
    module = importlib.import_module(f"{__package__}.providers.{name}")
    cls: type[OcrProvider] = module.PROVIDER
    return cls


class OcrRegistry:
    """OCR entities of one app, with the worker pool and clients they use.

    Implements :class:`~aigateway.ocr.providers.base.ProviderContext` for its providers.
    """

    def __init__(
        self,
        settings: Settings,
        clients: UpstreamClients | None = None,
        *,
        providers: Mapping[str, type[OcrProvider]] | None = None,
    ) -> None:
        """Build every ``[[ocr_models]]`` entity (their options are validated here).

        ``clients`` are the app's; without them the registry makes its own and closes them.
        ``providers`` adds adapter classes by name, or replaces built-in ones, for this app.

        Raises:
            ConfigError: an unknown provider or bad options (naming the key path).
        """
        self.settings = settings
        self._owns_clients = clients is None
        self.clients = clients if clients is not None else UpstreamClients(settings.fetch)
        self._pool: Any = None
        self.pool_events: Callable[[str, str], None] | None = None
        """Hears the local OCR pool's ``(kind, detail)`` events (restarts, retries)."""
        self.providers: dict[str, OcrProvider] = {}
        extra = dict(providers or {})
        for i, entity in enumerate(settings.ocr_models):
            where = f"{settings.source}: $.ocr_models[{i}]"
            cls = adapter_class(
                entity.provider,
                given=extra,
                builtin=BUILTIN_PROVIDERS,
                load=builtin_provider,
                kind="OCR",
                where=where,
            )
            self.providers[entity.id] = cls(entity, self)

    # --- resources lent to providers ------------------------------------------------------------

    def http_client(
        self,
        *,
        base_url: str,
        timeout: float,
        headers: dict[str, str] | None = None,
        max_connections: int = 100,
    ) -> httpx.AsyncClient:
        """A pooled client for one upstream, from the app's clients (closed with them)."""
        return self.clients.http_client(
            base_url=base_url, timeout=timeout, headers=headers, max_connections=max_connections
        )

    @property
    def fetcher(self) -> Fetcher:
        """The safe downloader for document URLs."""
        return self.clients.fetcher

    @property
    def tracer(self) -> Tracer | None:
        """The app's tracer (``None``: tracing is off), for spans timed elsewhere (pages)."""
        return self.clients.tracer

    def ocr_pool(self) -> Any:
        """The local OCR worker pool, created on first use (workers start lazily)."""
        if self._pool is None:
            from .engine.pool import OcrPool

            self._pool = OcrPool(
                self.settings.ocr_pool, self.settings.limits, on_event=self._pool_event
            )
        return self._pool

    @property
    def pool(self) -> Any:
        """The local OCR worker pool if one was created (``None`` without a local entity)."""
        return self._pool

    def _pool_event(self, kind: str, detail: str) -> None:
        if self.pool_events is not None:
            self.pool_events(kind, detail)

    # --- lifecycle ------------------------------------------------------------------------------

    async def start(self) -> None:
        """Warm every provider up (the local pool starts its workers here)."""
        for provider in self.providers.values():
            await provider.start()

    async def aclose(self) -> None:
        """Close providers and the pool (and the clients, when the registry made them)."""
        for provider in self.providers.values():
            await provider.aclose()
        if self._owns_clients:
            await self.clients.aclose()
        if self._pool is not None:
            await self._pool.aclose()
            self._pool = None
