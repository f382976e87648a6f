"""The built-in offline OCR engine.

* :mod:`.pool` — :class:`OcrPool`, worker processes with a bounded, fair, cancellable queue;
  :mod:`.starts` (starting workers, back-off), :mod:`.batches` (the round-robin queue),
  :mod:`.health` (restarts, readiness), :mod:`.procs` (processes), :mod:`.results` (errors
  rebuilt from workers).
* :mod:`.wire` and :mod:`.channel` — framed messages between pool and workers, never blocking
  the event loop; :mod:`.serve` — a worker's main loop.
* :mod:`.worker` — what runs in a worker: page probing, text-layer vs OCR decision, rendering.
* :mod:`.textlayer` — PDF text extraction and its plausibility checks.
* :mod:`.tesseract` / :mod:`.rapid` — the two recognisers; :mod:`.markdown` — lines to Markdown.

The provider that uses all this is :class:`aigateway.ocr.providers.local.LocalOcrProvider`.
"""

from __future__ import annotations

from .pool import OcrPool

__all__ = ("OcrPool",)
