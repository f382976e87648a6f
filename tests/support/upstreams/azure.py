"""A fake Azure AI Document Intelligence v4 analyze API (UPSTREAMS.md §4.1).

``POST /documentintelligence/documentModels/{model}:analyze?api-version=2024-11-30`` answers 202
with ``Operation-Location`` and ``Retry-After``; ``GET`` on it answers ``running`` for
``polls_before_done`` polls, then ``succeeded`` with an ``analyzeResult`` whose ``content`` is
the PDF's real text layer, pages separated by ``<!-- PageBreak -->`` and located by ``spans``.
Errors use Azure's envelope ``{"error": {"code", "message", "innererror"}}``.
"""

from __future__ import annotations

import base64
import binascii
import io
import itertools
import re
from typing import Any

import pypdfium2 as pdfium
from PIL import Image

from .server import FakeUpstream, Recorded, Reply

__all__ = ("FakeAzure",)

MODELS = {"prebuilt-layout", "prebuilt-read"}
_ANALYZE = re.compile(r"^/documentintelligence/documentModels/([^/:]+):analyze$")
_RESULT = re.compile(r"^/documentintelligence/documentModels/([^/]+)/analyzeResults/([\w-]+)$")


def azure_error(code: str, message: str, inner: tuple[str, str] | None = None) -> Any:
    err: dict[str, Any] = {"code": code, "message": message}
    if inner:
        err["innererror"] = {"code": inner[0], "message": inner[1]}
    return {"error": err}


def parse_ranges(text: str) -> list[int]:
    out = []
    for part in text.split(","):
        a, _, b = part.partition("-")
        out.extend(range(int(a), int(b or a) + 1))
    return out


class FakeAzure(FakeUpstream):
    def __init__(self, api_key: str = "az-test-key") -> None:
        super().__init__()
        self.api_key = api_key
        self.polls_before_done = 1
        self.retry_after = "0"
        self.operations: dict[str, dict[str, Any]] = {}
        self._ids = itertools.count(1)

    async def handle(self, req: Recorded) -> Reply:
        if req.headers.get("ocp-apim-subscription-key") != self.api_key:
            return Reply(
                401,
                azure_error(
                    "401",
                    "Access denied due to invalid subscription key or wrong API endpoint. Make "
                    "sure to provide a valid key for an active subscription and use a correct "
                    "regional API endpoint for your resource.",
                ),
            )
        if req.query.get("api-version") != "2024-11-30":
            return Reply(404, azure_error("404", "Resource not found"))
        m = _ANALYZE.match(req.path)
        if req.method == "POST" and m:
            return self._analyze(req, m.group(1))
        m = _RESULT.match(req.path)
        if req.method == "GET" and m and m.group(2) in self.operations:
            return self._poll(m.group(2))
        return Reply(404, azure_error("404", "Resource not found"))

    def _analyze(self, req: Recorded, model: str) -> Reply:
        if model not in MODELS:
            return Reply(
                404,
                azure_error(
                    "NotFound",
                    "Resource not found.",
                    ("ModelNotFound", f"The requested model '{model}' was not found."),
                ),
            )
        try:
            data = base64.b64decode(req.json()["base64Source"], validate=True)
        except (ValueError, KeyError, binascii.Error):
            return Reply(
                400,
                azure_error(
                    "InvalidRequest",
                    "Invalid request.",
                    ("InvalidBase64", "The base64 source is invalid."),
                ),
            )
        if data.startswith(b"PK") and req.query.get("pages"):
            # Page ranges are for PDFs and TIFFs.
            return Reply(
                400,
                azure_error(
                    "InvalidRequest",
                    "Invalid request.",
                    ("InvalidParameter", "The parameter pages is invalid for this file type."),
                ),
            )
        op_id = f"op-{next(self._ids)}"
        self.operations[op_id] = {
            "data": data,
            "model": model,
            "pages": req.query.get("pages"),
            "markdown": req.query.get("outputContentFormat") == "markdown",
            "polls": 0,
        }
        location = (
            f"{self.url}/documentintelligence/documentModels/{model}/analyzeResults/{op_id}"
            "?api-version=2024-11-30"
        )
        return Reply(202, b"", {"operation-location": location, "retry-after": self.retry_after})

    def _poll(self, op_id: str) -> Reply:
        op = self.operations[op_id]
        op["polls"] += 1
        headers = {"retry-after": self.retry_after}
        if op["polls"] <= self.polls_before_done:
            return Reply(
                200, {"status": "running", "createdDateTime": "2026-01-01T00:00:00Z"}, headers
            )
        data: bytes = op["data"]
        pages: list[tuple[str, float | None, float | None, str | None]] = []
        if data.startswith(b"PK"):
            # A Word file: its paragraphs, a page per page break (no page size, as Azure
            # gives none for a flowing document).
            import docx

            text = "\n\n".join(p.text for p in docx.Document(io.BytesIO(data)).paragraphs)
            pages.extend((t.strip(), None, None, None) for t in text.split("\f"))
        elif data.startswith(b"%PDF"):
            pdf = pdfium.PdfDocument(data)
            for page in pdf:
                tp = page.get_textpage()
                text = tp.get_text_range().strip()
                w, h = page.get_size()
                pages.append((text, w / 72, h / 72, "inch"))
                tp.close()
                page.close()
            pdf.close()
        else:
            try:
                img = Image.open(io.BytesIO(data))
            except OSError:
                return Reply(
                    200,
                    {
                        "status": "failed",
                        "error": azure_error(
                            "InvalidRequest",
                            "Invalid request.",
                            ("InvalidContent", "The file is corrupted or format is unsupported."),
                        )["error"],
                    },
                )
            pages.append((f"image {img.width}x{img.height}", img.width, img.height, "pixel"))
        numbers = parse_ranges(op["pages"]) if op["pages"] else range(1, len(pages) + 1)
        content = ""
        result_pages = []
        for n in numbers:
            text, w, h, unit = pages[n - 1]
            if op["markdown"]:
                text = f"# Page {n}\n\n{text}"
            if content:
                content += "\n\n<!-- PageBreak -->\n\n"
            result_pages.append(
                {
                    "pageNumber": n,
                    "width": w,
                    "height": h,
                    "unit": unit,
                    "angle": 0,
                    "spans": [{"offset": len(content), "length": len(text)}],
                    "words": [],
                    "lines": [],
                }
            )
            content += text
        return Reply(
            200,
            {
                "status": "succeeded",
                "createdDateTime": "2026-01-01T00:00:00Z",
                "lastUpdatedDateTime": "2026-01-01T00:00:01Z",
                "analyzeResult": {
                    "apiVersion": "2024-11-30",
                    "modelId": op["model"],
                    "stringIndexType": "textElements",
                    "content": content,
                    "contentFormat": "markdown" if op["markdown"] else "text",
                    "pages": result_pages,
                    "paragraphs": [],
                },
            },
            headers,
        )
