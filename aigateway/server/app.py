"""``create_app(settings) -> Litestar``: routers from config, error envelope, lifespan.

No module-level state: every app gets its own :class:`~aigateway.server.runtime.Runtime`
(registries, keys, pools, logger), reachable as ``app.state.runtime``. Each ``[[routes]]`` entry
mounts a router whose handlers get only the collaborators they use (a service, the tenant gate,
the route). The app works mounted inside another ASGI app whose lifespan never reaches it:
providers start lazily, and the host may call ``await app.state.runtime.aclose()`` on shutdown.
"""

from __future__ import annotations

import os
import traceback
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from litestar import Litestar, Request, Response, Router
from litestar.datastructures import State
from litestar.exceptions import HTTPException, ValidationException
from litestar.handlers import HTTPRouteHandler

from ..chat.providers.base import ChatProviderClass
from ..chat.router import chat_handlers
from ..config import Settings, load_config
from ..errors import GatewayError, error_body, from_status
from ..http.middleware import RequestIdMiddleware, log_fields
from ..http.routes import RouteSpec
from ..models.router import model_handlers
from ..ocr.providers.base import OcrProvider
from ..ocr.router import ocr_handlers
from ..openapi import DocsSite
from ..ops.router import ops_handlers
from ..playground import playground_handlers
from ..tenancy.auth import Tenant
from ..tenancy.quotas import Admission
from .runtime import Runtime

__all__ = ("build_app", "create_app")


def _error_response(exc: GatewayError) -> Response[bytes]:
    return Response(
        error_body(exc),
        status_code=exc.status_code,
        media_type="application/json",
        headers=exc.headers,
    )


def requested_path(scope: Any) -> str:
    """The path the client asked for, whichever way the host mounted the gateway.

    ``raw_path`` (when the server sends it) is the request target as received. Without it,
    hosts differ: Starlette's ``Mount("/ai")`` passes the full path *and* ``root_path="/ai"``
    (prefixing one with the other said ``/ai/ai/nope``), others strip the prefix from ``path``.
    """
    raw = scope.get("raw_path")
    if isinstance(raw, bytes) and raw.startswith(b"/"):
        return raw.decode("latin-1")
    path: str = scope.get("path", "")
    root: str = scope.get("root_path", "") or ""
    if not root or path == root or path.startswith(root.rstrip("/") + "/"):
        return path
    return root.rstrip("/") + path


def _exception_handlers(logger: Any) -> dict[Any, Any]:
    def gateway_error(request: Request[Any, Any, Any], exc: GatewayError) -> Response[bytes]:
        fields = log_fields(request)
        fields["error"] = exc.code
        return _error_response(exc)

    def http_error(request: Request[Any, Any, Any], exc: HTTPException) -> Response[bytes]:
        status = exc.status_code
        if status == 404:
            message = f"no such endpoint: {request.method} {requested_path(request.scope)}"
        elif status == 405:
            path = requested_path(request.scope)
            message = f"method {request.method} is not allowed on {path}"
        elif status == 413:
            message = f"the request body is too large: {exc.detail}"
        elif isinstance(exc, ValidationException) and exc.extra:
            message = f"{exc.detail}: {exc.extra}"
        else:
            message = str(exc.detail)
        error = from_status(status, message)
        if status == 405 and exc.headers:
            error.headers.update(exc.headers)  # RFC 9110: a 405 names the allowed methods
        return gateway_error(request, error)

    def internal_error(request: Request[Any, Any, Any], exc: Exception) -> Response[bytes]:
        fields = log_fields(request)
        # The traceback names code locations only; request bodies are never in locals we log.
        logger.error(
            "unhandled error",
            request_id=fields.get("request_id"),
            error=type(exc).__name__,
            traceback="".join(traceback.format_exception(type(exc), exc, exc.__traceback__)),
        )
        return gateway_error(
            request,
            GatewayError(
                f"internal error (request id {fields.get('request_id')}); it has been logged"
            ),
        )

    return {GatewayError: gateway_error, HTTPException: http_error, Exception: internal_error}


