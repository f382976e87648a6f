"""The cache key of an OCR request: what makes two requests have the same answer.

SHA-256 over a canonical JSON of:

* the **scope**: the tenant's id (``[cache] scope = "tenant"``, the default) or ``*`` (global);
* the **entity** and a fingerprint of the parts of its config that shape the answer (provider,
  base URL, model, provider options; not its key, timeouts or prices), so editing the entity
  starts a fresh set of entries;
* the **model** sent upstream (the request's ``model`` override, else the entity's model);
* the **document**: the SHA-256 of its bytes in canonical base64 (:func:`document_digest`) and
  its resolved media type (the same bytes sent as multipart, base64 or a data URI have one key);
* every **option** that changes the output (``pages``, ``pdf_password`` as its digest,
  ``include_image_base64``, ``image_limit``, ``image_min_size``, ``table_format``,
  ``extract_header``, ``extract_footer``, the annotation formats and prompt, ``force_ocr``).
  Annotation formats are encoded with sorted keys: the same schema written in another key order
  is the same request. An option left out and an option set to its default are kept apart
  (they are the same for Mistral's defaults, but a cache must not guess another upstream's).

Transport details (field names, multipart vs JSON, ``id``, unknown fields) are not in the key.
"""

from __future__ import annotations

import binascii
import dataclasses
import hashlib
from typing import Any

import msgspec

from ...blob import Base64Blob, Blob
from ...config import OcrModelConfig
from ..protocol import OcrOptions

__all__ = ("HASH_IN_THREAD", "cache_key", "document_digest", "entity_fingerprint")

HASH_IN_THREAD = 1_048_576
"""Documents from this many bytes are hashed in a worker thread, off the event loop."""

_VERSION = 1
_canonical = msgspec.json.Encoder(order="sorted")


_CHUNK = 3 << 18
"""Bytes encoded at a time when hashing bytes (a multiple of 3: the pieces join seamlessly)."""


def document_digest(blob: Blob) -> bytes:
    """SHA-256 of the document's canonical base64 form (standard alphabet, padded, no line
    breaks): one-to-one with its bytes, so one document has one digest whatever carried it.

    Why base64 and not the bytes: most callers send base64 (the SDKs' data URIs), which the
    gateway keeps as it came for upstreams that take base64; CPython decodes base64 at about
    85 MB/s, so hashing the decoded bytes would cost a 1 MB document some 12 ms more on every
    hit than hashing its text. Bytes (uploads) are encoded a chunk at a time on the way in.
    """
    h = hashlib.sha256()
    text = blob.base64_text() if isinstance(blob, Base64Blob) else None
    if text is not None:
        h.update(text.encode("ascii"))
    elif blob.in_memory:
        data = blob.read()
        for start in range(0, len(data), _CHUNK):
            h.update(binascii.b2a_base64(data[start : start + _CHUNK], newline=False))
    else:
        with blob.open() as f:
            while chunk := f.read(_CHUNK):
                h.update(binascii.b2a_base64(chunk, newline=False))
    return h.digest()


def entity_fingerprint(entity: OcrModelConfig) -> str:
    """A digest of the entity config that shapes its answers."""
    shape = {
        "provider": entity.provider,
        "base_url": entity.base_url,
        "model": entity.model,
        "options": entity.options,
    }
    return hashlib.sha256(_canonical.encode(shape)).hexdigest()[:32]


def _options(options: OcrOptions) -> dict[str, Any]:
    out = dataclasses.asdict(options)
    password = out.pop("pdf_password")
    out["pdf_password"] = (
        hashlib.sha256(password.encode("utf-8", "surrogatepass")).hexdigest()
        if password is not None
        else None
    )
    if out["pages"] is not None:
        out["pages"] = list(out["pages"])
    return out


def cache_key(
    *,
    scope: str,
    entity: OcrModelConfig,
    model: str | None,
    digest: bytes,
    media_type: str,
    options: OcrOptions,
) -> str:
    """The hex key of one request (see the module docstring for what goes in)."""
    material = {
        "v": _VERSION,
        "scope": scope,
        "entity": entity.id,
        "shape": entity_fingerprint(entity),
        "model": model,
        "document": digest.hex(),
        "media_type": media_type,
        "options": _options(options),
    }
    return hashlib.sha256(_canonical.encode(material)).hexdigest()
