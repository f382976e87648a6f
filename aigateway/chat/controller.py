"""Chat transport: ``POST /v1/chat/completions`` (JSON and SSE) and ``POST /v1/embeddings``.

Transport only: authenticate, read the body under the route's caps, hand over to
:class:`~aigateway.chat.service.ChatService`, and answer with the upstream's bytes: JSON as
one body, streams as a :class:`litestar.response.Stream` that relays events as they arrive.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, post
from litestar.background_tasks import BackgroundTask
from litestar.handlers import HTTPRouteHandler
from litestar.response import Stream

from ..bodies import content_type_of, read_bytes
from ..errors import UnsupportedMediaTypeError
from ..gateway import Gateway, RouteContext
from ..limits import BodyLimits, json_body_limit
from ..observability import log_fields
from .schemas import PassThroughBody, parse_body
from .service import CallContext

__all__ = ("chat_handlers",)

_SSE_HEADERS = {
    "Cache-Control": "no-cache",
    # Tells nginx-style proxies not to buffer the stream.
    "X-Accel-Buffering": "no",
}


async def _read_body(request: Request[Any, Any, Any], max_bytes: int) -> PassThroughBody:
    media, _ = content_type_of(request.headers.get("content-type"))
    if media not in ("", "application/json", "text/json") and not media.endswith("+json"):
        raise UnsupportedMediaTypeError(
            f"request Content-Type {media} is not accepted: send application/json",
            param="content-type",
        )
    # Chat bodies carry images as base64 data URIs: the same cap as a JSON OCR upload.
    limits = BodyLimits(
        json_body_limit(max_bytes),
        f"JSON body (max_size_upload is {max_bytes} bytes of decoded content)",
    )
    limits.check_declared(request.headers.get("content-length"))
    return parse_body(await read_bytes(request.stream(), limits))


def chat_handlers(gw: Gateway, route: RouteContext) -> list[HTTPRouteHandler]:
    """The chat-completions and embeddings handlers of an openai_compat route."""
    service = gw.chat
    ping_interval = gw.settings.server.sse_ping_interval

    async def _prepare(
        request: Request[Any, Any, Any],
    ) -> tuple[PassThroughBody, list[str], frozenset[str] | None, CallContext]:
        fields = log_fields(request)
        fields["route"] = route.name
        tenant = gw.authenticate(request.headers)
        fields["tenant"] = tenant.id
        body = await _read_body(request, route.upload_limit(tenant))
        fields["model"] = body.model
        ctx = CallContext(
            tenant=tenant.id, request_id=str(fields.get("request_id", "")), log=fields
        )
        return body, tenant.narrow(list(route.chat_refs)), tenant.allowed_refs, ctx

    async def chat_completions(request: Request[Any, Any, Any]) -> Response[Any]:
        body, refs, allowed, ctx = await _prepare(request)
        if body.stream:
            fields = ctx.log
            fields["stream"] = True
            relay = await service.open_stream(
                "chat/completions",
                body,
                refs=refs,
                allowed=allowed,
                ctx=ctx,
                ping_interval=ping_interval,
            )
            # The background task closes the upstream even when a client disconnect cancels
            # the body before the relay's own cleanup runs.
            return Stream(
                relay.stream(),
                media_type="text/event-stream",
                headers={**_SSE_HEADERS, "x-aigateway-provider": relay.entity},
                background=BackgroundTask(relay.aclose),
            )
        entity, raw = await service.complete(
            "chat/completions", body, refs=refs, allowed=allowed, ctx=ctx
        )
        return Response(
            raw, media_type="application/json", headers={"x-aigateway-provider": entity}
        )

    async def embeddings(request: Request[Any, Any, Any]) -> Response[bytes]:
        body, refs, allowed, ctx = await _prepare(request)
        entity, raw = await service.complete(
            "embeddings", body, refs=refs, allowed=allowed, ctx=ctx
        )
        return Response(
            raw, media_type="application/json", headers={"x-aigateway-provider": entity}
        )

    name = route.config.path
    return [
        post("/v1/chat/completions", status_code=200, name=f"chat:{name}")(chat_completions),
        post("/v1/embeddings", status_code=200, name=f"embeddings:{name}")(embeddings),
    ]
