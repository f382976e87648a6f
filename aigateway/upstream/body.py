"""Reading an upstream's answer under a byte cap.

An upstream is trusted with the caller's data, not with the gateway's memory: a broken or
hostile server can answer 400 MB. Every body the gateway reads whole goes through
:func:`read_capped`, which counts *decoded* bytes as they arrive (a gzip bomb is measured after
inflation) and stops at the entity's ``max_response_size`` with a 502 that names the limit;
a ``Content-Length`` already over it is refused before reading. Error bodies are only read for
their message: :func:`read_prefix` keeps the first 64 KiB and drops the rest.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from ..errors import UpstreamError
from .retry import do_not_retry

__all__ = ("MAX_ERROR_BODY", "UpstreamReply", "read_capped", "read_prefix", "too_large")

MAX_ERROR_BODY = 64 * 1024
"""Bytes of an upstream error body read for its message (the rest is discarded)."""


@dataclass(frozen=True)
class UpstreamReply:
    """An upstream answer read under a cap: status, headers and the body bytes."""

    status_code: int
    headers: httpx.Headers
    content: bytes

    @property
    def is_success(self) -> bool:
        """True for a 2xx status."""
        return 200 <= self.status_code < 300


def too_large(name: str, limit: int, key: str = "max_response_size") -> UpstreamError:
    """The 502 for an answer over ``limit`` bytes (deterministic: clients should not retry)."""
    return do_not_retry(
        UpstreamError(
            f"{name} sent an answer larger than its {key} ({limit} bytes); the answer was dropped",
            code="upstream_response_too_large",
        )
    )


async def read_capped(
    response: httpx.Response, limit: int, name: str, key: str = "max_response_size"
) -> bytes:
    """The whole (decoded) body of ``response``, or :func:`too_large` past ``limit`` bytes.

    Raises:
        UpstreamError: the body is over ``limit``.
        httpx.HTTPError: the transfer failed (the caller maps it).
    """
    declared = response.headers.get("content-length")
    identity = "content-encoding" not in response.headers  # else the length is compressed
    if identity and declared and declared.isdecimal() and int(declared) > limit:
        raise too_large(name, limit, key)
    buf = bytearray()
    async for chunk in response.aiter_bytes():
        if len(buf) + len(chunk) > limit:
            raise too_large(name, limit, key)
        buf += chunk
    return bytes(buf)


async def read_prefix(response: httpx.Response, limit: int = MAX_ERROR_BODY) -> bytes:
    """At most ``limit`` bytes of the body; a transfer that breaks keeps what arrived."""
    data = bytearray()
    try:
        async for chunk in response.aiter_bytes():
            data += chunk
            if len(data) >= limit:
                break
    except httpx.HTTPError:
        pass  # a torn error body still has a status worth reporting
    return bytes(data[:limit])
