"""The ``components`` of the OpenAPI document: schemas from msgspec Structs, shared responses.

Schemas come from :func:`msgspec.json.schema_components` over the Structs the handlers encode
(``OcrResponse``, ``ModelList``, ``ErrorEnvelope`` …) and the request Structs of
:mod:`aigateway.openapi.wire`. Two corrections make them say what is on the wire:

* a field of a response Struct is always encoded unless its default is ``UNSET`` (msgspec omits
  only those), so such fields are marked ``required`` even when they have a default;
* the multipart upload field is a binary part, not a base64 string.
"""

from __future__ import annotations

from typing import Any

import msgspec
from msgspec import UNSET

from ..errors import ErrorEnvelope
from ..models.router import ModelCard, ModelList
from ..ocr.protocol import OcrResponse
from ..playground.schemas import PreviewResponse
from . import wire

__all__ = ("ERROR_STATUSES", "REF", "build_components", "error_response_name")

REF = "#/components/schemas/{name}"

RESPONSE_TYPES: tuple[Any, ...] = (
    OcrResponse,
    ModelList,
    ModelCard,
    ErrorEnvelope,
    PreviewResponse,
    wire.Health,
    wire.Readiness,
    wire.UsageReport,
)
"""Structs the gateway encodes itself (their non-UNSET fields are always present)."""

RELAYED_TYPES: tuple[Any, ...] = (
    wire.OcrJsonRequest,
    wire.OcrMultipartRequest,
    wire.ChatCompletionRequest,
    wire.ChatCompletion,
    wire.ChatCompletionChunk,
    wire.EmbeddingRequest,
    wire.EmbeddingList,
)
"""Request Structs, and upstream answers relayed as they came (left as written)."""

ERROR_STATUSES: dict[str, tuple[str, str]] = {
    "400": ("BadRequest", "A field is missing or has a bad value; `param` names it."),
    "401": ("Unauthorized", "No API key, or a key no tenant owns."),
    "403": ("Forbidden", "The tenant may not use this entity."),
    "404": ("NotFound", "Unknown model, provider or path."),
    "413": ("PayloadTooLarge", "The body, document, pages or pixels exceed a limit (named)."),
    "415": ("UnsupportedMediaType", "The request or document type is not accepted."),
    "422": ("UnprocessableDocument", "The document cannot be read (corrupt, wrong password)."),
    "429": (
        "RateLimited",
        "A rate limit or quota was hit, or the tenant's budget (`budget_exceeded`: the message "
        "says what is left and when it resets); retry after `Retry-After` seconds.",
    ),
    "4XX": ("UpstreamRejected", "The upstream rejected the request; its status is kept."),
    "502": ("BadGateway", "The upstream failed or answered something unreadable."),
    "503": ("Unavailable", "Saturated or not ready; retry after `Retry-After` seconds."),
    "504": ("GatewayTimeout", "The upstream did not answer in time."),
}
"""Every error status the document uses: component name and meaning."""

_ERROR_EXAMPLES: dict[str, tuple[str, str | None, str]] = {
    "400": ("pages: index 9 is out of range; the document has 2 page(s)", "pages", "invalid_value"),
    "401": ("invalid API key", "authorization", "invalid_api_key"),
    "403": ("this API key may not use 'mistral'", "provider", "permission_denied"),
    "404": ("model 'nope' does not exist or is not available", "model", "model_not_found"),
    "413": ("the uploaded file exceeds the limit of 104857600 bytes", "image", "payload_too_large"),
    "415": ("the document is SVG; accepted: application/pdf, image/png", "document", "x"),
    "422": ("the PDF is encrypted: send its password in pdf_password", "pdf_password", "x"),
    "429": ("requests_per_minute limit of 600 reached", None, "rate_limit_exceeded"),
    "4XX": ("the upstream rejected the request", "messages", "context_length_exceeded"),
    "502": ("the upstream answered 500", None, "upstream_error"),
    "503": ("the local OCR queue is full", None, "overloaded"),
    "504": ("the upstream did not answer within 180 s", None, "upstream_timeout"),
}

_TYPES = {"429": "rate_limit_exceeded", "502": "upstream_error", "503": "server_error"}


def error_response_name(status: str) -> str:
    """The ``components.responses`` name of an error status (``"404"`` → ``NotFound``)."""
    return ERROR_STATUSES[status][0]


