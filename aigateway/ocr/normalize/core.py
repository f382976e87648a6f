"""Pure normalization of OCR requests: JSON bodies and multipart fields to :class:`OcrRequest`.

No I/O happens here (the property tests hammer this module). Every rejected value raises
:class:`~aigateway.errors.BadRequestError` (or 413 for an oversized inline document) naming the
field, so arbitrary JSON can never become a 5xx.

Document location order (first match wins): base64 fields (``document_base64``,
``image_base64``, top level or inside ``document``); the Mistral-style ``document`` object
(``document_url`` / ``image_url`` / ``file`` with a ``file_id`` of the files store) or a
top-level ``image_url`` object; flat ``document_url`` / ``image_url`` strings. A ``data:`` URI
works wherever a URL does.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ...blob import Blob
from ...errors import BadRequestError
from ...jsondepth import DEFAULT_MAX_DEPTH
from ..protocol import DocumentSource, OcrOptions, OcrRequest
from .encoding import (
    base64_blob,
    data_uri_blob,
    decode_base64,
    is_media_type,
    normalize_media_type,
    parse_data_uri,
    resolve_media_type,
    sniff_media_type,
)
from .formfields import form_to_json
from .jsonbody import decode_json_text

__all__ = (
    "FILE_FIELDS",
    "decode_base64",
    "normalize_form",
    "normalize_json",
    "normalize_media_type",
    "parse_data_uri",
    "parse_pages",
    "resolve_media_type",
    "sniff_media_type",
)

FILE_FIELDS = ("image", "file", "document")
"""Multipart fields that may carry the uploaded document, in order of preference."""

MAX_PAGE_SELECTION = 100_000
"""A ``pages`` selection may name at most this many pages (before the document's own caps)."""
MAX_PAGES_TEXT = 1 << 20
"""Characters a ``pages`` string may have (every page of the largest selection fits)."""


def _q(value: Any, limit: int = 60) -> str:
    """``repr`` of a caller's value for a message, cut: errors must not echo megabytes."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _inline(
    blob: Blob, declared: str | None, field: str, filename: str | None = None
) -> DocumentSource:
    if blob.size == 0:
        raise BadRequestError(f"{field}: the document is empty", param=field)
    return DocumentSource(blob=blob, declared_type=declared, field=field, filename=filename)


def _from_url(value: Any, field: str, max_bytes: int | None) -> DocumentSource:
    if isinstance(value, Mapping):
        if "url" not in value:
            raise BadRequestError(f"{field} must be a string or an object with `url`", param=field)
        return _from_url(value["url"], f"{field}.url", max_bytes)
    if not isinstance(value, str) or not value.strip():
        raise BadRequestError(f"{field} must be a non-empty URL string", param=field)
    url = value.strip()
    scheme = url.split(":", 1)[0].lower() if ":" in url else ""
    if scheme == "data":
        blob, media = data_uri_blob(url, field, max_bytes=max_bytes)
        return _inline(blob, media, field)
    if scheme in ("http", "https"):
        return DocumentSource(url=url, field=field)
    raise BadRequestError(
        f"{field} must be an http(s) URL or a data: URI (got scheme {_q(scheme or 'none')})",
        param=field,
    )


def _from_base64(value: Any, field: str, max_bytes: int | None) -> DocumentSource:
    if not isinstance(value, str) or not value:
        raise BadRequestError(f"{field} must be a non-empty base64 string", param=field)
    if value[:5].lower() == "data:":
        blob, media = data_uri_blob(value, field, max_bytes=max_bytes)
        return _inline(blob, media, field)
    return _inline(base64_blob(value, field, max_bytes=max_bytes), None, field)


# --- locating the document -------------------------------------------------------------------

_DOC_TYPES = {"document_url": "document_url", "image_url": "image_url"}


def _locate(body: Mapping[str, Any], max_bytes: int | None) -> DocumentSource:
    doc = body.get("document")
    if doc is not None and not isinstance(doc, (Mapping, str)):
        raise BadRequestError("document must be an object (or a URL string)", param="document")
    # 1. base64 fields, top level first, then inside `document`.
    for key in ("document_base64", "image_base64"):
        if body.get(key) is not None:
            return _from_base64(body[key], key, max_bytes)
    if isinstance(doc, Mapping):
        for key in ("document_base64", "image_base64"):
            if doc.get(key) is not None:
                return _from_base64(doc[key], f"document.{key}", max_bytes)
    # 2. the Mistral-style object.
    if isinstance(doc, str):
        return _from_url(doc, "document", max_bytes)
    if isinstance(doc, Mapping):
        kind = doc.get("type")
        if kind is not None and not isinstance(kind, str):
            raise BadRequestError("document.type must be a string", param="document.type")
        if kind == "file" or (kind is None and "file_id" in doc):
            file_id = doc.get("file_id")
            if not isinstance(file_id, str) or not file_id.strip():
                raise BadRequestError(
                    "document.file_id must be the id of an uploaded file (POST /v1/files)",
                    param="document.file_id",
                )
            return DocumentSource(file_id=file_id.strip(), field="document.file_id")
        if kind is not None and kind not in _DOC_TYPES:
            raise BadRequestError(
                f"document.type must be 'document_url', 'image_url' or 'file', not {_q(kind)}",
                param="document.type",
            )
        keys = [kind] if kind else ["document_url", "image_url"]
        for key in keys:
            if doc.get(key) is not None:
                src = _from_url(doc[key], f"document.{key}", max_bytes)
                name = doc.get("document_name")
                if isinstance(name, str) and src.blob is not None:
                    return DocumentSource(
                        blob=src.blob,
                        declared_type=src.declared_type,
                        field=src.field,
                        filename=name,
                    )
                return src
        raise BadRequestError(
            f"document.{kind or 'document_url'} is required"
            + (f" for document.type {_q(kind)}" if kind else ""),
            param=f"document.{kind or 'document_url'}",
        )
    if isinstance(body.get("image_url"), Mapping):
        return _from_url(body["image_url"], "image_url", max_bytes)
    # 3. flat URL fields.
    for key in ("document_url", "image_url"):
        if body.get(key) is not None:
            return _from_url(body[key], key, max_bytes)
    raise BadRequestError(
        "no document in the request: send `document` ({type: document_url|image_url, ...}), "
        "`document_url`, `image_url`, `document_base64` or `image_base64`, or upload a file "
        "as multipart field `image`",
        param="document",
        code="missing_required_parameter",
    )


# --- option fields ---------------------------------------------------------------------------


def parse_pages(value: Any, field: str = "pages") -> tuple[int, ...] | None:
    """0-based page indexes from a list of ints, one int, or a string like ``"0-2,5"``."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise BadRequestError(f"{field} must be a list of 0-based page numbers", param=field)
    if isinstance(value, int):
        items: list[int] = [value]
    elif isinstance(value, list):
        items = []
        for v in value:
            if isinstance(v, bool) or not isinstance(v, int):
                raise BadRequestError(
                    f"{field} must be a list of 0-based page numbers (integers), got {_q(v)}",
                    param=field,
                )
            items.append(v)
    elif isinstance(value, str):
        if len(value) > MAX_PAGES_TEXT:
            raise BadRequestError(
                f"{field}: the selection is longer than {MAX_PAGES_TEXT} characters", param=field
            )
        text = value.strip()
        if text.startswith("["):
            return parse_pages(decode_json_text(text, field, DEFAULT_MAX_DEPTH), field)
        items = []
        for part in filter(None, (p.strip() for p in text.split(","))):
            lo, dash, hi = part.partition("-")
            try:
                a = int(lo)
                b = int(hi) if dash else a
            except ValueError:
                raise BadRequestError(
                    f"{field}: {_q(part)} is not a page number or range like '0-2'", param=field
                ) from None
            if b < a:
                raise BadRequestError(
                    f"{field}: range {_q(part)} ends before it starts", param=field
                )
            if b - a >= MAX_PAGE_SELECTION:
                raise BadRequestError(f"{field}: range {_q(part)} is too long", param=field)
            items.extend(range(a, b + 1))
            if len(items) > MAX_PAGE_SELECTION:
                break
        if not items and text:
            raise BadRequestError(f"{field}: {_q(value)} names no page", param=field)
    else:
        raise BadRequestError(f"{field} must be a list of 0-based page numbers", param=field)
    if any(i < 0 for i in items):
        raise BadRequestError(
            f"{field}: page numbers are 0-based and cannot be negative", param=field
        )
    if len(items) > MAX_PAGE_SELECTION:
        raise BadRequestError(f"{field}: at most {MAX_PAGE_SELECTION} pages", param=field)
    if not items:
        raise BadRequestError(f"{field} must name at least one page", param=field)
    return tuple(sorted(set(items)))


def _opt_str(body: Mapping[str, Any], key: str) -> str | None:
    v = body.get(key)
    if v is None or isinstance(v, str):
        return v
    raise BadRequestError(f"{key} must be a string", param=key)


def _opt_bool(body: Mapping[str, Any], key: str) -> bool | None:
    v = body.get(key)
    if v is None or isinstance(v, bool):
        return v
    raise BadRequestError(f"{key} must be true or false", param=key)


def _opt_count(body: Mapping[str, Any], key: str) -> int | None:
    v = body.get(key)
    if v is None:
        return None
    if isinstance(v, bool) or not isinstance(v, int) or v < 0:
        raise BadRequestError(f"{key} must be a non-negative integer", param=key)
    return v


def _opt_format(body: Mapping[str, Any], key: str) -> dict[str, Any] | None:
    v = body.get(key)
    if v is None:
        return None
    if not isinstance(v, Mapping):
        raise BadRequestError(f"{key} must be an object like {{type: json_schema, ...}}", param=key)
    if v.get("type") != "json_schema":
        raise BadRequestError(f"{key}.type must be 'json_schema'", param=f"{key}.type")
    schema = v.get("json_schema")
    if not isinstance(schema, Mapping) or not isinstance(schema.get("schema"), Mapping):
        raise BadRequestError(
            f"{key}.json_schema must be an object with `name` and `schema`",
            param=f"{key}.json_schema",
        )
    return dict(v)


def _options(body: Mapping[str, Any]) -> OcrOptions:
    table_format = _opt_str(body, "table_format")
    if table_format is not None and table_format not in ("markdown", "html"):
        raise BadRequestError("table_format must be 'markdown' or 'html'", param="table_format")
    return OcrOptions(
        pages=parse_pages(body.get("pages")),
        pdf_password=_opt_str(body, "pdf_password"),
        include_image_base64=_opt_bool(body, "include_image_base64"),
        image_limit=_opt_count(body, "image_limit"),
        image_min_size=_opt_count(body, "image_min_size"),
        table_format=table_format,
        extract_header=_opt_bool(body, "extract_header"),
        extract_footer=_opt_bool(body, "extract_footer"),
        document_annotation_format=_opt_format(body, "document_annotation_format"),
        bbox_annotation_format=_opt_format(body, "bbox_annotation_format"),
        document_annotation_prompt=_opt_str(body, "document_annotation_prompt"),
        force_ocr=_opt_bool(body, "force_ocr"),
    )


def _request(body: Mapping[str, Any], locate: Callable[[], DocumentSource]) -> OcrRequest:
    # Options are validated before `locate` decodes a possibly large document.
    content_type = _opt_str(body, "content_type")
    if content_type is not None:
        content_type = normalize_media_type(content_type)
        if not is_media_type(content_type):
            raise BadRequestError(
                f"content_type {_q(body['content_type'])} is not a media type like application/pdf",
                param="content_type",
            )
    model = _opt_str(body, "model") or None
    provider = _opt_str(body, "provider") or None
    request_id = _opt_str(body, "id")
    options = _options(body)
    return OcrRequest(
        source=locate(),
        content_type=content_type,
        model=model,
        provider=provider,
        id=request_id,
        options=options,
    )


def normalize_json(body: Any, *, max_bytes: int | None = None) -> OcrRequest:
    """Normalize a decoded JSON body. ``max_bytes`` caps inline (decoded) documents."""
    if not isinstance(body, Mapping):
        raise BadRequestError(
            "the request body must be a JSON object", param=None, code="invalid_json"
        )
    return _request(body, lambda: _locate(body, max_bytes))


# --- multipart ---------------------------------------------------------------------------


def normalize_form(
    fields: Mapping[str, str],
    upload: tuple[str, Blob, str | None, str | None] | None,
    *,
    max_bytes: int | None = None,
    max_depth: int = DEFAULT_MAX_DEPTH,
) -> OcrRequest:
    """Normalize multipart fields plus an optional upload ``(field, blob, type, filename)``.

    The uploaded file wins over any document field; the other fields are read like their JSON
    twins (``pages=0,1,2`` or ``pages=[0,1,2]``, ``include_image_base64=true``); JSON texts may
    nest at most ``max_depth`` levels.
    """
    body = form_to_json(fields, max_depth)
    if upload is None:
        return normalize_json(body, max_bytes=max_bytes)
    field, blob, declared, filename = upload
    if blob.size == 0:
        raise BadRequestError(f"{field}: the uploaded file is empty", param=field)
    source = DocumentSource(blob=blob, declared_type=declared, filename=filename, field=field)
    return _request(body, lambda: source)
