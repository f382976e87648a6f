"""Pure normalization of OCR requests (no I/O, so property tests can hammer it).

:mod:`.jsonbody` decodes a JSON body under its caps, :mod:`.formfields` reads multipart fields
like their JSON twins, :mod:`.encoding` decodes base64, ``data:`` URIs and media types, and
:mod:`.core` turns the result into one :class:`~aigateway.ocr.protocol.OcrRequest`.
"""

from __future__ import annotations

from .core import (
    FILE_FIELDS,
    decode_base64,
    normalize_form,
    normalize_json,
    normalize_media_type,
    parse_data_uri,
    parse_pages,
    resolve_media_type,
    sniff_media_type,
)
from .jsonbody import decode_ocr_body

__all__ = (
    "FILE_FIELDS",
    "decode_base64",
    "decode_ocr_body",
    "normalize_form",
    "normalize_json",
    "normalize_media_type",
    "parse_data_uri",
    "parse_pages",
    "resolve_media_type",
    "sniff_media_type",
)
