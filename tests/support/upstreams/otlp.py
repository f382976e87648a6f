"""A loopback OTLP/HTTP receiver: what a collector sees of the gateway's trace export.

It takes ``POST /v1/traces`` with an ``application/x-protobuf`` body (gzip when the exporter
compresses), decodes it with the OTLP protobuf definitions (``opentelemetry-proto``), checks
the ``authorization`` header when one is expected, and keeps every span as a plain
:class:`ReceivedSpan`. It answers like a collector: an empty ``ExportTraceServiceResponse``.
"""

from __future__ import annotations

import gzip
import threading
from dataclasses import dataclass, field
from typing import Any

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

from .server import FakeUpstream, Recorded, Reply

__all__ = ("OtlpReceiver", "ReceivedSpan")

_KINDS = {1: "INTERNAL", 2: "SERVER", 3: "CLIENT", 4: "PRODUCER", 5: "CONSUMER"}


def _value(v: Any) -> Any:
    kind = v.WhichOneof("value")
    if kind == "array_value":
        return [_value(x) for x in v.array_value.values]
    return getattr(v, kind) if kind else None


@dataclass
class ReceivedSpan:
    """One exported span, decoded (ids as hex, as in ``traceparent``)."""

    name: str
    kind: str
    trace_id: str
    span_id: str
    parent_id: str
    start_ns: int
    end_ns: int
    attributes: dict[str, Any]
    status: int
    """0 unset, 1 ok, 2 error."""
    resource: dict[str, Any] = field(default_factory=dict)


class OtlpReceiver(FakeUpstream):
    """See the module docstring. ``token`` is the ``authorization`` value exports must carry."""

    def __init__(self, token: str | None = None) -> None:
        super().__init__()
        self.token = token
        self.spans: list[ReceivedSpan] = []
        self.exports = 0
        self.rejected = 0
        self._lock = threading.Lock()

    async def handle(self, req: Recorded) -> Reply:
        if req.method != "POST" or req.path != "/v1/traces":
            return Reply(404, b"")
        if self.token is not None and req.headers.get("authorization") != self.token:
            self.rejected += 1
            return Reply(401, b"")
        if req.headers.get("content-type") != "application/x-protobuf":
            return Reply(415, b"")
        body = req.body
        if req.headers.get("content-encoding") == "gzip":
            body = gzip.decompress(body)
        export = ExportTraceServiceRequest.FromString(body)
        received = []
        for rs in export.resource_spans:
            resource = {a.key: _value(a.value) for a in rs.resource.attributes}
            for ss in rs.scope_spans:
                for s in ss.spans:
                    received.append(
                        ReceivedSpan(
                            name=s.name,
                            kind=_KINDS.get(s.kind, str(s.kind)),
                            trace_id=s.trace_id.hex(),
                            span_id=s.span_id.hex(),
                            parent_id=s.parent_span_id.hex(),
                            start_ns=s.start_time_unix_nano,
                            end_ns=s.end_time_unix_nano,
                            attributes={a.key: _value(a.value) for a in s.attributes},
                            status=s.status.code,
                            resource=resource,
                        )
                    )
        with self._lock:
            self.exports += 1
            self.spans.extend(received)
        answer = ExportTraceServiceResponse().SerializeToString()
        return Reply(200, answer, {"content-type": "application/x-protobuf"})

    def snapshot(self) -> list[ReceivedSpan]:
        """The spans received so far."""
        with self._lock:
            return list(self.spans)
