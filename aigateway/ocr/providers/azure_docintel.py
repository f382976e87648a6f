"""Azure AI Document Intelligence v4 (``…/documentModels/{model}:analyze``), UPSTREAMS.md §4.1.

The analyze call answers 202 with an ``Operation-Location`` that is polled (honouring
``Retry-After``) until the operation succeeds or fails; the whole exchange is bounded by the
entity's ``timeout``. The document is sent as ``{"base64Source": …}``, streamed in base64
chunks. URLs are downloaded by the gateway's fetcher first (``passes_urls = False``) so
``urlSource`` never makes Azure fetch an address our SSRF guard would refuse.

``prebuilt-layout`` (the default model) returns Markdown (``outputContentFormat=markdown``);
``prebuilt-read`` returns text. Each page's text is the ``content`` under its ``spans``;
``pages`` (0-based) become Azure's 1-based ranges. Dimensions: PDF pages report inches, converted
at ``options.dpi`` (default 200, Mistral's convention); images report pixels.

Options: ``api_version`` (default ``2024-11-30``), ``dpi``, ``poll_interval`` (seconds between
polls when Azure sends no ``Retry-After``, default 1).
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import anyio
import httpx
import msgspec

from ...config import OcrModelConfig
from ...errors import ConfigError, UnprocessableDocumentError, UpstreamError, UpstreamTimeoutError
from ...upstream.errors import UpstreamReply, check_response, decode_json, request, retry_after
from ..protocol import Dimensions, OcrPage, OcrResult
from .base import OFFICE, OcrJob, OcrProvider, ProviderContext
from .options import Options
from .payload import b64_json_body

__all__ = ("PROVIDER", "AzureDocIntelOcrProvider", "page_ranges")

_MARKUP = re.compile(r"<!--\s*PageBreak\s*-->")
# Azure's codes for an analyze that failed because of the document itself.
_DOCUMENT_FAULTS = frozenset({"InvalidContent", "InvalidRequest", "InvalidArgument"})


class _Span(msgspec.Struct):
    offset: int
    length: int


class _Page(msgspec.Struct):
    pageNumber: int
    spans: list[_Span] = []
    width: float | None = None
    height: float | None = None
    unit: str | None = None


class _AnalyzeResult(msgspec.Struct):
    content: str = ""
    pages: list[_Page] = []
    modelId: str | None = None


class _Error(msgspec.Struct):
    code: str = ""
    message: str = ""


class _Operation(msgspec.Struct):
    status: str
    analyzeResult: _AnalyzeResult | None = None
    error: _Error | None = None


def page_ranges(pages: tuple[int, ...]) -> str:
    """0-based page indexes as Azure's 1-based range list: ``(0, 1, 2, 4)`` -> ``"1-3,5"``."""
    numbers = sorted({p + 1 for p in pages})
    out: list[str] = []
    start = prev = numbers[0]
    for n in [*numbers[1:], None]:
        if n is not None and n == prev + 1:
            prev = n
            continue
        out.append(str(start) if start == prev else f"{start}-{prev}")
        if n is not None:
            start = prev = n
    return ",".join(out)


