"""Assemble the OpenAPI 3.1 document from the routes an app actually mounts.

:func:`mounted_handlers` lists what Litestar registered (paths include the configured route
prefixes); :func:`build_document` turns each handler into an operation by its kind (see
:mod:`aigateway.openapi.operations`). A handler of an unknown kind still appears, marked
``x-undocumented``, so a new endpoint can never silently vanish from the document (the tests
fail on it instead).

Paths are relative to the server URL ``.``, which clients resolve against the document's own
URL: the same document is right whether the app serves at ``/`` or is mounted under a prefix.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import metadata
from typing import Any

from litestar import Litestar

from ..config import Settings
from ..http.routes import RouteSpec
from .components import build_components
from .operations import OPERATIONS, OperationContext

__all__ = ("MountedHandler", "build_document", "mounted_handlers")

OPENAPI_VERSION = "3.1.0"

_TAGS = [
    {"name": "ocr", "description": "Documents to markdown (Mistral OCR compatible)."},
    {"name": "chat", "description": "Chat completions (OpenAI compatible, streamed or not)."},
    {"name": "embeddings", "description": "Embeddings (OpenAI compatible)."},
    {"name": "models", "description": "What this API key may use."},
    {"name": "operations", "description": "Health, readiness, metrics, usage."},
    {"name": "playground", "description": "Helpers of the /playground page."},
]


@dataclass(frozen=True)
class MountedHandler:
    """One (path, method) the app serves, with the handler's name."""

    path: str
    """Litestar's path format, e.g. ``/v1/models/{model_id}``."""
    method: str
    name: str


def mounted_handlers(app: Litestar) -> list[MountedHandler]:
    """Every schema-visible (path, method) of ``app``, in registration order."""
    out: list[MountedHandler] = []
    for route in app.routes:
        for handler in getattr(route, "route_handlers", ()):
            if not getattr(handler, "include_in_schema", False) or not handler.name:
                continue
            for method in sorted(getattr(handler, "http_methods", ())):
                if method in ("OPTIONS", "HEAD"):
                    continue
                out.append(MountedHandler(route.path_format, method.lower(), handler.name))
    return out


def _version() -> str:
    try:
        return metadata.version("aigateway")
    except metadata.PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        return "0.0.0"


def _route_for(kind: str, route_path: str, routes: list[RouteSpec]) -> RouteSpec | None:
    candidates = [r for r in routes if r.path == route_path]
    if kind != "ocr":
        candidates = [r for r in candidates if r.config.plugin == "openai_compat"] or candidates
    return candidates[0] if candidates else None


def _operation_id(kind: str, path: str, method: str, taken: set[str]) -> str:
    slug = "".join(c if c.isalnum() else "_" for c in path).strip("_") or "root"
    base = f"{kind.replace('-', '_')}__{slug}"
    op_id, n = base, 2
    while op_id in taken:
        op_id, n = f"{base}_{method}{n}", n + 1
    taken.add(op_id)
    return op_id


def _undocumented(handler: MountedHandler) -> dict[str, Any]:
    return {
        "summary": handler.name,
        "description": "This endpoint has no description in the OpenAPI document yet.",
        "x-undocumented": True,
        "responses": {"default": {"description": "Any answer."}},
    }


def build_document(
    settings: Settings, routes: list[RouteSpec], handlers: list[MountedHandler]
) -> dict[str, Any]:
    """The OpenAPI document of an app built from ``settings`` that mounts ``handlers``."""
    auth = bool(settings.tenants)
    paths: dict[str, dict[str, Any]] = {}
    taken: set[str] = set()
    for handler in handlers:
        kind, _, route_path = handler.name.partition(":")
        builder = OPERATIONS.get(kind)
        ctx = OperationContext(
            settings=settings,
            route=_route_for(kind, route_path, routes) if route_path else None,
            auth=auth,
            disclose=not auth,
        )
        needs_route = kind in ("ocr", "chat", "embeddings")
        if builder is None or (needs_route and ctx.route is None):
            operation = _undocumented(handler)
        else:
            operation = builder(ctx)
        operation["operationId"] = _operation_id(kind, handler.path, handler.method, taken)
        paths.setdefault(handler.path, {})[handler.method] = operation
    components = build_components()
    components["securitySchemes"] = {
        "bearer": {
            "type": "http",
            "scheme": "bearer",
            "description": "`Authorization: Bearer <API key>`",
        },
        "apiKey": {"type": "apiKey", "in": "header", "name": "x-api-key"},
    }
    doc: dict[str, Any] = {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": "aigateway",
            "version": _version(),
            "description": "One base URL for AI endpoints: OCR beside chat completions, "
            "embeddings and models. Errors are the OpenAI envelope "
            '`{"error": {"message", "type", "param", "code"}}`; every response carries '
            "`x-request-id`."
            + (
                " Send your API key as `Authorization: Bearer <key>` or `x-api-key`."
                if auth
                else " Authentication is off on this gateway."
            ),
        },
        "servers": [{"url": ".", "description": "This gateway (relative to this document)."}],
        "tags": [
            t
            for t in _TAGS
            if any(t["name"] in op.get("tags", ()) for p in paths.values() for op in p.values())
        ],
        "paths": dict(sorted(paths.items())),
        "components": components,
    }
    if auth:
        doc["security"] = [{"bearer": []}, {"apiKey": []}]
    return doc
