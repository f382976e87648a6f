"""The startup line: where the server listens, what it serves and with which entities.

``aigateway serve`` runs uvicorn at ``warning`` level (its own lines would be unstructured),
so without this a fresh server said nothing at all. The routes come from the app that was
actually built, so the line cannot drift from what is mounted.
"""

from __future__ import annotations

from typing import Any

from litestar import Litestar

from ..config import Settings

__all__ = ("announce", "describe")

_HIDDEN_METHODS = frozenset({"OPTIONS", "HEAD"})


def describe(settings: Settings, app: Litestar | None) -> dict[str, Any]:
    """The routes (``"POST /v1/ocr"`` …) of ``app`` (without one, the ``[[routes]]``) and the
    entities of ``settings``."""
    routes: list[str] = []
    if app is not None:
        for route in app.routes:
            methods = sorted(set(getattr(route, "methods", ())) - _HIDDEN_METHODS)
            routes.extend(f"{m} {route.path}" for m in methods)
    else:  # not built in this process (--workers N): the configured routes
        routes = [f"{r.plugin} at {r.path}" for r in settings.routes]
    ocr = [f"{m.id} ({m.provider})" for m in settings.ocr_models]
    chat = [
        f"{c.id} ({c.provider}: {', '.join(c.models) or 'prefix only'})"
        for c in settings.chat_models
    ]
    return {
        "config": settings.source,
        "routes": routes,
        "ocr_entities": ocr,
        "chat_entities": chat,
        "auth": "on" if settings.tenants else "off",
    }


def announce(logger: Any, url: str, settings: Settings, app: Litestar | None, **extra: Any) -> None:
    """Log ``listening on <url>`` with what :func:`describe` says (one line, any format)."""
    logger.info(f"listening on {url}", **describe(settings, app), **extra)
