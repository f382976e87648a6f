"""Chat completions and embeddings: model routing, load balancing, fallbacks, SSE relay.

No Litestar here. The controller hands in a :class:`~aigateway.chat.schemas.PassThroughBody`
and the refs the caller may use; it gets back the upstream's bytes (non-streaming, read under
the entity's ``max_response_size``) or an :class:`~aigateway.chat.sse.SseRelay` whose
``stream()`` yields the upstream's SSE bytes as they arrive.

Routing of a public model name, in order:

1. an entity in refs lists the name in ``models`` or ``aliases`` (several such entities share
   the load: least in flight first, round-robin among equals);
2. ``entity-id/upstream-model`` with ``entity-id`` in refs;
3. otherwise 404 ``model_not_found`` on ``model``.

The chain tried is those entities, then their ``fallbacks`` (the tenant's allow-list applies).
An entity is left for the next on 429, 5xx, timeouts and connection failures *before the first
byte reaches the caller*; a caller-fault 4xx is answered at once.
"""

from __future__ import annotations

import asyncio
import itertools
import random
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx
import msgspec

from ..errors import GatewayError, NotFoundError, UpstreamError, UpstreamTimeoutError
from ..upstream_body import read_capped
from ..usage import UsageStore
from .providers.openai import OpenAIChatProvider
from .schemas import PassThroughBody, Usage, completion_to_sse, read_usage
from .sse import SseRelay

__all__ = ("RETRYABLE", "ChatService", "SseRelay", "Target")

RETRYABLE = frozenset({429, 500, 502, 503, 504})
"""Gateway statuses after which the next entity (or a retry of the same one) is tried."""
MAX_BACKOFF = 4.0


@dataclass(frozen=True)
class Target:
    """One entity and the upstream model name to send it."""

    entity: str
    model: str


@dataclass
class CallContext:
    """Who is calling and where log fields go (the controller's access-log dict)."""

    tenant: str
    request_id: str
    log: dict[str, Any] = field(default_factory=dict)


