"""Wire shapes of the playground's page-image endpoint (``POST /playground/preview``)."""

from __future__ import annotations

import msgspec

__all__ = ("PreviewPage", "PreviewResponse")


class PreviewPage(msgspec.Struct):
    """One page as an image the browser can show (JPEG, base64)."""

    index: int
    """0-based page number in the document (a ``pages`` selection keeps the numbers)."""
    width: int
    height: int
    media_type: str
    data: str
    """The image bytes, base64."""


class PreviewResponse(msgspec.Struct):
    """Page images of an uploaded document, for the pages the request selected."""

    page_count: int
    """Pages (or frames) the whole document has."""
    pages: list[PreviewPage]
    truncated: bool = False
    """True when the selection had more pages than ``[playground] preview_max_pages``."""
