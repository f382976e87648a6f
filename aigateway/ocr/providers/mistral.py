"""Mistral OCR (``POST {base_url}/v1/ocr``): the upstream our own API imitates.

Remote URLs are passed through (Mistral downloads them, not us); inline documents are sent as a
``data:`` URI in an ``image_url`` chunk for images and a ``document_url`` chunk otherwise, in a
body streamed in base64 chunks so a 50 MB PDF never exists as several ~67 MB strings. Only the
options the caller set are forwarded: the real API answers 422 ``extra_forbidden`` to unknown
fields. The answer is mapped field by field; a ``document_annotation`` or ``image_annotation``
returned as an object is re-encoded as the JSON string the SDK expects.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlsplit

import msgspec
from msgspec import UNSET, UnsetType

from ...config import OcrModelConfig
from ...errors import ConfigError
from ...upstream.errors import check_response, decode_json, request
from ..normalize.encoding import DOCX, PPTX
from ..protocol import Dimensions, OcrImage, OcrOptions, OcrPage, OcrResult
from .base import PDF_AND_IMAGES, OcrJob, OcrProvider, ProviderContext
from .payload import as_jpeg, b64_json_body

__all__ = ("PROVIDER", "MistralOcrProvider")

HEIC = "image/heic"

_DEFAULT_BASE_URL = "https://api.mistral.ai"
_IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".gif", ".tif", ".tiff", ".bmp", ".avif")
_FORWARDED = (
    "include_image_base64",
    "image_limit",
    "image_min_size",
    "table_format",
    "extract_header",
    "extract_footer",
    "document_annotation_format",
    "bbox_annotation_format",
    "document_annotation_prompt",
)
_encode = msgspec.json.Encoder().encode

Annotation = str | dict[str, Any] | list[Any] | None


class _Image(msgspec.Struct):
    id: str
    top_left_x: float | None = None
    top_left_y: float | None = None
    bottom_right_x: float | None = None
    bottom_right_y: float | None = None
    image_base64: str | None | UnsetType = UNSET
    image_annotation: Annotation | UnsetType = UNSET


class _Page(msgspec.Struct):
    index: int
    markdown: str
    images: list[_Image] | None = None
    dimensions: Dimensions | None = None
    tables: list[Any] | None | UnsetType = UNSET
    hyperlinks: list[Any] | None | UnsetType = UNSET
    header: str | None | UnsetType = UNSET
    footer: str | None | UnsetType = UNSET
    confidence_scores: Any | UnsetType = UNSET
    blocks: list[Any] | None | UnsetType = UNSET


# Counts an upstream reports feed page quotas: a negative one would be a refund.
_Count = Annotated[int, msgspec.Meta(ge=0, le=10**9)]


class _Usage(msgspec.Struct):
    pages_processed: _Count | None = None
    doc_size_bytes: _Count | None = None
    pages_processed_annotation: _Count | None = None


class _Response(msgspec.Struct):
    pages: list[_Page]
    model: str | None = None
    usage_info: _Usage | None = None
    document_annotation: Annotation = None


def _as_json_string(value: Annotation) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return _encode(value).decode()


def _box(value: float | None) -> int | None:
    # The SDK rejects fractional coordinates; Mistral sends ints, compatible servers may not.
    return None if value is None else round(value)


def _options(options: OcrOptions) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if options.pages is not None:
        out["pages"] = list(options.pages)
    for name in _FORWARDED:
        value = getattr(options, name)
        if value is not None:
            out[name] = value
    return out


def _map_page(page: _Page) -> OcrPage:
    images = [
        OcrImage(
            id=img.id,
            top_left_x=_box(img.top_left_x),
            top_left_y=_box(img.top_left_y),
            bottom_right_x=_box(img.bottom_right_x),
            bottom_right_y=_box(img.bottom_right_y),
            image_base64=img.image_base64,
            image_annotation=(
                UNSET
                if isinstance(img.image_annotation, UnsetType)
                else _as_json_string(img.image_annotation)
            ),
        )
        for img in page.images or []
    ]
    return OcrPage(
        index=page.index,
        markdown=page.markdown,
        images=images,
        dimensions=page.dimensions,
        tables=page.tables,
        hyperlinks=page.hyperlinks,
        header=page.header,
        footer=page.footer,
        confidence_scores=page.confidence_scores,
        blocks=page.blocks,
    )


class MistralOcrProvider(OcrProvider):
    """Adapter for Mistral's OCR API (and servers that speak it)."""

    passes_urls = True
    default_model = "mistral-ocr-latest"
    # Mistral reads Word and PowerPoint files sent as a document_url (its OCR docs); HEIC,
    # which it does not list, is sent as a JPEG of the photo.
    accepted_types = PDF_AND_IMAGES | {DOCX, PPTX, HEIC}

    def __init__(self, entity: OcrModelConfig, ctx: ProviderContext) -> None:
        super().__init__(entity, ctx)
        where = f"{ctx.settings.source}: ocr_models {entity.id!r}"
        if entity.options:
            raise ConfigError(
                f"{where}: options: the mistral provider takes no options "
                f"(got {', '.join(sorted(entity.options))})"
            )
        base_url = (entity.base_url or _DEFAULT_BASE_URL).rstrip("/")
        if urlsplit(base_url).scheme not in ("http", "https"):
            raise ConfigError(f"{where}: base_url: expected an http(s) URL, got {base_url!r}")
        if base_url.endswith("/v1"):
            raise ConfigError(
                f"{where}: base_url: leave out the /v1 suffix (the provider posts to /v1/ocr)"
            )
        if not entity.api_key and base_url == _DEFAULT_BASE_URL:
            raise ConfigError(f"{where}: api_key: required for {_DEFAULT_BASE_URL}")
        self._secrets = (entity.api_key or "",)
        headers = {"Accept": "application/json", "User-Agent": "aigateway"}
        if entity.api_key:
            headers["Authorization"] = f"Bearer {entity.api_key}"
        self._client = ctx.http_client(base_url=base_url, timeout=entity.timeout, headers=headers)
        self._name = f"mistral entity {entity.id!r}"

    async def process(self, job: OcrJob) -> OcrResult:
        """Send the document (or its URL) to ``/v1/ocr`` and map the answer."""
        model = self.upstream_model(job.model)
        options = _options(job.options)
        headers = {"Content-Type": "application/json"}
        if job.document is None:
            if job.url is None:
                raise ValueError("OcrJob needs a document or a URL")
            # The caller's own field says what the URL is; a bare `document` string falls back
            # to the URL's extension.
            path = urlsplit(job.url).path.lower()
            if "image_url" in job.source_field:
                kind = "image_url"
            elif "document_url" in job.source_field:
                kind = "document_url"
            else:
                kind = "image_url" if path.endswith(_IMAGE_SUFFIXES) else "document_url"
            body: Any = _encode(
                {"model": model, "document": {"type": kind, kind: job.url}, **options}
            )
            doc_size = None
        else:
            doc = job.document
            if doc.media_type == HEIC:
                doc = await as_jpeg(doc, self.ctx.settings.limits.max_pixels_per_page)
            kind = "image_url" if doc.media_type.startswith("image/") else "document_url"
            media = _encode(doc.media_type)[1:-1]
            prefix = b'{"model":%b,"document":{"type":"%b","%b":"data:%b;base64,' % (
                _encode(model),
                kind.encode(),
                kind.encode(),
                media,
            )
            suffix = b'"'
            if kind == "document_url" and doc.filename:
                suffix += b',"document_name":' + _encode(doc.filename)
            suffix += b"}"
            if options:
                suffix += b"," + _encode(options)[1:-1]
            suffix += b"}"
            size, body = b64_json_body(doc.blob, prefix, suffix)
            headers["Content-Length"] = str(size)
            doc_size = doc.size
        response = await request(
            self._client,
            "POST",
            "/v1/ocr",
            name=self._name,
            max_bytes=self.entity.max_response_size,
            content=body,
            headers=headers,
        )
        check_response(self._name, response, self._secrets)
        data = decode_json(self._name, response, _Response)
        usage = data.usage_info or _Usage()
        return OcrResult(
            model=data.model or model,
            pages=[_map_page(p) for p in data.pages],
            doc_size_bytes=usage.doc_size_bytes if usage.doc_size_bytes is not None else doc_size,
            pages_processed=usage.pages_processed,
            document_annotation=_as_json_string(data.document_annotation),
            pages_processed_annotation=usage.pages_processed_annotation,
        )


PROVIDER = MistralOcrProvider
"""The adapter ``provider = "mistral"`` names (found by the OCR registry by convention)."""
