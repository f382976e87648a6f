"""Per-tenant limits: requests, pages and tokens per window, and concurrent requests.

Checked in this order, each all-or-nothing through :meth:`StateBackend.consume`:

* :meth:`Quotas.admit` — before the body is read: ``requests_per_minute`` and
  ``max_concurrent``. The concurrency slot is a lease: renewed while the request is in flight
  (long OCR jobs and streams keep it), given back by :meth:`Admission.release`, and lapsing
  ``[state] lease_ttl`` seconds after its last renewal if nobody does (a crashed replica);
* :meth:`Admission.charge_pages` — once an OCR document's pages are counted and before it is
  sent anywhere: ``pages_per_minute`` and ``pages_per_day``; a rejection refunds the request
  (:meth:`Admission.charge_pages_after` for pages only the upstream could count);
* :meth:`Admission.check_tokens` / :meth:`Admission.charge_tokens` — ``tokens_per_minute`` is
  checked before a chat call (is the window already spent?) and charged with the upstream's
  usage;
* :meth:`Admission.reserve` / :meth:`Admission.settle` — a tenant's ``budget``
  (:mod:`.budgets`): the worst-case cost is reserved before the call (for OCR in the same
  script as the page limits) and settled to the cost afterwards.

Services charge through the :class:`Admission` they are handed: it knows its tenant and its
quotas, so nothing above this layer needs to.

A hit limit is a 429 whose message names the limit, with ``Retry-After`` at the window's end.
When the backend is unreachable the request is served (``fail_open``) or refused 503; the
backend logs one line when it goes and one when it comes back. Bookkeeping after the answer is
decided (release, refunds, charges after the fact) never fails a request.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from ..config import StateConfig
from ..errors import RateLimitError, ServiceUnavailableError
from .admission import MINUTE, Admission
from .auth import Tenant
from .budgets import Budgets, Hold
from .state import Counter, Decision, Lease, StateBackend, StateUnavailableError

__all__ = ("Admission", "Quotas", "StateReadiness")

T = TypeVar("T")

DAY = 86_400


@dataclass(frozen=True)
class StateReadiness:
    """The state backend's part of ``/readyz``."""

    serving: bool
    """False when requests with limits would be refused (Redis down with ``fail_open`` off)."""
    reason: str | None
    """Why the gateway is degraded or not serving; None when all is well."""
    check: dict[str, Any] = field(default_factory=dict)


