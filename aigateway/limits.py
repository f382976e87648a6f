"""Upload size limits shared by every endpoint.

A route's ``max_size_upload`` (else ``[limits] max_size_upload``) caps the *decoded* document;
a tenant's own ``max_size_upload`` can only narrow it. Bodies are capped before they are read
(``Content-Length``) and while they stream in (chunked), with room for the encoding the
transport adds: base64 in JSON costs 4/3 plus line breaks, multipart a few header bytes.
"""

from __future__ import annotations

from .auth import Tenant
from .errors import PayloadTooLargeError

__all__ = ("BodyLimits", "effective_upload_limit", "json_body_limit", "multipart_body_limit")

JSON_OVERHEAD = 256 * 1024
"""Bytes allowed in a JSON body beyond the base64 of a document of the limit (other fields)."""
MULTIPART_OVERHEAD = 256 * 1024


def effective_upload_limit(route_limit: int, tenant: Tenant) -> int:
    """The decoded-bytes cap for this route and tenant."""
    own = tenant.limits.max_size_upload
    return min(route_limit, own) if own is not None else route_limit


def json_body_limit(upload_limit: int) -> int:
    """Largest JSON body accepted when documents may be ``upload_limit`` bytes decoded.

    Base64 is 4/3 of the bytes; MIME-style line wrapping adds up to 2/76 more.
    """
    return (upload_limit + 2) // 3 * 4 * 78 // 76 + JSON_OVERHEAD


def multipart_body_limit(upload_limit: int, form_fields: int) -> int:
    """Largest multipart body: the file, the other fields and the part headers."""
    return upload_limit + form_fields + MULTIPART_OVERHEAD


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
        said = f" ({size} bytes)" if size is not None else ""
        return PayloadTooLargeError(
            f"the {self.what}{said} exceeds the limit of {self.limit} bytes",
            param=None,
        )
