"""Chat completions and embeddings: model routing, load balancing, fallbacks, SSE relay.

No Litestar here. The router hands in a :class:`~aigateway.chat.protocol.PassThroughBody`,
the refs the caller may use and a :class:`CallContext` (who calls, with their admission); it
gets back a :class:`ChatOutcome` (the upstream's bytes, read under the entity's
``max_response_size``, and the token usage it reported) or an
:class:`~aigateway.chat.sse.SseRelay` whose ``stream()`` yields the upstream's SSE bytes as they
arrive. Usage is recorded, and tokens charged through the admission, once they are known.

A public model name resolves to a chain of entities (:mod:`.routing`). An entity is left for
the next on 429, 5xx, timeouts and connection failures *before the first byte reaches the
caller*; a caller-fault 4xx is answered at once.

Cost (:mod:`aigateway.tenancy.cost`): the answering entity's token prices times the usage the
upstream reported. A tenant with a budget reserves the worst case before the call: the body's
:func:`~aigateway.tenancy.cost.estimate_input_tokens` plus the completion tokens the request
allows (``reserve_output_tokens`` of the entity when it sets no maximum), at the highest prices
of the chain; the reservation is settled to the cost when the answer (or the stream) ends, or
given back when the call fails. An answer without usage costs what was reserved for it.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

import httpx
import msgspec

from ..errors import GatewayError, UpstreamError, UpstreamTimeoutError
from ..tenancy.admission import Admission
from ..tenancy.cost import TokenPrice, chat_price, format_cost
from ..tenancy.usage import UsageStore
from ..tracing import CallSpan, Tracer
from ..upstream import retry
from ..upstream.body import read_capped
from .billing import Bill, reserve
from .protocol import PassThroughBody, Usage, completion_to_sse, read_answer
from .providers.base import ChatProvider
from .registry import ChatRegistry
from .routing import ModelRouting, Target
from .sse import SseRelay

__all__ = ("CallContext", "ChatOutcome", "ChatService", "SseRelay", "Target")


@dataclass
class CallContext:
    """Who is calling, their admission (tokens are charged through it) and where log fields go
    (the router's access-log dict: written for the log and metrics, never read back)."""

    tenant: str
    request_id: str
    log: dict[str, Any] = field(default_factory=dict)
    admission: Admission | None = None


@dataclass(frozen=True)
class ChatOutcome:
    """A non-streamed answer: the entity that answered, its bytes, the usage it reported and
    what it cost (nanos)."""

    entity: str
    body: bytes
    usage: Usage | None
    cost_nanos: int = 0

    @property
    def tokens(self) -> int:
        """Prompt plus completion tokens (0 when the upstream reported none)."""
        return self.usage.prompt_tokens + self.usage.completion_tokens if self.usage else 0


class ChatService:
    """Routes chat/embeddings requests to the registry's chat entities."""

    def __init__(
        self, registry: ChatRegistry, usage: UsageStore, tracer: Tracer | None = None
    ) -> None:
        self.providers: dict[str, ChatProvider] = registry.providers
        self.usage = usage
        self.tracer = tracer
        """Spans of upstream calls (``None``: tracing is off)."""
        self.routing = ModelRouting(self.providers)
        self._in_flight = self.routing.in_flight

    # --- cost ------------------------------------------------------------------------------------

    def price(self, target: Target) -> TokenPrice:
        """The token prices of ``target``."""
        return chat_price(self.providers[target.entity].entity, target.model)

    def _asks_usage(self, target: Target, body: PassThroughBody) -> bool:
        """Whether the gateway asks ``target`` for a stream's usage the caller did not ask for."""
        entity = self.providers[target.entity].entity
        return body.stream and not body.include_usage and entity.priced and entity.stream_usage

    async def _reserve(
        self, ctx: CallContext, body: PassThroughBody, chain: list[Target], path: str
    ) -> Bill:
        entities = [self.providers[t.entity].entity for t in chain]
        return await reserve(
            ctx.admission,
            body,
            [self.price(t) for t in chain],
            max(e.reserve_output_tokens for e in entities),
            completions=path != "embeddings",
        )

    # --- routing ---------------------------------------------------------------------------------

    def resolve(
        self, name: str, refs: list[str], allowed: frozenset[str] | None = None
    ) -> list[Target]:
        """The ordered chain of targets for public model ``name`` (404 if none)."""
        return self.routing.resolve(name, refs, allowed)

    # --- calls -----------------------------------------------------------------------------------

    def _span(self, path: str, target: Target) -> CallSpan | None:
        if self.tracer is None:
            return None
        entity = self.providers[target.entity].entity
        return self.tracer.provider_call(
            operation="embeddings" if path.endswith("embeddings") else "chat",
            adapter=entity.provider,
            entity=target.entity,
            request_model=target.model,
            server_url=entity.base_url,
        )

    async def _open(
        self, path: str, body: PassThroughBody, chain: list[Target], ctx: CallContext
    ) -> tuple[Target, httpx.Response, CallSpan | None]:
        """The first target whose upstream answers 2xx, with retries and fallbacks (and the
        span of that call, still open, when tracing)."""
        last: GatewayError | None = None
        attempts: list[str] = ctx.log.setdefault("attempts", [])
        for target in chain:
            provider = self.providers[target.entity]
            payload = body.with_model(target.model, ask_usage=self._asks_usage(target, body))
            retries = max(0, provider.entity.max_retries)
            for attempt in range(retries + 1):
                attempts.append(target.entity)
                self._in_flight[target.entity] += 1
                span = self._span(path, target)
                try:
                    if span is None:
                        response = await provider.open(path, payload, request_id=ctx.request_id)
                    else:
                        with span.use():
                            response = await provider.open(path, payload, request_id=ctx.request_id)
                except GatewayError as exc:
                    if span is not None:
                        span.fail(exc)
                        span.end()
                    self._in_flight[target.entity] -= 1
                    await self.usage.record(
                        ctx.tenant, target.entity, requests=1, errors=1, bytes_in=len(payload)
                    )
                    last = exc
                    if not retry.may_fall_back(exc):
                        raise
                    if not retry.retry_again(exc, attempt, retries):
                        break  # out of retries, or the same entity would fail the same way
                    await asyncio.sleep(retry.backoff(attempt, exc))
                    continue
                ctx.log["entity"] = target.entity
                return target, response, span
        assert last is not None
        raise last

    async def complete(
        self,
        path: str,
        body: PassThroughBody,
        *,
        refs: list[str],
        allowed: frozenset[str] | None,
        ctx: CallContext,
    ) -> ChatOutcome:
        """A non-streaming call: the upstream's JSON bytes, usage and cost, with fallbacks.

        A body that fails to arrive or is not a JSON object moves on to the next entity too:
        nothing has reached the caller yet.
        """
        chain = self.resolve(body.model, refs, allowed)
        bill = await self._reserve(ctx, body, chain, path)
        try:
            return await self._complete(path, body, chain, ctx, bill)
        finally:
            if bill.hold is not None:  # failed: nothing was used
                await bill.settle(ctx.admission, 0)

    async def _complete(
        self, path: str, body: PassThroughBody, chain: list[Target], ctx: CallContext, bill: Bill
    ) -> ChatOutcome:
        last: GatewayError | None = None
        while chain:
            target, response, span = await self._open(path, body, chain, ctx)
            chain = chain[chain.index(target) + 1 :]
            cap = self.providers[target.entity].entity.max_response_size
            failure: GatewayError | None = None
            try:
                raw = await read_capped(response, cap, f"chat entity {target.entity!r}")
                answer = read_answer(raw)
                usage = answer.usage
            except UpstreamError as exc:
                last = failure = exc
            except httpx.TimeoutException:
                last = failure = UpstreamTimeoutError(
                    f"{target.entity} did not finish its answer in time"
                )
            except httpx.HTTPError as exc:
                last = failure = UpstreamError(
                    f"{target.entity} broke off its answer ({type(exc).__name__})"
                )
            except msgspec.DecodeError as exc:
                last = failure = UpstreamError(
                    f"{target.entity} returned a response that is not JSON: {exc}"
                )
            else:
                if span is not None:
                    _answered(span, answer.model_name, usage, answer.answer_id)
                cost = bill.cost(self.price(target), usage)
                await self._account(ctx, target.entity, body.size, len(raw), usage, cost, bill)
                return ChatOutcome(target.entity, raw, usage, cost)
            finally:
                await response.aclose()
                self._in_flight[target.entity] -= 1
                if span is not None:
                    if failure is not None:
                        span.fail(failure)
                    span.end()
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

        The relay ends the stream with its cost as an SSE comment before ``[DONE]``, and
        accounts (usage, tokens, the budget) when it closes.

        Raises:
            GatewayError: every target failed before answering; nothing was sent to the caller.
        """
        chain = self.resolve(body.model, refs, allowed)
        bill = await self._reserve(ctx, body, chain, path)
        try:
            target, response, span = await self._open(path, body, chain, ctx)
        except BaseException:
            if bill.hold is not None:
                await bill.settle(ctx.admission, 0)
            raise
        entity = target.entity
        limits = self.providers[entity].entity
        price = self.price(target)
        asked = self._asks_usage(target, body)
        if not response.headers.get("content-type", "").startswith("text/event-stream"):
            # The upstream ignored ``stream``: replay its JSON answer as events.
            try:
                raw = await read_capped(
                    response, limits.max_response_size, f"chat entity {entity!r}"
                )
                events = completion_to_sse(raw, body.include_usage or asked)
            except (httpx.HTTPError, msgspec.DecodeError, UpstreamError) as exc:
                self._in_flight[entity] -= 1
                if span is not None:
                    span.fail(exc)
                    span.end()
                await self.usage.record(ctx.tenant, entity, requests=1, errors=1)
                if bill.hold is not None:
                    await bill.settle(ctx.admission, 0)
                if isinstance(exc, UpstreamError):
                    raise
                raise UpstreamError(
                    f"{entity} answered a streaming request with neither events nor a "
                    "chat completion"
                ) from None
            finally:
                await response.aclose()
            response = httpx.Response(200, stream=httpx.ByteStream(events))

        def trailer(usage: Usage | None) -> bytes:
            return b": x-aigateway-cost: %b\n\n" % format_cost(bill.cost(price, usage)).encode()

        async def finished(usage: Usage | None, bytes_out: int, failed: bool) -> None:
            self._in_flight[entity] -= 1
            if span is not None:
                _answered(span, relay.model, usage, None)
                if failed:
                    span.fail(UpstreamError("the stream ended with an error event"))
                span.end()
            cost = bill.cost(price, usage)
            await self._account(ctx, entity, body.size, bytes_out, usage, cost, bill, failed=failed)

        relay = SseRelay(
            response,
            entity=entity,
            ping_interval=ping_interval,
            on_close=finished,
            max_event_size=limits.max_event_size,
            # Unpriced entities cost nothing: no trailer for naive clients to trip over.
            trailer=trailer if limits.priced else None,
            strip_usage=asked,
        )
        return relay

    async def _account(
        self,
        ctx: CallContext,
        entity: str,
        bytes_in: int,
        bytes_out: int,
        usage: Usage | None,
        cost: int,
        bill: Bill,
        *,
        failed: bool = False,
    ) -> None:
        tokens_in = usage.prompt_tokens if usage else 0
        tokens_out = usage.completion_tokens if usage else 0
        if usage:
            ctx.log["tokens_in"] = tokens_in
            ctx.log["tokens_out"] = tokens_out
        ctx.log["cost_nanos"] = cost
        await bill.settle(ctx.admission, cost)
        if ctx.admission is not None:
            # tokens_per_minute is charged with what the upstream reported, once it is known.
            await ctx.admission.charge_tokens(tokens_in + tokens_out)
        await self.usage.record(
            ctx.tenant,
            entity,
            requests=1,
            errors=int(failed),
            tokens_in=tokens_in,
            tokens_out=tokens_out,
            bytes_in=bytes_in,
            bytes_out=bytes_out,
            cost_nanos=cost,
        )


def _answered(
    span: CallSpan, model: str | None, usage: Usage | None, answer_id: str | None
) -> None:
    """Record on ``span`` what the upstream answered: its model name and token usage."""
    span.response(
        model=model,
        response_id=answer_id,
        input_tokens=usage.prompt_tokens if usage else None,
        output_tokens=usage.completion_tokens if usage else None,
    )
