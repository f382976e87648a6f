"""The per-app runtime: settings, registry, keys, services and the logger, built once.

Nothing here is module-level: :func:`aigateway.create_app` builds one :class:`Gateway` per app,
so two apps with two configs live side by side in one process.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .auth import KeyStore, Tenant
from .chat.service import ChatService
from .config import RouteConfig, Settings
from .limits import effective_upload_limit
from .observability import make_logger
from .ocr.service import OcrService
from .quotas import Quotas
from .registry import Registry
from .state import make_backend
from .usage import MemoryUsage, UsageStore

__all__ = ("Gateway", "RouteContext")


@dataclass(frozen=True)
class RouteContext:
    """One configured route: its refs and upload cap, resolved from config."""

    config: RouteConfig
    ocr_refs: tuple[str, ...]
    chat_refs: tuple[str, ...]
    max_size_upload: int

    @property
    def name(self) -> str:
        """A label for logs and metrics."""
        return f"{self.config.plugin}:{self.config.path}"

    def upload_limit(self, tenant: Tenant) -> int:
        """Decoded-bytes cap for ``tenant`` on this route."""
        return effective_upload_limit(self.max_size_upload, tenant)


class Gateway:
    """Everything one app needs at request time."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.keys = KeyStore(settings)
        self.registry = Registry(settings)
        self.ocr = OcrService(self.registry)
        self.usage: UsageStore = MemoryUsage()
        self.chat = ChatService(self.registry, self.usage)
        self.logger: Any = make_logger(settings.logging)
        self.state = make_backend(settings.state)
        self.quotas = Quotas(self.state, settings.state, self.logger)
        self.routes = [self._route(r) for r in settings.routes]
        self._started = False

    def _route(self, r: RouteConfig) -> RouteContext:
        ocr_refs = r.refs if r.plugin == "ocr" else r.ocr_model_refs
        return RouteContext(
            config=r,
            ocr_refs=tuple(ocr_refs),
            chat_refs=tuple(r.chat_model_refs),
            max_size_upload=r.max_size_upload or self.settings.limits.max_size_upload,
        )

    def authenticate(self, headers: Any) -> Tenant:
        """The caller's tenant from ``Authorization`` / ``x-api-key`` (401 otherwise)."""
        return self.keys.authenticate(headers.get("authorization"), headers.get("x-api-key"))

    async def start(self) -> None:
        """Warm providers up (run by the app lifespan; embedded apps may skip it)."""
        if not self._started:
            self._started = True
            await self.registry.start()

    async def aclose(self) -> None:
        """Close clients and pools (run by the app lifespan, or by an embedding host)."""
        await self.registry.aclose()
        await self.state.aclose()
        self._started = False
