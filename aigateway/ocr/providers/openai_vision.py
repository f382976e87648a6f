"""Any OpenAI-compatible vision chat model (vLLM, Ollama, OpenAI …) used as an OCR engine.

One ``POST {base_url}/chat/completions`` per page: the page image as a data-URI ``image_url``
part followed by the OCR prompt, ``temperature: 0``. Most compatible servers take images only,
so PDF pages are rasterized here (pypdfium2, in a worker thread) to PNG; PNG/JPEG/WebP/GIF images
are sent as they are and other images (TIFF, BMP, HEIC, AVIF; every TIFF frame is a page)
converted to PNG.
Pages run in parallel up to ``options.concurrency``; a rendered page is held only while its
call runs. Code fences the model wraps its answer in are removed.

Options: ``prompt``, ``max_tokens`` (default 4096), ``concurrency`` (default 4),
``dpi`` (PDF render resolution, default 150).
"""

from __future__ import annotations

import base64
import io
import re
from dataclasses import dataclass
from typing import Any, ClassVar
from urllib.parse import urlsplit

import anyio
import msgspec
from PIL import Image, ImageSequence

from ...config import OcrModelConfig
from ...errors import ConfigError, UpstreamError
from ...upstream.errors import check_response, decode_json, request
from ..pages import image_pages
from ..pdf import (
    DECODE_ERRORS,
    PDFIUM_LOCK,
    count_pages,
    extra_image_types,
    open_image,
    open_pdf,
    render_page,
    select_pages,
    unreadable_image,
)
from ..protocol import Dimensions, OcrPage, OcrResult
from .base import PDF_AND_IMAGES, OcrJob, OcrProvider, ProviderContext
from .options import Options
from .payload import pdf_source, run_bounded

__all__ = ("DEFAULT_PROMPT", "PROVIDER", "OpenAIVisionOcrProvider", "strip_fences")

DEFAULT_PROMPT = (
    "Transcribe this document page to Markdown. Return only the page's content, in reading "
    "order, without commentary. Use Markdown headings and lists where the page has them, HTML "
    "for tables and LaTeX for equations. Do not describe images; do not invent text that is not "
    "on the page."
)
_SENT_AS_IS = frozenset({"image/png", "image/jpeg", "image/webp", "image/gif"})
_FENCE = re.compile(r"^\s*```[ \t]*(?:markdown|md|html|text)?[ \t]*\n(.*?)\n?[ \t]*```\s*$", re.S)


def strip_fences(text: str) -> str:
    """The model's answer without a wrapping ```markdown … ``` fence (inner fences kept)."""
    m = _FENCE.match(text)
    return (m.group(1) if m else text).strip()


class _Message(msgspec.Struct):
    content: str | list[Any] | None = None


class _Choice(msgspec.Struct):
    message: _Message
    finish_reason: str | None = None


class _Completion(msgspec.Struct):
    choices: list[_Choice]
    model: str | None = None


def _text_of(content: str | list[Any] | None) -> str:
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    # Some servers answer a list of content parts.
    return "".join(str(part.get("text", "")) for part in content if isinstance(part, dict))


@dataclass
class _PageImage:
    data: bytes
    media_type: str
    dimensions: Dimensions


