"""Decoding an OCR request's JSON body into only the fields the gateway reads.

A JSON body may be up to 4/3 of the upload limit (a base64 document), and decoding it whole
would turn every ``[]`` of a hostile filler into a Python list: 32 bytes of RAM per body byte,
gigabytes for one request. Instead the body is split into its top-level values left as raw JSON
(:class:`msgspec.Raw`, nothing allocated per nested value), values the gateway never reads are
dropped undecoded, and the others are decoded one by one under two rules:

- strings decode at any length (the body cap bounds them, and a string costs what it weighs);
- any other value may weigh at most ``max_field_bytes`` and nest at most ``max_depth`` levels,
  else a 413 / 400 naming the field.

``document`` and URL objects are pruned the same way one level down, so what reaches
:func:`~aigateway.ocr.normalize.normalize_json` is exactly what it reads. Pure: no I/O.
"""

from __future__ import annotations

from typing import Any

import msgspec

from ...errors import BadRequestError, PayloadTooLargeError
from ...jsondepth import nesting_over

__all__ = ("OCR_FIELDS", "decode_json_text", "decode_ocr_body", "json_too_deep")

_URL_OBJECT: dict[str, Any] = {"url": None}
_DOCUMENT: dict[str, Any] = {
    "type": None,
    "document_url": _URL_OBJECT,
    "image_url": _URL_OBJECT,
    "document_base64": None,
    "image_base64": None,
    "file_id": None,
    "document_name": None,
}
OCR_FIELDS: dict[str, Any] = {
    "document": _DOCUMENT,
    "document_url": _URL_OBJECT,
    "image_url": _URL_OBJECT,
    "document_base64": None,
    "image_base64": None,
    **dict.fromkeys(
        (
            "model",
            "provider",
            "content_type",
            "id",
            "pages",
            "pdf_password",
            "include_image_base64",
            "image_limit",
            "image_min_size",
            "table_format",
            "extract_header",
            "extract_footer",
            "document_annotation_format",
            "bbox_annotation_format",
            "document_annotation_prompt",
            "force_ocr",
        )
    ),
}
"""Every field the OCR normalizer reads; a nested table prunes an object value the same way."""

_fields = msgspec.json.Decoder(dict[str, msgspec.Raw])


def json_too_deep(
    text: bytes | bytearray | str, max_depth: int, field: str | None
) -> BadRequestError | None:
    """The 400 for ``text`` (the body, or ``field``'s JSON) nesting deeper than ``max_depth``."""
    excess = nesting_over(text, max_depth)
    if excess is None:
        return None
    where = field or excess.key
    if field and excess.key:
        where = f"{field}.{excess.key}"
    return BadRequestError(
        f"{where or 'the request body'}: JSON nests deeper than {max_depth} levels",
        param=where,
        code="json_too_deep",
    )


def _split(
    raw: bytes | bytearray | msgspec.Raw, field: str | None, max_depth: int
) -> dict[str, msgspec.Raw]:
    try:
        return _fields.decode(raw)
    except RecursionError:
        # Deeper than the decoder's stack: answer where, from the text itself.
        text = raw if isinstance(raw, bytes | bytearray) else bytes(raw)
        err = json_too_deep(text, max_depth, field)
        raise err or BadRequestError(
            f"{field or 'the request body'}: JSON nests too deeply", param=field
        ) from None
    except msgspec.ValidationError:
        if field is None:
            raise BadRequestError(
                "the request body must be a JSON object", code="invalid_json"
            ) from None
        raise BadRequestError(f"{field} must be an object", param=field) from None
    except msgspec.DecodeError as exc:
        raise BadRequestError(
            f"the request body is not valid JSON: {exc}", code="invalid_json"
        ) from None


def _value(raw: msgspec.Raw, field: str, schema: Any, max_field: int, max_depth: int) -> Any:
    first = bytes(memoryview(raw)[:1])
    if first == b"{" and isinstance(schema, dict):
        return _prune(_split(raw, field, max_depth), schema, f"{field}.", max_field, max_depth)
    if first != b'"':
        size = len(memoryview(raw))
        if size > max_field:
            raise PayloadTooLargeError(
                f"{field}: the value is {size} bytes of JSON; non-string fields may have "
                f"at most {max_field} bytes",
                param=field,
            )
        err = json_too_deep(bytes(raw), max_depth, field)
        if err is not None:
            raise err
    try:
        return msgspec.json.decode(raw)
    except msgspec.DecodeError as exc:  # e.g. an integer past 64 bits
        raise BadRequestError(f"{field}: {exc}", param=field) from None


def _prune(
    fields: dict[str, msgspec.Raw],
    schema: dict[str, Any],
    prefix: str,
    max_field: int,
    max_depth: int,
) -> dict[str, Any]:
    return {
        key: _value(raw, prefix + key, schema[key], max_field, max_depth)
        for key, raw in fields.items()
        if key in schema
    }


def decode_ocr_body(raw: bytes | bytearray, *, max_field_bytes: int, max_depth: int) -> Any:
    """The OCR fields of a JSON body (400 when it is not a JSON object, names the bad field).

    Raises:
        BadRequestError: not JSON, not an object, or a field nested deeper than ``max_depth``.
        PayloadTooLargeError: a non-string field over ``max_field_bytes``.
    """
    if not raw or raw.isspace():  # isspace stops at the first other byte: no copy
        raise BadRequestError("the request body is empty; send a JSON object", code="invalid_json")
    return _prune(_split(raw, None, max_depth), OCR_FIELDS, "", max_field_bytes, max_depth)


def decode_json_text(text: str, field: str, max_depth: int) -> Any:
    """A JSON value held in a text field (a form field, a ``pages`` string): 400 naming
    ``field`` when it is not JSON or nests deeper than ``max_depth``."""
    err = json_too_deep(text, max_depth, field)
    if err is not None:
        raise err
    try:
        return msgspec.json.decode(text)
    except msgspec.DecodeError:
        raise BadRequestError(f"{field} must be a JSON value", param=field) from None
