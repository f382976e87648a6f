"""Page images for the playground: PDF pages rendered with pdfium, TIFF frames, other images.

Synchronous and CPU-bound: the router runs :func:`render_preview` in a thread (pdfium calls hold
:data:`~aigateway.ocr.pdf.PDFIUM_LOCK`). The same guards as OCR apply (page and pixel caps,
422 for unreadable or encrypted documents); images are small JPEGs, at most
:data:`MAX_SIDE` pixels on their long side, whatever the page size.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence
from typing import Any

from PIL import Image, ImageSequence

from ..errors import UnsupportedMediaTypeError
from ..ocr import pdf
from .schemas import PreviewPage, PreviewResponse

__all__ = ("MAX_SIDE", "PREVIEW_TYPES", "render_preview")

MAX_SIDE = 1600
"""Long side of a preview image, in pixels."""

PREVIEW_TYPES = (
    "application/pdf",
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "image/tiff",
    "image/bmp",
    *sorted(pdf.extra_image_types()),
)


def _jpeg(img: Image.Image, index: int) -> PreviewPage:
    if img.mode not in ("RGB", "L"):
        # Transparent areas become white, as they print.
        rgba = img.convert("RGBA")
        img = Image.new("RGB", rgba.size, "white")
        img.paste(rgba, mask=rgba.getchannel("A"))
    if max(img.size) > MAX_SIDE:
        img = img.copy()
        img.thumbnail((MAX_SIDE, MAX_SIDE))
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=80)
    return PreviewPage(
        index=index,
        width=img.width,
        height=img.height,
        media_type="image/jpeg",
        data=base64.b64encode(buf.getvalue()).decode(),
    )


def _pdf_pages(
    source: bytes | str, indexes: list[int], password: str | None, dpi: int, max_pixels: int
) -> list[PreviewPage]:
    out = []
    with pdf.PDFIUM_LOCK:
        document = pdf.open_pdf(source, password, forms=True)
    try:
        for i in indexes:
            # The lock is taken per page, so other requests' page counting interleaves.
            with pdf.PDFIUM_LOCK:
                page = document[i]
                try:
                    w, h = page.get_size()
                    scale = min(pdf.page_scale(w, h, dpi, max_pixels), MAX_SIDE / max(w, h, 1.0))
                    bitmap = page.render(scale=scale, may_draw_forms=True)
                    try:
                        img = bitmap.to_pil().copy()
                    finally:
                        bitmap.close()
                finally:
                    page.close()
            out.append(_jpeg(img, i))
    finally:
        with pdf.PDFIUM_LOCK:
            document.close()
    return out


def _count(source: bytes | str, media_type: str, password: str | None, max_pixels: int) -> int:
    if media_type == "application/pdf":
        return pdf.count_pages(source, password)
    img = pdf.open_image(source, max_pixels)
    try:
        return max(1, int(getattr(img, "n_frames", 1))) if media_type == "image/tiff" else 1
    finally:
        img.close()


def render_preview(
    source: bytes | str,
    media_type: str,
    *,
    pages: Sequence[int] | None,
    password: str | None,
    dpi: int,
    max_pages: int,
    max_doc_pages: int,
    max_pixels: int,
) -> PreviewResponse:
    """Images of the selected ``pages`` of a document (bytes or a file path).

    At most ``max_pages`` are rendered (``truncated`` says so); ``max_doc_pages`` and
    ``max_pixels`` are the OCR limits (413 over them), a page past the end is a 400.
    """
    if media_type not in PREVIEW_TYPES:
        raise UnsupportedMediaTypeError(
            f"the document is {media_type}; a preview needs one of: {', '.join(PREVIEW_TYPES)}",
            param="document",
        )
    total = _count(source, media_type, password, max_pixels)
    indexes = pdf.select_pages(total, pages, max_doc_pages)
    shown, truncated = indexes[:max_pages], len(indexes) > max_pages
    if media_type == "application/pdf":
        images = _pdf_pages(source, shown, password, dpi, max_pixels)
    else:
        images = []
        img: Any = pdf.open_image(source, max_pixels)
        try:
            frames = ImageSequence.Iterator(img) if media_type == "image/tiff" else [img]
            wanted = set(shown)
            for i, frame in enumerate(frames):
                if i in wanted:
                    pdf.check_image_size(frame.width, frame.height, max_pixels)
                    images.append(_jpeg(frame.copy(), i))
                if not shown or i >= shown[-1]:
                    break
        except pdf.DECODE_ERRORS as exc:
            raise pdf.unreadable_image(exc) from None
        finally:
            img.close()
    return PreviewResponse(page_count=total, pages=images, truncated=truncated)
