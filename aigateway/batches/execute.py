"""Running one batch line: the same services as interactive traffic, with the tenant's limits.

A line goes to :meth:`OcrService.process <aigateway.ocr.service.OcrService.process>` or
:meth:`ChatService.complete <aigateway.chat.service.ChatService.complete>` exactly like a
request would, under the tenant's limits, with two differences:

* a line over a limit **waits** (``Retry-After``) and is tried again; it never fails for it
  (requests per minute, tokens per minute, pages per minute/day). ``max_concurrent`` is left
  to interactive calls: the batch lanes bound a replica's batch concurrency instead;
* a transient failure (upstream 429/5xx, local OCR pool saturated) is retried up to
  ``[batches] max_attempts`` times before it becomes an error line.

A tenant's **budget** holds lines the same way: :class:`BudgetGate` (a :class:`LineGate`, run
before every attempt) holds every line while the budget has nothing left, until it resets;
a line whose reservation does not fit what is left (``budget_exceeded``) waits too. Only a line
that would cost more than the whole budget fails (waiting cannot help it).
"""

from __future__ import annotations

import asyncio
import dataclasses
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import msgspec

from ..chat.protocol import parse_body
from ..chat.service import CallContext, ChatService
from ..config import LimitsConfig
from ..errors import GatewayError, RateLimitError, error_body
from ..http.limits import DocumentLimits
from ..ocr.documents import DocumentStore
from ..ocr.normalize import normalize_json
from ..ocr.service import OcrService, select_entity
from ..tenancy.auth import ANONYMOUS, KeyStore, Tenant
from ..tenancy.quotas import Admission, Quotas
from ..tenancy.usage import UsageStore
from .protocol import Job, Line

__all__ = (
    "BudgetGate",
    "Lanes",
    "LineExecutor",
    "LineGate",
    "LineResult",
    "Services",
    "WaitForLimit",
)

RETRYABLE = frozenset({429, 500, 502, 503, 504})
_WAITABLE = frozenset(
    {
        "requests_per_minute_exceeded",
        "pages_per_minute_exceeded",
        "pages_per_day_exceeded",
        "tokens_per_minute_exceeded",
        "budget_exceeded",
    }
)
"""Codes of the tenant limits a line waits out (their windows end, the budget resets)."""
MAX_WAIT = 60.0
"""Longest single wait on a limit before checking again."""
BUDGET_RECHECK = 5.0
"""Longest wait on a spent budget before checking again: requests in flight settle below what
they reserved, and a reload may raise the budget, long before the period ends."""


class WaitForLimit(Exception):
    """Hold the line back for ``seconds`` and try again (a limit or budget is exhausted)."""

    def __init__(self, seconds: float) -> None:
        super().__init__(seconds)
        self.seconds = seconds


class LineGate(Protocol):
    """A check run before every attempt of a line (the budgets hook)."""

    async def __call__(self, tenant: Tenant, job: Job, line: Line) -> None:
        """Return to let the line run; raise :class:`WaitForLimit` to hold it back."""
        ...


class BudgetGate:
    """Holds a tenant's lines while its budget has nothing left (until the period resets)."""

    def __init__(self, quotas: Quotas) -> None:
        self.quotas = quotas

    async def __call__(self, tenant: Tenant, job: Job, line: Line) -> None:
        """Raise :class:`WaitForLimit` while the budget is spent."""
        wait = await self.quotas.budget_wait(tenant)
        if wait is not None:
            raise WaitForLimit(min(wait, BUDGET_RECHECK))


def _wait_or_fail(exc: RateLimitError) -> WaitForLimit:
    """The wait for a tenant limit or budget a line may wait out; ``exc`` itself otherwise (an
    upstream's 429 is retried as a failure; a request over a limit or budget by itself fails)."""
    alone = "alone" in exc.message or exc.headers.get("x-should-retry") == "false"
    if exc.code not in _WAITABLE or alone:
        if alone:
            exc.headers["x-should-retry"] = "false"
        raise exc
    if exc.code == "budget_exceeded":
        return WaitForLimit(min(exc.retry_after, BUDGET_RECHECK))
    return WaitForLimit(exc.retry_after)


