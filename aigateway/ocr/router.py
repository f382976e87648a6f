"""OCR transport: ``POST /v1/ocr`` and ``/ocr`` (openai_compat) or the ``ocr`` plugin's path.

Transport only: authenticate and admit through the tenant gate, cap and read the body (JSON,
multipart, urlencoded) under the request's :class:`~aigateway.http.limits.DocumentLimits`,
normalize, hand over to :class:`~aigateway.ocr.service.OcrService`, encode the answer with
status 200, ``x-aigateway-cost`` (what the request cost, in the currency of the prices) and,
for an entity with ``cache = true``, ``x-aigateway-cache: hit|miss``. Page limits, budgets,
the cache and usage are the service's.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from litestar import Request, Response, post
from litestar.handlers import HTTPRouteHandler

from ..errors import BadRequestError, UnsupportedMediaTypeError
from ..http.bodies import content_type_of, read_buffer, read_multipart, read_urlencoded
from ..http.client import body_stream, unless_gone
from ..http.limits import DocumentLimits
from ..http.middleware import log_fields
from ..http.routes import RouteSpec
from ..tenancy.cost import format_cost
from ..tenancy.gate import TenantGate
from .documents import DocumentStore
from .normalize import FILE_FIELDS, decode_ocr_body, normalize_form, normalize_json
from .protocol import OcrRequest
from .service import OcrOutcome, OcrService

__all__ = ("ocr_handlers", "read_ocr_request")


async def read_ocr_request(request: Request[Any, Any, Any], limits: DocumentLimits) -> OcrRequest:
    """Read and normalize the body of an OCR request under ``limits``: the document at most
    ``max_bytes`` decoded, other fields ``max_field_bytes`` each (a JSON body's non-string
    values too), JSON in them ``max_json_depth`` levels deep."""
    media, params = content_type_of(request.headers.get("content-type"))
    declared = request.headers.get("content-length")
    stream = body_stream(request)
    max_bytes, max_depth = limits.max_bytes, limits.max_json_depth
    if media == "multipart/form-data":
        boundary = params.get("boundary")
        if not boundary:
            raise BadRequestError("multipart/form-data without a boundary parameter")
        body = limits.multipart_body()
        body.check_declared(declared)
        form = await read_multipart(
            stream,
            boundary,
            body,
            file_fields=FILE_FIELDS,
            max_file_bytes=max_bytes,
            max_field_bytes=limits.max_field_bytes,
        )
        return normalize_form(form.fields, form.upload, max_bytes=max_bytes, max_depth=max_depth)
    if media == "application/x-www-form-urlencoded":
        body = limits.form_body()
        body.check_declared(declared)
        form = await read_urlencoded(stream, body)
        return normalize_form(form.fields, None, max_bytes=max_bytes, max_depth=max_depth)
    if media in ("", "application/json", "text/json") or media.endswith("+json"):
        body = limits.json_body("document")
        body.check_declared(declared)
        decoded = decode_ocr_body(
            await read_buffer(stream, body),
            max_field_bytes=limits.max_field_bytes,
            max_depth=max_depth,
        )
        return normalize_json(decoded, max_bytes=max_bytes)
    raise UnsupportedMediaTypeError(
        f"request Content-Type {media} is not accepted: send application/json or "
        "multipart/form-data (file in field `image`)",
        param="content-type",
    )


def ocr_handlers(
    service: OcrService,
    gate: TenantGate,
    route: RouteSpec,
    paths: list[str],
    documents: Callable[[str], DocumentStore] | None = None,
) -> list[HTTPRouteHandler]:
    """The OCR POST handler of ``route``, served at ``paths`` (relative to the route's path)."""

    async def ocr(request: Request[Any, Any, Any]) -> Response[bytes]:
        fields = log_fields(request)
        fields["route"] = route.name
        tenant = gate.authenticate(request.headers, fields)
        outcome: OcrOutcome | None = None
        body = b""
        try:
            admission = await gate.admit(tenant)
            try:
                limits = route.document_limits(tenant.limits)
                ocr_request = await read_ocr_request(request, limits)
                # A client that hangs up stops its pages not yet started (the pool drops them).
                outcome = await unless_gone(
                    request,
                    service.process(
                        ocr_request,
                        refs=tenant.narrow(list(route.ocr_refs)),
                        limits=limits,
                        allowed=tenant.allowed_refs,
                        admission=admission,
                        documents=documents(tenant.id) if documents is not None else None,
                    ),
                )
            finally:
                await admission.release()
            body = outcome.body
        finally:
            await service.record(tenant.id, outcome, len(body))
        fields["entity"] = outcome.entity
        fields["pages"] = outcome.pages
        fields["bytes_in"] = outcome.doc_bytes
        fields["cost_nanos"] = outcome.cost_nanos
        headers = {
            "x-aigateway-provider": outcome.entity,
            "x-aigateway-cost": format_cost(outcome.cost_nanos),
        }
        if outcome.cache is not None:
            fields["cache"] = outcome.cache
            # A coalesced answer did not reach the upstream either: to the caller it is a hit.
            headers["x-aigateway-cache"] = "miss" if outcome.cache == "miss" else "hit"
        return Response(body, status_code=200, media_type="application/json", headers=headers)

    return [
        post(
            paths,
            status_code=200,
            name=f"ocr:{route.path}",
            summary="OCR a document (Mistral OCR compatible)",
        )(ocr)
    ]
