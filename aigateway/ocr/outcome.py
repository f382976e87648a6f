"""What an OCR request produced: the answer, who made it, what it used and what it cost.

An answer from the cache is held as the bytes that were stored (sent as they are); a fresh one
as the response Struct (encoded once, when first asked for). Either form is available.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import msgspec

from .protocol import OcrResponse

__all__ = ("CacheResult", "OcrOutcome")

CacheResult = Literal["hit", "coalesced", "miss"]
"""``hit``: answered from the cache; ``coalesced``: from an identical request in flight;
``miss``: the upstream answered (and the answer was offered to the cache)."""

_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(OcrResponse)


@dataclass
class OcrOutcome:
    """The answer to one OCR request and its accounting."""

    entity: str
    """The entity that answered (for a cached answer: the one that made it)."""
    pages: int
    """Pages an upstream or the engine processed for *this* request (0 when from the cache)."""
    doc_bytes: int
    """Bytes of the document (0 when only the upstream saw it and did not say)."""
    attempts: list[str] = field(default_factory=list)
    annotated_pages: int = 0
    """Of ``pages``, those billed at the annotation price."""
    cost_nanos: int = 0
    """What the request cost (see :mod:`aigateway.tenancy.cost`)."""
    cache: CacheResult | None = None
    """How the cache took part; ``None`` when the entity is not cached."""
    _response: OcrResponse | None = None
    _body: bytes | None = None

    @classmethod
    def fresh(cls, response: OcrResponse, entity: str, attempts: list[str]) -> OcrOutcome:
        """An answer an upstream (or the engine) just made."""
        usage = response.usage_info
        return cls(
            entity=entity,
            pages=usage.pages_processed,
            doc_bytes=usage.doc_size_bytes or 0,
            attempts=attempts,
            _response=response,
        )

    @property
    def response(self) -> OcrResponse:
        """The answer as a Struct (decoded from the stored bytes when it came from the cache)."""
        if self._response is None:
            assert self._body is not None
            self._response = _decoder.decode(self._body)
        return self._response

    @property
    def body(self) -> bytes:
        """The answer as the JSON bytes sent to the caller."""
        if self._body is None:
            self._body = _encoder.encode(self.response)
        return self._body

    @body.setter
    def body(self, value: bytes) -> None:
        self._body = value