@dataclass
class Services:
    """What lines run on; the gateway rebinds it on a config reload."""

    ocr: OcrService
    chat: ChatService
    quotas: Quotas
    keys: KeyStore
    usage: UsageStore
    limits: LimitsConfig
    documents: Callable[[str], DocumentStore]
    """``tenant id -> resolver`` of file ids and signed URLs."""
    metrics: Any = None
    """The gateway's :class:`~aigateway.metrics.Metrics` (batch lines and their pages)."""
    gates: list[LineGate] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.metrics is not None:
            self.metrics.declare(
                "aigw_batch_lines_total", "counter", "Batch lines run, by tenant/endpoint/outcome."
            )


@dataclass
class Lanes:
    """Batch concurrency caps, so interactive traffic keeps the rest of the capacity."""

    local_ocr: asyncio.Semaphore
    upstream: asyncio.Semaphore


@dataclass(frozen=True)
class LineResult:
    """A line's outcome: ``ok`` (2xx) and the output line in the APIs' JSONL shape."""

    ok: bool
    line: bytes


def output_line(
    line: Line, status: int | None, body: bytes | None, error: dict[str, Any] | None, rid: str
) -> bytes:
    """``{"id", "custom_id", "response": {"status_code", "request_id", "body"}, "error"}``."""
    response = None
    if body is not None and (b"\n" in body or b"\r" in body):
        # An upstream's pretty-printed JSON: one JSONL line must stay one line.
        body = msgspec.json.encode(msgspec.json.decode(body))
    if status is not None:
        response = {
            "status_code": status,
            "request_id": rid,
            "body": msgspec.Raw(body or b"null"),
        }
    return msgspec.json.encode(
        {
            "id": f"batch_req_{uuid.uuid4().hex}",
            "custom_id": line.custom_id,
            "response": response,
            "error": error,
        }
    )


