"""The OCR service: entity selection, document resolution, the result cache, page limits and
budgets, retries, fallbacks, the response, its cost and its usage.

No Litestar here: the router hands in a normalized :class:`OcrRequest`, the refs the caller may
use, the request's :class:`~aigateway.http.limits.DocumentLimits` and the tenant's
:class:`~aigateway.tenancy.admission.Admission`; it gets back an :class:`OcrOutcome` (the answer,
the entity that made it, the pages and bytes it used, its cost, how the cache took part). Pages
and the budget are charged through the admission before the document goes anywhere
(:mod:`.billing`), and usage is recorded by :meth:`OcrService.record`.

With ``cache = true`` on the selected entity (and a document the gateway has the bytes of), the
cache is asked first (:mod:`.cache`): a hit or an identical request in flight answers without
any upstream call, and is charged only as ``[cache] charge_hit_pages`` / ``charge_hit_cost``
say. An answer is kept only when the selected entity made it (not a fallback).
"""

from __future__ import annotations

import asyncio
import time

import anyio
import msgspec

from ..config import CacheConfig
from ..errors import BadRequestError, GatewayError, NotFoundError, PermissionDeniedError
from ..http.limits import DocumentLimits
from ..http.metrics import Metrics
from ..tenancy.admission import Admission
from ..tenancy.cost import ocr_cost
from ..tenancy.usage import UsageStore
from ..tracing import Tracer
from ..upstream import retry
from .billing import Charges, annotated_pages, hit_cost
from .cache import CacheEntry, EntryMeta, Lookup, OcrCache
from .documents import DocumentStore, check_type, resolve_document
from .outcome import OcrOutcome
from .protocol import Document, OcrRequest, OcrResponse, OcrResult, UsageInfo
from .providers.base import OcrJob, OcrProvider
from .registry import OcrRegistry

