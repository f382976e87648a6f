"""Pure decoding helpers: media types, magic numbers, lenient base64 and ``data:`` URIs.

No I/O. Errors are :class:`~aigateway.errors.BadRequestError` naming the field, or 413 when an
inline document would decode past ``max_bytes``.
"""

from __future__ import annotations

import binascii
import re

from ...blob import Base64Blob, Blob
from ...errors import BadRequestError
from ...http.limits import document_too_large

__all__ = (
    "DOCX",
    "PPTX",
    "XLSX",
    "base64_blob",
    "data_uri_blob",
    "decode_base64",
    "is_media_type",
    "normalize_media_type",
    "parse_data_uri",
    "resolve_media_type",
    "sniff_media_type",
)

_WS = b" \t\r\n\f\v"
_URLSAFE = bytes.maketrans(b"-_", b"+/")
_B64_OK = re.compile(rb"^[A-Za-z0-9+/]*={0,2}$")
_MEDIA_TYPE = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*$")

_ALIASES = {
    "image/jpg": "image/jpeg",
    "image/pjpeg": "image/jpeg",
    "image/x-png": "image/png",
    "image/tif": "image/tiff",
    "image/x-tiff": "image/tiff",
    "image/x-bmp": "image/bmp",
    "image/x-ms-bmp": "image/bmp",
    "image/heif": "image/heic",
    "application/x-pdf": "application/pdf",
    "application/acrobat": "application/pdf",
}
_GENERIC = frozenset(
    {
        "",
        "application/octet-stream",
        "binary/octet-stream",
        "application/binary",
        "application/x-download",
        "application/force-download",
        "application/unknown",
        "text/plain",
    }
)


def is_media_type(value: str) -> bool:
    """True for a lower-case ``type/subtype`` without parameters."""
    return bool(_MEDIA_TYPE.match(value))


def normalize_media_type(value: str) -> str:
    """Lower-case, drop parameters and map common aliases (``image/jpg`` -> ``image/jpeg``)."""
    base = value.split(";", 1)[0].strip().lower()
    return _ALIASES.get(base, base)


OOXML = "application/vnd.openxmlformats-officedocument."
DOCX = OOXML + "wordprocessingml.document"
PPTX = OOXML + "presentationml.presentation"
XLSX = OOXML + "spreadsheetml.sheet"
_OOXML_PARTS = ((b"word/", DOCX), (b"ppt/", PPTX), (b"xl/", XLSX))
"""A part's folder in an Office Open XML zip, and the type it makes the package."""
_OOXML_FIRST = (b"[Content_Types].xml", b"_rels/", b"docProps/", b"word/", b"ppt/", b"xl/")
"""Names an Office Open XML zip's first entry has (what writers put first)."""
_OOXML_SUFFIXES = {".docx": DOCX, ".pptx": PPTX, ".xlsx": XLSX}

