"""Transport helpers the files and batches routers share: the admission hook's type, JSON
answers and bounded integer parameters."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import msgspec
from litestar import Response

from ..errors import BadRequestError
from ..tenancy.auth import Tenant
from ..tenancy.quotas import Admission

__all__ = ("Admit", "int_param", "json_response")

Admit = Callable[[Any, dict[str, Any]], Awaitable[tuple[Tenant, Admission]]]
"""``admit(headers, log_fields) -> (tenant, admission)``: authentication and request limits."""

_encoder = msgspec.json.Encoder()


def json_response(value: Any) -> Response[bytes]:
    """A 200 JSON answer."""
    return Response(_encoder.encode(value), status_code=200, media_type="application/json")


def int_param(raw: str | None, name: str, default: int, lo: int, hi: int) -> int:
    """A query or form integer in ``[lo, hi]`` (``default`` when absent); 400 naming it."""
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadRequestError(f"{name} must be an integer, not {raw[:40]!r}", param=name) from None
    if not lo <= value <= hi:
        raise BadRequestError(f"{name} must be between {lo} and {hi}", param=name)
    return value
