"""A request's body as its client sends it, and the client hanging up part way or while its
answer is being worked out.

Litestar reports a client that disconnects before the end of its body as an
``InternalServerException`` ("client disconnected prematurely"), which the error handlers would
answer and count as a 500 ``internal_error``: every dropped upload on a flaky network would
look like a gateway bug. Read through :func:`body_stream`, it is a
:class:`~aigateway.errors.ClientClosedRequestError` (499, as nginx logs it) instead.
:func:`unless_gone` cancels a request's work when its client hangs up while waiting for the
answer (the local OCR pool then drops the request's pages not yet started).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable
from typing import Any, TypeVar

from litestar import Request
from litestar.exceptions import InternalServerException

from ..errors import ClientClosedRequestError

__all__ = ("body_stream", "unless_gone")

T = TypeVar("T")


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


async def unless_gone(request: Request[Any, Any, Any], work: Awaitable[T]) -> T:
    """``work``'s result, or, when the client hangs up first, ``work`` cancelled and a
    :class:`~aigateway.errors.ClientClosedRequestError`. Call it once the body has been read:
    the ASGI server's next message is then ``http.disconnect``, sent when the connection
    closes (uvicorn; the test transports send it once the answer is complete)."""
    task = asyncio.ensure_future(work)
    watch = asyncio.ensure_future(_hung_up(request))
    try:
        await asyncio.wait((task, watch), return_when=asyncio.FIRST_COMPLETED)
    except asyncio.CancelledError:  # this handler itself cancelled (shutdown): both go too
        task.cancel()
        watch.cancel()
        raise
    if task.done() or not watch.result():
        watch.cancel()
        return await task
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    raise ClientClosedRequestError("the client closed the connection before its answer was ready")


async def _hung_up(request: Request[Any, Any, Any]) -> bool:
    """True once the client has hung up; False when the server cannot say (the work then
    runs to its end)."""
    try:
        while (await request.receive())["type"] != "http.disconnect":
            pass  # a late empty body chunk
    except Exception:  # any failure of the server here only means "cannot tell"
        return False
    return True