def _feature_handlers(rt: Runtime, route: RouteSpec) -> list[HTTPRouteHandler]:
    """``/v1/files`` and the batch endpoints, when ``[files]`` / ``[batches]`` are enabled."""
    gate = rt.gate

    async def admit(headers: Any, fields: dict[str, Any]) -> tuple[Tenant, Admission]:
        tenant = gate.authenticate(headers, fields)
        return tenant, await gate.admit(tenant)

    def upload_limit(tenant: Tenant) -> int:
        return route.document_limits(tenant.limits).max_bytes

    handlers: list[HTTPRouteHandler] = []
    if rt.files is not None:
        from ..files.router import file_handlers

        handlers += file_handlers(
            rt.files,
            admit,
            upload_limit,
            route_path=route.path,
            max_field_bytes=rt.settings.limits.max_form_field_size,
        )
    if rt.batches is not None:
        from ..batches.router import batch_handlers

        handlers += batch_handlers(
            rt.batches,
            admit,
            route_path=route.path,
            ocr_refs=route.ocr_refs,
            chat_refs=route.chat_refs,
            upload_limit=upload_limit,
            max_depth=rt.settings.limits.max_json_depth,
        )
    return handlers


def _router(rt: Runtime, route: RouteSpec) -> Router:
    handlers: list[HTTPRouteHandler]
    documents = rt.files.documents_for if rt.files is not None else None
    if route.config.plugin == "ocr":
        handlers = ocr_handlers(rt.ocr, rt.gate, route, ["/", "/v1/ocr"], documents)
    else:
        handlers = [
            *ocr_handlers(rt.ocr, rt.gate, route, ["/v1/ocr", "/ocr"], documents),
            *model_handlers(rt.chat, rt.gate, route),
            *chat_handlers(rt.chat, rt.gate, route, rt.settings.server.sse_ping_interval),
            *_feature_handlers(rt, route),
        ]
    # Litestar's own cap is a backstop; the handlers enforce the exact per-tenant limits.
    cap = route.limits.body_cap()
    return Router(path=route.path, route_handlers=handlers, request_max_body_size=cap)


def create_app(
    settings: Settings | str | os.PathLike[str] | None = None,
    *,
    ocr_providers: Mapping[str, type[OcrProvider]] | None = None,
    chat_providers: Mapping[str, ChatProviderClass] | None = None,
    span_exporter: Any = None,
) -> Litestar:
    """Build the gateway ASGI app from ``settings`` (a :class:`Settings` or a TOML path).

    ``None`` reads ``./config.toml``. ``ocr_providers`` and ``chat_providers`` register
    adapter classes by name for this app, beside the built-in ones (or in their place): an
    entity with ``provider = "<name>"`` is then served by that class. ``span_exporter`` (an
    OpenTelemetry ``SpanExporter``) receives the spans instead of the OTLP endpoint when
    ``[tracing] enabled = true``.

    Raises:
        ConfigError: the configuration is invalid (names file, key path and expectation).
    """
    if settings is None:
        settings = load_config(Path("config.toml"))
    elif not isinstance(settings, Settings):
        settings = load_config(settings)
    return build_app(
        settings,
        ocr_providers=ocr_providers,
        chat_providers=chat_providers,
        span_exporter=span_exporter,
    )


def build_app(
    settings: Settings,
    previous: Runtime | None = None,
    *,
    ocr_providers: Mapping[str, type[OcrProvider]] | None = None,
    chat_providers: Mapping[str, ChatProviderClass] | None = None,
    span_exporter: Any = None,
) -> Litestar:
    """:func:`create_app` for a validated ``settings``; ``previous`` is the runtime a reload
    replaces (its counters, usage and metrics carry over)."""
    rt = Runtime(
        settings,
        previous,
        ocr_providers=ocr_providers,
        chat_providers=chat_providers,
        span_exporter=span_exporter,
    )
    docs = DocsSite(settings, rt.routes)
    app = Litestar(
        route_handlers=[
            *ops_handlers(rt.ops_deps()),
            *docs.handlers(),
            *playground_handlers(settings, rt.gate, rt.routes),
            *(_router(rt, r) for r in rt.routes),
        ],
        exception_handlers=_exception_handlers(rt.logger),
        on_startup=[rt.start],
        on_shutdown=[rt.aclose],
        state=State({"runtime": rt}),
        openapi_config=None,
        # An embeddable library must not reconfigure the host's logging (Litestar's default
        # puts the root logger at INFO, so every httpx call would log a line): our access log
        # is structlog, per app.
        logging_config=None,
        debug=False,
    )
    docs.bind(app)  # the OpenAPI document of what was just mounted, built once
    # Wrap the whole ASGI handler (routing 404s included), not only matched routes.
    handler = app.asgi_handler
    if rt.tracer is not None:  # tracing off: no wrapper at all, no work per request
        handler = rt.tracer.asgi(handler, fields=log_fields)
    app.asgi_handler = RequestIdMiddleware(
        handler, rt.logger, settings.logging, settings.server.trust_request_id, rt
    )
    return app
