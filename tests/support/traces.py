"""Checks of the gateway's traces, shared by the in-memory and the OTLP tests.

Spans from either source become :class:`~tests.support.upstreams.otlp.ReceivedSpan`; the
checks then say what one OCR request's trace and one streamed chat's trace must look like.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tests.support.upstreams.otlp import ReceivedSpan

__all__ = ("check_chat_trace", "check_ocr_trace", "from_sdk", "one", "trace_of")


def from_sdk(span: Any) -> ReceivedSpan:
    """An OpenTelemetry SDK ``ReadableSpan`` (in-memory exporter) as a :class:`ReceivedSpan`."""
    ctx = span.context
    return ReceivedSpan(
        name=span.name,
        kind=span.kind.name,
        trace_id=f"{ctx.trace_id:032x}",
        span_id=f"{ctx.span_id:016x}",
        parent_id=f"{span.parent.span_id:016x}" if span.parent is not None else "",
        start_ns=span.start_time,
        end_ns=span.end_time,
        attributes=dict(span.attributes or {}),
        status=span.status.status_code.value,
        resource=dict(span.resource.attributes),
    )


def one(spans: Sequence[ReceivedSpan], **where: Any) -> ReceivedSpan:
    """The single span whose fields (``name``, ``kind``, ``parent_id`` …) match ``where``."""
    found = [s for s in spans if all(getattr(s, k) == v for k, v in where.items())]
    assert len(found) == 1, (where, [(s.name, s.kind, s.parent_id) for s in spans])
    return found[0]


def trace_of(spans: Sequence[ReceivedSpan], server: ReceivedSpan) -> list[ReceivedSpan]:
    """Every span of ``server``'s trace."""
    return [s for s in spans if s.trace_id == server.trace_id]


def _within(child: ReceivedSpan, parent: ReceivedSpan) -> None:
    assert parent.start_ns <= child.start_ns <= child.end_ns <= parent.end_ns, (child, parent)


def check_ocr_trace(
    spans: Sequence[ReceivedSpan], server: ReceivedSpan, *, pages: int, model: str
) -> ReceivedSpan:
    """One OCR request on the local engine: server span, one provider span, a span per page
    (timed by the worker, inside the provider span). Returns the provider span."""
    assert server.kind == "SERVER"
    assert server.attributes["http.request.method"] == "POST"
    assert server.attributes["http.response.status_code"] == 200
    assert server.attributes["aigateway.entity"] == "local"
    assert server.attributes["aigateway.ocr.pages"] == pages
    assert server.attributes["aigateway.request_id"]
    trace = trace_of(spans, server)
    call = one(trace, parent_id=server.span_id)
    assert call.kind == "CLIENT"
    assert call.name == f"ocr {model}"
    attrs = call.attributes
    assert attrs["gen_ai.operation.name"] == "ocr"
    assert attrs["gen_ai.provider.name"] == "aigateway.local"
    assert attrs["gen_ai.system"] == "aigateway.local"
    assert attrs["gen_ai.request.model"] == model
    assert attrs["gen_ai.response.model"] == model
    assert attrs["aigateway.entity"] == "local"
    assert attrs["aigateway.ocr.pages"] == pages
    _within(call, server)
    page_spans = sorted(
        (s for s in trace if s.parent_id == call.span_id),
        key=lambda s: s.attributes["aigateway.ocr.page.index"],
    )
    assert [s.name for s in page_spans] == ["ocr page"] * pages
    assert [s.attributes["aigateway.ocr.page.index"] for s in page_spans] == list(range(pages))
    for page in page_spans:
        assert page.kind == "INTERNAL"
        method = page.attributes["aigateway.ocr.page.method"]
        assert method in ("text_layer", "ocr")
        if method == "ocr":
            assert page.attributes["aigateway.ocr.page.engine"] in ("tesseract", "rapidocr")
        assert page.end_ns > page.start_ns
        _within(page, call)
    assert len(trace) == 2 + pages, [s.name for s in trace]
    return call


def check_chat_trace(
    spans: Sequence[ReceivedSpan],
    server: ReceivedSpan,
    *,
    model: str,
    input_tokens: int,
    output_tokens: int,
    upstream_traceparent: str,
) -> None:
    """One streamed chat: server span, the provider call (GenAI attributes and usage), and
    the upstream HTTP request whose ``traceparent`` the upstream received."""
    assert server.kind == "SERVER"
    assert server.name == "POST /v1/chat/completions"
    assert server.attributes["http.route"] == "/v1/chat/completions"
    assert server.attributes["http.response.status_code"] == 200
    trace = trace_of(spans, server)
    call = one(trace, parent_id=server.span_id)
    assert call.kind == "CLIENT"
    assert call.name == f"chat {model}"
    attrs = call.attributes
    assert attrs["gen_ai.operation.name"] == "chat"
    assert attrs["gen_ai.provider.name"] == "openai"
    assert attrs["gen_ai.request.model"] == model
    assert attrs["gen_ai.response.model"] == model
    assert attrs["gen_ai.usage.input_tokens"] == input_tokens
    assert attrs["gen_ai.usage.output_tokens"] == output_tokens
    assert attrs["server.address"] == "127.0.0.1"
    http = one(trace, parent_id=call.span_id)
    assert http.kind == "CLIENT"
    assert http.name == "POST"
    assert http.attributes["http.response.status_code"] == 200
    assert http.attributes["url.full"].endswith("/v1/chat/completions")
    _within(http, call)
    _within(call, server)
    # The upstream was told it is the HTTP span's child, in this trace, sampled (the flags may
    # also carry W3C level 2's "random trace id" bit).
    version, trace_id, parent_id, flags = upstream_traceparent.split("-")
    assert (version, trace_id, parent_id) == ("00", server.trace_id, http.span_id)
    assert int(flags, 16) & 1 == 1
    assert len(trace) == 3, [s.name for s in trace]
