"""OCR wire types (the Mistral-compatible response) and the normalized request the service uses.

The response Structs are what the ``mistralai`` SDK parses: ``pages[].index/markdown/images``,
``dimensions`` (key always present, may be null), integer image boxes, top-level ``model`` and
``usage_info.pages_processed``; ``document_annotation`` is a JSON *string*. Optional page fields a
provider returns (tables, header, footer, hyperlinks, …) are carried as ``UNSET`` when absent so
they are omitted rather than sent as null (msgspec never encodes ``UNSET``); the keys the SDK
requires (``dimensions``, the four image box corners) are always encoded, null or not.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import msgspec
from msgspec import UNSET, UnsetType

from ..blob import Blob

__all__ = (
    "Dimensions",
    "Document",
    "DocumentSource",
    "OcrImage",
    "OcrOptions",
    "OcrPage",
    "OcrRequest",
    "OcrResponse",
    "OcrResult",
    "PageReading",
    "UsageInfo",
)


class Dimensions(msgspec.Struct):
    dpi: int
    height: int
    width: int


class OcrImage(msgspec.Struct):
    id: str
    top_left_x: int | None = None
    top_left_y: int | None = None
    bottom_right_x: int | None = None
    bottom_right_y: int | None = None
    image_base64: str | None | UnsetType = UNSET
    image_annotation: str | None | UnsetType = UNSET


class PageReading(msgspec.Struct):
    """How a page was read (``pages[].reading``, a gateway extension the SDKs ignore).

    Set by the ``local`` engine; other providers leave it out.
    """

    method: str
    """``"text_layer"``: the PDF's own text; ``"ocr"``: the page was rendered and recognised;
    ``"markup"``: a Word, PowerPoint or Excel file's own XML (nothing rendered)."""
    engine: str | None = None
    """For ``"ocr"``: ``"tesseract"`` or ``"rapidocr"``."""
    dpi_source: str = "render"
    """Where ``dimensions.dpi`` comes from: ``"render"`` (the PDF page was rendered at that
    DPI), ``"metadata"`` (the image's own DPI tag), ``"estimated"`` (an image without one, or
    with one no page could have, a 300 DPI scan saved as 72: from its text lines' height),
    ``"assumed"`` (no tag and no text: 96, the CSS pixel) or ``"layout"`` (an Office file's
    page, slide or sheet size, measured at the engine's ``dpi``)."""
    rotation: int = 0
    """Counter-clockwise degrees the page was turned before recognition."""
    scale: float = 1.0
    """The factor the page was resized by before recognition: above 1 small print read from an
    enlarged copy, below 1 large crisp print from a shrunk one (``rescale``). Boxes, line
    heights and ``dimensions`` are always the page's own."""
    sharpened: bool = False
    """The recogniser read a sharpened copy of the page: its glyph edges were soft (a scan, a
    JPEG, a low-resolution or levelled page; option ``sharpen``)."""
    softened: bool = False
    """The recogniser read a softened copy of the page: it was black and white (a fax, a 1-bit
    scan), whose staircase glyph edges read better blurred into grey (option ``sharpen``)."""
    flattened: bool = False
    """The image was a photographed sheet on a darker surface (a phone photo of a page): the
    sheet was found, cropped from the surface and warped to a rectangle before recognition
    (option ``deskew``)."""
    reread: int = 0
    """With engine ``auto``: how many stretches of words Tesseract doubted (and words with a
    glyph it lost) RapidOCR's recogniser read again, its reading replacing Tesseract's."""
    reason: str | None = None
    """Why a PDF page's text layer was not used, when it was OCR'd."""


class OcrPage(msgspec.Struct):
    index: int
    markdown: str
    images: list[OcrImage] = []
    dimensions: Dimensions | None = None
    tables: list[Any] | None | UnsetType = UNSET
    hyperlinks: list[Any] | None | UnsetType = UNSET
    header: str | None | UnsetType = UNSET
    footer: str | None | UnsetType = UNSET
    confidence_scores: Any | UnsetType = UNSET
    blocks: list[Any] | None | UnsetType = UNSET
    reading: PageReading | UnsetType = UNSET


class UsageInfo(msgspec.Struct):
    pages_processed: int
    doc_size_bytes: int | None = None
    pages_processed_annotation: int | UnsetType = UNSET
    """Pages the upstream annotated (Mistral reports it); omitted when it did not say."""


class OcrResponse(msgspec.Struct):
    model: str
    text: str
    pages: list[OcrPage]
    usage_info: UsageInfo
    document_annotation: str | None = None


# --- what providers return -------------------------------------------------------------------


@dataclass
class OcrResult:
    """A provider's answer before the service adds ``text`` and the entity name."""

    model: str
    pages: list[OcrPage]
    doc_size_bytes: int | None = None
    pages_processed: int | None = None
    """Defaults to ``len(pages)``."""
    document_annotation: str | None = None
    pages_processed_annotation: int | None = None
    """Pages the upstream annotated, when it says (cost: :mod:`aigateway.tenancy.cost`)."""


# --- the normalized request ------------------------------------------------------------------


@dataclass(frozen=True)
class DocumentSource:
    """Where the document is: inline bytes (``blob``), a URL to fetch or pass through, or a
    file of the files store (``file_id``)."""

    blob: Blob | None = None
    url: str | None = None
    file_id: str | None = None
    declared_type: str | None = None
    """Media type from a data URI or the multipart part (not the ``content_type`` field)."""
    filename: str | None = None
    field: str = "document"
    """The request field the document came from (for error messages)."""


@dataclass(frozen=True)
class OcrOptions:
    """Options every provider may honour; ``None`` means "not asked for"."""

    pages: tuple[int, ...] | None = None
    pdf_password: str | None = None
    include_image_base64: bool | None = None
    image_limit: int | None = None
    image_min_size: int | None = None
    table_format: str | None = None
    extract_header: bool | None = None
    extract_footer: bool | None = None
    document_annotation_format: dict[str, Any] | None = None
    bbox_annotation_format: dict[str, Any] | None = None
    document_annotation_prompt: str | None = None
    force_ocr: bool | None = None

    @property
    def annotated(self) -> bool:
        """True when the request asks for annotations (priced per annotated page)."""
        return (
            self.document_annotation_format is not None or self.bbox_annotation_format is not None
        )


@dataclass(frozen=True)
class OcrRequest:
    """A parsed OCR request, independent of the transport it came in on."""

    source: DocumentSource
    content_type: str | None = None
    model: str | None = None
    provider: str | None = None
    id: str | None = None
    options: OcrOptions = field(default_factory=OcrOptions)


@dataclass
class Document:
    """A document ready for a provider: bytes plus its resolved media type."""

    blob: Blob
    media_type: str
    filename: str | None = None
    type_field: str = "content_type"
    """The request field the media type answers to, for a 415: ``content_type`` when the
    caller set it, else the field that carried the document (``file``,
    ``document.document_url``...)."""

    @property
    def size(self) -> int:
        """Size in bytes."""
        return self.blob.size
