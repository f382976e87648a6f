"""Calling an upstream and mapping its failures: what every HTTP adapter (OCR and chat) shares.

The mapping is the contract with the services, which retry and fall back on
:class:`RateLimitError`, :class:`UpstreamError` and :class:`UpstreamTimeoutError` only (see
:mod:`.retry`):

========================  ===============================================================
upstream answer           gateway error
========================  ===============================================================
400/404/409/413/415/422   same status (the caller's input was refused), upstream message
401/402/403/407           502: the upstream rejected the *gateway's* credentials/account
408, httpx timeouts       504
429                       429 with the upstream's ``Retry-After`` (default 1 s)
other 4xx, 5xx            502
malformed JSON / shape    502
connection failure        502
========================  ===============================================================

Messages quote the upstream's own message (errors are more useful with it), with the entity's
API key and anything that looks like a credential removed, and cut to a few hundred characters.

Answers are read under the entity's ``max_response_size`` (a larger one is a 502 naming it; error
bodies are read for 64 KiB at most) and decoded only when they nest at most
:data:`~aigateway.jsondepth.UPSTREAM_MAX_DEPTH` levels: no upstream can exhaust the gateway's
memory or stack.
"""

from __future__ import annotations

import email.utils
import math
import re
import time
from collections.abc import Mapping
from typing import Any, TypeVar

import httpx
import msgspec

from ..errors import (
    GatewayError,
    RateLimitError,
    UpstreamError,
    UpstreamTimeoutError,
    from_status,
)
from ..jsondepth import UPSTREAM_MAX_DEPTH, nesting_over
from .body import UpstreamReply, read_capped, read_prefix
from .retry import do_not_retry

__all__ = (
    "MAX_RETRY_AFTER",
    "UpstreamReply",
    "check_response",
    "decode_json",
    "error_for_status",
    "request",
    "retry_after",
)

T = TypeVar("T")


_CALLER_FAULT = frozenset({400, 404, 409, 413, 415, 422})
_CREDENTIALS = frozenset({401, 402, 403, 407})
_SECRETS = re.compile(
    r"(?i)(bearer\s+|api[-_]?key[\"'=:\s]+|subscription-key[\"'=:\s]+|key=)[^\s\"',;&]+"
)
_ERROR_BODY_DEPTH = 32


def _scrub(text: str, secrets: tuple[str, ...]) -> str:
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "***")
    text = _SECRETS.sub(lambda m: m.group(1) + "***", text)
    text = " ".join(text.split())
    return text if len(text) <= 400 else text[:397] + "..."


def _message_of(body: bytes) -> str:
    """The human message in an upstream error body, whatever its dialect."""
    if nesting_over(body, _ERROR_BODY_DEPTH) is not None:
        return body.decode("utf-8", "replace").strip()  # not a dialect we know: quote it
    try:
        data = msgspec.json.decode(body)
    except msgspec.DecodeError:
        return body.decode("utf-8", "replace").strip()
    return _message_in(data) or body.decode("utf-8", "replace").strip()


def _message_in(data: Any) -> str:
    if isinstance(data, str):
        return data
    if isinstance(data, list):
        # FastAPI/pydantic 422 detail: [{"loc": [...], "msg": "...", "type": "..."}]
        parts = []
        for item in data[:5]:
            if isinstance(item, dict):
                loc = ".".join(str(x) for x in item.get("loc", []) if x != "body")
                msg = str(item.get("msg", item.get("message", "")))
                parts.append(f"{loc}: {msg}" if loc else msg)
            else:
                parts.append(str(item))
        return "; ".join(p for p in parts if p)
    if isinstance(data, dict):
        for key in ("error", "message", "detail", "title"):
            if data.get(key):
                inner = data[key]
                if key == "error" and isinstance(inner, dict):
                    # Azure: {"error": {"code", "message", "innererror": {"message"}}}
                    msg = _message_in(inner.get("message", ""))
                    deeper = inner.get("innererror")
                    if isinstance(deeper, dict) and deeper.get("message"):
                        msg = f"{msg} ({deeper['message']})"
                    return msg
                return _message_in(inner)
    return ""


