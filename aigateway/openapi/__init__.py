"""The OpenAPI 3.1 document (``/openapi.json``) and the API reference page (``/docs``)."""

from __future__ import annotations

from .document import build_document, mounted_handlers
from .site import DocsSite

__all__ = ("DocsSite", "build_document", "mounted_handlers")
