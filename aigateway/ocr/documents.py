"""Resolving a request's document: the bytes (inline, or fetched from its URL), their size
under the request's cap, and their media type; and whether a provider can read that type."""

from __future__ import annotations

from typing import Protocol

from ..blob import Blob
from ..errors import UnsupportedMediaTypeError
from ..http.limits import DocumentLimits
from ..upstream.fetch import Fetcher
from .normalize import resolve_media_type
from .protocol import Document, OcrRequest
from .providers.base import OcrProvider

__all__ = ("DocumentStore", "check_type", "resolve_document")


class DocumentStore(Protocol):
    """Documents the gateway holds itself (the files store): file ids and signed URLs."""

    def claims(self, file_id: str | None, url: str | None) -> bool:
        """True when the document is read from the store (never over the network)."""
        ...

    async def open(
        self, file_id: str | None, url: str | None, field: str
    ) -> tuple[Blob, str | None, str]:
        """``(blob, declared media type, filename)``; 403/404/410 naming ``field``."""
        ...


async def resolve_document(
    request: OcrRequest,
    limits: DocumentLimits,
    fetcher: Fetcher,
    documents: DocumentStore | None = None,
) -> Document:
    """The document of ``request``: its inline bytes, or its URL downloaded by ``fetcher``.

    Raises:
        PayloadTooLargeError: the document is over ``limits.max_bytes``.
        GatewayError: the download failed (see :meth:`Fetcher.fetch`).
    """
    src = request.source
    filename: str | None
    if documents is not None:
        blob, declared, filename = await documents.open(src.file_id, src.url, src.field)
    elif src.blob is not None:
        blob, declared = src.blob, src.declared_type
        filename = src.filename
    else:
        assert src.url is not None
        fetched = await fetcher.fetch(src.url, max_bytes=limits.max_bytes, field=src.field)
        blob, declared, filename = fetched.blob, fetched.content_type, fetched.filename
    if blob.size > limits.max_bytes:
        blob.close()
        raise limits.too_large(src.field, blob.size)
    media_type = resolve_media_type(request.content_type, declared, blob.head(8192), filename)
    type_field = "content_type" if request.content_type else src.field
    return Document(blob=blob, media_type=media_type, filename=filename, type_field=type_field)


def check_type(document: Document, provider: OcrProvider) -> None:
    """415 naming the accepted types when ``provider`` cannot read ``document``."""
    if document.media_type not in provider.accepted_types:
        accepted = ", ".join(sorted(provider.accepted_types))
        raise UnsupportedMediaTypeError(
            f"document type {document.media_type} is not supported by OCR model "
            f"{provider.id!r}; accepted types: {accepted}",
            param=document.type_field,
        )
