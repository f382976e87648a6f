"""What the rest of the gateway sees of tracing: two small protocols, no OpenTelemetry.

Services and providers hold a ``Tracer | None``: ``None`` when ``[tracing]`` is off, so the
only cost of tracing when off is an ``is not None`` test at each place a span would begin.
The OpenTelemetry implementation (:mod:`.otel`) is imported only when tracing is on.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from typing import Any, Protocol

import httpx

__all__ = ("AttributeValue", "CallSpan", "Tracer")

AttributeValue = str | bool | int | float | list[str]
"""What a span attribute may hold (a subset of OpenTelemetry's)."""


class CallSpan(Protocol):
    """One call to a provider (an upstream, or the local OCR engine): a GenAI client span.

    It is not current until :meth:`use` makes it so (for the HTTP spans of the call, and the
    local engine's page spans, to become its children); it ends with :meth:`end`, which may come
    long after the call returned (a stream ends when its last event is relayed).
    """

    def use(self) -> AbstractContextManager[object]:
        """Make this span the current one inside the ``with`` block (it does not end there)."""
        ...

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
        """Record what the provider answered (``gen_ai.response.*``, ``gen_ai.usage.*``)."""
        ...

    def fail(self, error: BaseException) -> None:
        """Mark the call failed (status ERROR, ``error.type``; the message carries no data)."""
        ...

    def end(self) -> None:
        """End the span (once; later calls do nothing)."""
        ...


class Tracer(Protocol):
    """The tracing of one app: spans, propagation and the exporter's lifetime."""

    def provider_call(
        self,
        *,
        operation: str,
        adapter: str,
        entity: str,
        request_model: str | None,
        server_url: str | None = None,
    ) -> CallSpan:
        """Start the span of one provider call (not current yet: see :meth:`CallSpan.use`).

        ``operation`` is ``gen_ai.operation.name`` (``chat``, ``embeddings``, ``ocr``),
        ``adapter`` the entity's ``provider`` in the config.
        """
        ...

    def page(
        self,
        *,
        index: int,
        started_ns: int,
        ended_ns: int,
        attributes: Mapping[str, AttributeValue] | None = None,
    ) -> None:
        """Record one page read elsewhere (a worker process) as a child of the current span,
        with the start and end times (``time.time_ns()``) the worker measured."""
        ...

    def asgi(
        self,
        app: Callable[..., Any],
        fields: Callable[[Any], Mapping[str, Any]] | None = None,
    ) -> Callable[..., Any]:
        """``app`` wrapped so that every HTTP request is a server span, continuing an incoming
        W3C ``traceparent``; ``fields(scope)`` (the access-log fields: request id, tenant,
        route, entity) are added to the span when the request is done."""
        ...

    def transport(self, inner: httpx.AsyncBaseTransport) -> httpx.AsyncBaseTransport:
        """``inner`` wrapped so that every upstream request is a client span and carries its
        ``traceparent``."""
        ...

    def flush(self, timeout: float = 10.0) -> bool:
        """Export every ended span now (blocking; tests and shutdown)."""
        ...

    async def aclose(self) -> None:
        """Flush and stop exporting (the app's shutdown)."""
        ...
