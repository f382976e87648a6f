"""Server spans: one per HTTP request, continuing the caller's W3C ``traceparent``.

A raw ASGI wrapper (installed only when tracing is on). The span is current while the app
handles the request, so the provider calls' spans become its children; a streamed answer keeps
it open until the last byte is sent. Request and response bodies are never looked at.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from opentelemetry import context, trace
from opentelemetry.propagators.textmap import Getter
from opentelemetry.trace import SpanKind, Status, StatusCode
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from .api import AttributeValue

__all__ = ("ServerSpans",)

_SPAN_FIELDS = {
    # access-log field -> span attribute
    "request_id": "aigateway.request_id",
    "tenant": "aigateway.tenant",
    "route": "aigateway.route",
    "entity": "aigateway.entity",
    "pages": "aigateway.ocr.pages",
}


class _HeaderGetter(Getter[list[tuple[bytes, bytes]]]):
    """Reads propagation headers straight from the ASGI header list (names are lower case)."""

    def get(self, carrier: list[tuple[bytes, bytes]], key: str) -> list[str] | None:
        name = key.lower().encode("latin-1")
        values = [v.decode("latin-1") for k, v in carrier if k == name]
        return values or None

    def keys(self, carrier: list[tuple[bytes, bytes]]) -> list[str]:
        return [k.decode("latin-1") for k, _ in carrier]


_GETTER = _HeaderGetter()


class ServerSpans:
    """ASGI middleware: a SERVER span around every HTTP request."""

    def __init__(
        self,
        app: Callable[..., Any],
        tracer: trace.Tracer,
        propagator: TraceContextTextMapPropagator,
        fields: Callable[[Any], Mapping[str, Any]] | None = None,
    ) -> None:
        self.app = app
        self.tracer = tracer
        self.propagator = propagator
        self.fields = fields

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        parent = self.propagator.extract(scope.get("headers", []), getter=_GETTER)
        method = scope.get("method", "GET")
        attributes: dict[str, AttributeValue] = {
            "http.request.method": method,
            "url.path": scope.get("path", ""),
            "url.scheme": scope.get("scheme", "http"),
            "network.protocol.version": scope.get("http_version", "1.1"),
        }
        span = self.tracer.start_span(
            method, context=parent, kind=SpanKind.SERVER, attributes=attributes
        )
        status = 0

        async def send_status(message: Any) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        token = context.attach(trace.set_span_in_context(span, parent))
        try:
            await self.app(scope, receive, send_status)
        except BaseException as exc:
            span.set_attribute("error.type", type(exc).__qualname__)
            span.set_status(Status(StatusCode.ERROR))
            raise
        finally:
            context.detach(token)
            self._finish(span, scope, method, status)

    def _finish(self, span: trace.Span, scope: Any, method: str, status: int) -> None:
        if span.is_recording():
            template = scope.get("path_template")
            if isinstance(template, str) and template:
                span.set_attribute("http.route", template)
                span.update_name(f"{method} {template}")
            if status:
                span.set_attribute("http.response.status_code", status)
                if status >= 500:
                    span.set_attribute("error.type", str(status))
                    span.set_status(Status(StatusCode.ERROR))
            if self.fields is not None:
                for key, value in self.fields(scope).items():
                    name = _SPAN_FIELDS.get(key)
                    if name is not None and isinstance(value, str | int) and value != "":
                        span.set_attribute(name, value)
        span.end()