__all__ = ("OcrOutcome", "OcrService", "select_entity")


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
        cache: OcrCache | None = None,
        tracer: Tracer | None = None,
    ) -> None:
        self.registry = registry
        self.usage = usage
        self.metrics = metrics
        """Upstream latency per entity goes there."""
        self.cache = cache
        """The result cache of the entities with ``cache = true`` (``None``: none has it)."""
        self.tracer = tracer
        """Spans of provider calls (``None``: tracing is off)."""
        self._ids = set(registry.providers)

    @property
    def _cache_config(self) -> CacheConfig:
        assert self.cache is not None
        return self.cache.config

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
        """Select, resolve, ask the cache, charge, call (with retries and fallbacks), answer.

        ``allowed`` is the tenant's allow-list (``None``: everything); configured fallbacks
        outside it are skipped. With an ``admission``, pages are counted and charged, and the
        budget reserved, once the document is known and before any upstream or engine work
        (see :mod:`.billing`); the reservation is settled to the cost of the answer.
        ``documents`` serves file ids and signed URLs of the gateway's own files store: those
        are read locally, never passed upstream (and are cached like inline documents).
        """
        entity_id, model = select_entity(request, refs, self._ids)
        primary = self.registry.providers[entity_id]
        fallbacks = primary.entity.fallbacks
        chain = [entity_id] + [f for f in fallbacks if allowed is None or f in allowed]
        charges = Charges(
            admission, [self.registry.providers[e].entity for e in chain], request.options
        )
        src = request.source
        claimed = documents is not None and documents.claims(src.file_id, src.url)
        store = documents if claimed else None
        if src.file_id is not None and store is None:
            raise BadRequestError(
                "document.file_id: this route has no files store; send the document inline "
                "(a data: URI in document_url, or document_base64) or as a multipart upload",
                param=src.field,
            )
        document: Document | None = None
        try:
            if (
                self.cache is not None
                and primary.entity.cache
                and (store is not None or src.url is None or not primary.passes_urls)
            ):
                document = await resolve_document(request, limits, self.registry.fetcher, store)
                check_type(document, primary)
                key = await self.cache.key(
                    tenant_id=admission.tenant.id if admission is not None else "anonymous",
                    entity=primary.entity,
                    # What goes upstream: no model and the entity's own model are one request.
                    model=primary.upstream_model(model),
                    document=document,
                    options=request.options,
                )
                found = await self.cache.lookup(key)
                if found.entry is not None:
                    return await self._cached(found, charges)
                return await self._lead(
                    found, request, chain, model, limits, document, charges, store
                )
            return await self._run(request, chain, model, limits, document, charges, store)
        finally:
            if document is not None:
                document.blob.close()

    async def _cached(self, found: Lookup, charges: Charges) -> OcrOutcome:
        entry = found.entry
        assert entry is not None
        meta = entry.meta
        provider = self.registry.providers.get(meta.entity)
        cost = hit_cost(provider.entity, entry, self._cache_config) if provider else 0
        await charges.for_hit(meta.pages, cost, self._cache_config.charge_hit_pages)
        outcome = OcrOutcome(
            meta.entity, 0, meta.doc_bytes, cost_nanos=cost, cache="hit", _body=entry.body
        )
        if found.how == "coalesced":
            outcome.cache = "coalesced"
        return outcome

    async def _lead(
        self,
        found: Lookup,
        request: OcrRequest,
        chain: list[str],
        model: str | None,
        limits: DocumentLimits,
        document: Document,
        charges: Charges,
        store: DocumentStore | None,
    ) -> OcrOutcome:
        """Run the request for its followers too, then keep the answer."""
        flight = found.flight
        assert flight is not None
        assert self.cache is not None
        try:
            outcome = await self._run(request, chain, model, limits, document, charges, store)
        except GatewayError as exc:
            if charges.refused:
                flight.abandon()  # this tenant's limit: the followers may still go
            else:
                flight.fail(exc)
            raise
        except BaseException:
            flight.abandon()
            raise
        outcome.cache = "miss"
        meta = EntryMeta(
            entity=outcome.entity,
            pages=outcome.pages,
            annotated_pages=outcome.annotated_pages,
            doc_bytes=outcome.doc_bytes,
            created=time.time(),
        )
        entry = CacheEntry(meta, outcome.body)
        if outcome.entity == chain[0]:
            await self.cache.store(flight, entry)
        else:  # a fallback's answer serves this moment, not later requests
            flight.land(entry)
            flight.close()
        return outcome

    async def _run(
        self,
        request: OcrRequest,
        chain: list[str],
        model: str | None,
        limits: DocumentLimits,
        document: Document | None,
        charges: Charges,
        store: DocumentStore | None,
    ) -> OcrOutcome:
        """Charge, then call the chain (retries and fallbacks) until an entity answers."""
        last: GatewayError | None = None
        attempts: list[str] = []
        checked = False
        try:
            for position, eid in enumerate(chain):
                provider = self.registry.providers[eid]
                url = None if store is not None else request.source.url
                if document is None and (url is None or not provider.passes_urls):
                    document = await resolve_document(request, limits, self.registry.fetcher, store)
                if document is not None:
                    check_type(document, provider)
                if not checked:
                    checked = True
                    await charges.before(document, limits)
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
                outcome = OcrOutcome.fresh(self._response(result, document), eid, attempts)
                outcome.annotated_pages = annotated_pages(result, outcome.pages, request.options)
                outcome.cost_nanos = ocr_cost(
                    provider.entity, outcome.pages, outcome.annotated_pages
                )
                await charges.after(outcome.pages, outcome.cost_nanos)
                return outcome
        except BaseException:
            # Shielded: a client that left cancels us, and the reservation must still go back.
            with anyio.CancelScope(shield=True):
                await charges.release()
            raise
        finally:
            if document is not None:
                document.blob.close()  # idempotent: the caller may close it too
        assert last is not None  # the loop either returned or raised
        raise last

    async def record(self, tenant: str, outcome: OcrOutcome | None, bytes_out: int = 0) -> None:
        """Usage of one OCR request of ``tenant``: the entity that answered with its pages,
        bytes and cost, or (``outcome`` is ``None``) a failed request, under entity ``-``."""
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
            cost_nanos=outcome.cost_nanos,
            cache_hits=int(outcome.cache in ("hit", "coalesced")),
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
                pages_processed_annotation=result.pages_processed_annotation
                if result.pages_processed_annotation is not None
                else msgspec.UNSET,
            ),
            document_annotation=result.document_annotation,
        )
