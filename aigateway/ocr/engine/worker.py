"""The page tasks an OCR worker process runs (its main loop is :mod:`.serve`).

Page tasks (:func:`probe`, :func:`read_page`, in :mod:`.page`) take a :class:`Source`: tiny
documents travel as bytes inside the task, anything larger as a file path the worker opens
itself. This module is what the pool preloads and what callers import; the work is done in
:mod:`.page` (pages), :mod:`.reader` (recognition) and :mod:`.layout` (tables, columns).
"""

from __future__ import annotations

from .options import EngineOptions, PageRequest, PageResult, Source
from .page import probe, read_page

__all__ = ("EngineOptions", "PageRequest", "PageResult", "Source", "probe", "read_page")
