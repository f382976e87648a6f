"""Upload size limits shared by every endpoint, as one value per request.

A route's ``max_size_upload`` (else ``[limits] max_size_upload``) caps the *decoded* document;
a tenant's own ``max_size_upload`` can only narrow it. :class:`DocumentLimits` carries that cap
with the other per-document caps (form fields, pages, pixels, JSON depth): built once per route,
narrowed once per request for its tenant, and passed down to whatever reads the document.

Bodies are capped before they are read (``Content-Length``) and while they stream in (chunked),
with room for the encoding the transport adds: base64 in JSON costs 4/3 plus line breaks,
multipart a few header bytes.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from ..config import LimitsConfig, TenantLimits
from ..errors import PayloadTooLargeError

__all__ = (
    "BodyLimits",
    "DocumentLimits",
    "document_too_large",
    "json_body_limit",
    "multipart_body_limit",
)

JSON_OVERHEAD = 256 * 1024
"""Bytes allowed in a JSON body beyond the base64 of a document of the limit (other fields)."""
MULTIPART_OVERHEAD = 256 * 1024


def json_body_limit(upload_limit: int) -> int:
    """Largest JSON body accepted when documents may be ``upload_limit`` bytes decoded.

    Base64 is 4/3 of the bytes; MIME-style line wrapping adds up to 2/76 more.
    """
    return (upload_limit + 2) // 3 * 4 * 78 // 76 + JSON_OVERHEAD


def multipart_body_limit(upload_limit: int, form_fields: int) -> int:
    """Largest multipart body: the file, the other fields and the part headers."""
    return upload_limit + form_fields + MULTIPART_OVERHEAD


def document_too_large(
    field: str | None, size: int, limit: int, *, approximate: bool = False
) -> PayloadTooLargeError:
    """The 413 for a document of ``size`` decoded bytes over ``limit`` (``approximate``: the
    size is estimated from its encoding before decoding it)."""
    about = "about " if approximate else ""
    prefix = f"{field}: " if field else ""
    return PayloadTooLargeError(
        f"{prefix}the document is {about}{size} bytes; the limit is {limit} bytes", param=field
    )


@dataclass(frozen=True, slots=True)
class DocumentLimits:
    """The caps on one request's document and its other fields."""

    max_bytes: int
    """Decoded document bytes (``max_size_upload`` of the route, narrowed by the tenant's)."""
    max_field_bytes: int
    """Bytes of a non-file form field, or of a non-string value of a JSON body."""
    max_pages: int
    """Pages a document may have (counted before OCR)."""
    max_pixels_per_page: int
    """Pixels an image or a rendered page may have."""
    max_json_depth: int
    """Levels JSON in the request may nest."""

    @classmethod
    def of(cls, limits: LimitsConfig, route_max_size_upload: int | None = None) -> DocumentLimits:
        """The caps of a route: its own ``max_size_upload``, else ``[limits]``'s."""
        return cls(
            max_bytes=route_max_size_upload or limits.max_size_upload,
            max_field_bytes=limits.max_form_field_size,
            max_pages=limits.max_pages,
            max_pixels_per_page=limits.max_pixels_per_page,
            max_json_depth=limits.max_json_depth,
        )

    def for_tenant(self, tenant: TenantLimits) -> DocumentLimits:
        """These caps for a tenant, whose own ``max_size_upload`` can only narrow them."""
        own = tenant.max_size_upload
        if own is None or own >= self.max_bytes:
            return self
        return dataclasses.replace(self, max_bytes=own)

    def too_large(self, field: str | None, size: int) -> PayloadTooLargeError:
        """The 413 for a document of ``size`` bytes over :attr:`max_bytes`."""
        return document_too_large(field, size, self.max_bytes)

    def body_cap(self) -> int:
        """The largest body any transport may send with a document of :attr:`max_bytes`."""
        return max(
            json_body_limit(self.max_bytes),
            multipart_body_limit(self.max_bytes, self.max_field_bytes),
        )

    def json_body(self, what: str = "document") -> BodyLimits:
        """The counter for a JSON body carrying up to :attr:`max_bytes` of ``what`` as base64."""
        return BodyLimits(
            json_body_limit(self.max_bytes),
            f"JSON body (max_size_upload is {self.max_bytes} bytes of decoded {what})",
        )

    def multipart_body(self) -> BodyLimits:
        """The counter for a multipart body: the file, the other fields, part headers."""
        return BodyLimits(
            multipart_body_limit(self.max_bytes, self.max_field_bytes),
            f"multipart body (max_size_upload is {self.max_bytes} bytes)",
        )

    def form_body(self) -> BodyLimits:
        """The counter for an urlencoded form body (a document in it is base64 text)."""
        return BodyLimits(
            json_body_limit(self.max_bytes), f"form body (max_size_upload {self.max_bytes})"
        )


class BodyLimits:
    """Counts a request body as it streams and raises 413 past ``limit``."""

    __slots__ = ("limit", "read", "what")

    def __init__(self, limit: int, what: str) -> None:
        self.limit = limit
        self.read = 0
        self.what = what

    def check_declared(self, content_length: str | None) -> None:
        """413 before reading when the declared ``Content-Length`` is already over."""
        if content_length is None:
            return
        try:
            declared = int(content_length)
        except ValueError:
            return
        if declared > self.limit:
            raise self.error(declared)

    def add(self, n: int) -> None:
        """Count ``n`` more bytes (413 once past the limit)."""
        self.read += n
        if self.read > self.limit:
            raise self.error(None)

    def error(self, size: int | None) -> PayloadTooLargeError:
        """The 413 for this body."""
        said = f"is {size} bytes, over" if size is not None else "exceeds"
        return PayloadTooLargeError(
            f"the {self.what} {said} the limit of {self.limit} bytes",
            param=None,
        )