def _always_present(tp: Any, schemas: dict[str, Any], seen: set[str]) -> None:
    """Mark every field msgspec always encodes as required, recursively through Structs."""
    info = msgspec.inspect.type_info(tp)
    _walk(info, schemas, seen)


def _walk(info: msgspec.inspect.Type, schemas: dict[str, Any], seen: set[str]) -> None:
    if isinstance(info, msgspec.inspect.StructType):
        name = info.cls.__name__
        if name in seen:
            return
        seen.add(name)
        schema = schemas.get(name)
        if schema is not None and not info.cls.__struct_config__.omit_defaults:
            # inspect reports an UNSET default as "no default"; structs.fields tells them apart.
            fields = msgspec.structs.fields(info.cls)
            required = [f.encode_name for f in fields if f.default is not UNSET]
            # Keep the declared order, which is the encoded order.
            schema["required"] = required
        for f in info.fields:
            _walk(f.type, schemas, seen)
    elif isinstance(info, msgspec.inspect.UnionType):
        for t in info.types:
            _walk(t, schemas, seen)
    elif isinstance(info, (msgspec.inspect.ListType, msgspec.inspect.TupleType)):
        _walk(info.item_type, schemas, seen)  # type: ignore[union-attr]
    elif isinstance(info, msgspec.inspect.DictType):
        _walk(info.value_type, schemas, seen)


def _binary_upload(schemas: dict[str, Any]) -> None:
    props = schemas["OcrMultipartRequest"]["properties"]
    props["image"] = {
        "type": "string",
        "format": "binary",
        "contentMediaType": "application/octet-stream",
        "description": "The document (PDF, PNG, JPEG, GIF, WebP, TIFF, BMP). The field may also "
        "be called `file` or `document`.",
    }
    preview = schemas.get("PreviewPage")
    if preview is not None:
        preview["properties"]["data"]["contentEncoding"] = "base64"


def _error_responses() -> dict[str, Any]:
    out: dict[str, Any] = {}
    for status, (name, meaning) in ERROR_STATUSES.items():
        message, param, code = _ERROR_EXAMPLES[status]
        headers: dict[str, Any] = {"x-request-id": {"$ref": "#/components/headers/RequestId"}}
        if status in ("429", "503"):
            headers["Retry-After"] = {"$ref": "#/components/headers/RetryAfter"}
        if status == "401":
            headers["WWW-Authenticate"] = {
                "schema": {"type": "string"},
                "description": "`Bearer`",
            }
        example = {
            "error": {
                "message": message,
                "type": _TYPES.get(status, "invalid_request_error"),
                "param": param,
                "code": code,
            }
        }
        out[name] = {
            "description": meaning,
            "headers": headers,
            "content": {
                "application/json": {
                    "schema": {"$ref": REF.format(name="ErrorEnvelope")},
                    "example": example,
                }
            },
        }
    return out


HEADERS: dict[str, Any] = {
    "RequestId": {
        "description": "The request's id (the caller's well-formed `x-request-id`, or a new one).",
        "required": True,
        "schema": {"type": "string"},
    },
    "RetryAfter": {
        "description": "Seconds to wait before retrying.",
        "required": True,
        "schema": {"type": "string", "pattern": "^[0-9]+$"},
    },
    "Provider": {
        "description": "The entity that answered (after fallbacks).",
        "required": True,
        "schema": {"type": "string"},
    },
    "Cost": {
        "description": "What the request cost, in the currency of the configured prices, as a "
        "plain decimal (`0` when unpriced). A stream sends it as its last comment instead, "
        "`: x-aigateway-cost: 0.00042` before `data: [DONE]` (priced entities only).",
        "required": False,
        "schema": {"type": "string", "pattern": "^-?[0-9]+(\\.[0-9]+)?$"},
    },
    "Cache": {
        "description": "For an OCR entity with `cache = true`: `hit` when the answer came from "
        "the result cache (or an identical request in flight), `miss` when an upstream made it.",
        "required": False,
        "schema": {"type": "string", "enum": ["hit", "miss"]},
    },
}


def build_components() -> dict[str, Any]:
    """``components`` without ``securitySchemes`` (those depend on the config)."""
    _, schemas = msgspec.json.schema_components((*RESPONSE_TYPES, *RELAYED_TYPES), ref_template=REF)
    seen: set[str] = set()
    for tp in RESPONSE_TYPES:
        _always_present(tp, schemas, seen)
    _binary_upload(schemas)
    return {
        "schemas": dict(sorted(schemas.items())),
        "responses": _error_responses(),
        "headers": HEADERS,
    }