class AzureDocIntelOcrProvider(OcrProvider):
    """Adapter for Azure AI Document Intelligence's analyze API."""

    default_model = "prebuilt-layout"
    # Layout reads Word, PowerPoint and Excel files too (not by page range: see process).
    accepted_types = (
        frozenset({"application/pdf", "image/png", "image/jpeg", "image/tiff", "image/bmp"})
        | OFFICE
    )

    def __init__(self, entity: OcrModelConfig, ctx: ProviderContext) -> None:
        super().__init__(entity, ctx)
        where = f"{ctx.settings.source}: ocr_models {entity.id!r}"
        opts = Options(entity, where, "api_version", "dpi", "poll_interval")
        self.api_version = opts.string("api_version", "2024-11-30")
        self.dpi = opts.positive_int("dpi", 200)
        self.poll_interval = opts.positive_float("poll_interval", 1.0)
        if not entity.base_url or urlsplit(entity.base_url).scheme not in ("http", "https"):
            raise ConfigError(
                f"{where}: base_url: expected the resource endpoint, e.g. "
                "https://<resource>.cognitiveservices.azure.com"
            )
        if not entity.api_key:
            raise ConfigError(f"{where}: api_key: required by the azure_docintel provider")
        self._base = httpx.URL(entity.base_url.rstrip("/") + "/")
        self._secrets = (entity.api_key,)
        self._client = ctx.http_client(
            base_url=str(self._base),
            timeout=entity.timeout,
            headers={"Ocp-Apim-Subscription-Key": entity.api_key, "Accept": "application/json"},
        )
        self._name = f"azure_docintel entity {entity.id!r}"

    async def process(self, job: OcrJob) -> OcrResult:
        """Submit the analyze operation, poll it to completion and split it into pages."""
        doc = job.document
        if doc is None:
            raise ValueError("azure_docintel needs the document bytes (passes_urls is False)")
        model = self.upstream_model(job.model)
        params = {"api-version": self.api_version}
        if model == "prebuilt-layout":
            params["outputContentFormat"] = "markdown"
        if job.options.pages and doc.media_type not in OFFICE:
            # Azure selects pages of PDFs and TIFFs only; an Office file's are picked below.
            params["pages"] = page_ranges(job.options.pages)
        size, body = b64_json_body(doc.blob, b'{"base64Source":"', b'"}')
        try:
            with anyio.fail_after(self.entity.timeout):
                response = await request(
                    self._client,
                    "POST",
                    f"documentintelligence/documentModels/{model}:analyze",
                    name=self._name,
                    max_bytes=self.entity.max_response_size,
                    params=params,
                    content=body,
                    headers={"Content-Type": "application/json", "Content-Length": str(size)},
                )
                check_response(self._name, response, self._secrets)
                operation = await self._poll(response)
        except TimeoutError:
            raise UpstreamTimeoutError(
                f"{self._name} did not finish the analysis within {self.entity.timeout:g} s"
            ) from None
        return self._result(operation, model, job, doc.size)

    async def _poll(self, response: UpstreamReply) -> _AnalyzeResult:
        location = response.headers.get("operation-location")
        if response.status_code != 202 or not location:
            raise UpstreamError(
                f"{self._name} answered {response.status_code} without an Operation-Location"
            )
        url = httpx.URL(location)
        # The client carries the subscription key: never send it to another origin.
        if (url.scheme, url.host, url.port) != (
            self._base.scheme,
            self._base.host,
            self._base.port,
        ):
            raise UpstreamError(f"{self._name} sent an Operation-Location on another host")
        wait = retry_after(response.headers, self.poll_interval)
        while True:
            await anyio.sleep(wait)
            polled = await request(
                self._client,
                "GET",
                str(url),
                name=self._name,
                max_bytes=self.entity.max_response_size,
            )
            check_response(self._name, polled, self._secrets)
            op = decode_json(self._name, polled, _Operation)
            if op.status == "succeeded":
                if op.analyzeResult is None:
                    raise UpstreamError(f"{self._name} succeeded without an analyzeResult")
                return op.analyzeResult
            if op.status == "failed":
                err = op.error or _Error()
                message = f"{self._name} could not analyze the document: {err.message or err.code}"
                if err.code in _DOCUMENT_FAULTS:
                    raise UnprocessableDocumentError(message, param="document")
                raise UpstreamError(message)
            if op.status not in ("notStarted", "running"):
                raise UpstreamError(f"{self._name} reported status {op.status!r}")
            wait = retry_after(polled.headers, self.poll_interval)

    def _result(self, result: _AnalyzeResult, model: str, job: OcrJob, size: int) -> OcrResult:
        pages = []
        for page in result.pages:
            text = "".join(result.content[s.offset : s.offset + s.length] for s in page.spans)
            dims = None
            if page.width is not None and page.height is not None:
                scale = self.dpi if page.unit == "inch" else 1
                dpi = self.dpi if page.unit == "inch" else 72
                dims = Dimensions(
                    dpi=dpi, width=round(page.width * scale), height=round(page.height * scale)
                )
            pages.append(
                OcrPage(
                    index=page.pageNumber - 1,
                    markdown=_MARKUP.sub("", text).strip(),
                    dimensions=dims,
                )
            )
        if job.options.pages is not None:
            # Azure answers ranges in page order; keep the caller's order of selection.
            by_index = {p.index: p for p in pages}
            pages = [by_index[i] for i in job.options.pages if i in by_index]
        return OcrResult(
            model=result.modelId or model,
            pages=pages,
            doc_size_bytes=size,
            pages_processed=len(pages),
        )


PROVIDER = AzureDocIntelOcrProvider
"""The adapter ``provider = "azure_docintel"`` names (found by the OCR registry by convention)."""
