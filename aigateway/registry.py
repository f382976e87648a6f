"""Entities from config, and the shared resources they use.

The registry is the only place that creates httpx clients and the local OCR worker pool; one
registry per app (no module-level state), opened and closed by the app lifespan. Provider
classes are found by name and imported on first use, so an optional engine's dependencies are
only needed when a config names it.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import httpx

from .config import Settings
from .errors import ConfigError
from .transport import AiohttpTransport

if TYPE_CHECKING:
    from .fetch import Fetcher
    from .ocr.providers.base import OcrProvider

__all__ = ("CHAT_PROVIDERS", "OCR_PROVIDERS", "Registry")

OCR_PROVIDERS: dict[str, str] = {
    "local": "aigateway.ocr.providers.local:LocalOcrProvider",
    "mistral": "aigateway.ocr.providers.mistral:MistralOcrProvider",
    "alphaedge": "aigateway.ocr.providers.alphaedge:AlphaEdgeOcrProvider",
    "openai_vision": "aigateway.ocr.providers.openai_vision:OpenAIVisionOcrProvider",
    "azure_docintel": "aigateway.ocr.providers.azure_docintel:AzureDocIntelOcrProvider",
}

CHAT_PROVIDERS: dict[str, str] = {
    "openai": "aigateway.chat.providers.openai:OpenAIChatProvider",
}


def _load(spec: str, what: str) -> Any:
    module_name, _, attr = spec.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ConfigError(
            f"{what}: provider module {module_name} cannot be imported: {exc}"
        ) from exc
    return getattr(module, attr)


class Registry:
    """OCR and chat entities of one app, with the clients and pools they share."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._clients: list[httpx.AsyncClient] = []
        self._pool: Any = None
        self.pool_events: Callable[[str, str], None] | None = None
        """Hears the local OCR pool's ``(kind, detail)`` events (restarts, retries)."""
        self._fetcher: Fetcher | None = None
        self.ocr: dict[str, OcrProvider] = {}
        self.chat: dict[str, Any] = {}
        for i, entity in enumerate(settings.ocr_models):
            cls = _load(OCR_PROVIDERS[entity.provider], f"{settings.source}: $.ocr_models[{i}]")
            self.ocr[entity.id] = cls(entity, self)
        for i, chat in enumerate(settings.chat_models):
            cls = _load(CHAT_PROVIDERS[chat.provider], f"{settings.source}: $.chat_models[{i}]")
            self.chat[chat.id] = cls(chat, self)

    # --- resources lent to providers ------------------------------------------------------------

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
        client = httpx.AsyncClient(
            base_url=base_url,
            timeout=httpx.Timeout(timeout, connect=min(10.0, timeout)),
            transport=AiohttpTransport(limits),
            headers=headers,
            trust_env=False,
            follow_redirects=False,
        )
        self._clients.append(client)
        return client

    def ocr_pool(self) -> Any:
        """The local OCR worker pool, created on first use (workers start lazily)."""
        if self._pool is None:
            from .ocr.engine.pool import OcrPool

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

    @property
    def fetcher(self) -> Fetcher:
        """The safe downloader for document URLs."""
        if self._fetcher is None:
            from .fetch import Fetcher

            self._fetcher = Fetcher(self.settings.fetch)
        return self._fetcher

    # --- lifecycle ------------------------------------------------------------------------------

    async def start(self) -> None:
        """Warm every provider up (the local pool starts its workers here)."""
        for provider in self.ocr.values():
            await provider.start()
        for chat in self.chat.values():
            start = getattr(chat, "start", None)
            if start is not None:
                await start()

    async def aclose(self) -> None:
        """Close providers, clients, the fetcher and the pool."""
        for provider in self.ocr.values():
            await provider.aclose()
        for chat in self.chat.values():
            close = getattr(chat, "aclose", None)
            if close is not None:
                await close()
        for client in self._clients:
            await client.aclose()
        self._clients.clear()
        if self._fetcher is not None:
            await self._fetcher.aclose()
            self._fetcher = None
        if self._pool is not None:
            await self._pool.aclose()
            self._pool = None
