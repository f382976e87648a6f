"""Chat transport: ``POST /v1/chat/completions`` (JSON and SSE) and ``POST /v1/embeddings``.

Transport only: authenticate and admit through the tenant gate (rate, concurrency and token
limits), read the body under the route's caps, hand over to
:class:`~aigateway.chat.service.ChatService` (which charges tokens through the admission), and
answer with the upstream's bytes: JSON as one body with its cost in ``x-aigateway-cost``,
streams as a :class:`litestar.response.Stream` that relays events as they arrive and tells its
cost in a final SSE comment (``: x-aigateway-cost: …``, see :mod:`.sse`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from litestar import Request, Response, post
from litestar.background_tasks import BackgroundTask
from litestar.handlers import HTTPRouteHandler
from litestar.response import Stream

from ..errors import UnsupportedMediaTypeError
from ..http.bodies import content_type_of, read_bytes
from ..http.client import body_stream
from ..http.limits import DocumentLimits
from ..http.middleware import log_fields
from ..http.routes import RouteSpec
from ..tenancy.admission import Admission
from ..tenancy.auth import Tenant
from ..tenancy.cost import format_cost
from ..tenancy.gate import TenantGate
from .protocol import PassThroughBody, parse_body
from .service import CallContext, ChatService

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

    def narrow(self, route: RouteSpec) -> _Call:
        """Set the entity refs this tenant may use on ``route``."""
        self.refs = self.tenant.narrow(list(route.chat_refs))
        return self


async def _read_body(request: Request[Any, Any, Any], limits: DocumentLimits) -> PassThroughBody:
    media, _ = content_type_of(request.headers.get("content-type"))
    if media not in ("", "application/json", "text/json") and not media.endswith("+json"):
        raise UnsupportedMediaTypeError(
            f"request Content-Type {media} is not accepted: send application/json",
            param="content-type",
        )
    # Chat bodies carry images as base64 data URIs: the same cap as a JSON OCR upload.
    body = limits.json_body("content")
    body.check_declared(request.headers.get("content-length"))
    return parse_body(await read_bytes(body_stream(request), body), limits.max_json_depth)


def chat_handlers(
    service: ChatService, gate: TenantGate, route: RouteSpec, ping_interval: float
) -> list[HTTPRouteHandler]:
    """The chat-completions and embeddings handlers of an openai_compat route; streams send a
    ``: ping`` after ``ping_interval`` seconds of upstream silence."""

    async def _prepare(request: Request[Any, Any, Any]) -> _Call:
        fields = log_fields(request)
        fields["route"] = route.name
        tenant = gate.authenticate(request.headers, fields)
        admission = await gate.admit(tenant)
        try:
            await admission.check_tokens()
            body = await _read_body(request, route.document_limits(tenant.limits))
        except BaseException:
            await admission.release()
            raise
        fields["model"] = body.model[:128]  # the caller's string: bounded in the access log
        ctx = CallContext(
            tenant=tenant.id,
            request_id=str(fields.get("request_id", "")),
            log=fields,
            admission=admission,
        )
        return _Call(body, tenant, admission, ctx).narrow(route)

    async def _complete(call: _Call, endpoint: str) -> Response[bytes]:
        try:
            outcome = await service.complete(
                endpoint, call.body, refs=call.refs, allowed=call.allowed, ctx=call.ctx
            )
        finally:
            await call.admission.release()
        return Response(
            outcome.body,
            media_type="application/json",
            headers={
                "x-aigateway-provider": outcome.entity,
                "x-aigateway-cost": format_cost(outcome.cost_nanos),
            },
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
            await call.admission.release()
            raise

        async def close() -> None:
            # Runs after the body is sent or the client left: close the upstream even when a
            # disconnect cancelled the body before the relay's own cleanup ran (which accounts
            # the stream's usage and tokens), then give the concurrency slot back.
            try:
                await relay.aclose()
            finally:
                await call.admission.release()

        return Stream(
            relay.stream(),
            media_type="text/event-stream",
            headers={**_SSE_HEADERS, "x-aigateway-provider": relay.entity},
            background=BackgroundTask(close),
        )

    async def embeddings(request: Request[Any, Any, Any]) -> Response[bytes]:
        return await _complete(await _prepare(request), "embeddings")

    name = route.path
    return [
        post("/v1/chat/completions", status_code=200, name=f"chat:{name}")(chat_completions),
        post("/v1/embeddings", status_code=200, name=f"embeddings:{name}")(embeddings),
    ]
