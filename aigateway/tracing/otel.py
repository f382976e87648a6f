"""The OpenTelemetry implementation of :class:`~aigateway.tracing.api.Tracer` (``aigateway[otel]``).

Imported only when ``[tracing] enabled = true``. Nothing global is touched: each app has its
own ``TracerProvider`` (resource, sampler, batch processor, exporter) and its own W3C
propagator, so an embedding host's tracing setup and a second gateway app are left alone; the
*current span* is OpenTelemetry's context (a contextvar), which is what links a request's spans
as they run through the handler, the service and the provider.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from importlib import metadata
from typing import Any
from urllib.parse import urlsplit

import httpx
from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter
from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased
from opentelemetry.trace import Span, SpanKind, Status, StatusCode
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from ..config import TracingConfig
from . import semconv as sc
from .api import AttributeValue
from .asgi import ServerSpans
from .http import TracingTransport

__all__ = ("OtelTracer", "traces_url")


def traces_url(endpoint: str) -> str:
    """The OTLP/HTTP traces URL: ``endpoint`` as given, or with ``/v1/traces`` when it names
    only a collector (``http://collector:4318``)."""
    parts = urlsplit(endpoint)
    if parts.path in ("", "/"):
        return endpoint.rstrip("/") + "/v1/traces"
    return endpoint


def _version() -> str:
    try:
        return metadata.version("aigateway")
    except metadata.PackageNotFoundError:  # running from a source tree
        return "0+unknown"


def error_type(error: BaseException) -> str:
    """``error.type`` of a failure: the gateway error's code, else the exception's class (never
    its message, which may quote an upstream's answer)."""
    code = getattr(error, "code", None)
    return code if isinstance(code, str) and code else type(error).__qualname__


class _CallSpan:
    """A provider call's span (see :class:`~aigateway.tracing.api.CallSpan`)."""

    __slots__ = ("_ended", "_span")

    def __init__(self, span: Span) -> None:
        self._span = span
        self._ended = False

    def use(self) -> AbstractContextManager[object]:
        return trace.use_span(
            self._span, end_on_exit=False, record_exception=False, set_status_on_exception=False
        )

    def response(
        self,
        *,
        model: str | None = None,
        response_id: str | None = None,
        input_tokens: int | None = None,
        output_tokens: int | None = None,
        finish_reasons: list[str] | None = None,
        attributes: Mapping[str, AttributeValue] | None = None,
    ) -> None:
        span = self._span
        if not span.is_recording():
            return
        if model:
            span.set_attribute(sc.GEN_AI_RESPONSE_MODEL, model[:256])
        if response_id:
            span.set_attribute(sc.GEN_AI_RESPONSE_ID, response_id[:256])
        if input_tokens is not None:
            span.set_attribute(sc.GEN_AI_USAGE_INPUT_TOKENS, input_tokens)
        if output_tokens is not None:
            span.set_attribute(sc.GEN_AI_USAGE_OUTPUT_TOKENS, output_tokens)
        if finish_reasons:
            span.set_attribute(sc.GEN_AI_RESPONSE_FINISH_REASONS, finish_reasons)
        if attributes:
            span.set_attributes(attributes)

    def fail(self, error: BaseException) -> None:
        span = self._span
        if span.is_recording():
            span.set_attribute("error.type", error_type(error))
            status = getattr(error, "status_code", None)
            if isinstance(status, int):
                span.set_attribute("aigateway.error.status_code", status)
            span.set_status(Status(StatusCode.ERROR))

    def end(self) -> None:
        if not self._ended:
            self._ended = True
            self._span.end()


class OtelTracer:
    """Spans of one app, exported by a batch processor (a background thread) over OTLP/HTTP."""

    def __init__(self, config: TracingConfig, *, exporter: SpanExporter | None = None) -> None:
        version = _version()
        resource = Resource.create(
            {"service.name": config.service_name, "service.version": version}
        )
        # A caller's sampling decision (traceparent flags) wins; new traces keep the ratio.
        sampler = ParentBased(TraceIdRatioBased(config.sample_ratio))
        self.provider = TracerProvider(resource=resource, sampler=sampler, shutdown_on_exit=False)
        if exporter is None:
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

            exporter = OTLPSpanExporter(
                endpoint=traces_url(config.endpoint),
                headers=dict(config.headers),
                timeout=config.timeout,
            )
        self.provider.add_span_processor(BatchSpanProcessor(exporter))
        self.tracer = self.provider.get_tracer("aigateway", version)
        self.propagator = TraceContextTextMapPropagator()
        self._closed = False

    # --- spans ----------------------------------------------------------------------------------

    def provider_call(
        self,
        *,
        operation: str,
        adapter: str,
        entity: str,
        request_model: str | None,
        server_url: str | None = None,
    ) -> _CallSpan:
        provider = sc.provider_name(adapter)
        attributes: dict[str, AttributeValue] = {
            sc.GEN_AI_OPERATION: operation,
            sc.GEN_AI_PROVIDER: provider,
            sc.GEN_AI_SYSTEM: provider,
            "aigateway.entity": entity,
        }
        if request_model:
            attributes[sc.GEN_AI_REQUEST_MODEL] = request_model[:256]
        if server_url:
            parts = urlsplit(server_url)
            if parts.hostname:
                attributes["server.address"] = parts.hostname
                port = parts.port or (443 if parts.scheme == "https" else 80)
                attributes["server.port"] = port
        name = f"{operation} {request_model[:64]}" if request_model else operation
        span = self.tracer.start_span(name, kind=SpanKind.CLIENT, attributes=attributes)
        return _CallSpan(span)

    def page(
        self,
        *,
        index: int,
        started_ns: int,
        ended_ns: int,
        attributes: Mapping[str, AttributeValue] | None = None,
    ) -> None:
        if started_ns <= 0 or ended_ns < started_ns:
            return  # no timing from the worker: nothing true to record
        span = self.tracer.start_span(
            "ocr page",
            kind=SpanKind.INTERNAL,
            start_time=started_ns,
            attributes={"aigateway.ocr.page.index": index, **(attributes or {})},
        )
        span.end(end_time=ended_ns)

    # --- wiring ---------------------------------------------------------------------------------

    def asgi(
        self,
        app: Callable[..., Any],
        fields: Callable[[Any], Mapping[str, Any]] | None = None,
    ) -> Callable[..., Any]:
        return ServerSpans(app, self.tracer, self.propagator, fields)

    def transport(self, inner: httpx.AsyncBaseTransport) -> httpx.AsyncBaseTransport:
        return TracingTransport(inner, self.tracer, self.propagator)

    # --- lifetime -------------------------------------------------------------------------------

    def flush(self, timeout: float = 10.0) -> bool:
        return bool(self.provider.force_flush(int(timeout * 1000)))

    async def aclose(self) -> None:
        if self._closed:
            return
        self._closed = True
        # Shutting down exports what is left: blocking network I/O, so off the event loop.
        await asyncio.to_thread(self.provider.shutdown)
