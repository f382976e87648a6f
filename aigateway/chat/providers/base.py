"""The contract of chat adapters: what the chat service calls, and what the registry lends.

An adapter is built once per ``[[chat_models]]`` entity as ``cls(entity, context)``; it opens
upstream requests and maps their failures to :class:`~aigateway.errors.GatewayError`\\ s, the
bodies passing through as bytes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

import httpx

from ...config import ChatModelConfig
from ...upstream.adapters import ClientLender

__all__ = ("ChatProvider", "ChatProviderClass", "ChatProviderContext")


ChatProviderContext = ClientLender
"""What a chat adapter may borrow: pooled HTTP clients, closed by their owner."""


class ChatProvider(Protocol):
    """One chat entity's adapter."""

    entity: ChatModelConfig
    id: str

    def upstream_model(self, public: str) -> str | None:
        """The upstream name for ``public`` if this entity serves it (by name or alias)."""
        ...

    async def open(self, path: str, body: bytes, *, request_id: str) -> httpx.Response:
        """POST ``body`` to ``path``; the 2xx response with its body unread (the caller closes
        it), or the mapped :class:`~aigateway.errors.GatewayError`."""
        ...

    async def aclose(self) -> None:
        """Release what the adapter owns itself."""
        ...


ChatProviderClass = Callable[[ChatModelConfig, ChatProviderContext], ChatProvider]
"""How an adapter is built: ``cls(entity, context)``."""
