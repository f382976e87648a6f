"""What an OCR request is charged before and after it runs: page limits, budget reservations,
its cost, and the charges of an answer from the cache.

Before any work: the document's pages are counted when the tenant has page limits, or a budget
and an entity that may answer has a page price; the pages are charged and the worst case (pages
at the highest page price of the entities that may answer) reserved in one all-or-nothing call.
A document only the upstream sees (a URL passed through) cannot be counted: it reserves its
``pages`` selection, or ``[limits] max_pages`` pages. Afterwards the reservation is settled to
the cost of the entity that answered.
"""

from __future__ import annotations

from collections.abc import Awaitable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from ..config import CacheConfig, OcrModelConfig
from ..http.limits import DocumentLimits
from ..tenancy.admission import Admission
from ..tenancy.budgets import Hold
from ..tenancy.cost import ocr_cost, page_price
from .cache import CacheEntry
from .pages import count_document_pages
from .protocol import Document, OcrOptions, OcrResult

__all__ = ("Charges", "annotated_pages", "hit_cost")


def annotated_pages(result: OcrResult, pages: int, options: OcrOptions) -> int:
    """Pages billed at the annotation price: what the upstream says it annotated, else every
    page of a request that asked for annotations."""
    if result.pages_processed_annotation is not None:
        return min(result.pages_processed_annotation, pages)
    return pages if options.annotated else 0


def hit_cost(entity: OcrModelConfig, entry: CacheEntry, cache: CacheConfig) -> int:
    """Nanos charged for an answer from the cache (0 unless ``charge_hit_cost``)."""
    if not cache.charge_hit_cost:
        return 0
    return ocr_cost(entity, entry.meta.pages, entry.meta.annotated_pages)


@dataclass
class Charges:
    """The charges of one OCR request against its tenant's admission."""

    admission: Admission | None
    entities: list[OcrModelConfig]
    """The entities that may answer (the chain), for the worst-case page price."""
    options: OcrOptions
    hold: Hold | None = None
    counted: bool = False
    """True once the pages were counted and charged before the call."""
    refused: bool = False
    """True when a limit or the budget of this tenant refused the request."""

    @property
    def _price(self) -> Decimal:
        annotated = self.options.annotated
        return max((page_price(e, annotated) for e in self.entities), default=Decimal(0))

    def _reserve(self, pages: int) -> int:
        if self.admission is None or not self.admission.budgeted:
            return 0
        return int((pages * self._price).to_integral_value(ROUND_HALF_UP))

    async def before(self, document: Document | None, limits: DocumentLimits) -> None:
        """Count, charge and reserve before the document goes anywhere (429 when over)."""
        adm = self.admission
        if adm is None:
            return
        priced = adm.budgeted and self._price > 0
        if not (adm.pages_limited or priced):
            return
        if document is not None:
            opts = self.options
            pages = await count_document_pages(document, opts.pages, opts.pdf_password, limits)
            self.hold = await self._charge(adm.charge_pages(pages, self._reserve(pages)))
            self.counted = True
        elif priced:
            pages = len(self.options.pages) if self.options.pages else limits.max_pages
            self.hold = await self._charge(adm.reserve(self._reserve(pages)))

    async def _charge(self, call: Awaitable[Hold | None]) -> Hold | None:
        # What the tenancy layer refuses (a limit, the budget, its backend failing closed)
        # is about this tenant: coalesced followers must not get it (see .cache.flights).
        try:
            return await call
        except Exception:
            self.refused = True
            raise

    async def after(self, pages: int, cost: int) -> None:
        """Charge pages that could not be counted first, and settle the reservation."""
        adm = self.admission
        if adm is None:
            return
        if adm.pages_limited and not self.counted:
            await adm.charge_pages_after(pages)
        hold, self.hold = self.hold, None
        await adm.settle(hold, cost)

    async def release(self) -> None:
        """Give the reservation back (the request failed: nothing was used)."""
        hold, self.hold = self.hold, None
        if self.admission is not None:
            await self.admission.settle(hold, 0)

    async def for_hit(self, pages: int, cost: int, charge_pages: bool) -> None:
        """Charges of an answer from the cache: its pages (``charge_hit_pages``) and its cost,
        taken like a request's, all or nothing (429 when over)."""
        adm = self.admission
        if adm is None:
            return
        pages = pages if charge_pages and adm.pages_limited else 0
        amount = cost if adm.budgeted else 0
        if pages or amount:
            # Reserved at the exact cost: nothing is left to settle.
            await self._charge(adm.charge_pages(pages, amount))