def _png(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    if img.mode not in ("1", "L", "LA", "RGB", "RGBA", "P"):
        img = img.convert("RGB")
    img.save(buf, format="PNG")
    return buf.getvalue()


def _image_dpi(img: Image.Image) -> int:
    dpi = img.info.get("dpi")
    try:
        return max(1, round(float(dpi[0])))  # type: ignore[index]
    except (TypeError, ValueError, IndexError):
        return 72


def _image_pages(
    data: bytes, media_type: str, pages: tuple[int, ...] | None, max_pages: int, max_px: int
) -> list[tuple[int, _PageImage]]:
    """An image document as page images (all frames of a TIFF, else one)."""
    img = open_image(data, max_px)
    indexes = select_pages(image_pages(img, media_type), pages, max_pages)
    if media_type in _SENT_AS_IS:
        dims = Dimensions(dpi=_image_dpi(img), height=img.height, width=img.width)
        return [(0, _PageImage(data, media_type, dims))]
    out = []
    try:
        for i, frame in enumerate(ImageSequence.Iterator(img)):
            if i in indexes:
                dims = Dimensions(dpi=_image_dpi(frame), height=frame.height, width=frame.width)
                out.append((i, _PageImage(_png(frame), "image/png", dims)))
    except DECODE_ERRORS as exc:  # the pixels are decoded here, not when the header was read
        raise unreadable_image(exc) from None
    return sorted(out, key=lambda p: indexes.index(p[0]))


class OpenAIVisionOcrProvider(OcrProvider):
    """OCR through an OpenAI-compatible ``/chat/completions`` vision model."""

    # HEIC (an iPhone's photos) and AVIF are decoded here and sent as PNG, as TIFF and BMP are.
    accepted_types: ClassVar[frozenset[str]] = PDF_AND_IMAGES | extra_image_types()

    def __init__(self, entity: OcrModelConfig, ctx: ProviderContext) -> None:
        super().__init__(entity, ctx)
        where = f"{ctx.settings.source}: ocr_models {entity.id!r}"
        opts = Options(entity, where, "prompt", "max_tokens", "concurrency", "dpi")
        self.prompt = opts.string("prompt", DEFAULT_PROMPT)
        self.max_tokens = opts.positive_int("max_tokens", 4096)
        self.concurrency = opts.positive_int("concurrency", 4)
        self.dpi = opts.positive_int("dpi", 150)
        if not entity.base_url or urlsplit(entity.base_url).scheme not in ("http", "https"):
            raise ConfigError(
                f"{where}: base_url: expected the http(s) URL of an OpenAI-compatible API "
                "(e.g. https://api.openai.com/v1, http://localhost:11434/v1)"
            )
        if not entity.model:
            raise ConfigError(f"{where}: model: name the vision model to use")
        self._secrets = (entity.api_key or "",)
        headers = {"Accept": "application/json", "User-Agent": "aigateway"}
        if entity.api_key:
            headers["Authorization"] = f"Bearer {entity.api_key}"
        self._client = ctx.http_client(
            base_url=entity.base_url.rstrip("/"),
            timeout=entity.timeout,
            headers=headers,
            max_connections=max(10, self.concurrency * 4),
        )
        self._name = f"openai_vision entity {entity.id!r}"

    async def _transcribe(self, model: str, page: _PageImage) -> tuple[str, str | None]:
        url = f"data:{page.media_type};base64,{base64.b64encode(page.data).decode()}"
        body = {
            "model": model,
            "messages": [
                {
                    "role": "user",
                    "content": [
                        {"type": "image_url", "image_url": {"url": url}},
                        {"type": "text", "text": self.prompt},
                    ],
                }
            ],
            "temperature": 0,
            "max_tokens": self.max_tokens,
        }
        response = await request(
            self._client,
            "POST",
            "/chat/completions",
            name=self._name,
            max_bytes=self.entity.max_response_size,
            json=body,
        )
        check_response(self._name, response, self._secrets)
        completion = decode_json(self._name, response, _Completion)
        if not completion.choices:
            raise UpstreamError(f"{self._name} returned no choices")
        return strip_fences(_text_of(completion.choices[0].message.content)), completion.model

    async def process(self, job: OcrJob) -> OcrResult:
        """Render or prepare each page, then transcribe them in parallel."""
        doc = job.document
        if doc is None:
            raise ValueError("openai_vision needs the document bytes (passes_urls is False)")
        model = self.upstream_model(job.model)
        limits = self.ctx.settings.limits
        results: dict[int, OcrPage] = {}
        answered_model: list[str] = []

        async def run(index: int, page: _PageImage) -> None:
            text, upstream_model = await self._transcribe(model, page)
            if upstream_model and not answered_model:
                answered_model.append(upstream_model)
            results[index] = OcrPage(index=index, markdown=text, dimensions=page.dimensions)

        if doc.media_type == "application/pdf":
            source = pdf_source(doc)
            password = job.options.pdf_password

            def _count() -> int:
                with PDFIUM_LOCK:
                    return count_pages(source, password)

            indexes = select_pages(
                await anyio.to_thread.run_sync(_count), job.options.pages, limits.max_pages
            )
            pdf = await anyio.to_thread.run_sync(self._open, source, password)
            try:

                async def render_and_run(index: int) -> None:
                    page = await anyio.to_thread.run_sync(
                        self._render, pdf, index, limits.max_pixels_per_page
                    )
                    await run(index, page)

                await run_bounded(indexes, render_and_run, self.concurrency)
            finally:
                await anyio.to_thread.run_sync(self._close, pdf)
        else:
            prepared = await anyio.to_thread.run_sync(
                _image_pages,
                doc.blob.read(),
                doc.media_type,
                job.options.pages,
                limits.max_pages,
                limits.max_pixels_per_page,
            )
            indexes = [i for i, _ in prepared]

            async def run_item(item: tuple[int, _PageImage]) -> None:
                await run(*item)

            await run_bounded(prepared, run_item, self.concurrency)
        return OcrResult(
            model=answered_model[0] if answered_model else model,
            pages=[results[i] for i in indexes],
            doc_size_bytes=doc.size,
            pages_processed=len(indexes),
        )

    @staticmethod
    def _open(source: bytes | str, password: str | None) -> Any:
        with PDFIUM_LOCK:
            return open_pdf(source, password, forms=True)

    @staticmethod
    def _close(pdf: Any) -> None:
        with PDFIUM_LOCK:
            pdf.close()

    def _render(self, pdf: Any, index: int, max_pixels: int) -> _PageImage:
        with PDFIUM_LOCK:
            img, dpi = render_page(pdf, index, self.dpi, max_pixels)
        data = _png(img)  # PNG encoding needs no lock: it is Pillow, not pdfium
        return _PageImage(
            data, "image/png", Dimensions(dpi=dpi, height=img.height, width=img.width)
        )


PROVIDER = OpenAIVisionOcrProvider
"""The adapter ``provider = "openai_vision"`` names (found by the OCR registry by convention)."""
