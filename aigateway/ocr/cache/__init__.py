"""The OCR result cache: answers kept by document and options, and identical requests in flight
coalesced (:mod:`.store`), keyed by :mod:`.key`, in memory, a directory or Redis
(:mod:`.backends`, :mod:`.disk`, :mod:`.redis`)."""

from __future__ import annotations

from .entry import CacheEntry, EntryMeta
from .store import Lookup, OcrCache, make_cache

__all__ = ("CacheEntry", "EntryMeta", "Lookup", "OcrCache", "make_cache")
