"""Safe download of document URLs: :class:`Fetcher` (:mod:`.fetcher`) behind the SSRF guard
(:mod:`.guard`)."""

from __future__ import annotations

from .fetcher import Fetched, Fetcher
from .guard import Resolver, classify_address, system_resolver

__all__ = ("Fetched", "Fetcher", "Resolver", "classify_address", "system_resolver")
