"""A request's body as its client sends it, and the client hanging up part way.

Litestar reports a client that disconnects before the end of its body as an
``InternalServerException`` ("client disconnected prematurely"), which the error handlers would
answer and count as a 500 ``internal_error``: every dropped upload on a flaky network would
look like a gateway bug. Read through :func:`body_stream`, it is a
:class:`~aigateway.errors.ClientClosedRequestError` (499, as nginx logs it) instead.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from litestar import Request
from litestar.exceptions import InternalServerException

from ..errors import ClientClosedRequestError

__all__ = ("body_stream",)


async def body_stream(request: Request[Any, Any, Any]) -> AsyncIterator[bytes]:
    """``request.stream()``, with the client's disconnect before the body's end a 499."""
    try:
        async for chunk in request.stream():
            yield chunk
    except InternalServerException as exc:
        # The only InternalServerException the stream raises: the ASGI server's
        # ``http.disconnect`` before the last body chunk.
        raise ClientClosedRequestError(
            "the client closed the connection before sending the whole request body"
        ) from exc
