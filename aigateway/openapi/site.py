"""``GET /openapi.json`` and ``GET /docs``: the document and the API reference page.

:class:`DocsSite` hands its handlers to the app, then :meth:`DocsSite.bind` builds the document
from what the app mounted, once; requests only send the stored bytes.
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Litestar, Response, get
from litestar.handlers import HTTPRouteHandler

from ..config import Settings
from ..errors import ServiceUnavailableError
from ..http.routes import RouteSpec
from ..http.webpage import Page, build_page
from .document import build_document, mounted_handlers

__all__ = ("DocsSite",)

_PACKAGE = "aigateway.openapi"


class DocsSite:
    """The docs endpoints of one app (nothing when ``[docs] enabled = false``)."""

    def __init__(self, settings: Settings, routes: list[RouteSpec]) -> None:
        self.settings = settings
        self.routes = routes
        self.document: dict[str, Any] | None = None
        self._json: bytes | None = None
        self._page: Page | None = None

    def handlers(self) -> list[HTTPRouteHandler]:
        """The handlers to mount (before :meth:`bind`)."""
        config = self.settings.docs
        if not config.enabled:
            return []

        async def openapi() -> Response[bytes]:
            if self._json is None:
                raise ServiceUnavailableError("the OpenAPI document is not built yet")
            return Response(
                self._json,
                media_type="application/json",
                headers={"cache-control": "no-cache", "access-control-allow-origin": "*"},
            )

        out = [get("/openapi.json", name="openapi", include_in_schema=False)(openapi)]
        if config.page:

            async def docs() -> Response[bytes]:
                assert self._page is not None
                return Response(
                    self._page.body,
                    media_type="text/html; charset=utf-8",
                    headers=self._page.headers,
                )

            out.append(get("/docs", name="docs", include_in_schema=False)(docs))
        return out

    def bind(self, app: Litestar) -> None:
        """Build the document (and page) from the routes ``app`` mounts; call once."""
        if not self.settings.docs.enabled:
            return
        self.document = build_document(self.settings, self.routes, mounted_handlers(app))
        self._json = msgspec.json.encode(self.document)
        if self.settings.docs.page:
            self._page = build_page(
                _PACKAGE,
                "static/docs.html",
                scripts=("static/docs.js",),
                styles=("static/docs.css",),
                data=self.document,
            )
