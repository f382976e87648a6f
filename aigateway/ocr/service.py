"""The OCR service: entity selection, document resolution, page limits, retries, fallbacks,
the response and its usage.

No Litestar here: the router hands in a normalized :class:`OcrRequest`, the refs the caller may
use, the request's :class:`~aigateway.http.limits.DocumentLimits` and the tenant's
:class:`~aigateway.tenancy.quotas.Admission`; it gets back an :class:`OcrOutcome` (the response
Struct, the entity that answered, the pages and bytes it used). Page limits are charged through
the admission before the document goes anywhere, and usage is recorded by :meth:`OcrService.record`.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

from ..errors import BadRequestError, GatewayError, NotFoundError, PermissionDeniedError
from ..http.limits import DocumentLimits
from ..http.metrics import Metrics
from ..tenancy.quotas import Admission
from ..tenancy.usage import UsageStore
from ..tracing import Tracer
from ..upstream import retry
from .documents import DocumentStore, check_type, resolve_document
from .pages import count_document_pages
from .protocol import Document, OcrRequest, OcrResponse, OcrResult, UsageInfo
from .providers.base import OcrJob, OcrProvider
from .registry import OcrRegistry

__all__ = ("OcrOutcome", "OcrService", "select_entity")


@dataclass
class OcrOutcome:
    """What the router needs to answer, and what the request used: the body and who made it."""

    response: OcrResponse
    entity: str
    attempts: list[str] = field(default_factory=list)

    @property
    def pages(self) -> int:
        """Pages processed (what page limits and usage count)."""
        return self.response.usage_info.pages_processed

    @property
    def doc_bytes(self) -> int:
        """Bytes of the document (0 when only the upstream saw it and did not say)."""
        return self.response.usage_info.doc_size_bytes or 0


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


class OcrService:
    """Runs OCR requests against the registry's entities."""

    def __init__(
        self,
        registry: OcrRegistry,
        usage: UsageStore,
        metrics: Metrics | None = None,
        tracer: Tracer | None = None,
    ) -> None:
        self.registry = registry
        self.usage = usage
        self.metrics = metrics
        """Upstream latency per entity goes there."""
        self.tracer = tracer
        """Spans of provider calls (``None``: tracing is off)."""
        self._ids = set(registry.providers)

    async def process(
        self,
        request: OcrRequest,
        *,
        refs: list[str],
        limits: DocumentLimits,
        allowed: frozenset[str] | None = None,
        admission: Admission | None = None,
        documents: DocumentStore | None = None,
    ) -> OcrOutcome:
        """Select, resolve, charge pages, call (with retries and fallbacks), build the response.

        ``allowed`` is the tenant's allow-list (``None``: everything); configured fallbacks
        outside it are skipped. With an ``admission`` whose tenant has page limits, the pages
        are counted and charged once the document is known and before any upstream or engine
        work; a URL passed through to the upstream cannot be counted first and is charged
        with the pages the upstream reports. ``documents`` serves file ids and signed URLs of
        the gateway's own files store: those are read locally, never passed upstream.
        """
        entity_id, model = select_entity(request, refs, self._ids)
        fallbacks = self.registry.providers[entity_id].entity.fallbacks
        chain = [entity_id] + [f for f in fallbacks if allowed is None or f in allowed]
        page_limited = admission is not None and admission.pages_limited
        document: Document | None = None
        last: GatewayError | None = None
        attempts: list[str] = []
        checked = counted = False
        src = request.source
        claimed = documents is not None and documents.claims(src.file_id, src.url)
        store = documents if claimed else None
        if src.file_id is not None and store is None:
            raise BadRequestError(
                "document.file_id: this route has no files store; send the document inline "
                "(a data: URI in document_url, or document_base64) or as a multipart upload",
                param=src.field,
            )
        try:
            for position, eid in enumerate(chain):
                provider = self.registry.providers[eid]
                url = None if store is not None else src.url
                if document is None and (url is None or not provider.passes_urls):
                    document = await resolve_document(request, limits, self.registry.fetcher, store)
                if document is not None:
                    check_type(document, provider)
                if not checked:
                    checked = True
                    if page_limited and document is not None:
                        await self._charge_pages(request, document, limits, admission)
                        counted = True
                job = OcrJob(
                    document=document,
                    url=url if (document is None or provider.passes_urls) else None,
                    model=model if position == 0 else None,
                    options=request.options,
                    source_field=request.source.field,
                )
                try:
                    result = await self._call(provider, job, attempts)
                except GatewayError as exc:
                    if not retry.may_fall_back(exc) or position == len(chain) - 1:
                        raise
                    last = exc
                    continue
                outcome = OcrOutcome(self._response(result, document), eid, attempts)
                if page_limited and not counted:
                    assert admission is not None
                    await admission.charge_pages_after(outcome.pages)
                return outcome
        finally:
            if document is not None:
                document.blob.close()
        assert last is not None  # the loop either returned or raised
        raise last

    @staticmethod
    async def _charge_pages(
        request: OcrRequest,
        document: Document,
        limits: DocumentLimits,
        admission: Admission | None,
    ) -> None:
        assert admission is not None
        opts = request.options
        pages = await count_document_pages(document, opts.pages, opts.pdf_password, limits)
        await admission.charge_pages(pages)

    async def record(self, tenant: str, outcome: OcrOutcome | None, bytes_out: int = 0) -> None:
        """Usage of one OCR request of ``tenant``: the entity that answered with its pages and
        bytes, or (``outcome`` is ``None``) a failed request, under entity ``-``."""
        if outcome is None:
            await self.usage.record(tenant, "-", requests=1, errors=1)
            return
        await self.usage.record(
            tenant,
            outcome.entity,
            requests=1,
            pages=outcome.pages,
            bytes_in=outcome.doc_bytes,
            bytes_out=bytes_out,
        )

    async def _call(self, provider: OcrProvider, job: OcrJob, attempts: list[str]) -> OcrResult:
        retries = max(0, provider.entity.max_retries)
        for attempt in range(retries + 1):
            attempts.append(provider.id)
            try:
                return await self._timed(provider, job)
            except GatewayError as exc:
                if not retry.retry_again(exc, attempt, retries):
                    raise
                await asyncio.sleep(retry.backoff(attempt, exc))
        raise AssertionError("unreachable")

    async def _timed(self, provider: OcrProvider, job: OcrJob) -> OcrResult:
        started = time.perf_counter()
        try:
            if self.tracer is None:
                return await provider.process(job)
            return await self._traced(self.tracer, provider, job)
        finally:
            if self.metrics is not None:
                self.metrics.observe(
                    "aigw_upstream_duration_seconds",
                    (("entity", provider.id),),
                    time.perf_counter() - started,
                )

    @staticmethod
    async def _traced(tracer: Tracer, provider: OcrProvider, job: OcrJob) -> OcrResult:
        """The provider call inside its span (the local engine's page spans become its
        children, as do the HTTP spans of upstream calls)."""
        span = tracer.provider_call(
            operation="ocr",
            adapter=provider.entity.provider,
            entity=provider.id,
            request_model=provider.upstream_model(job.model),
            server_url=provider.entity.base_url,
        )
        try:
            with span.use():
                result = await provider.process(job)
            pages = result.pages_processed
            span.response(
                model=result.model,
                attributes={"aigateway.ocr.pages": len(result.pages) if pages is None else pages},
            )
            return result
        except BaseException as exc:
            span.fail(exc)
            raise
        finally:
            span.end()

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
