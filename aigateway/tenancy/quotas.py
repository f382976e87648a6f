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
  usage.

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
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from ..config import StateConfig
from ..errors import RateLimitError, ServiceUnavailableError
from .auth import Tenant
from .state import Counter, Decision, Lease, StateBackend, StateUnavailableError

__all__ = ("Admission", "Quotas", "StateReadiness")

T = TypeVar("T")

MINUTE = 60
DAY = 86_400


class Admission:
    """An admitted request: holds its concurrency lease (renewed while it lives) and its
    request-counter key. The caller must :meth:`release` it when the request is done."""

    __slots__ = ("__weakref__", "_quotas", "_renewal", "lease", "request_key", "tenant")

    def __init__(
        self,
        quotas: Quotas | None,
        tenant: Tenant,
        lease: Lease | None,
        request_key: str | None,
    ) -> None:
        self._quotas = quotas
        self.tenant = tenant
        self.lease = lease
        self.request_key = request_key
        self._renewal: asyncio.TimerHandle | asyncio.Task[None] | None = None
        if lease is not None and quotas is not None:
            # Most requests end long before their first renewal is due: a timer is cheaper
            # than a task, and the task that renews starts only when the timer fires.
            self._renewal = asyncio.get_running_loop().call_later(
                lease.ttl / 3, _start_renewal, weakref.ref(self)
            )

    async def release(self) -> None:
        """Give the concurrency slot back (idempotent; never raises)."""
        lease, self.lease = self.lease, None
        renewal, self._renewal = self._renewal, None
        if renewal is not None:
            renewal.cancel()
        if lease is not None and self._quotas is not None:
            backend = self._quotas.backend
            await self._quotas.guarded(lambda: backend.release(lease), None, bookkeeping=True)

    async def refund_request(self) -> None:
        """Un-count the request (a later limit rejected it: nothing is charged)."""
        key, self.request_key = self.request_key, None
        if key is not None and self._quotas is not None:
            backend = self._quotas.backend
            await self._quotas.guarded(
                lambda: backend.add(key, -1, MINUTE + 5), None, bookkeeping=True
            )

    @property
    def pages_limited(self) -> bool:
        """True when the tenant has a page limit (its documents must be counted)."""
        lim = self.tenant.limits
        return lim.pages_per_minute is not None or lim.pages_per_day is not None

    async def charge_pages(self, pages: int) -> None:
        """Count ``pages`` against the page limits before any OCR (429 and a refunded request
        when over)."""
        if self._quotas is not None:
            await self._quotas.charge_pages(self, pages)

    async def charge_pages_after(self, pages: int) -> None:
        """Count pages that could not be counted first (a URL the upstream fetched itself)."""
        if self._quotas is not None:
            await self._quotas.charge_pages_after(self.tenant, pages)

    async def check_tokens(self) -> None:
        """429 when the tenant's ``tokens_per_minute`` window is already spent."""
        if self._quotas is not None:
            await self._quotas.check_tokens(self.tenant)

    async def charge_tokens(self, tokens: int) -> None:
        """Charge ``tokens`` the upstream reported to the current minute (never fails)."""
        if self._quotas is not None:
            await self._quotas.add_tokens(self.tenant, tokens)


def _start_renewal(ref: weakref.ReferenceType[Admission]) -> None:
    admission = ref()
    if admission is None or admission.lease is None or admission._quotas is None:
        return
    quotas, lease = admission._quotas, admission.lease
    if quotas.closed:
        return
    task = asyncio.get_running_loop().create_task(_renew_while_held(quotas, lease, ref))
    admission._renewal = task
    quotas._renewals.add(task)
    task.add_done_callback(quotas._renewals.discard)


async def _renew_while_held(
    quotas: Quotas, lease: Lease, ref: weakref.ReferenceType[Admission]
) -> None:
    """Renew ``lease`` every third of its TTL until its admission is released (or dropped).

    A renewal that fails (backend unreachable: logged once by the breaker) is retried at the
    next turn; a lease that lapsed meanwhile is added back, since its request is still in flight.
    Only a weak reference to the admission is kept, so a forgotten admission cannot renew forever.
    """

    def held() -> bool:
        admission = ref()
        return admission is not None and admission.lease is lease

    while held():
        try:
            if not await quotas.backend.renew(lease) and held():
                await quotas.backend.renew(lease, reinstate=True)
                quotas.reinstated += 1
        except Exception:  # unreachable now (the breaker logged it): the next turn tries again
            pass
        await asyncio.sleep(lease.ttl / 3)


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

    async def charge_pages(self, admission: Admission, pages: int) -> None:
        """Count ``pages`` against the page limits (429 and a refunded request otherwise)."""
        tenant = admission.tenant
        lim = tenant.limits
        counters = []
        if lim.pages_per_minute is not None:
            counters.append(
                self._windowed(tenant, "pages_per_minute", MINUTE, pages, lim.pages_per_minute)
            )
        if lim.pages_per_day is not None:
            counters.append(self._windowed(tenant, "pages_per_day", DAY, pages, lim.pages_per_day))
        if not counters:
            return
        decision = await self.guarded(lambda: self.backend.consume(counters), Decision())
        if not decision.allowed:
            await admission.refund_request()
            err = self._reject(decision, tenant)
            if pages > decision.failed.limit:  # type: ignore[union-attr]
                err.message += f" (this document alone has {pages} pages)"
            raise err

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
