"""The one retry policy of upstream calls, for OCR and chat alike.

A failed call is tried again when its status says the upstream may do better in a moment
(:data:`RETRYABLE`: 429 and 5xx, timeouts included): on the same entity up to its
``max_retries`` more times, after an exponential backoff that honours the upstream's
``Retry-After`` (at most :data:`MAX_BACKOFF` seconds: an upstream asking for a longer wait is
not retried on the same entity), then on the next entity of the chain (its
``fallbacks``).

One signal says "the same entity will fail the same way" (rejected credentials, an answer over
``max_response_size``): the ``x-should-retry: false`` header, set by :func:`do_not_retry`. It
is the header the OpenAI SDKs read too, so the caller hears the same advice the gateway follows.
Such an error skips the same-entity retries but may still move on to a fallback.
"""

from __future__ import annotations

import random
from typing import TypeVar

from ..errors import GatewayError

__all__ = (
    "MAX_BACKOFF",
    "RETRYABLE",
    "backoff",
    "do_not_retry",
    "may_fall_back",
    "not_here",
    "retry_again",
)

RETRYABLE = frozenset({429, 500, 502, 503, 504})
"""Gateway statuses after which the call is retried or the next entity is tried."""
MAX_BACKOFF = 4.0
"""Longest wait between two attempts on the same entity, in seconds."""

_HEADER = "x-should-retry"

E = TypeVar("E", bound=GatewayError)


def do_not_retry(exc: E) -> E:
    """Mark ``exc`` as deterministic: neither the gateway nor its caller should retry it."""
    exc.headers[_HEADER] = "false"
    return exc


def not_here(exc: E) -> E:
    """Mark ``exc`` as one the same entity fails again at once, while elsewhere the call may
    succeed (a local OCR pool that is stopping): the gateway skips its same-entity retries,
    but the caller is not told not to retry (another replica will take it)."""
    exc.retry_here = False  # type: ignore[attr-defined]
    return exc


def may_fall_back(exc: GatewayError) -> bool:
    """True when the next entity of the chain may succeed where this one failed."""
    return exc.status_code in RETRYABLE


def retry_again(exc: GatewayError, attempt: int, retries: int) -> bool:
    """True when attempt ``attempt`` (0-based) of ``retries + 1`` should be followed by another
    on the same entity."""
    return (
        attempt < retries
        and may_fall_back(exc)
        and exc.headers.get(_HEADER) != "false"
        and getattr(exc, "retry_here", True)
        and _retry_after(exc) <= MAX_BACKOFF
    )


def _retry_after(exc: GatewayError) -> float:
    """The wait ``exc`` asks for (its ``Retry-After``), 0 without one. One longer than
    :data:`MAX_BACKOFF` is not waited out on the same entity: a retry sooner than the upstream
    asked fails the same way (the local OCR queue, full, asks for minutes), so the call moves on
    to a fallback, or the caller hears the wait at once."""
    retry_after: object = getattr(exc, "retry_after", None)
    return float(retry_after) if isinstance(retry_after, (int, float)) else 0.0


def backoff(attempt: int, exc: GatewayError) -> float:
    """Seconds to wait before attempt ``attempt + 1``: exponential with jitter, at least the
    upstream's ``Retry-After`` and at most :data:`MAX_BACKOFF`."""
    delay = min(MAX_BACKOFF, 0.25 * 2.0**attempt) * (0.75 + random.random() / 4)
    return min(MAX_BACKOFF, max(delay, _retry_after(exc)))
