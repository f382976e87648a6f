"""Tracing: OpenTelemetry spans of requests, provider calls and OCR pages, exported over OTLP.

``[tracing] enabled = true`` (with ``pip install 'aigateway[otel]'``) gives every HTTP request a
server span (continuing the caller's W3C ``traceparent``), every provider call a GenAI client
span (``gen_ai.operation.name``, ``gen_ai.provider.name``, ``gen_ai.request.model``,
``gen_ai.response.model``, ``gen_ai.usage.*``), every upstream HTTP request a client span whose
``traceparent`` the upstream receives, and every page the local engine reads a span timed by
the worker process that read it.

Off (the default), :func:`make_tracer` returns ``None``: OpenTelemetry is never imported, no
middleware is installed and no transport is wrapped; services test ``tracer is not None``.
"""

from __future__ import annotations

from typing import Any

from ..config import TracingConfig
from ..errors import ConfigError
from .api import AttributeValue, CallSpan, Tracer

__all__ = ("AttributeValue", "CallSpan", "Tracer", "make_tracer")


def make_tracer(
    config: TracingConfig, source: str = "<memory>", *, exporter: Any = None
) -> Tracer | None:
    """The tracer ``[tracing]`` asks for, or ``None`` when tracing is off.

    ``exporter`` (an OpenTelemetry ``SpanExporter``) replaces the OTLP exporter: tests export
    to memory, an embedding host may pass its own.

    Raises:
        ConfigError: tracing is on but the ``otel`` extra is not installed.
    """
    if not config.enabled:
        return None
    try:
        from .otel import OtelTracer
    except ImportError as exc:
        raise ConfigError(
            f"{source}: $.tracing.enabled: tracing needs OpenTelemetry: "
            f"pip install 'aigateway[otel]' ({exc.name or exc} is missing)"
        ) from None
    return OtelTracer(config, exporter=exporter)
