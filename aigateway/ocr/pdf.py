"""PDF and image primitives shared by providers: open, count pages, render, guard sizes.

Everything here is synchronous and CPU-bound: call it from a worker (the local pool, or
``anyio.to_thread``), never on the event loop. Failures become gateway errors: an unreadable or
password-protected document is a 422, a page or pixel count over the configured caps a 413.
"""

from __future__ import annotations

import contextlib
import io
import math
import re
import struct
import threading
from collections.abc import Sequence
from typing import Any

from PIL import Image

from ..errors import BadRequestError, PayloadTooLargeError, UnprocessableDocumentError
from .normalize.encoding import sniff_media_type

__all__ = (
    "DECODE_ERRORS",
    "MAX_SIDE",
    "PDFIUM_LOCK",
    "check_image_size",
    "count_pages",
    "extra_image_types",
    "open_image",
    "open_pdf",
    "page_scale",
    "render",
    "render_page",
    "select_pages",
    "unreadable_image",
)

PDFIUM_LOCK = threading.RLock()
"""pdfium keeps one global library state and is not thread-safe: every call into it from a
thread of the server process holds this lock (worker processes have their own pdfium)."""

# Pillow's own bomb guard would raise a warning-turned-error at ~89 MP; we check our configured
# cap against the header ourselves before any pixel is decoded.
Image.MAX_IMAGE_PIXELS = None


def open_pdf(source: bytes | str, password: str | None = None, *, forms: bool = False) -> Any:
    """Open a PDF from bytes or a path; 422 when it is corrupt or the password is wrong.

    ``forms``: its pages are to be read, so its interactive form, if it has one, is set up
    first. pdfium draws a filled-in form's fields (what was typed into them lives there, not in
    the page's content) only on pages loaded after that, and :mod:`.engine.formfields` reads
    their values through it."""
    import pypdfium2 as pdfium

    try:
        doc = pdfium.PdfDocument(source, password=password)
    except pdfium.PdfiumError as exc:
        msg = str(exc).lower()
        if "password" in msg:
            if password:
                raise UnprocessableDocumentError(
                    "the PDF could not be opened: pdf_password is wrong", param="pdf_password"
                ) from None
            raise UnprocessableDocumentError(
                "the PDF is encrypted: send its password in pdf_password", param="pdf_password"
            ) from None
        # pdfium's reason, unless it has none to give ("Success" for a PDF without pages).
        why = "" if "success" in msg else f" ({exc})"
        raise UnprocessableDocumentError(
            f"the document is not a readable PDF{why}", param="document"
        ) from None
    if forms:
        # A form pdfium cannot set up: its pages are read as they are drawn without it.
        with contextlib.suppress(pdfium.PdfiumError):
            doc.init_forms()
    return doc


def count_pages(source: bytes | str, password: str | None = None) -> int:
    """Number of pages of a PDF (422 when unreadable); thread-safe."""
    with PDFIUM_LOCK:
        pdf = open_pdf(source, password)
        try:
            return len(pdf)
        finally:
            pdf.close()


def select_pages(
    total: int, pages: Sequence[int] | None, max_pages: int, *, param: str = "pages"
) -> list[int]:
    """The 0-based page indexes to process; 400 for an index past the end, 413 over the cap."""
    if pages is None:
        if total > max_pages:
            raise PayloadTooLargeError(
                f"the document has {total} pages; the limit is {max_pages} pages per request "
                "(select some with `pages`)",
                param="document",
            )
        return list(range(total))
    bad = [p for p in pages if p >= total]
    if bad:
        raise BadRequestError(
            f"pages: index {bad[0]} is out of range; the document has {total} page(s) "
            f"(indexes 0-{total - 1})",
            param=param,
        )
    if len(pages) > max_pages:
        raise PayloadTooLargeError(
            f"{len(pages)} pages requested; the limit is {max_pages} pages per request",
            param=param,
        )
    return list(pages)


MAX_SIDE = 32767
"""Pixels a page image may have on either side: Tesseract keeps coordinates in 16 bits, and
larger images fail inside it ("Error reading image") rather than with a clear message."""


def check_image_size(width: int, height: int, max_pixels: int) -> None:
    """413 when an image's header announces more pixels than allowed (before decoding it), or a
    side longer than :data:`MAX_SIDE`; 422 for an image with no pixels."""
    if width * height > max_pixels:
        raise PayloadTooLargeError(
            f"the image is {width}x{height} = {width * height} pixels; the limit is "
            f"{max_pixels} pixels per page",
            param="document",
        )
    if max(width, height) > MAX_SIDE:
        raise PayloadTooLargeError(
            f"the image is {width}x{height} pixels; the limit is {MAX_SIDE} pixels per side",
            param="document",
        )
    if width < 1 or height < 1:
        raise UnprocessableDocumentError(
            f"the image is {width}x{height} pixels: it has no pixels to read", param="document"
        )


DECODE_ERRORS: tuple[type[Exception], ...] = (
    OSError,
    SyntaxError,
    ValueError,
    EOFError,
    RuntimeError,
    KeyError,
    IndexError,
    TypeError,
    ZeroDivisionError,
    struct.error,
)
"""What Pillow and its decoders raise for bytes they cannot decode. Not only ``OSError``: a
damaged AVIF or HEIC raises ``RuntimeError`` ("Failed to decode frame 0"), a TIFF frame
without a tag it needs ``KeyError`` (257) or ``TypeError`` ("Missing dimensions"), one with a
bad mode ``SyntaxError`` (byte-flip fuzzing, ``tests/unit/test_image_fuzz.py``)."""


