"""Counting a document's pages, before any OCR: the one place that says what a page is.

A PDF has its pages; an image is one page, except a TIFF, whose every frame is a page (the local
engine reads them so, the vision adapter sends them so, and page limits charge them so). An
animated GIF or WebP is one page: its frames are an animation, not a document's pages. A
Word, PowerPoint or Excel file has the pages the local engine reads from it: Word's recorded
pages, slides, visible sheets.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..http.limits import DocumentLimits
from . import pdf
from .engine import office
from .protocol import Document

__all__ = ("count_document_pages", "image_pages")


def image_pages(img: Any, media_type: str) -> int:
    """Pages of an opened image of ``media_type``: every frame of a TIFF, else one."""
    if media_type != "image/tiff":
        return 1
    try:
        # Pillow counts a TIFF's frames by walking them: a damaged one fails the count.
        return max(1, int(getattr(img, "n_frames", 1)))
    except pdf.DECODE_ERRORS as exc:
        raise pdf.unreadable_image(exc) from None


def _count_sync(
    document: Document,
    pages: Sequence[int] | None,
    password: str | None,
    limits: DocumentLimits,
) -> int:
    source: bytes | str = document.blob.read() if document.blob.in_memory else document.blob.path()
    if document.media_type == "application/pdf":
        total = pdf.count_pages(source, password)
    elif office.is_office(document.media_type):
        total = office.count_pages(source, document.media_type)
    elif document.media_type.startswith("image/"):
        img = pdf.open_image(source, limits.max_pixels_per_page)
        try:
            total = image_pages(img, document.media_type)
        finally:
            img.close()
    else:
        return len(pages) if pages is not None else 1
    return len(pdf.select_pages(total, pages, limits.max_pages))


async def count_document_pages(
    document: Document,
    pages: Sequence[int] | None,
    password: str | None,
    limits: DocumentLimits,
) -> int:
    """Pages a request will process, counted before any OCR (in a thread: PDFs are parsed).

    Raises 400 for a ``pages`` index past the end, 413 over the page cap, 422 when unreadable.
    """
    import anyio.to_thread

    return await anyio.to_thread.run_sync(_count_sync, document, pages, password, limits)
