"""``GET /playground`` (the page) and ``POST /playground/preview`` (page images).

The page is built once per app from the package's static files plus what the config says
about routes (endpoints relative to the page, so it works under any mount prefix). When tenants
exist the page names no entity or model: it asks for a key and lists what ``GET /v1/models``
returns for it. The preview takes the same body as OCR, with the same authentication, request
limits and upload caps.
"""

from __future__ import annotations

from typing import Any

import anyio.to_thread
import msgspec
from litestar import Request, Response, get, post
from litestar.handlers import HTTPRouteHandler

from ..config import Settings
from ..errors import BadRequestError
from ..http.limits import DocumentLimits
from ..http.middleware import log_fields
from ..http.routes import RouteSpec
from ..http.webpage import build_page
from ..ocr.normalize import resolve_media_type
from ..ocr.router import read_ocr_request
from ..tenancy.gate import TenantGate
from .preview import render_preview

__all__ = ("page_data", "playground_handlers")

_PACKAGE = "aigateway.playground"
_encoder = msgspec.json.Encoder()


def _join(prefix: str, path: str) -> str:
    """An endpoint relative to the app root, without the leading slash."""
    return (prefix.rstrip("/") + path).lstrip("/")


def page_data(settings: Settings, routes: list[RouteSpec]) -> dict[str, Any]:
    """What the page needs to know: endpoints, whether a key is needed, limits."""
    disclose = not settings.tenants
    ocr: list[dict[str, Any]] = []
    chat: list[dict[str, Any]] = []
    for route in routes:
        prefix = route.config.path
        entry: dict[str, Any] = {
            "label": _join(prefix, "/v1/ocr"),
            "ocr": _join(prefix, "/v1/ocr"),
            "models": _join(prefix, "/v1/models") if route.config.plugin != "ocr" else None,
            "entities": list(route.ocr_refs) if disclose else [],
            "max_upload": route.limits.max_bytes,
        }
        if route.ocr_refs:
            ocr.append(entry)
        if route.config.plugin == "openai_compat" and route.chat_refs:
            chat.append(
                {
                    "label": _join(prefix, "/v1/chat/completions"),
                    "chat": _join(prefix, "/v1/chat/completions"),
                    "models": _join(prefix, "/v1/models"),
                }
            )
    return {
        "auth": bool(settings.tenants),
        "ocr": ocr,
        "chat": chat,
        "preview": "playground/preview",
        "preview_max_pages": settings.playground.preview_max_pages,
        "docs": "docs" if settings.docs.enabled and settings.docs.page else None,
    }


def playground_handlers(
    settings: Settings, gate: TenantGate, routes: list[RouteSpec]
) -> list[HTTPRouteHandler]:
    """The playground's handlers (none when ``[playground] enabled = false``)."""
    config = settings.playground
    if not config.enabled:
        return []
    page = build_page(
        _PACKAGE,
        "static/index.html",
        scripts=("static/markdown.js", "static/snippets.js", "static/app.js"),
        styles=("static/app.css",),
        data=page_data(settings, routes),
    )
    # The page may send a document to any route: previews take the largest route cap.
    widest = max(
        (r.limits for r in routes),
        key=lambda lim: lim.max_bytes,
        default=DocumentLimits.of(settings.limits),
    )
    body_cap = widest.body_cap()

    async def playground() -> Response[bytes]:
        return Response(page.body, media_type="text/html; charset=utf-8", headers=page.headers)

    async def preview(request: Request[Any, Any, Any]) -> Response[bytes]:
        fields = log_fields(request)
        fields["route"] = "playground"
        tenant = gate.authenticate(request.headers, fields)
        admission = await gate.admit(tenant)
        try:
            limits = widest.for_tenant(tenant.limits)
            body = await read_ocr_request(request, limits)
            blob = body.source.blob
            if blob is None:
                raise BadRequestError(
                    f"{body.source.field}: a preview needs the document itself (an upload or "
                    "base64), not a URL",
                    param=body.source.field,
                )
            try:
                media = resolve_media_type(
                    body.content_type,
                    body.source.declared_type,
                    blob.head(8192),
                    body.source.filename,
                )
                source: bytes | str = blob.read() if blob.in_memory else blob.path()
                result = await anyio.to_thread.run_sync(
                    lambda: render_preview(
                        source,
                        media,
                        pages=body.options.pages,
                        password=body.options.pdf_password,
                        dpi=config.preview_dpi,
                        max_pages=config.preview_max_pages,
                        max_doc_pages=limits.max_pages,
                        max_pixels=limits.max_pixels_per_page,
                    )
                )
            finally:
                blob.close()
        finally:
            await admission.release()
        fields["pages"] = len(result.pages)
        return Response(_encoder.encode(result), media_type="application/json")

    return [
        get("/playground", name="playground", include_in_schema=False)(playground),
        post(
            "/playground/preview",
            status_code=200,
            name="playground-preview",
            request_max_body_size=body_cap,
        )(preview),
    ]
