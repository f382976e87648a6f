"""Chat transport: ``POST /v1/chat/completions`` (JSON and SSE) and ``POST /v1/embeddings``.

Transport only: authenticate and admit (rate, concurrency and token limits), read the body
under the route's caps, hand over to
:class:`~aigateway.chat.service.ChatService`, and answer with the upstream's bytes: JSON as
one body, streams as a :class:`litestar.response.Stream` that relays events as they arrive.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from litestar import Request, Response, post
from litestar.background_tasks import BackgroundTask
from litestar.handlers import HTTPRouteHandler
from litestar.response import Stream

from ..auth import Tenant
from ..bodies import content_type_of, read_bytes
from ..errors import UnsupportedMediaTypeError
from ..gateway import Gateway, RouteContext
from ..limits import BodyLimits, json_body_limit
from ..observability import log_fields
from ..quotas import Admission
from .schemas import PassThroughBody, parse_body
from .service import CallContext

__all__ = ("chat_handlers",)

_SSE_HEADERS = {
    "Cache-Control": "no-cache",
    # Tells nginx-style proxies not to buffer the stream.
    "X-Accel-Buffering": "no",
}


@dataclass
class _Call:
    """One admitted chat/embeddings call: its body, tenant, concurrency slot and context."""

    body: PassThroughBody
    tenant: Tenant
    admission: Admission
    ctx: CallContext
    refs: list[str] = field(init=False)
    allowed: frozenset[str] | None = field(init=False)

    def __post_init__(self) -> None:
        self.allowed = self.tenant.allowed_refs

    def narrow(self, route: RouteContext) -> _Call:
        """Set the entity refs this tenant may use on ``route``."""
        self.refs = self.tenant.narrow(list(route.chat_refs))
        return self


async def _read_body(
    request: Request[Any, Any, Any], max_bytes: int, max_depth: int
) -> PassThroughBody:
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
    return parse_body(await read_bytes(request.stream(), limits), max_depth)


def chat_handlers(gw: Gateway, route: RouteContext) -> list[HTTPRouteHandler]:
    """The chat-completions and embeddings handlers of an openai_compat route."""
    service = gw.chat
    ping_interval = gw.settings.server.sse_ping_interval

    async def _prepare(request: Request[Any, Any, Any]) -> _Call:
        fields = log_fields(request)
        fields["route"] = route.name
        tenant, admission = await gw.admit(request.headers, fields)
        try:
            await gw.quotas.check_tokens(tenant)
            body = await _read_body(
                request, route.upload_limit(tenant), gw.settings.limits.max_json_depth
            )
        except BaseException:
            await admission.release()
            raise
        fields["model"] = body.model[:128]  # the caller's string: bounded in the access log
        ctx = CallContext(
            tenant=tenant.id, request_id=str(fields.get("request_id", "")), log=fields
        )
        return _Call(body, tenant, admission, ctx).narrow(route)

    async def _finish(call: _Call) -> None:
        # Tokens are charged from the upstream's own usage report, once it is known.
        tokens = int(call.ctx.log.get("tokens_in") or 0) + int(call.ctx.log.get("tokens_out") or 0)
        await gw.quotas.add_tokens(call.tenant, tokens)
        await call.admission.release()

    async def _complete(call: _Call, endpoint: str) -> Response[bytes]:
        try:
            entity, raw = await service.complete(
                endpoint, call.body, refs=call.refs, allowed=call.allowed, ctx=call.ctx
            )
        finally:
            await _finish(call)
        return Response(
            raw, media_type="application/json", headers={"x-aigateway-provider": entity}
        )

    async def chat_completions(request: Request[Any, Any, Any]) -> Response[Any]:
        call = await _prepare(request)
        if not call.body.stream:
            return await _complete(call, "chat/completions")
        call.ctx.log["stream"] = True
        try:
            relay = await service.open_stream(
                "chat/completions",
                call.body,
                refs=call.refs,
                allowed=call.allowed,
                ctx=call.ctx,
                ping_interval=ping_interval,
            )
        except BaseException:
            await _finish(call)
            raise

        async def close() -> None:
            # Runs after the body is sent or the client left: close the upstream even when a
            # disconnect cancelled the body before the relay's own cleanup ran, then account.
            try:
                await relay.aclose()
            finally:
                await _finish(call)

        return Stream(
            relay.stream(),
            media_type="text/event-stream",
            headers={**_SSE_HEADERS, "x-aigateway-provider": relay.entity},
            background=BackgroundTask(close),
        )

    async def embeddings(request: Request[Any, Any, Any]) -> Response[bytes]:
        return await _complete(await _prepare(request), "embeddings")

    name = route.config.path
    return [
        post("/v1/chat/completions", status_code=200, name=f"chat:{name}")(chat_completions),
        post("/v1/embeddings", status_code=200, name=f"embeddings:{name}")(embeddings),
    ]