class Quotas:
    """Tenant limits over a :class:`StateBackend`."""

    def __init__(self, backend: StateBackend, config: StateConfig, logger: Any) -> None:
        self.backend = backend
        self.config = config
        self.logger = logger
        self.reinstated = 0
        """Leases added back after they lapsed during an outage (their requests lived on)."""
        self.closed = False
        self._renewals: set[asyncio.Task[None]] = set()
        self.budgets = Budgets(config.prefix)

    def _key(self, tenant: Tenant, name: str, window: int | None) -> str:
        # {tenant} is a Redis Cluster hash tag: all of a tenant's keys share a slot, so one
        # script may touch them together.
        suffix = f":{window}" if window is not None else ""
        return f"{self.config.prefix}:{{{tenant.id}}}:{name}{suffix}"

    def lease_key(self, tenant: Tenant) -> str:
        """The key of ``tenant``'s lease set (one lease per request in flight)."""
        return self._key(tenant, "leases", None)

    def _windowed(
        self, tenant: Tenant, name: str, seconds: int, amount: int, limit: int
    ) -> Counter:
        now = time.time()
        n = int(now // seconds)
        return Counter(
            key=self._key(tenant, name, n),
            amount=amount,
            limit=limit,
            ttl=seconds + 5,
            name=name,
            reset_at=(n + 1) * seconds,
        )

    def _unavailable(self, exc: Exception) -> None:
        """Apply the fail-open/closed policy to a backend failure (raise 503 when closed)."""
        if not isinstance(exc, StateUnavailableError):  # not an outage (the breaker logs those)
            self.logger.error(
                "state backend error", backend=self.backend.name, error=type(exc).__name__
            )
        if not self.config.fail_open:
            raise ServiceUnavailableError(
                "the gateway cannot reach its shared state backend; retry shortly",
                retry_after=2.0,
            ) from None

    async def guarded(
        self, op: Callable[[], Awaitable[T]], fallback: T, *, bookkeeping: bool = False
    ) -> T:
        """Run a backend operation; on failure apply the configured fail-open/closed policy.

        ``bookkeeping`` operations (releasing a slot, refunds, usage, charges after the fact)
        never fail a request, whatever the policy: the answer is already decided.
        """
        try:
            return await op()
        except Exception as exc:  # redis errors, timeouts, connection refused …
            if bookkeeping:
                if not isinstance(exc, StateUnavailableError):
                    self.logger.error(
                        "state backend error", backend=self.backend.name, error=type(exc).__name__
                    )
                return fallback
            self._unavailable(exc)
            return fallback

    async def readiness(self) -> StateReadiness:
        """Whether limits are enforced, served without (degraded) or refused (not serving)."""
        reachable = await self.backend.ping()
        fail_open = self.config.fail_open
        check: dict[str, Any] = {
            "backend": self.backend.name,
            "target": self.backend.target,
            "reachable": reachable,
            "fail_open": fail_open,
            "limits": "enforced" if reachable else "off" if fail_open else "refusing",
        }
        if reachable:
            return StateReadiness(True, None, check)
        if fail_open:
            reason = "state backend unreachable: serving without tenant limits (fail_open = true)"
            return StateReadiness(True, reason, check)
        reason = "state backend unreachable: limited requests get 503 (fail_open = false)"
        return StateReadiness(False, reason, check)

    async def aclose(self) -> None:
        """Stop renewing leases (the gateway is closing; its leases lapse by themselves)."""
        self.closed = True
        for task in list(self._renewals):
            task.cancel()

    def _reject(self, decision: Decision, tenant: Tenant) -> RateLimitError:
        c = decision.failed
        assert c is not None
        if c.name == "max_concurrent":
            return RateLimitError(
                f"tenant {tenant.id!r} has reached max_concurrent = {c.limit} requests in flight",
                retry_after=1.0,
                code="concurrency_limit_exceeded",
            )
        wait = max(1.0, c.reset_at - time.time())
        what = "pages" if "pages" in c.name else "tokens" if "tokens" in c.name else "requests"
        return RateLimitError(
            f"tenant {tenant.id!r} has reached its limit {c.name} = {c.limit} {what}; "
            f"retry in {int(wait + 0.999)} s",
            retry_after=wait,
            code=f"{c.name}_exceeded",
        )

    async def admit(self, tenant: Tenant) -> Admission:
        """Count the request and take a concurrency lease (429 when either is at its limit).

        With the backend unreachable and ``fail_open``, the request is admitted uncounted; its
        lease is still renewed, which adds it to the backend once it answers again, so requests
        that outlive an outage count against ``max_concurrent`` as soon as it is over.
        """
        lim = tenant.limits
        counters: list[Counter] = []
        request_key = None
        lease = None
        if lim.requests_per_minute is not None:
            c = self._windowed(tenant, "requests_per_minute", MINUTE, 1, lim.requests_per_minute)
            counters.append(c)
            request_key = c.key
        if lim.max_concurrent is not None:
            lease = Lease(
                self.lease_key(tenant),
                secrets.token_hex(8),
                lim.max_concurrent,
                self.config.lease_ttl,
            )
        if not counters and lease is None:
            return Admission(self, tenant, None, None)
        try:
            decision = await self.backend.consume(counters, lease)
        except Exception as exc:
            self._unavailable(exc)  # 503 unless failing open
            return Admission(self, tenant, lease, None)
        if not decision.allowed:
            raise self._reject(decision, tenant)
        return Admission(self, tenant, lease, request_key)

    async def charge_pages(self, admission: Admission, pages: int, reserve: int = 0) -> Hold | None:
        """Count ``pages`` against the page limits and reserve ``reserve`` nanos of the budget,
        all or nothing (429 and a refunded request otherwise)."""
        tenant = admission.tenant
        lim = tenant.limits
        counters = []
        if lim.pages_per_minute is not None and pages > 0:
            counters.append(
                self._windowed(tenant, "pages_per_minute", MINUTE, pages, lim.pages_per_minute)
            )
        if lim.pages_per_day is not None and pages > 0:
            counters.append(self._windowed(tenant, "pages_per_day", DAY, pages, lim.pages_per_day))
        hold = None
        if tenant.budget is not None and reserve > 0:
            counter, hold = self.budgets.reservation(tenant.id, tenant.budget, reserve)
            counters.append(counter)
        if not counters:
            return None
        decision = await self.guarded(lambda: self.backend.consume(counters), None)
        if decision is None:  # unreachable, failing open: nothing was taken
            return None
        if not decision.allowed:
            await admission.refund_request()
            failed = decision.failed
            assert failed is not None
            if failed.name == "budget":
                raise await self._over_budget(tenant, failed)
            err = self._reject(decision, tenant)
            if pages > failed.limit:
                err.message += f" (this document alone has {pages} pages)"
            raise err
        return hold

    async def reserve(self, admission: Admission, amount: int) -> Hold | None:
        """Reserve ``amount`` nanos of the tenant's budget (429 ``budget_exceeded`` and a
        refunded request when they do not fit)."""
        tenant = admission.tenant
        if tenant.budget is None or amount <= 0:
            return None
        counter, hold = self.budgets.reservation(tenant.id, tenant.budget, amount)
        decision = await self.guarded(lambda: self.backend.consume([counter]), None)
        if decision is None:
            return None
        if not decision.allowed:
            await admission.refund_request()
            raise await self._over_budget(tenant, counter)
        return hold

    async def _over_budget(self, tenant: Tenant, counter: Counter) -> RateLimitError:
        assert tenant.budget is not None
        spent = await self.guarded(lambda: self.backend.get(counter.key), 0, bookkeeping=True)
        return self.budgets.rejection(tenant.id, tenant.budget, counter, spent)

    async def budget_status(self, tenant: Tenant) -> dict[str, object] | None:
        """Where ``tenant``'s budget stands this period (``None``: it has none).

        Raises:
            StateUnavailableError: the backend cannot be read.
        """
        if tenant.budget is None:
            return None
        window = self.budgets.window(tenant.id, tenant.budget)
        spent = await self.backend.get(window.key)
        return self.budgets.status(tenant.id, tenant.budget, spent)

    async def budget_wait(self, tenant: Tenant) -> float | None:
        """Seconds until ``tenant``'s budget resets when nothing of it is left, else ``None``
        (also when it has no budget, or the backend cannot say). For work that should wait
        for its budget rather than fail, such as batch lines."""
        if tenant.budget is None:
            return None
        window = self.budgets.window(tenant.id, tenant.budget)
        spent = await self.guarded(lambda: self.backend.get(window.key), 0, bookkeeping=True)
        if spent < window.limit:
            return None
        return max(1.0, window.reset_at - time.time())

    async def settle(self, hold: Hold, cost: int) -> None:
        """Move a reservation to what the request cost (never fails the request)."""
        delta = cost - hold.amount
        if delta:
            await self.guarded(
                lambda: self.backend.add(hold.key, delta, hold.ttl), None, bookkeeping=True
            )

    async def charge_pages_after(self, tenant: Tenant, pages: int) -> None:
        """Count pages that could not be counted first (a URL the upstream fetched itself)."""
        lim = tenant.limits
        for name, seconds, limit in (
            ("pages_per_minute", MINUTE, lim.pages_per_minute),
            ("pages_per_day", DAY, lim.pages_per_day),
        ):
            if limit is not None and pages > 0:
                c = self._windowed(tenant, name, seconds, pages, limit)
                await self.guarded(
                    lambda c=c: self.backend.add(c.key, pages, c.ttl),  # type: ignore[misc]
                    None,
                    bookkeeping=True,
                )

    async def check_tokens(self, tenant: Tenant) -> None:
        """429 when the tenant's ``tokens_per_minute`` window is already spent."""
        limit = tenant.limits.tokens_per_minute
        if limit is None:
            return
        c = self._windowed(tenant, "tokens_per_minute", MINUTE, 0, limit - 1)
        decision = await self.guarded(lambda: self.backend.consume([c]), Decision())
        if not decision.allowed:
            c = Counter(c.key, 0, limit, c.ttl, c.name, c.reset_at)
            raise self._reject(Decision(c), tenant)

    async def add_tokens(self, tenant: Tenant, tokens: int) -> None:
        """Charge ``tokens`` the upstream reported to the current minute."""
        if tenant.limits.tokens_per_minute is None or tokens <= 0:
            return
        c = self._windowed(tenant, "tokens_per_minute", MINUTE, tokens, 0)
        await self.guarded(lambda: self.backend.add(c.key, tokens, c.ttl), None, bookkeeping=True)
