"""Request ids and the one-line-per-request access log.

A raw ASGI middleware (cheaper than Litestar's logging middleware, and it never sees bodies):
it assigns ``x-request-id`` (reusing a well-formed incoming one), adds it to every response,
and after the response logs one structlog line with request id, tenant, route, entity, status,
milliseconds, bytes out and pages, then hands the same fields to the app's
:class:`RequestHooks` (metrics). The fields are a log and metrics sink only: nothing reads
them back to make a decision. Handlers add fields through :func:`log_fields`. Keys
and document contents are never logged: only the fields handlers put there are.
"""

from __future__ import annotations

import contextlib
import os
import re
import time
from typing import Any, Protocol

from litestar.types import ASGIApp, Message, Receive, Scope, Send

from ..config import LoggingConfig

__all__ = ("RequestHooks", "RequestIdMiddleware", "log_fields", "request_id")

_REQUEST_ID_OK = re.compile(rb"^[A-Za-z0-9._:\-]{1,128}$")
_STATE_KEY = "aigw_log"


def log_fields(scope: Scope | Any) -> dict[str, Any]:
    """The mutable dict of access-log fields of this request (handlers add to it)."""
    state = scope["state"] if isinstance(scope, dict) else scope.scope["state"]
    fields: dict[str, Any] = state.setdefault(_STATE_KEY, {})
    return fields


def request_id(scope: Scope | Any) -> str:
    """This request's id."""
    return str(log_fields(scope).get("request_id", ""))


class RequestHooks(Protocol):
    """What the middleware tells the app about every request (metrics)."""

    def request_started(self) -> None:
        """A request came in."""

    async def request_done(self, fields: dict[str, Any], status: int, seconds: float) -> None:
        """A response went out (or the request failed); ``fields`` are the access-log fields."""


class RequestIdMiddleware:
    """ASGI middleware: request id header plus one access-log line per HTTP request."""

    def __init__(
        self,
        app: ASGIApp,
        logger: Any,
        config: LoggingConfig,
        trust: bool,
        hooks: RequestHooks | None = None,
    ) -> None:
        self.app = app
        self.logger = logger
        self.enabled = config.access_log
        self.trust = trust
        self.hooks = hooks

    async def __call__(self, scope: Any, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = None
        if self.trust:
            for name, value in scope["headers"]:
                if name == b"x-request-id" and _REQUEST_ID_OK.match(value):
                    rid = value.decode()
                    break
        if rid is None:
            rid = os.urandom(12).hex()
        fields: dict[str, Any] = {"request_id": rid}
        scope.setdefault("state", {})[_STATE_KEY] = fields
        start = time.perf_counter()
        status = 0
        sent = 0
        rid_header = (b"x-request-id", rid.encode())

        async def send_wrapper(message: Message) -> None:
            nonlocal status, sent
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", ()))
                headers.append(rid_header)
                message["headers"] = headers
            elif message["type"] == "http.response.body":
                sent += len(message.get("body", b""))
            await send(message)

        if self.hooks is not None:
            self.hooks.request_started()
        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            elapsed = time.perf_counter() - start
            fields["bytes_out"] = sent
            if self.enabled:
                line = {
                    "method": scope["method"],
                    "path": scope["path"],
                    "status": status or 500,
                    "ms": round(elapsed * 1000, 2),
                    **fields,
                }
                # A closed or broken stderr must not fail requests.
                with contextlib.suppress(OSError, ValueError):
                    self.logger.info("request", **line)
            if self.hooks is not None:
                await self.hooks.request_done(fields, status or 500, elapsed)