def unreadable_image(exc: Exception) -> UnprocessableDocumentError:
    """The 422 for a document Pillow cannot read, with Pillow's reason but not the Python
    object reprs it puts in some ("cannot identify image file <_io.BytesIO object at 0x...>")."""
    reason = re.sub(r"\s*<[^<>]* at 0x[0-9a-fA-F]+>", "", str(exc)).strip() or type(exc).__name__
    return UnprocessableDocumentError(
        f"the document is not a readable image ({reason})", param="document"
    )


def extra_image_types() -> frozenset[str]:
    """Image types this install decodes besides PNG, JPEG, GIF, WebP, TIFF and BMP: AVIF with
    Pillow's own decoder (in its wheels since 11.3), HEIC/HEIF with pillow-heif (a dependency;
    found without importing it: libheif is loaded by :func:`open_image` when a HEIF image
    first comes, not by every process that asks which types are read)."""
    import importlib.util

    from PIL import features

    extra = set()
    if features.check("avif"):
        extra.add("image/avif")
    if importlib.util.find_spec("pillow_heif") is not None:
        extra.update(("image/heic", "image/heif"))
    return frozenset(extra)


_heif_opener = False


def _open_heif(head: bytes) -> None:
    """Teach Pillow HEIF (pillow-heif's opener) the first time a HEIF image is opened."""
    global _heif_opener
    if _heif_opener or sniff_media_type(head) != "image/heic":
        return
    try:
        import pillow_heif
    except ImportError:  # pragma: no cover - a dependency; without it HEIF is a 422
        return
    # It turns a photo upright as its orientation says and resets the tag, as a viewer shows it.
    pillow_heif.register_heif_opener()
    _heif_opener = True


_FORMATS = ("PNG", "JPEG", "GIF", "WEBP", "TIFF", "BMP", "AVIF", "HEIF")
"""Pillow decoders an image may be opened with: the types the engine accepts. Not every one
Pillow has: its EPS decoder runs Ghostscript on the bytes, and a PostScript file sent as
``image/png`` (a declared type stands when no magic number contradicts it) must not reach it."""


def open_image(data: bytes | str, max_pixels: int) -> Image.Image:
    """Open an image lazily, refusing oversized headers; 422 when it is not a readable image."""
    if isinstance(data, bytes):
        _open_heif(data[:16])
    else:
        with open(data, "rb") as f:
            _open_heif(f.read(16))
    Image.init()
    # HEIF is a decoder only once pillow-heif's opener is registered (by _open_heif).
    formats = [f for f in _FORMATS if f in Image.OPEN]
    try:
        img = Image.open(io.BytesIO(data) if isinstance(data, bytes) else data, formats=formats)
    except DECODE_ERRORS as exc:
        raise unreadable_image(exc) from None
    check_image_size(img.width, img.height, max_pixels)
    return img


def page_scale(width_pt: float, height_pt: float, dpi: int, max_pixels: int) -> float:
    """Render scale for a page of ``width_pt`` x ``height_pt`` points at ``dpi``, capped so the
    bitmap stays within ``max_pixels`` and :data:`MAX_SIDE` pixels per side.

    Raises:
        UnprocessableDocumentError: a page so thin (or so degenerate) that at the capped scale
            one side would be under one pixel: there is nothing a renderer or OCR can read.
    """
    w, h = abs(width_pt), abs(height_pt)  # a flipped MediaBox still has a size
    if not (math.isfinite(w) and math.isfinite(h)) or w <= 0 or h <= 0:
        raise UnprocessableDocumentError(
            f"a PDF page is {width_pt:g} x {height_pt:g} pt: it has no area to read",
            param="document",
        )
    scale = dpi / 72.0
    pixels = w * scale * h * scale
    if pixels > max_pixels:
        scale *= (max_pixels / pixels) ** 0.5
    scale = min(scale, MAX_SIDE / max(w, h))
    if min(w, h) * scale < 1:
        raise UnprocessableDocumentError(
            f"a PDF page is {w:g} x {h:g} pt: rendered within the limits of {MAX_SIDE} pixels "
            f"per side and {max_pixels} pixels per page, one side would be under one pixel "
            f"(aspect ratio over {MAX_SIDE}:1)",
            param="document",
        )
    return scale


def render_page(pdf: Any, index: int, dpi: int, max_pixels: int) -> tuple[Image.Image, int]:
    """Render page ``index`` to a grayscale PIL image; returns it with the DPI actually used."""
    page = pdf[index]
    try:
        return render(page, dpi, max_pixels)
    finally:
        page.close()


def render(page: Any, dpi: int, max_pixels: int, colour: bool = False) -> tuple[Image.Image, int]:
    """:func:`render_page` of a page already open (``pdf[index]``), left open; in RGB with
    ``colour`` (pdfium renders it as fast)."""
    w, h = page.get_size()
    scale = page_scale(w, h, dpi, max_pixels)
    bitmap = page.render(scale=scale, grayscale=not colour, may_draw_forms=True)
    try:
        # to_pil shares the bitmap's buffer: copy before the bitmap is freed.
        img = bitmap.to_pil().copy()
    finally:
        bitmap.close()
    return img, round(scale * 72)
