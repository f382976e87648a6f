"""A fake AlphaEdge OCR gateway API (UPSTREAMS.md §4.7): multipart field ``image``, ``X-API-Key``.

The "OCR" is the PDF's real text layer (pypdfium2), all pages joined, so tests can tell which
pages of a document reached the upstream; an image answers a description of its size. Errors
have the FastAPI shapes a Python service like this answers: ``{"detail": "..."}`` and 422
``{"detail": [{"loc", "msg", "type"}]}``.
"""

from __future__ import annotations

import io

import pypdfium2 as pdfium
from PIL import Image

from .server import FakeUpstream, Recorded, Reply

__all__ = ("FakeAlphaEdge",)

MODELS = {"alpha-digit-max", "alpha-digit-medium"}


def pdf_text(data: bytes, password: str | None) -> str:
    pdf = pdfium.PdfDocument(data, password=password)
    try:
        texts = []
        for page in pdf:
            textpage = page.get_textpage()
            texts.append(textpage.get_text_range().strip())
            textpage.close()
            page.close()
        return "\n\n".join(texts)
    finally:
        pdf.close()


class FakeAlphaEdge(FakeUpstream):
    def __init__(self, api_key: str = "ae-test-key") -> None:
        super().__init__()
        self.api_key = api_key

    async def handle(self, req: Recorded) -> Reply:
        parts = req.path.strip("/").split("/")
        if req.method != "POST" or len(parts) != 3 or parts[0] != "models" or parts[2] != "ocr":
            return Reply(404, {"detail": "Not Found"})
        if req.headers.get("x-api-key") != self.api_key:
            return Reply(401, {"detail": "Invalid or missing API key"})
        if parts[1] not in MODELS:
            return Reply(404, {"detail": f"Model '{parts[1]}' not found"})
        form = req.form()
        if "image" not in form:
            detail = [
                {
                    "type": "missing",
                    "loc": ["body", "image"],
                    "msg": "Field required",
                    "input": None,
                }
            ]
            return Reply(422, {"detail": detail})
        data = form["image"].data
        password = form["pdf_password"].data.decode() if "pdf_password" in form else None
        if data.startswith(b"%PDF"):
            try:
                text = pdf_text(data, password)
            except pdfium.PdfiumError:
                return Reply(400, {"detail": "Could not open PDF (wrong password?)"})
        else:
            try:
                img = Image.open(io.BytesIO(data))
            except OSError:
                return Reply(400, {"detail": "Unsupported file"})
            text = f"image {img.width}x{img.height}"
        return Reply(
            200,
            {
                "text": text,
                "model": parts[1],
                "inference_time": 0.01,
                "confidence": 0.97,
                "words": [{"w": w, "confidence": 0.97} for w in text.split()[:20]],
            },
        )
