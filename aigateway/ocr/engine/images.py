"""Embedded images of a PDF page, as Mistral's OCR API returns them (``pages[].images``).

Each image object pdfium finds on the page (also inside form XObjects) is decoded, turned to
RGB and encoded as JPEG; its box is the object's bounds mapped into the pixel space of the page
as rendered at the page's DPI (integers, top-left origin), the space ``dimensions`` describes.
"""

from __future__ import annotations

import io
from typing import Any

from PIL import Image

from .options import PageImage

__all__ = ("FULL_PAGE", "encode_jpeg", "extract")

FULL_PAGE = 0.85
"""On an OCR'd page an image covering this much of the page is the scan itself, not a figure."""

_MAX_SIDE = 4000
"""Images larger than this on a side are scaled down before encoding (results stay small)."""


def _box(obj: Any, page: Any, scale: float) -> tuple[int, int, int, int] | None:
    import pypdfium2 as pdfium

    try:
        left, bottom, right, top = obj.get_bounds()
    except pdfium.PdfiumError:
        return None
    width, height = page.get_size()
    try:
        cx0, cy0, _, _ = page.get_cropbox()
    except (pdfium.PdfiumError, AttributeError):
        cx0, cy0 = 0.0, 0.0
    x0 = max(0.0, (left - cx0) * scale)
    x1 = min(width * scale, (right - cx0) * scale)
    y0 = max(0.0, (height - (top - cy0)) * scale)
    y1 = min(height * scale, (height - (bottom - cy0)) * scale)
    if x1 <= x0 or y1 <= y0:
        return None
    return round(x0), round(y0), round(x1), round(y1)


def own_pixels(obj: Any, mode: str) -> Image.Image | None:
    """The pixels of the pdfium image object ``obj`` as stored (not as rendered), converted
    to ``mode``; ``None`` when they cannot be decoded."""
    import pypdfium2 as pdfium

    try:
        bitmap = obj.get_bitmap(render=False)
    except pdfium.PdfiumError:
        return None
    # No bitmap.close(): an image object's bitmap is owned by pdfium ("foreign"); closing it
    # by hand is unsafe and crashed workers. convert() copies the pixels out.
    try:
        img: Image.Image = bitmap.to_pil().convert(mode)
    except (OSError, ValueError):
        return None
    return img


def _jpeg(obj: Any) -> bytes | None:
    img = own_pixels(obj, "RGB")
    return None if img is None else encode_jpeg(img)


def encode_jpeg(img: Image.Image) -> bytes:
    """``img`` as the JPEG returned in ``pages[].images`` (RGB, at most :data:`_MAX_SIDE` a
    side)."""
    rgb = img if img.mode == "RGB" else img.convert("RGB")
    if max(rgb.size) > _MAX_SIDE:
        rgb = rgb.copy()
        rgb.thumbnail((_MAX_SIDE, _MAX_SIDE), Image.Resampling.LANCZOS)
    buf = io.BytesIO()
    rgb.save(buf, format="JPEG", quality=85)
    return buf.getvalue()


def extract(
    page: Any,
    scale: float,
    *,
    limit: int | None,
    min_size: int | None,
    skip_full_page: bool,
) -> list[PageImage]:
    """The page's images, top to bottom, at most ``limit`` (``None``: all).

    ``min_size`` drops images whose box is smaller than that many pixels in height or width;
    ``skip_full_page`` drops an image covering :data:`FULL_PAGE` of the page (a scan).
    """
    import pypdfium2.raw as pdfium_c

    width, height = page.get_size()
    area = max(1.0, width * scale * height * scale)
    found: list[tuple[tuple[int, int, int, int], Any]] = []
    for obj in page.get_objects(filter=(pdfium_c.FPDF_PAGEOBJ_IMAGE,), max_depth=4):
        box = _box(obj, page, scale)
        if box is None:
            continue
        w, h = box[2] - box[0], box[3] - box[1]
        if min_size and (w < min_size or h < min_size):
            continue
        if skip_full_page and w * h >= FULL_PAGE * area:
            continue
        found.append((box, obj))
    found.sort(key=lambda t: (t[0][1], t[0][0]))
    out: list[PageImage] = []
    for box, obj in found:
        if limit is not None and len(out) >= limit:
            break
        out.append(PageImage(len(out), *box, jpeg=_jpeg(obj)))
    return out
