"""The contract every OCR provider adapter fulfils.

A provider is built once per ``[[ocr_models]]`` entity by the OCR registry, with a
:class:`ProviderContext` that hands out the shared resources (httpx clients, the local OCR pool,
the safe fetcher); providers never create those themselves. ``process`` receives an
:class:`OcrJob` and returns an :class:`~aigateway.ocr.protocol.OcrResult`, raising only
:class:`~aigateway.errors.GatewayError` subclasses.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from ...config import OcrModelConfig, Settings
from ...upstream.adapters import ClientLender
from ..normalize.encoding import DOCX, PPTX, XLSX
from ..protocol import Document, OcrOptions, OcrResult

if TYPE_CHECKING:
    from ...tracing import Tracer
    from ...upstream.fetch import Fetcher

__all__ = ("OFFICE", "PDF_AND_IMAGES", "OcrJob", "OcrProvider", "ProviderContext")

PDF_AND_IMAGES: frozenset[str] = frozenset(
    {
        "application/pdf",
        "image/png",
        "image/jpeg",
        "image/gif",
        "image/webp",
        "image/tiff",
        "image/bmp",
    }
)

OFFICE: frozenset[str] = frozenset({DOCX, PPTX, XLSX})
"""Word, PowerPoint and Excel files (Office Open XML)."""


class ProviderContext(ClientLender, Protocol):
    """Shared resources the registry owns and lends to providers: pooled HTTP clients (closed
    by the registry on shutdown), the local pool and the fetcher."""

    settings: Settings

    def ocr_pool(self) -> Any:
        """The local OCR worker pool (created on first use)."""
        ...

    @property
    def fetcher(self) -> Fetcher:
        """The safe downloader for document URLs."""
        ...

    @property
    def tracer(self) -> Tracer | None:
        """The app's tracer, or ``None`` when tracing is off."""
        ...


@dataclass
class OcrJob:
    """One OCR call: the document (or a URL the provider may pass through) and the options."""

    document: Document | None
    """The document bytes; ``None`` only when ``url`` is set and the provider passes URLs on."""
    url: str | None
    model: str | None
    """Upstream model override from the request; ``None`` means the entity's configured model."""
    options: OcrOptions
    source_field: str = "document"
    """The request field the document came from (``document.image_url``, ``document_url`` …)."""


class OcrProvider(abc.ABC):
    """Base class of OCR adapters; one instance per entity."""

    accepted_types: ClassVar[frozenset[str]] = PDF_AND_IMAGES
    """Media types this provider reads; others are answered with 415."""
    passes_urls: ClassVar[bool] = False
    """True when remote URLs go to the upstream as they are (no download by the gateway)."""
    default_model: ClassVar[str] = ""

    def __init__(self, entity: OcrModelConfig, ctx: ProviderContext) -> None:
        self.entity = entity
        self.ctx = ctx

    @property
    def id(self) -> str:
        """The entity id."""
        return self.entity.id

    def upstream_model(self, requested: str | None) -> str:
        """The model name sent upstream: the request's, else the entity's, else the default."""
        return requested or self.entity.model or self.default_model or self.entity.id

    async def start(self) -> None:  # noqa: B027 - optional hook
        """Warm up (called from the app lifespan)."""

    async def aclose(self) -> None:  # noqa: B027 - optional hook
        """Release resources the provider owns itself."""

    @abc.abstractmethod
    async def process(self, job: OcrJob) -> OcrResult:
        """Run OCR; raise only :class:`~aigateway.errors.GatewayError` subclasses."""
