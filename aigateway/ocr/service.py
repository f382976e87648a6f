"""The OCR service: entity selection, document resolution, retries, fallbacks, response.

No Litestar here: the controller hands in a normalized :class:`OcrRequest` plus the refs the
caller may use, and gets back the response Struct and the entity that answered.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from ..blob import Blob
from ..errors import (
    BadRequestError,
    GatewayError,
    NotFoundError,
    PayloadTooLargeError,
    PermissionDeniedError,
    UnsupportedMediaTypeError,
)
from ..registry import Registry
from . import pdf
from .normalize import resolve_media_type
from .providers.base import OcrJob, OcrProvider
from .schemas import Document, OcrRequest, OcrResponse, OcrResult, UsageInfo

__all__ = (
    "DocumentStore",
    "OcrOutcome",
    "OcrService",
    "count_document_pages",
    "select_entity",
)

RETRYABLE = frozenset({429, 500, 502, 503, 504})
"""Upstream statuses worth a retry on the same entity, then the next fallback."""
MAX_BACKOFF = 4.0


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


@dataclass
class OcrOutcome:
    """What the controller needs to answer: the body and who produced it."""

    response: OcrResponse
    entity: str
    attempts: list[str] = field(default_factory=list)


def select_entity(
    request: OcrRequest, refs: list[str], all_ids: set[str]
) -> tuple[str, str | None]:
    """Pick the entity id and the upstream-model override for ``request``.

    1. ``provider`` names an entity: it must be in ``refs`` (404 naming the usable refs).
    2. ``model`` equals an entity id in ``refs``: that entity, no override.
    3. else the first ref; ``model`` overrides its configured upstream model.
    """
    if not refs:
        raise PermissionDeniedError(
            "no OCR model on this route is available to this API key", param="model"
        )
    if request.provider is not None:
        if request.provider in refs:
            return request.provider, request.model
        known = "is not available on this route" if request.provider in all_ids else "is unknown"
        raise NotFoundError(
            f"provider {request.provider!r} {known}; use one of: {', '.join(refs)}",
            param="provider",
            code="model_not_found",
        )
    if request.model is not None and request.model in refs:
        return request.model, None
    return refs[0], request.model


def _count_sync(
    document: Document,
    pages: Sequence[int] | None,
    password: str | None,
    max_pages: int,
    max_pixels: int,
) -> int:
    source: bytes | str = document.blob.read() if document.blob.in_memory else document.blob.path()
    if document.media_type == "application/pdf":
        total = pdf.count_pages(source, password)
    elif document.media_type.startswith("image/"):
        img = pdf.open_image(source, max_pixels)
        # Frames are pages for TIFF only (as the local engine reads them); an animated GIF or
        # WebP is one page.
        frames = int(getattr(img, "n_frames", 1)) if document.media_type == "image/tiff" else 1
        total = max(1, frames)
        img.close()
    else:
        return len(pages) if pages is not None else 1
    return len(pdf.select_pages(total, pages, max_pages))


async def count_document_pages(
    document: Document,
    pages: Sequence[int] | None,
    password: str | None,
    max_pages: int,
    max_pixels: int,
) -> int:
    """Pages a request will process, counted before any OCR (in a thread: PDFs are parsed).

    Raises 400 for a ``pages`` index past the end, 413 over the page cap, 422 when unreadable.
    """
    import anyio.to_thread

    return await anyio.to_thread.run_sync(
        _count_sync, document, pages, password, max_pages, max_pixels
    )


class OcrService:
    """Runs OCR requests against the registry's entities."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self._ids = set(registry.ocr)
        self.metrics: Any = None
        """Set by the gateway: upstream latency per entity goes there."""

    async def process(
        self,
        request: OcrRequest,
        *,
        refs: list[str],
        max_bytes: int,
        allowed: frozenset[str] | None = None,
        before_call: Callable[[Document | None, OcrProvider], Awaitable[None]] | None = None,
        documents: DocumentStore | None = None,
    ) -> OcrOutcome:
        """Select, resolve, call (with retries and fallbacks) and build the response.

        ``allowed`` is the tenant's allow-list (``None``: everything); configured fallbacks
        outside it are skipped. ``before_call`` runs once the document is known and before
        any upstream or engine work (the limits layer counts pages there). ``documents``
        serves file ids and signed URLs of the gateway's own files store: those are read
        locally, and never passed through to an upstream.
        """
        entity_id, model = select_entity(request, refs, self._ids)
        fallbacks = self.registry.ocr[entity_id].entity.fallbacks
        chain = [entity_id] + [f for f in fallbacks if allowed is None or f in allowed]
        document: Document | None = None
        last: GatewayError | None = None
        attempts: list[str] = []
        checked = False
        src = request.source
        store = (
            documents if documents is not None and documents.claims(src.file_id, src.url) else None
        )
        local = store is not None
        if src.file_id is not None and not local:
            raise BadRequestError(
                "document.file_id: this route has no files store; send the document inline "
                "(a data: URI in document_url, or document_base64) or as a multipart upload",
                param=src.field,
            )
        try:
            for position, eid in enumerate(chain):
                provider = self.registry.ocr[eid]
                url = None if local else src.url
                if document is None and (url is None or not provider.passes_urls):
                    document = await self._resolve(request, max_bytes, store)
                if document is not None:
                    self._check_type(document, provider, eid)
                if not checked and before_call is not None:
                    await before_call(document, provider)
                    checked = True
                job = OcrJob(
                    document=document,
                    url=url if (document is None or provider.passes_urls) else None,
                    model=model if position == 0 else None,
                    options=request.options,
                    max_size_upload=max_bytes,
                    source_field=request.source.field,
                )
                try:
                    result = await self._call(provider, job, attempts)
                except GatewayError as exc:
                    if exc.status_code not in RETRYABLE or position == len(chain) - 1:
                        raise
                    last = exc
                    continue
                return OcrOutcome(self._response(result, document), eid, attempts)
        finally:
            if document is not None:
                document.blob.close()
        assert last is not None  # the loop either returned or raised
        raise last

    async def _resolve(
        self, request: OcrRequest, max_bytes: int, documents: DocumentStore | None = None
    ) -> Document:
        src = request.source
        if documents is not None:
            blob, declared, filename_ = await documents.open(src.file_id, src.url, src.field)
            filename: str | None = filename_
        elif src.blob is not None:
            blob, declared = src.blob, src.declared_type
            filename = src.filename
        else:
            assert src.url is not None
            fetched = await self.registry.fetcher.fetch(
                src.url, max_bytes=max_bytes, field=src.field
            )
            blob, declared, filename = fetched.blob, fetched.content_type, fetched.filename
        if blob.size > max_bytes:
            blob.close()
            raise PayloadTooLargeError(
                f"{src.field}: the document is {blob.size} bytes; the limit is {max_bytes} bytes",
                param=src.field,
            )
        media_type = resolve_media_type(request.content_type, declared, blob.head(2048))
        return Document(blob=blob, media_type=media_type, filename=filename)

    @staticmethod
    def _check_type(document: Document, provider: OcrProvider, eid: str) -> None:
        if document.media_type not in provider.accepted_types:
            accepted = ", ".join(sorted(provider.accepted_types))
            raise UnsupportedMediaTypeError(
                f"document type {document.media_type} is not supported by OCR model {eid!r}; "
                f"accepted types: {accepted}",
                param="content_type",
            )

    async def _call(self, provider: OcrProvider, job: OcrJob, attempts: list[str]) -> OcrResult:
        retries = max(0, provider.entity.max_retries)
        for attempt in range(retries + 1):
            attempts.append(provider.id)
            try:
                return await self._timed(provider, job)
            except GatewayError as exc:
                if (
                    exc.status_code not in RETRYABLE
                    or attempt == retries
                    or exc.headers.get("x-should-retry") == "false"
                ):
                    raise
                delay = min(MAX_BACKOFF, 0.25 * 2**attempt) * (0.75 + random.random() / 4)
                retry_after = getattr(exc, "retry_after", None)
                if isinstance(retry_after, (int, float)):
                    delay = min(MAX_BACKOFF, max(delay, float(retry_after)))
                await asyncio.sleep(delay)
        raise AssertionError("unreachable")

    async def _timed(self, provider: OcrProvider, job: OcrJob) -> OcrResult:
        started = time.perf_counter()
        try:
            return await provider.process(job)
        finally:
            if self.metrics is not None:
                self.metrics.observe(
                    "aigw_upstream_duration_seconds",
                    (("entity", provider.id),),
                    time.perf_counter() - started,
                )

    @staticmethod
    def _response(result: OcrResult, document: Document | None) -> OcrResponse:
        pages = result.pages
        doc_size = result.doc_size_bytes
        if doc_size is None and document is not None:
            doc_size = document.size
        return OcrResponse(
            model=result.model,
            text="\n\n".join(p.markdown for p in pages),
            pages=pages,
            usage_info=UsageInfo(
                pages_processed=result.pages_processed
                if result.pages_processed is not None
                else len(pages),
                doc_size_bytes=doc_size,
            ),
            document_annotation=result.document_annotation,
        )
