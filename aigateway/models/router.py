"""``GET /v1/models`` and ``GET /v1/models/{id}``: what the caller may use on this route.

OCR entities are listed by id and marked ``"type": "ocr"``; chat entities contribute their
model names, aliases and the ``{entity}/…`` prefix form.
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request, Response, get
from litestar.handlers import HTTPRouteHandler
from litestar.params import FromPath

from ..chat.service import ChatService
from ..errors import NotFoundError
from ..http.middleware import log_fields
from ..http.routes import RouteSpec
from ..tenancy.auth import Tenant
from ..tenancy.gate import TenantGate

__all__ = ("list_models", "model_handlers")


class ModelCard(msgspec.Struct):
    id: str
    object: str = "model"
    created: int = 0
    owned_by: str = "aigateway"
    type: str = "chat"


class ModelList(msgspec.Struct):
    data: list[ModelCard]
    object: str = "list"


_encoder = msgspec.json.Encoder()


def list_models(chat: ChatService, route: RouteSpec, tenant: Tenant) -> list[ModelCard]:
    """The model cards ``tenant`` may use on ``route``: OCR entities, then chat models."""
    cards: dict[str, ModelCard] = {}
    for ref in tenant.narrow(list(route.ocr_refs)):
        cards.setdefault(ref, ModelCard(id=ref, owned_by=ref, type="ocr"))
    for ref in tenant.narrow(list(route.chat_refs)):
        provider = chat.providers.get(ref)
        if provider is None:
            continue
        entity = provider.entity
        for name in [*entity.models, *entity.aliases]:
            cards.setdefault(name, ModelCard(id=name, owned_by=ref))
    return list(cards.values())


async def _admit(gate: TenantGate, route: RouteSpec, request: Request[Any, Any, Any]) -> Tenant:
    # Listing models counts against the tenant's request rate like any call; it holds no
    # concurrency slot beyond this instant.
    fields = log_fields(request)
    fields["route"] = route.name
    tenant = gate.authenticate(request.headers, fields)
    admission = await gate.admit(tenant)
    await admission.release()
    return tenant


def model_handlers(chat: ChatService, gate: TenantGate, route: RouteSpec) -> list[HTTPRouteHandler]:
    """The two models endpoints of an openai_compat route."""

    async def models(request: Request[Any, Any, Any]) -> Response[bytes]:
        tenant = await _admit(gate, route, request)
        body = ModelList(data=list_models(chat, route, tenant))
        return Response(_encoder.encode(body), media_type="application/json")

    async def model(request: Request[Any, Any, Any], model_id: FromPath[str]) -> Response[bytes]:
        tenant = await _admit(gate, route, request)
        model_id = model_id.lstrip("/")
        for card in list_models(chat, route, tenant):
            if card.id == model_id:
                return Response(_encoder.encode(card), media_type="application/json")
        if "/" in model_id:
            # "entity-id/upstream-model" is routable without being listed: the chat router
            # decides (it raises the same 404 when the entity is not usable).
            chain = chat.resolve(
                model_id, tenant.narrow(list(route.chat_refs)), tenant.allowed_refs
            )
            card = ModelCard(id=model_id, owned_by=chain[0].entity)
            return Response(_encoder.encode(card), media_type="application/json")
        raise NotFoundError(
            f"model {model_id!r} does not exist or is not available to this API key",
            param="model",
            code="model_not_found",
        )

    return [
        get("/v1/models", name=f"models:{route.path}")(models),
        get("/v1/models/{model_id:path}", name=f"model:{route.path}")(model),
    ]
