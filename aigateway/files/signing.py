"""Signed, expiring file URLs: HMAC-SHA256 over (tenant, file id, expiry).

A signed URL is ``{base}/v1/files/{id}/signed?tenant=T&expires=E&signature=S``. It needs no
``Authorization`` header: the signature is the permission, so it names the tenant that owns
the file and the Unix time after which it is refused (410). A tampered or foreign signature is
a 403. Signatures are compared in constant time.

The key comes from ``[files] signing_key``; a single node without one generates 32 random
bytes once and keeps them in ``{directory}/signing.key`` (mode 0600), so URLs survive a
restart. Replicas sharing storage must share the key (the config requires it for S3).
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import secrets
import time
from pathlib import Path
from urllib.parse import parse_qs, quote, urlsplit

from ..errors import GoneError, PermissionDeniedError

__all__ = ("SIGNED_SUFFIX", "SignedRef", "Signer", "load_key", "parse_signed_url")

SIGNED_SUFFIX = "/signed"
"""Last path segment of a signed file URL (``/v1/files/{id}/signed``)."""


class SignedRef:
    """The parts of a signed URL: who owns the file, which file, until when, and the MAC."""

    __slots__ = ("expires", "file_id", "signature", "tenant")

    def __init__(self, tenant: str, file_id: str, expires: int, signature: str) -> None:
        self.tenant, self.file_id, self.expires, self.signature = (
            tenant,
            file_id,
            expires,
            signature,
        )


def load_key(configured: str | None, directory: Path) -> bytes:
    """The configured key, else the node's generated key (created once, 0600)."""
    if configured is not None:
        return configured.encode()
    path = directory / "signing.key"
    with contextlib.suppress(FileNotFoundError):
        return bytes.fromhex(path.read_text().strip())
    directory.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process won the race: use its key
        return bytes.fromhex(path.read_text().strip())
    with os.fdopen(fd, "w") as f:
        f.write(key.hex())
    return key


class Signer:
    """Signs and verifies file URLs with one key."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    def _mac(self, tenant: str, file_id: str, expires: int) -> str:
        # A JSON array: unambiguous whatever characters the parts hold.
        message = json.dumps(["aigw-file-url", tenant, file_id, expires]).encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()

    def query(self, tenant: str, file_id: str, expires: int) -> str:
        """The query string of a signed URL for ``file_id`` valid until ``expires``."""
        sig = self._mac(tenant, file_id, expires)
        return f"tenant={quote(tenant, safe='')}&expires={expires}&signature={sig}"

    def verify(self, ref: SignedRef, now: float | None = None) -> None:
        """Accept ``ref`` or raise.

        Raises:
            PermissionDeniedError: 403, the signature does not match.
            GoneError: 410, the URL has expired (checked after the signature, so an expiry
                cannot be probed with a forged URL).
        """
        expected = self._mac(ref.tenant, ref.file_id, ref.expires)
        given = ref.signature.lower().encode("utf-8", "replace")
        if not hmac.compare_digest(expected.encode(), given):
            raise PermissionDeniedError(
                "the signed URL's signature is not valid for this file",
                param="signature",
                code="invalid_signature",
            )
        if (time.time() if now is None else now) >= ref.expires:
            raise GoneError(
                "the signed URL has expired; ask for a new one with GET /v1/files/{id}/url",
                param="expires",
                code="signed_url_expired",
            )


def parse_signed_url(url: str) -> SignedRef | None:
    """The signed-URL parts of ``url`` when it has the shape of one of ours, else ``None``.

    Only the shape is checked here (path ``…/files/{id}/signed`` and the three query
    parameters); :meth:`Signer.verify` decides whether it is valid.
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    segments = parts.path.rstrip("/").split("/")
    if len(segments) < 3 or segments[-1] != "signed" or segments[-3] != "files":
        return None
    query = parse_qs(parts.query)
    try:
        tenant = query["tenant"][0]
        expires = int(query["expires"][0])
        signature = query["signature"][0]
    except (KeyError, IndexError, ValueError):
        return None
    return SignedRef(tenant, segments[-2], expires, signature)
