"""Client spans of upstream HTTP requests, and the ``traceparent`` header upstreams receive.

An httpx transport wrapper (installed only when tracing is on) around the app's real
transport: each request becomes a CLIENT span, child of the current span (the provider call),
and carries that span's W3C ``traceparent`` so the upstream's own spans join the trace. The
span ends when the response body is closed, so a relayed stream is covered to its end. The URL
is recorded without its query string (some APIs take keys there).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
from opentelemetry import trace
from opentelemetry.trace import Span, SpanKind, Status, StatusCode
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from .api import AttributeValue

__all__ = ("TracingTransport",)


class _EndsSpan(httpx.AsyncByteStream):
    """A response body that ends its request's span when it is closed."""

    def __init__(self, inner: httpx.AsyncByteStream, span: Span) -> None:
        self._inner = inner
        self._span = span
        self._ended = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._inner:
                yield chunk
        except Exception as exc:
            self._span.set_attribute("error.type", type(exc).__qualname__)
            self._span.set_status(Status(StatusCode.ERROR))
            raise

    async def aclose(self) -> None:
        try:
            await self._inner.aclose()
        finally:
            if not self._ended:
                self._ended = True
                self._span.end()


class TracingTransport(httpx.AsyncBaseTransport):
    """Wraps ``inner``: a client span per request, its context propagated in the headers."""

    def __init__(
        self,
        inner: httpx.AsyncBaseTransport,
        tracer: trace.Tracer,
        propagator: TraceContextTextMapPropagator,
    ) -> None:
        self.inner = inner
        self.tracer = tracer
        self.propagator = propagator

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        port = url.port or (443 if url.scheme == "https" else 80)
        attributes: dict[str, AttributeValue] = {
            "http.request.method": request.method,
            "server.address": url.host,
            "server.port": port,
            "url.full": f"{url.scheme}://{url.netloc.decode('ascii')}{url.path}",
        }
        span = self.tracer.start_span(request.method, kind=SpanKind.CLIENT, attributes=attributes)
        carrier: dict[str, str] = {}
        self.propagator.inject(carrier, context=trace.set_span_in_context(span))
        for name, value in carrier.items():
            request.headers[name] = value
        try:
            response = await self.inner.handle_async_request(request)
        except BaseException as exc:
            span.set_attribute("error.type", type(exc).__qualname__)
            span.set_status(Status(StatusCode.ERROR))
            span.end()
            raise
        status = response.status_code
        span.set_attribute("http.response.status_code", status)
        if status >= 400:
            span.set_attribute("error.type", str(status))
            span.set_status(Status(StatusCode.ERROR))
        assert isinstance(response.stream, httpx.AsyncByteStream)
        response.stream = _EndsSpan(response.stream, span)
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()
