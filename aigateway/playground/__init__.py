"""The OCR and chat playground page (``/playground``) and its page-image endpoint."""

from __future__ import annotations

from .router import playground_handlers

__all__ = ("playground_handlers",)