MAX_RETRY_AFTER = 3600.0
"""Longest wait an upstream's ``Retry-After`` can ask for (``1e400`` or ``nan`` must not
reach the integer conversion of the 429 we answer)."""


def _seconds(value: float) -> float | None:
    return min(MAX_RETRY_AFTER, max(0.0, value)) if math.isfinite(value) else None


def retry_after(headers: Mapping[str, str], default: float = 1.0) -> float:
    """Seconds from ``retry-after-ms`` / ``Retry-After`` (seconds or HTTP date), at most an hour."""
    ms = headers.get("retry-after-ms")
    if ms:
        try:
            seconds = _seconds(float(ms) / 1000)
        except ValueError:
            seconds = None
        if seconds is not None:
            return seconds
    value = headers.get("retry-after")
    if value:
        try:
            seconds = _seconds(float(value))
        except ValueError:
            try:
                when = email.utils.parsedate_to_datetime(value)
                seconds = _seconds(when.timestamp() - time.time())
            except (TypeError, ValueError, OverflowError):
                seconds = None
        if seconds is not None:
            return seconds
    return default


def error_for_status(
    name: str, status: int, headers: Mapping[str, str], body: bytes, secrets: tuple[str, ...]
) -> GatewayError:
    """The gateway error for an upstream's non-success answer (see the module table)."""
    message = _scrub(_message_of(body), secrets) or "no message"
    if status == 429:
        return RateLimitError(
            f"{name} is rate limiting the gateway: {message}",
            retry_after=retry_after(headers, 1.0),
        )
    if status in _CALLER_FAULT:
        return from_status(status, f"{name} rejected the request: {message}")
    if status in _CREDENTIALS:
        # Deterministic: retrying the same entity (or the client retrying us) cannot help.
        return do_not_retry(
            UpstreamError(
                f"{name} rejected the gateway's credentials (HTTP {status}); check the "
                f"entity's api_key: {message}",
                code="upstream_auth_failed",
            )
        )
    if status == 408:
        return UpstreamTimeoutError(f"{name} timed out (HTTP 408): {message}")
    return UpstreamError(f"{name} failed with HTTP {status}: {message}")


async def request(
    client: httpx.AsyncClient,
    method: str,
    url: str,
    *,
    name: str,
    max_bytes: int,
    **kwargs: Any,
) -> UpstreamReply:
    """Send a request and read its answer: a 2xx body up to ``max_bytes`` (the entity's
    ``max_response_size``, a 502 past it), an error body's first 64 KiB. Transport failures
    become gateway errors."""
    try:
        response = await client.send(client.build_request(method, url, **kwargs), stream=True)
    except httpx.TimeoutException:
        raise UpstreamTimeoutError(f"{name} did not answer in time") from None
    except httpx.HTTPError as exc:
        raise UpstreamError(f"{name} could not be reached ({type(exc).__name__})") from None
    try:
        if response.is_success:
            body = await read_capped(response, max_bytes, name)
        else:
            body = await read_prefix(response)
    except httpx.TimeoutException:
        raise UpstreamTimeoutError(f"{name} did not finish its answer in time") from None
    except httpx.HTTPError as exc:
        raise UpstreamError(f"{name} broke off its answer ({type(exc).__name__})") from None
    finally:
        await response.aclose()
    return UpstreamReply(response.status_code, response.headers, body)


def check_response(name: str, response: UpstreamReply, secrets: tuple[str, ...]) -> None:
    """Raise the mapped gateway error unless ``response`` is a 2xx."""
    if not response.is_success:
        raise error_for_status(
            name, response.status_code, response.headers, response.content, secrets
        )


def decode_json(name: str, response: UpstreamReply, type: type[T]) -> T:
    """Decode and validate a JSON answer; anything unexpected is a 502 naming the path."""
    if nesting_over(response.content, UPSTREAM_MAX_DEPTH) is not None:
        raise UpstreamError(
            f"{name} returned JSON nested deeper than {UPSTREAM_MAX_DEPTH} levels"
        ) from None
    try:
        return msgspec.json.decode(response.content, type=type)
    except msgspec.ValidationError as exc:
        raise UpstreamError(f"{name} returned an unexpected response: {exc}") from None
    except msgspec.DecodeError:
        raise UpstreamError(f"{name} returned a response that is not valid JSON") from None
