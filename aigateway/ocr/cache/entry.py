"""One cached OCR answer: the encoded response body and what accounting needs to know about it.

Stored as ``AGC1`` + a 4-byte big-endian length + the metadata as JSON + the body, so a hit is
answered with the stored bytes as they are (no decode and re-encode of a large response), and a
value that is not one of ours (a truncated file, another program's Redis key) reads as a miss.
"""

from __future__ import annotations

from dataclasses import dataclass

import msgspec

__all__ = ("CacheEntry", "EntryMeta", "dumps", "loads")

_MAGIC = b"AGC1"
_HEAD = len(_MAGIC) + 4


class EntryMeta(msgspec.Struct, frozen=True):
    """What the entry was made of: who answered, the pages it processed, when."""

    entity: str
    pages: int
    annotated_pages: int
    doc_bytes: int
    created: float
    """Unix time the answer was stored (entries expire ``[cache] ttl`` seconds after)."""


@dataclass(frozen=True)
class CacheEntry:
    """A cached answer: ``body`` is the response JSON exactly as it was sent."""

    meta: EntryMeta
    body: bytes

    @property
    def size(self) -> int:
        """Bytes the entry takes when stored (its body dominates)."""
        return len(self.body) + 128


_meta_decoder = msgspec.json.Decoder(EntryMeta)


def dumps(entry: CacheEntry) -> bytes:
    """The stored form of ``entry``."""
    meta = msgspec.json.encode(entry.meta)
    return b"".join((_MAGIC, len(meta).to_bytes(4, "big"), meta, entry.body))


def loads(raw: bytes) -> CacheEntry | None:
    """The entry stored as ``raw``; ``None`` when it is not an intact entry."""
    if len(raw) < _HEAD or not raw.startswith(_MAGIC):
        return None
    n = int.from_bytes(raw[len(_MAGIC) : _HEAD], "big")
    if _HEAD + n > len(raw):
        return None
    try:
        meta = _meta_decoder.decode(raw[_HEAD : _HEAD + n])
    except msgspec.DecodeError:
        return None
    return CacheEntry(meta, raw[_HEAD + n :])
