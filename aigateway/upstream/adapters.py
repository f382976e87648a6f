"""What OCR and chat adapters have in common: how their class is found, what they may borrow.

Both features name an adapter per entity (``provider = "<name>"``): one the app was given
(``create_app(..., ocr_providers=…, chat_providers=…)``) or a built-in one imported on first
use, so an optional engine's dependencies are needed only when a config names it. Both lend
their adapters pooled HTTP clients from the app's one
:class:`~aigateway.upstream.clients.UpstreamClients`.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from typing import TYPE_CHECKING, Protocol, TypeVar

from ..errors import ConfigError

if TYPE_CHECKING:  # the worker processes import adapters' modules without needing httpx
    import httpx

__all__ = ("ClientLender", "adapter_class")

T = TypeVar("T")


class ClientLender(Protocol):
    """Lends an adapter pooled HTTP clients, closed by their owner (never by the adapter)."""

    def http_client(
        self,
        *,
        base_url: str,
        timeout: float,
        headers: dict[str, str] | None = None,
        max_connections: int = 100,
    ) -> httpx.AsyncClient:
        """A pooled client for one upstream."""
        ...


def adapter_class(
    name: str,
    *,
    given: Mapping[str, T],
    builtin: Collection[str],
    load: Callable[[str], T],
    kind: str,
    where: str,
) -> T:
    """The adapter class ``name`` names: one the app was given, else a built-in one.

    Raises:
        ConfigError: (naming ``<where>.provider``) no such adapter, or a built-in one whose
            module or optional dependency cannot be imported.
    """
    if name in given:
        return given[name]
    if name not in builtin:
        known = ", ".join(sorted({*builtin, *given}))
        raise ConfigError(f"{where}.provider: unknown {kind} provider {name!r} (known: {known})")
    try:
        return load(name)
    except ImportError as exc:
        raise ConfigError(
            f"{where}.provider: the {name} provider cannot be imported: {exc}"
        ) from exc
