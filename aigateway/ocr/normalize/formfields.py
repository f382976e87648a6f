"""Multipart and urlencoded OCR fields to the JSON body they stand for (pure, no I/O).

Form fields are text: ``include_image_base64=true``, ``image_limit=3``, a JSON object text in
``document_annotation_format`` or ``document``. Each known field is coerced like its JSON twin;
JSON texts go through :func:`~aigateway.ocr.jsonbody.decode_json_text` (depth-capped, so a text
nested a thousand deep is a 400 naming the field, not a ``RecursionError``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ...errors import BadRequestError
from ...jsondepth import DEFAULT_MAX_DEPTH
from .jsonbody import decode_json_text

__all__ = ("form_to_json",)

_BOOL_WORDS = {
    "true": True,
    "1": True,
    "yes": True,
    "on": True,
    "false": False,
    "0": False,
    "no": False,
    "off": False,
}


def _blank(v: str) -> bool:
    return v.strip() == "" or v.strip().lower() == "null"


def _form_bool(v: str, key: str, max_depth: int) -> bool | None:
    if _blank(v):
        return None
    try:
        return _BOOL_WORDS[v.strip().lower()]
    except KeyError:
        raise BadRequestError(f"{key} must be true or false, not {v[:40]!r}", param=key) from None


def _form_int(v: str, key: str, max_depth: int) -> int | None:
    if _blank(v):
        return None
    text = v.strip()
    # int() refuses more than 4300 digits with a ValueError too; no count needs 20.
    if len(text) > 20:
        raise BadRequestError(f"{key} must be an integer, not {text[:40]!r}...", param=key)
    try:
        return int(text)
    except ValueError:
        raise BadRequestError(f"{key} must be an integer, not {text[:40]!r}", param=key) from None


def _form_json(v: str, key: str, max_depth: int) -> Any:
    return None if _blank(v) else decode_json_text(v, key, max_depth)


def _form_document(v: str, key: str, max_depth: int) -> Any:
    # `document` may arrive as a JSON object text (the Mistral object) or as a plain URL.
    return _form_json(v, key, max_depth) if v.lstrip().startswith("{") else v


_FORM_COERCE: dict[str, Callable[[str, str, int], Any]] = {
    "include_image_base64": _form_bool,
    "extract_header": _form_bool,
    "extract_footer": _form_bool,
    "force_ocr": _form_bool,
    "image_limit": _form_int,
    "image_min_size": _form_int,
    "document_annotation_format": _form_json,
    "bbox_annotation_format": _form_json,
    "document": _form_document,
    "image_url": _form_document,
}


def form_to_json(fields: Mapping[str, str], max_depth: int = DEFAULT_MAX_DEPTH) -> dict[str, Any]:
    """Turn multipart text fields into the JSON body they stand for."""
    out: dict[str, Any] = {}
    for key, value in fields.items():
        if key in ("image", "file"):
            # A document field sent as text holds a URL or a data: URI.
            key = "document"
        coerce = _FORM_COERCE.get(key)
        if coerce is not None:
            out[key] = coerce(value, key, max_depth)
        elif key == "pages":
            out[key] = value if value.strip() else None
        else:
            out[key] = value if value != "" else None
    return out
