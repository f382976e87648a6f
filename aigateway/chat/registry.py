"""The chat entities of one app, built from ``[[chat_models]]``.

Each entity's ``provider`` names its adapter: a built-in one (:data:`BUILTIN_PROVIDERS`, found by
convention as the ``PROVIDER`` of module ``aigateway.chat.providers.<name>``) or one the app
was given (``create_app(..., chat_providers={"name": cls})``). Adapters borrow their HTTP
clients from the app's one :class:`~aigateway.upstream.clients.UpstreamClients`.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping

from ..config import Settings
from ..upstream.adapters import adapter_class
from ..upstream.clients import UpstreamClients
from .providers.base import ChatProvider, ChatProviderClass

__all__ = ("BUILTIN_PROVIDERS", "ChatRegistry", "builtin_provider")

BUILTIN_PROVIDERS: tuple[str, ...] = ("openai",)
"""The chat providers that ship with the gateway (``[[chat_models]] provider = "<name>"``)."""


def builtin_provider(name: str) -> ChatProviderClass:
    """The adapter class of built-in provider ``name`` (imported now)."""
    module = importlib.import_module(f"{__package__}.providers.{name}")
    cls: ChatProviderClass = module.PROVIDER
    return cls


class ChatRegistry:
    """Chat entities of one app, by id."""

    def __init__(
        self,
        settings: Settings,
        clients: UpstreamClients | None = None,
        *,
        providers: Mapping[str, ChatProviderClass] | None = None,
    ) -> None:
        """Build every ``[[chat_models]]`` entity. ``clients`` are the app's (without them the
        registry makes its own and closes them); ``providers`` adds or replaces adapters.

        Raises:
            ConfigError: an unknown provider (naming the key path).
        """
        self._owns_clients = clients is None
        self.clients = clients if clients is not None else UpstreamClients(settings.fetch)
        self.providers: dict[str, ChatProvider] = {}
        extra = dict(providers or {})
        for i, entity in enumerate(settings.chat_models):
            where = f"{settings.source}: $.chat_models[{i}]"
            cls = adapter_class(
                entity.provider,
                given=extra,
                builtin=BUILTIN_PROVIDERS,
                load=builtin_provider,
                kind="chat",
                where=where,
            )
            self.providers[entity.id] = cls(entity, self.clients)

    async def aclose(self) -> None:
        """Close the adapters (and the clients, when the registry made them)."""
        for provider in self.providers.values():
            await provider.aclose()
        if self._owns_clients:
            await self.clients.aclose()
