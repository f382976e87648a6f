"""AlphaEdge OCR (``POST {base_url}/models/{model}/ocr``, multipart field ``image``).

The service answers one ``text`` for the whole file (UPSTREAMS.md §4.7), so the adapter counts a
PDF's pages itself (``pages_processed`` is the real count). When the caller selects ``pages``, or
the entity sets ``options.split_pages = true``, the PDF is split into one-page PDFs (pypdfium2
``import_pages``) and each is sent on its own, a few at a time, each result becoming the page with
its original index. URLs are downloaded by the service before we are called
(``passes_urls = False``).

Options: ``concurrency`` (parallel page calls, default 4), ``split_pages`` (default false).
"""

from __future__ import annotations

import io
from typing import Any
from urllib.parse import quote, urlsplit

import anyio
import msgspec

from ...config import OcrModelConfig
from ...errors import ConfigError
from ...upstream.errors import check_response, decode_json, request
from ..pdf import PDFIUM_LOCK, count_pages, open_pdf, select_pages
from ..protocol import OcrPage, OcrResult
from .base import OcrJob, OcrProvider, ProviderContext
from .options import Options
from .payload import pdf_source, run_bounded

__all__ = ("PROVIDER", "AlphaEdgeOcrProvider")

_DEFAULT_BASE_URL = "https://api-endpoints.alphaedge-ai.com"


class _Response(msgspec.Struct):
    text: str
    model: str | None = None


def _count(source: bytes | str, password: str | None) -> int:
    with PDFIUM_LOCK:
        return count_pages(source, password)


def _split(source: bytes | str, password: str | None, indexes: list[int]) -> list[bytes]:
    """One single-page PDF per index (decrypted: the pieces need no password)."""
    import pypdfium2 as pdfium

    with PDFIUM_LOCK:
        pdf = open_pdf(source, password)
        try:
            out = []
            for i in indexes:
                piece = pdfium.PdfDocument.new()
                try:
                    piece.import_pages(pdf, [i])
                    buf = io.BytesIO()
                    piece.save(buf)
                finally:
                    piece.close()
                out.append(buf.getvalue())
            return out
        finally:
            pdf.close()


class AlphaEdgeOcrProvider(OcrProvider):
    """Adapter for AlphaEdge's multipart OCR gateway API."""

    default_model = "alpha-digit-max"

    def __init__(self, entity: OcrModelConfig, ctx: ProviderContext) -> None:
        super().__init__(entity, ctx)
        where = f"{ctx.settings.source}: ocr_models {entity.id!r}"
        opts = Options(entity, where, "concurrency", "split_pages")
        self.concurrency = opts.positive_int("concurrency", 4)
        self.split_pages = opts.boolean("split_pages", False)
        base_url = (entity.base_url or _DEFAULT_BASE_URL).rstrip("/")
        if urlsplit(base_url).scheme not in ("http", "https"):
            raise ConfigError(f"{where}: base_url: expected an http(s) URL, got {base_url!r}")
        if not entity.api_key:
            raise ConfigError(f"{where}: api_key: required by the alphaedge provider")
        self._secrets = (entity.api_key,)
        self._client = ctx.http_client(
            base_url=base_url,
            timeout=entity.timeout,
            headers={"X-API-Key": entity.api_key, "Accept": "application/json"},
        )
        self._name = f"alphaedge entity {entity.id!r}"

    async def _call(
        self, model: str, filename: str, content: Any, media_type: str, password: str | None
    ) -> _Response:
        data = {"pdf_password": password} if password else None
        response = await request(
            self._client,
            "POST",
            f"/models/{quote(model, safe='')}/ocr",
            name=self._name,
            max_bytes=self.entity.max_response_size,
            files={"image": (filename, content, media_type)},
            data=data,
        )
        check_response(self._name, response, self._secrets)
        return decode_json(self._name, response, _Response)

    async def process(self, job: OcrJob) -> OcrResult:
        """OCR the whole file in one call, or page by page when pages are selected."""
        doc = job.document
        if doc is None:
            raise ValueError("alphaedge needs the document bytes (passes_urls is False)")
        model = self.upstream_model(job.model)
        limits = self.ctx.settings.limits
        password = job.options.pdf_password
        is_pdf = doc.media_type == "application/pdf"
        name = doc.filename or ("document.pdf" if is_pdf else "image")

        if not is_pdf:
            select_pages(1, job.options.pages, limits.max_pages)  # 400 for an index past 0
            with doc.blob.open() as f:
                answer = await self._call(model, name, f, doc.media_type, None)
            return OcrResult(
                model=answer.model or model,
                pages=[OcrPage(index=0, markdown=answer.text)],
                doc_size_bytes=doc.size,
                pages_processed=1,
            )

        source = pdf_source(doc)
        total = await anyio.to_thread.run_sync(_count, source, password)
        indexes = select_pages(total, job.options.pages, limits.max_pages)
        if job.options.pages is None and not self.split_pages:
            with doc.blob.open() as f:
                answer = await self._call(model, name, f, doc.media_type, password)
            return OcrResult(
                model=answer.model or model,
                pages=[OcrPage(index=0, markdown=answer.text)],
                doc_size_bytes=doc.size,
                pages_processed=total,
            )

        texts: dict[int, _Response] = {}

        async def one(item: tuple[int, bytes]) -> None:
            index, piece = item
            texts[index] = await self._call(
                model, f"page-{index + 1}.pdf", piece, "application/pdf", None
            )

        # Split a window at a time: never more than a few single-page PDFs in memory.
        window = self.concurrency * 2
        for start in range(0, len(indexes), window):
            batch = indexes[start : start + window]
            pieces = await anyio.to_thread.run_sync(_split, source, password, batch)
            await run_bounded(zip(batch, pieces, strict=True), one, self.concurrency)
        first = texts[indexes[0]] if indexes else None
        return OcrResult(
            model=(first.model if first and first.model else model),
            pages=[OcrPage(index=i, markdown=texts[i].text) for i in indexes],
            doc_size_bytes=doc.size,
            pages_processed=len(indexes),
        )


PROVIDER = AlphaEdgeOcrProvider
"""The adapter ``provider = "alphaedge"`` names (found by the OCR registry by convention)."""