class LineExecutor:
    """Runs lines against the services, waiting on limits and retrying transient failures."""

    def __init__(self, services: Services, lanes: Lanes, max_attempts: int, logger: Any) -> None:
        self.services = services
        self.lanes = lanes
        self.max_attempts = max_attempts
        self.logger = logger

    def tenant(self, tenant_id: str) -> Tenant:
        """The tenant as configured now (a reload may have changed its limits)."""
        return self.services.keys.tenants.get(tenant_id, ANONYMOUS)

    async def run(self, job: Job, line: Line) -> LineResult:
        """Run ``line`` to an outcome (never raises for a line's own failure)."""
        rid = f"batch-{job.id[:8]}-{line.index}"
        tenant = self.tenant(job.tenant)
        attempt = 0
        while True:
            attempt += 1
            try:
                for gate in self.services.gates:
                    await gate(tenant, job, line)
                status, body = await self._once(tenant, job, line, rid)
                self._count(tenant, job, "succeeded")
                return LineResult(True, output_line(line, status, body, None, rid))
            except WaitForLimit as wait:
                attempt -= 1  # waiting on a limit is not a failed try
                await asyncio.sleep(min(MAX_WAIT, max(0.05, wait.seconds)))
            except GatewayError as exc:
                transient = exc.headers.get("x-should-retry") != "false"
                if exc.status_code in RETRYABLE and transient and attempt < self.max_attempts:
                    await asyncio.sleep(self._backoff(attempt, exc))
                    continue
                self._count(tenant, job, "failed")
                return LineResult(
                    False, output_line(line, exc.status_code, error_body(exc), None, rid)
                )
            except Exception as exc:  # a bug must cost one line, not the runner
                self.logger.error(
                    "batch line failed", job=job.id, line=line.index, error=type(exc).__name__
                )
                self._count(tenant, job, "failed")
                err = GatewayError(f"internal error running this line (request id {rid})")
                return LineResult(False, output_line(line, 500, error_body(err), None, rid))

    def _count(self, tenant: Tenant, job: Job, outcome: str) -> None:
        metrics = self.services.metrics
        if metrics is not None:
            labels = (("tenant", tenant.id), ("endpoint", job.endpoint), ("outcome", outcome))
            metrics.inc("aigw_batch_lines_total", labels)

    @staticmethod
    def _backoff(attempt: int, exc: GatewayError) -> float:
        delay = min(30.0, 0.5 * 2.0 ** (attempt - 1)) * (0.75 + random.random() / 4)
        retry_after = getattr(exc, "retry_after", None)
        if isinstance(retry_after, int | float):
            delay = min(MAX_WAIT, max(delay, float(retry_after)))
        return delay

    async def _admit(self, tenant: Tenant) -> Admission:
        # Lines count against requests_per_minute, not max_concurrent: batch concurrency is
        # the lanes' business, and a tenant's batch must never lock its own interactive
        # calls out by holding every concurrency slot.
        if tenant.limits.max_concurrent is not None:
            limits = msgspec.structs.replace(tenant.limits, max_concurrent=None)
            tenant = dataclasses.replace(tenant, limits=limits)
        try:
            return await self.services.quotas.admit(tenant)
        except RateLimitError as exc:
            raise WaitForLimit(exc.retry_after) from None

    async def _once(self, tenant: Tenant, job: Job, line: Line, rid: str) -> tuple[int, bytes]:
        body = dict(line.body)
        if job.model and body.get("model") is None:
            body["model"] = job.model
        if job.endpoint == "/v1/ocr":
            return await self._ocr(tenant, job, body)
        return await self._chat(tenant, job, body, rid)

    async def _ocr(self, tenant: Tenant, job: Job, body: dict[str, Any]) -> tuple[int, bytes]:
        svc = self.services
        request = normalize_json(body, max_bytes=job.max_bytes)
        refs = tenant.narrow(job.ocr_refs)
        eid, _ = select_entity(request, refs, set(svc.ocr.registry.providers))
        local = svc.ocr.registry.providers[eid].entity.provider == "local"
        limits = DocumentLimits.of(svc.limits, job.max_bytes)
        async with self.lanes.local_ocr if local else self.lanes.upstream:
            admission = await self._admit(tenant)
            try:
                outcome = await svc.ocr.process(
                    request,
                    refs=refs,
                    limits=limits,
                    allowed=tenant.allowed_refs,
                    admission=admission,
                    documents=svc.documents(tenant.id),
                )
            except RateLimitError as exc:
                raise _wait_or_fail(exc) from None
            finally:
                await admission.release()
        await svc.ocr.record(tenant.id, outcome)
        if svc.metrics is not None and outcome.pages:
            labels = (("tenant", tenant.id), ("entity", outcome.entity))
            svc.metrics.inc("aigw_pages_total", labels, float(outcome.pages))
        return 200, msgspec.json.encode(outcome.response)

    async def _chat(
        self, tenant: Tenant, job: Job, body: dict[str, Any], rid: str
    ) -> tuple[int, bytes]:
        svc = self.services
        # A batch line answers once: streaming options make no sense here.
        body.pop("stream", None)
        body.pop("stream_options", None)
        payload = parse_body(msgspec.json.encode(body), svc.limits.max_json_depth)
        path = "chat/completions" if job.endpoint == "/v1/chat/completions" else "embeddings"
        async with self.lanes.upstream:
            admission = await self._admit(tenant)
            try:
                try:
                    await admission.check_tokens()
                except RateLimitError as exc:
                    raise WaitForLimit(exc.retry_after) from None
                ctx = CallContext(tenant=tenant.id, request_id=rid, log={}, admission=admission)
                outcome = await svc.chat.complete(
                    path,
                    payload,
                    refs=tenant.narrow(job.chat_refs),
                    allowed=tenant.allowed_refs,
                    ctx=ctx,
                )
            except RateLimitError as exc:
                if exc.code != "budget_exceeded":
                    raise  # an upstream's 429: retried as a transient failure
                raise _wait_or_fail(exc) from None
            finally:
                await admission.release()
        return 200, outcome.body