class ChatService:
    """Routes chat/embeddings requests to the registry's chat entities."""

    def __init__(self, registry: Any, usage: UsageStore) -> None:
        self.providers: dict[str, OpenAIChatProvider] = registry.chat
        self.usage = usage
        self._in_flight: Counter[str] = Counter()
        self._turn = itertools.count()

    # --- routing ---------------------------------------------------------------------------------

    def resolve(
        self, name: str, refs: list[str], allowed: frozenset[str] | None = None
    ) -> list[Target]:
        """The ordered chain of targets for public model ``name`` (404 if none)."""
        primary = [
            Target(eid, up)
            for eid in refs
            if eid in self.providers
            and (up := self.providers[eid].upstream_model(name)) is not None
        ]
        if not primary:
            prefix, slash, rest = name.partition("/")
            if slash and rest and prefix in refs and prefix in self.providers:
                primary = [Target(prefix, rest)]
        if not primary:
            raise NotFoundError(
                f"the model {name!r} does not exist or is not available to this API key",
                param="model",
                code="model_not_found",
            )
        chain = self._balance(primary)
        seen = {t.entity for t in chain}
        for target in list(chain):
            for fb in self.providers[target.entity].entity.fallbacks:
                if fb in seen or fb not in self.providers:
                    continue
                if allowed is not None and fb not in allowed:
                    continue
                seen.add(fb)
                # The fallback's own alias for the public name wins; else the same upstream name.
                chain.append(Target(fb, self.providers[fb].upstream_model(name) or target.model))
        return chain

    def _balance(self, targets: list[Target]) -> list[Target]:
        if len(targets) == 1:
            return targets
        turn = next(self._turn) % len(targets)
        rotated = targets[turn:] + targets[:turn]
        # Stable sort: among equally busy entities the rotation decides (round-robin).
        return sorted(rotated, key=lambda t: self._in_flight[t.entity])

    def public_models(self, refs: list[str]) -> list[tuple[str, str]]:
        """``(public name, entity id)`` of every model name and alias on ``refs``."""
        out: dict[str, str] = {}
        for eid in refs:
            provider = self.providers.get(eid)
            if provider is not None:
                for name in [*provider.entity.models, *provider.entity.aliases]:
                    out.setdefault(name, eid)
        return list(out.items())

    # --- calls -----------------------------------------------------------------------------------

    async def _open(
        self, path: str, body: PassThroughBody, chain: list[Target], ctx: CallContext
    ) -> tuple[Target, httpx.Response]:
        """The first target whose upstream answers 2xx, with retries and fallbacks."""
        last: GatewayError | None = None
        attempts: list[str] = ctx.log.setdefault("attempts", [])
        for target in chain:
            provider = self.providers[target.entity]
            payload = body.with_model(target.model)
            retries = max(0, provider.entity.max_retries)
            for attempt in range(retries + 1):
                attempts.append(target.entity)
                self._in_flight[target.entity] += 1
                try:
                    response = await provider.open(path, payload, request_id=ctx.request_id)
                except GatewayError as exc:
                    self._in_flight[target.entity] -= 1
                    await self.usage.record(
                        ctx.tenant, target.entity, requests=1, errors=1, bytes_in=len(payload)
                    )
                    last = exc
                    if exc.status_code not in RETRYABLE:
                        raise
                    if exc.code == "upstream_auth_failed":
                        break  # the same key fails again: only another entity can help
                    if attempt < retries:
                        await asyncio.sleep(self._backoff(attempt, exc))
                    continue
                ctx.log["entity"] = target.entity
                return target, response
        assert last is not None
        raise last

    @staticmethod
    def _backoff(attempt: int, exc: GatewayError) -> float:
        delay = min(MAX_BACKOFF, 0.25 * 2.0**attempt) * (0.75 + random.random() / 4)
        retry_after: object = getattr(exc, "retry_after", None)
        if isinstance(retry_after, (int, float)):
            delay = min(MAX_BACKOFF, max(delay, float(retry_after)))
        return delay

    async def complete(
        self,
        path: str,
        body: PassThroughBody,
        *,
        refs: list[str],
        allowed: frozenset[str] | None,
        ctx: CallContext,
    ) -> tuple[str, bytes]:
        """A non-streaming call: ``(entity id, upstream JSON bytes)``, with fallbacks.

        A body that fails to arrive or is not a JSON object moves on to the next entity too:
        nothing has reached the caller yet.
        """
        chain = self.resolve(body.model, refs, allowed)
        last: GatewayError | None = None
        while chain:
            target, response = await self._open(path, body, chain, ctx)
            chain = chain[chain.index(target) + 1 :]
            cap = self.providers[target.entity].entity.max_response_size
            try:
                raw = await read_capped(response, cap, f"chat entity {target.entity!r}")
                usage = read_usage(raw)
            except UpstreamError as exc:
                last = exc
            except httpx.TimeoutException:
                last = UpstreamTimeoutError(f"{target.entity} did not finish its answer in time")
            except httpx.HTTPError as exc:
                last = UpstreamError(f"{target.entity} broke off its answer ({type(exc).__name__})")
            except msgspec.DecodeError as exc:
                last = UpstreamError(f"{target.entity} returned a response that is not JSON: {exc}")
            else:
                await self._account(ctx, target.entity, body.size, len(raw), usage)
                return target.entity, raw
            finally:
                await response.aclose()
                self._in_flight[target.entity] -= 1
            await self.usage.record(
                ctx.tenant, target.entity, requests=1, errors=1, bytes_in=body.size
            )
        assert last is not None
        raise last

    async def open_stream(
        self,
        path: str,
        body: PassThroughBody,
        *,
        refs: list[str],
        allowed: frozenset[str] | None,
        ctx: CallContext,
        ping_interval: float,
    ) -> SseRelay:
        """Open a streaming call (fallbacks until an upstream answers 2xx) and return its relay.

        Raises:
            GatewayError: every target failed before answering; nothing was sent to the caller.
        """
        chain = self.resolve(body.model, refs, allowed)
        target, response = await self._open(path, body, chain, ctx)
        entity = target.entity
        limits = self.providers[entity].entity
        if not response.headers.get("content-type", "").startswith("text/event-stream"):
            # The upstream ignored ``stream``: replay its JSON answer as events.
            try:
                raw = await read_capped(
                    response, limits.max_response_size, f"chat entity {entity!r}"
                )
                events = completion_to_sse(raw, body.include_usage)
            except (httpx.HTTPError, msgspec.DecodeError, UpstreamError) as exc:
                self._in_flight[entity] -= 1
                await self.usage.record(ctx.tenant, entity, requests=1, errors=1)
                if isinstance(exc, UpstreamError):
                    raise
                raise UpstreamError(
                    f"{entity} answered a streaming request with neither events nor a "
                    "chat completion"
                ) from None
            finally:
                await response.aclose()
            response = httpx.Response(200, stream=httpx.ByteStream(events))

        async def finished(usage: Usage | None, bytes_out: int, failed: bool) -> None:
            self._in_flight[entity] -= 1
            await self._account(ctx, entity, body.size, bytes_out, usage, failed=failed)

        return SseRelay(
            response,
            entity=entity,
            ping_interval=ping_interval,
            on_close=finished,
            max_event_size=limits.max_event_size,
        )

    async def _account(
        self,
        ctx: CallContext,
        entity: str,
        bytes_in: int,
        bytes_out: int,
        usage: Usage | None,
        *,
        failed: bool = False,
    ) -> None:
        tokens_in = usage.prompt_tokens if usage else 0
        tokens_out = usage.completion_tokens if usage else 0
        if usage:
            ctx.log["tokens_in"] = tokens_in
            ctx.log["tokens_out"] = tokens_out
        await self.usage.record(
            ctx.tenant,
            entity,
            requests=1,
            errors=int(failed),
            tokens_in=tokens_in,
            tokens_out=tokens_out,
            bytes_in=bytes_in,
            bytes_out=bytes_out,
        )
