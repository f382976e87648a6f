"""A fake Mistral OCR API (``POST /v1/ocr``) speaking the real wire format (UPSTREAMS.md §1).

It is strict where the real API is strict: unknown body fields are a 422 ``extra_forbidden``
with a pydantic ``detail`` list, a missing/wrong key is a 401, an unknown model a flat 400
``{"object": "error", ...}``. PDF page counts are real (pypdfium2), so ``pages`` selection and
``pages_processed`` follow the document that was sent.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

import pypdfium2 as pdfium

from .server import FakeUpstream, Recorded, Reply

__all__ = ("FakeMistral",)

ALLOWED = {
    "model",
    "document",
    "pages",
    "include_image_base64",
    "image_limit",
    "image_min_size",
    "bbox_annotation_format",
    "document_annotation_format",
    "document_annotation_prompt",
    "table_format",
    "extract_header",
    "extract_footer",
    "include_blocks",
    "confidence_scores_granularity",
    "id",
}
MODELS = {"mistral-ocr-latest", "mistral-ocr-2512", "mistral-ocr-2505"}
TINY_JPEG = "data:image/jpeg;base64,/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAP//////////2Q=="


def flat_error(message: str, type_: str = "invalid_request_error", code: str | None = None) -> Any:
    return {"object": "error", "message": message, "type": type_, "param": None, "code": code}


class FakeMistral(FakeUpstream):
    """The fake; ``api_key`` is the only key it accepts."""

    def __init__(self, api_key: str = "sk-mistral-test") -> None:
        super().__init__()
        self.api_key = api_key
        self.remote_pages = 3
        """Page count assumed for remote (http) document URLs, which the fake does not fetch."""

    async def handle(self, req: Recorded) -> Reply:
        if req.method != "POST" or req.path != "/v1/ocr":
            return Reply(404, {"detail": "Not Found"})
        if req.headers.get("authorization") != f"Bearer {self.api_key}":
            return Reply(401, {"message": "Unauthorized", "request_id": "req-fake"})
        try:
            body = req.json()
        except ValueError:
            return Reply(400, flat_error("Invalid JSON body"))
        extra = [k for k in body if k not in ALLOWED]
        if extra:
            detail = [
                {
                    "type": "extra_forbidden",
                    "loc": ["body", k],
                    "msg": "Extra inputs are not permitted",
                    "input": body[k],
                }
                for k in extra
            ]
            return Reply(422, {"detail": detail})
        model = body.get("model")
        if model not in MODELS:
            return Reply(400, flat_error(f"Invalid model: {model}", "invalid_model", "1500"))
        doc = body.get("document") or {}
        kind = doc.get("type")
        url = doc.get(kind) if kind in ("document_url", "image_url") else None
        if isinstance(url, dict):
            url = url.get("url")
        if not isinstance(url, str):
            return Reply(
                422,
                {
                    "detail": [
                        {
                            "type": "missing",
                            "loc": ["body", "document"],
                            "msg": "Field required",
                            "input": doc,
                        }
                    ]
                },
            )
        size: int | None = None
        if url.startswith("data:"):
            try:
                data = base64.b64decode(url.split(",", 1)[1], validate=True)
            except (binascii.Error, IndexError):
                return Reply(400, flat_error("Invalid base64 data in document"))
            size = len(data)
            if data.startswith(b"%PDF"):
                pdf = pdfium.PdfDocument(data)
                total = len(pdf)
                pdf.close()
            else:
                total = 1
        else:
            total = self.remote_pages
        pages = body.get("pages")
        if isinstance(pages, str):
            pages = [int(p) for p in pages.split(",")]
        indexes = list(range(total)) if pages is None else [p for p in pages if p < total]
        with_b64 = bool(body.get("include_image_base64"))
        result_pages = []
        for i in indexes:
            result_pages.append(
                {
                    "index": i,
                    "markdown": f"# Page {i + 1}\n\nText of page {i + 1}. "
                    f"![img-{i}.jpeg](img-{i}.jpeg)",
                    "images": [
                        {
                            "id": f"img-{i}.jpeg",
                            "top_left_x": 151,
                            "top_left_y": 1071,
                            "bottom_right_x": 946,
                            "bottom_right_y": 1695,
                            "image_base64": TINY_JPEG if with_b64 else None,
                        }
                    ],
                    "dimensions": {"dpi": 200, "height": 2200, "width": 1700},
                    "tables": [],
                    "hyperlinks": ["https://example.com/"],
                    "header": "Running header" if body.get("extract_header") else None,
                    "footer": "Running footer" if body.get("extract_footer") else None,
                }
            )
        annotation = None
        if body.get("document_annotation_format"):
            annotation = json.dumps({"title": "Fake document", "pages": len(indexes)})
        # Mistral bills annotated pages apart and reports how many there were.
        annotated = body.get("document_annotation_format") or body.get("bbox_annotation_format")
        return Reply(
            200,
            {
                "pages": result_pages,
                "model": "mistral-ocr-2512" if model == "mistral-ocr-latest" else model,
                "usage_info": {
                    "pages_processed": len(indexes),
                    "doc_size_bytes": size,
                    "pages_processed_annotation": len(indexes) if annotated else 0,
                },
                "document_annotation": annotation,
            },
        )
