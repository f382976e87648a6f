"""The built-in offline OCR engine.

* :mod:`.pool` — :class:`OcrPool`, worker processes with a bounded, fair, cancellable queue;
  :mod:`.starts` (starting workers, back-off), :mod:`.batches` (the round-robin queue),
  :mod:`.health` (restarts, readiness), :mod:`.procs` (processes), :mod:`.results` (errors
  rebuilt from workers).
* :mod:`.wire` and :mod:`.channel` — framed messages between pool and workers, never blocking
  the event loop; :mod:`.serve` — a worker's main loop.
* :mod:`.worker` — the page tasks the pool sends (re-exported from :mod:`.page`).
* :mod:`.page` — page tasks: probe a document, read a page (text layer or OCR), report its DPI.
* :mod:`.reader` — which engine reads a page image, second chances for doubtful pages.
* :mod:`.layout` — recognised words to paragraphs and tables in reading order (pure), on
  :mod:`.geometry`'s types; :mod:`.rowsplit` — lists cut into blocks, read row by row.
* :mod:`.compose` / :mod:`.tables` — a page's Markdown, table and image placeholders.
* :mod:`.images` — embedded PDF images; :mod:`.preprocess` — clean-ups for noisy pages, sharpening
  for soft ones.
* :mod:`.scans` — a scanned PDF page's grain, judged on the scan's own pixels before the
  renderer resamples it.
* :mod:`.orientation` / :mod:`.deskew` — sideways and skewed pages, found before reading;
  :mod:`.textsize` — text height from pixels, large text shrunk before Tesseract;
  :mod:`.bullets` — list bullets Tesseract misreads as letters.
* :mod:`.textlayer` — PDF text extraction and its plausibility checks.
* :mod:`.tesseract` / :mod:`.rapid` — the two recognisers; :mod:`.markdown` — lines to Markdown.
* :mod:`.options` — what page tasks are told and answer (pickled to and from workers).

The provider that uses all this is :class:`aigateway.ocr.providers.local.LocalOcrProvider`.
"""

from __future__ import annotations

from .pool import OcrPool

__all__ = ("OcrPool",)