_HEIF_BRANDS = (b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1", b"heif")
"""``ftyp`` brands of HEIF images (an iPhone's photos are ``heic``)."""


def sniff_media_type(head: bytes) -> str | None:
    """The media type announced by a document's magic number, if it is one we know."""
    if head.startswith(b"%PDF-") or b"%PDF-" in head[:1024]:
        return "application/pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return "image/tiff"
    if head.startswith(b"BM") and len(head) >= 26:
        return "image/bmp"
    if head[4:8] == b"ftyp" and head[8:12] in (b"avif", b"avis"):
        return "image/avif"
    if head[4:8] == b"ftyp" and head[8:12] in _HEIF_BRANDS:
        return "image/heic"
    if head.startswith(b"PK\x03\x04") and head[30:].startswith(_OOXML_FIRST):
        # Part names stand in the clear in each zip entry's header; the main part's folder
        # shows within the first few entries (Office, LibreOffice and python-docx write
        # [Content_Types].xml and the package relationships first, openpyxl docProps).
        found = [(at, media) for folder, media in _OOXML_PARTS if (at := head.find(folder)) >= 0]
        return min(found)[1] if found else None
    return None


def resolve_media_type(
    content_type: str | None, declared: str | None, head: bytes, filename: str | None = None
) -> str:
    """The document's media type.

    An explicit ``content_type`` field wins. A type *declared* by a data URI, an upload or a
    download comes next, unless it is generic (``application/octet-stream`` …) or contradicts
    a magic number we recognise: browsers and SDKs label by file extension, the bytes do not
    lie. Last comes the magic number itself, and for a zip without a type (an Office file whose
    first entries do not say which) the ``filename``'s extension.
    """
    if content_type:
        return normalize_media_type(content_type)
    sniffed = sniff_media_type(head)
    if declared:
        d = normalize_media_type(declared)
        if d not in _GENERIC and (sniffed is None or d == sniffed):
            return d
    if sniffed:
        return sniffed
    if declared and normalize_media_type(declared) not in _GENERIC:
        return normalize_media_type(declared)
    if filename and head.startswith(b"PK\x03\x04"):
        # An Office file whose first entries do not show its main part, sent without a type
        # (curl -F file=@deck.pptx): the name's extension says which zip it is.
        media = _OOXML_SUFFIXES.get(filename[filename.rfind(".") :].lower())
        if media:
            return media
    # Not a document type we know: name what it looks like, so a 415 says something useful,
    # or what the caller called it (``data:text/plain;…`` answered "octet-stream" before).
    return _sniff_other(head) or normalize_media_type(declared or "") or "application/octet-stream"


def _sniff_other(head: bytes) -> str | None:
    start = head.lstrip()[:512].lower()
    if start.startswith(b"<svg") or (start.startswith(b"<?xml") and b"<svg" in start):
        return "image/svg+xml"
    if start.startswith((b"<!doctype html", b"<html")):
        return "text/html"
    if start.startswith(b"<?xml"):
        return "application/xml"
    if head.startswith(b"PK\x03\x04"):
        return "application/zip"  # DOCX/PPTX/XLSX are zips too: declare them to be exact
    if start.startswith((b"{", b"[")):
        return "application/json"
    return None


def decode_base64(value: str | bytes, field: str, *, max_bytes: int | None = None) -> bytes:
    """Decode base64 leniently: whitespace, the URL-safe alphabet and missing padding are fine.

    Raises:
        BadRequestError: the value is not base64 (``param`` = ``field``).
        PayloadTooLargeError: the decoded size would exceed ``max_bytes``.
    """
    if max_bytes is not None and len(value) * 3 // 4 > max_bytes + 3:
        # Cheap pre-check on the encoded length (whitespace only makes the real size smaller).
        text = value if isinstance(value, str) else value.decode("latin-1")
        raw_len = len(text) - sum(text.count(c) for c in ("\n", "\r", " ", "\t"))
        if raw_len * 3 // 4 > max_bytes + 3:
            raise document_too_large(field, raw_len * 3 // 4, max_bytes, approximate=True)
    # Fast path, no copies: canonical padded base64 (what every SDK sends) decodes directly.
    try:
        data = binascii.a2b_base64(value, strict_mode=True)
    except (binascii.Error, ValueError):
        pass
    else:
        if max_bytes is not None and len(data) > max_bytes:
            raise document_too_large(field, len(data), max_bytes)
        return data
    raw = value.encode("ascii", "replace") if isinstance(value, str) else bytes(value)
    raw = raw.translate(_URLSAFE, _WS)
    stripped = raw.rstrip(b"=")
    if len(raw) - len(stripped) > 2 or not _B64_OK.match(stripped):
        raise BadRequestError(f"{field} is not valid base64", param=field)
    rem = len(stripped) % 4
    if rem == 1:
        raise BadRequestError(f"{field} is not valid base64 (truncated)", param=field)
    decoded_len = len(stripped) * 3 // 4
    if max_bytes is not None and decoded_len > max_bytes:
        raise document_too_large(field, decoded_len, max_bytes)
    padded = stripped + b"=" * ((4 - rem) % 4)
    try:
        return binascii.a2b_base64(padded, strict_mode=True)
    except binascii.Error:
        raise BadRequestError(f"{field} is not valid base64", param=field) from None


def parse_data_uri(
    uri: str, field: str, *, max_bytes: int | None = None
) -> tuple[bytes, str | None]:
    """Decode ``data:[<type>][;params][;base64],<data>`` into bytes and its media type."""
    comma = uri.find(",", 0, 1024)
    if comma < 0:
        raise BadRequestError(f"{field} is a data URI without a ',' separator", param=field)
    head = uri[:comma]
    payload = uri[comma + 1 :]  # one copy of the payload, none of the header's split
    meta = [p.strip() for p in head[5:].split(";")]
    is_b64 = any(p.lower() == "base64" for p in meta[1:])
    media = normalize_media_type(meta[0]) if meta and meta[0] else None
    if media is not None and not _MEDIA_TYPE.match(media):
        raise BadRequestError(f"{field}: {meta[0]!r} is not a media type", param=field)
    if is_b64:
        return decode_base64(payload, field, max_bytes=max_bytes), media
    from urllib.parse import unquote_to_bytes

    data = unquote_to_bytes(payload)
    if max_bytes is not None and len(data) > max_bytes:
        raise document_too_large(field, len(data), max_bytes)
    return data, media


LAZY_BASE64 = 64 * 1024
"""Base64 texts longer than this stay undecoded until a provider needs the bytes."""
_EDGE = 4096


def base64_blob(value: str, field: str, *, max_bytes: int | None = None) -> Blob:
    """The document in ``value`` (base64) as a :class:`Blob`.

    A long text in canonical form (standard alphabet, padded, no whitespace — what SDKs send)
    becomes a :class:`Base64Blob`: its edges are checked now, the whole is decoded only if a
    provider needs the bytes, and providers that send base64 upstream forward it unchanged.
    Anything else is decoded leniently now.
    """
    n = len(value)
    if n > LAZY_BASE64 and n % 4 == 0 and value.isascii():
        pad = 2 if value.endswith("==") else 1 if value.endswith("=") else 0
        size = n // 4 * 3 - pad
        try:
            binascii.a2b_base64(value[:_EDGE], strict_mode=True)
            binascii.a2b_base64(value[-_EDGE:], strict_mode=True)
        except (binascii.Error, ValueError):
            pass  # not canonical at the edges: take the lenient path below
        else:
            if max_bytes is not None and size > max_bytes:
                raise document_too_large(field, size, max_bytes)
            return Base64Blob(value, size, field)
    return Blob.from_bytes(decode_base64(value, field, max_bytes=max_bytes))


def data_uri_blob(uri: str, field: str, *, max_bytes: int | None = None) -> tuple[Blob, str | None]:
    """Like :func:`parse_data_uri`, as a :class:`Blob` (base64 payloads may stay undecoded)."""
    comma = uri.find(",", 0, 1024)
    head = uri[:comma] if comma >= 0 else ""
    if comma >= 0 and any(p.strip().lower() == "base64" for p in head.split(";")[1:]):
        _, media = parse_data_uri(head + ",", field)  # validates the header only
        return base64_blob(uri[comma + 1 :], field, max_bytes=max_bytes), media
    data, media = parse_data_uri(uri, field, max_bytes=max_bytes)
    return Blob.from_bytes(data), media
