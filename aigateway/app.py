"""``create_app(settings) -> Litestar``: routers from config, error envelope, lifespan.

No module-level state: every app gets its own :class:`~aigateway.gateway.Gateway` (registry,
keys, pools, logger), reachable as ``app.state.gateway``. The app works mounted inside another
ASGI app whose lifespan never reaches it: providers start lazily, and the host may call
``await app.state.gateway.aclose()`` on shutdown.
"""

from __future__ import annotations

import os
import traceback
from pathlib import Path
from typing import Any

from litestar import Litestar, Request, Response, Router
from litestar.datastructures import State
from litestar.exceptions import HTTPException, ValidationException
from litestar.handlers import HTTPRouteHandler

from .config import Settings, load_config
from .errors import GatewayError, error_body, from_status
from .gateway import Gateway, RouteContext
from .limits import json_body_limit, multipart_body_limit
from .models_controller import model_handlers
from .observability import RequestIdMiddleware, log_fields
from .ocr.controller import ocr_handlers
from .ops_controller import ops_handlers

__all__ = ("build_app", "create_app")


def _error_response(exc: GatewayError) -> Response[bytes]:
    return Response(
        error_body(exc),
        status_code=exc.status_code,
        media_type="application/json",
        headers=exc.headers,
    )


def _exception_handlers(gw: Gateway) -> dict[Any, Any]:
    def gateway_error(request: Request[Any, Any, Any], exc: GatewayError) -> Response[bytes]:
        fields = log_fields(request)
        fields["error"] = exc.code
        return _error_response(exc)

    def http_error(request: Request[Any, Any, Any], exc: HTTPException) -> Response[bytes]:
        status = exc.status_code
        if status == 404:
            message = f"no such endpoint: {request.method} {request.url.path}"
        elif status == 405:
            message = f"method {request.method} is not allowed on {request.url.path}"
        elif status == 413:
            message = f"the request body is too large: {exc.detail}"
        elif isinstance(exc, ValidationException) and exc.extra:
            message = f"{exc.detail}: {exc.extra}"
        else:
            message = str(exc.detail)
        return gateway_error(request, from_status(status, message))

    def internal_error(request: Request[Any, Any, Any], exc: Exception) -> Response[bytes]:
        fields = log_fields(request)
        # The traceback names code locations only; request bodies are never in locals we log.
        gw.logger.error(
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


def _chat_handlers(gw: Gateway, route: RouteContext) -> list[HTTPRouteHandler]:
    try:
        from .chat.controller import chat_handlers
    except ImportError:  # the chat controller is optional until it lands
        return []
    handlers: list[HTTPRouteHandler] = chat_handlers(gw, route)
    return handlers


def _feature_handlers(gw: Gateway, route: RouteContext) -> list[HTTPRouteHandler]:
    """``/v1/files`` and the batch endpoints, when ``[files]`` / ``[batches]`` are enabled."""
    handlers: list[HTTPRouteHandler] = []
    if gw.files is not None:
        from .files.router import file_handlers

        handlers += file_handlers(
            gw.files,
            gw.admit,
            route.upload_limit,
            route_path=route.config.path,
            max_field_bytes=gw.settings.limits.max_form_field_size,
        )
    if gw.batches is not None:
        from .batches.router import batch_handlers

        handlers += batch_handlers(
            gw.batches,
            gw.admit,
            route_path=route.config.path,
            ocr_refs=route.ocr_refs,
            chat_refs=route.chat_refs,
            upload_limit=route.upload_limit,
            max_depth=gw.settings.limits.max_json_depth,
        )
    return handlers


def _router(gw: Gateway, route: RouteContext) -> Router:
    if route.config.plugin == "ocr":
        handlers = ocr_handlers(gw, route, ["/", "/v1/ocr"])
    else:
        handlers = [
            *ocr_handlers(gw, route, ["/v1/ocr", "/ocr"]),
            *model_handlers(gw, route),
            *_chat_handlers(gw, route),
            *_feature_handlers(gw, route),
        ]
    # Litestar's own cap is a backstop; the handlers enforce the exact per-tenant limits.
    cap = max(
        json_body_limit(route.max_size_upload),
        multipart_body_limit(route.max_size_upload, gw.settings.limits.max_form_field_size),
    )
    return Router(path=route.config.path, route_handlers=handlers, request_max_body_size=cap)


def create_app(settings: Settings | str | os.PathLike[str] | None = None) -> Litestar:
    """Build the gateway ASGI app from ``settings`` (a :class:`Settings` or a TOML path).

    ``None`` reads ``./config.toml``.

    Raises:
        ConfigError: the configuration is invalid (names file, key path and expectation).
    """
    if settings is None:
        settings = load_config(Path("config.toml"))
    elif not isinstance(settings, Settings):
        settings = load_config(settings)
    return build_app(settings)


def build_app(settings: Settings, previous: Gateway | None = None) -> Litestar:
    """:func:`create_app` for a validated ``settings``; ``previous`` is the gateway a reload
    replaces (its counters, usage and metrics carry over)."""
    gw = Gateway(settings, previous)
    app = Litestar(
        route_handlers=[*ops_handlers(gw), *(_router(gw, r) for r in gw.routes)],
        exception_handlers=_exception_handlers(gw),
        on_startup=[gw.start],
        on_shutdown=[gw.aclose],
        state=State({"gateway": gw}),
        openapi_config=None,
        # An embeddable library must not reconfigure the host's logging (Litestar's default
        # puts the root logger at INFO, so every httpx call would log a line): our access log
        # is structlog, per app.
        logging_config=None,
        debug=False,
    )
    # Wrap the whole ASGI handler (routing 404s included), not only matched routes.
    app.asgi_handler = RequestIdMiddleware(
        app.asgi_handler, gw.logger, settings.logging, settings.server.trust_request_id, gw
    )
    return app
