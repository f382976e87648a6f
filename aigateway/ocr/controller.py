"""OCR transport: ``POST /v1/ocr`` and ``/ocr`` (openai_compat) or the ``ocr`` plugin's path.

Transport only: authenticate, cap and read the body (JSON, multipart, urlencoded), normalize,
hand over to :class:`~aigateway.ocr.service.OcrService`, encode the answer with status 200.
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request, Response, post
from litestar.handlers import HTTPRouteHandler

from ..bodies import content_type_of, read_buffer, read_multipart, read_urlencoded
from ..errors import UnsupportedMediaTypeError
from ..gateway import Gateway, RouteContext
from ..jsondepth import DEFAULT_MAX_DEPTH
from ..limits import BodyLimits, json_body_limit, multipart_body_limit
from ..observability import log_fields
from .jsonbody import decode_ocr_body
from .normalize import FILE_FIELDS, normalize_form, normalize_json
from .providers.base import OcrProvider
from .schemas import Document, OcrRequest
from .service import count_document_pages

__all__ = ("ocr_handlers", "read_ocr_request")

_encoder = msgspec.json.Encoder()


async def read_ocr_request(
    request: Request[Any, Any, Any],
    max_bytes: int,
    max_field_bytes: int,
    max_depth: int = DEFAULT_MAX_DEPTH,
) -> OcrRequest:
    """Read and normalize the body of an OCR request under the ``max_bytes`` document cap.

    Non-file fields are capped at ``max_field_bytes`` (a JSON body's non-string values too) and
    JSON in them at ``max_depth`` levels.
    """
    media, params = content_type_of(request.headers.get("content-type"))
    declared = request.headers.get("content-length")
    stream = request.stream()
    if media == "multipart/form-data":
        boundary = params.get("boundary")
        if not boundary:
            from ..errors import BadRequestError

            raise BadRequestError("multipart/form-data without a boundary parameter")
        limits = BodyLimits(
            multipart_body_limit(max_bytes, max_field_bytes),
            f"multipart body (max_size_upload is {max_bytes} bytes)",
        )
        limits.check_declared(declared)
        form = await read_multipart(
            stream,
            boundary,
            limits,
            file_fields=FILE_FIELDS,
            max_file_bytes=max_bytes,
            max_field_bytes=max_field_bytes,
        )
        return normalize_form(form.fields, form.upload, max_bytes=max_bytes, max_depth=max_depth)
    if media == "application/x-www-form-urlencoded":
        limits = BodyLimits(json_body_limit(max_bytes), f"form body (max_size_upload {max_bytes})")
        limits.check_declared(declared)
        form = await read_urlencoded(stream, limits)
        return normalize_form(form.fields, None, max_bytes=max_bytes, max_depth=max_depth)
    if media in ("", "application/json", "text/json") or media.endswith("+json"):
        limits = BodyLimits(
            json_body_limit(max_bytes),
            f"JSON body (max_size_upload is {max_bytes} bytes of decoded document)",
        )
        limits.check_declared(declared)
        body = decode_ocr_body(
            await read_buffer(stream, limits), max_field_bytes=max_field_bytes, max_depth=max_depth
        )
        return normalize_json(body, max_bytes=max_bytes)
    raise UnsupportedMediaTypeError(
        f"request Content-Type {media} is not accepted: send application/json or "
        "multipart/form-data (file in field `image`)",
        param="content-type",
    )


def ocr_handlers(gw: Gateway, route: RouteContext, paths: list[str]) -> list[HTTPRouteHandler]:
    """The OCR POST handler of ``route``, served at ``paths`` (relative to the route's path)."""
    limits = gw.settings.limits

    async def ocr(request: Request[Any, Any, Any]) -> Response[bytes]:
        fields = log_fields(request)
        fields["route"] = route.name
        fields["kind"] = "ocr"
        tenant, admission = await gw.admit(request.headers, fields)
        try:
            refs = tenant.narrow(list(route.ocr_refs))
            max_bytes = route.upload_limit(tenant)
            ocr_request = await read_ocr_request(
                request, max_bytes, limits.max_form_field_size, limits.max_json_depth
            )
            page_limited = (
                tenant.limits.pages_per_minute is not None
                or tenant.limits.pages_per_day is not None
            )
            counted = False

            async def before_call(document: Document | None, provider: OcrProvider) -> None:
                # Page limits are charged before the document goes anywhere; a URL passed
                # through to the upstream cannot be counted first and is charged afterwards.
                nonlocal counted
                if not page_limited or document is None:
                    return
                opts = ocr_request.options
                pages = await count_document_pages(
                    document,
                    opts.pages,
                    opts.pdf_password,
                    limits.max_pages,
                    limits.max_pixels_per_page,
                )
                await gw.quotas.charge_pages(admission, pages)
                counted = True

            outcome = await gw.ocr.process(
                ocr_request,
                refs=refs,
                max_bytes=max_bytes,
                allowed=tenant.allowed_refs,
                before_call=before_call,
                documents=gw.files.documents_for(tenant.id) if gw.files is not None else None,
            )
            processed = outcome.response.usage_info.pages_processed
            if page_limited and not counted:
                await gw.quotas.charge_pages_after(tenant, processed)
        finally:
            await admission.release()
        fields["entity"] = outcome.entity
        fields["pages"] = processed
        fields["bytes_in"] = outcome.response.usage_info.doc_size_bytes or 0
        return Response(
            _encoder.encode(outcome.response),
            status_code=200,
            media_type="application/json",
            headers={"x-aigateway-provider": outcome.entity},
        )

    return [
        post(
            paths,
            status_code=200,
            name=f"ocr:{route.config.path}",
            summary="OCR a document (Mistral OCR compatible)",
        )(ocr)
    ]
