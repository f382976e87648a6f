"""Per-tenant limits: requests, pages and tokens per window, and concurrent requests.

Checked in this order, each all-or-nothing through :meth:`StateBackend.consume`:

* :meth:`Quotas.admit` — before the body is read: ``requests_per_minute`` and
  ``max_concurrent`` (the slot is released by :meth:`Admission.release`);
* :meth:`Quotas.charge_pages` — once an OCR document's pages are counted and before it is sent
  anywhere: ``pages_per_minute`` and ``pages_per_day``; a rejection refunds the request;
* :meth:`Quotas.check_tokens` / :meth:`Quotas.add_tokens` — ``tokens_per_minute`` is checked
  before a chat call (is the window already spent?) and charged with the upstream's usage.

A hit limit is a 429 whose message names the limit, with ``Retry-After`` at the window's end.
When the backend is unreachable the request is served (``fail_open``, logged) or refused 503.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from .auth import Tenant
from .config import StateConfig
from .errors import RateLimitError, ServiceUnavailableError
from .state import Counter, Decision, StateBackend

__all__ = ("Admission", "Quotas")

T = TypeVar("T")

MINUTE = 60
DAY = 86_400


class Admission:
    """An admitted request: holds its concurrency slot and its request-counter key."""

    __slots__ = ("_quotas", "concurrency_key", "request_key", "tenant")

    def __init__(
        self,
        quotas: Quotas | None,
        tenant: Tenant,
        concurrency_key: str | None,
        request_key: str | None,
    ) -> None:
        self._quotas = quotas
        self.tenant = tenant
        self.concurrency_key = concurrency_key
        self.request_key = request_key

    async def release(self) -> None:
        """Give the concurrency slot back (idempotent)."""
        key, self.concurrency_key = self.concurrency_key, None
        if key is not None and self._quotas is not None:
            await self._quotas.guarded(
                lambda: self._quotas.backend.add(key, -1, 3600),  # type: ignore[union-attr]
                None,
                bookkeeping=True,
            )

    async def refund_request(self) -> None:
        """Un-count the request (a later limit rejected it: nothing is charged)."""
        key, self.request_key = self.request_key, None
        if key is not None and self._quotas is not None:
            await self._quotas.guarded(
                lambda: self._quotas.backend.add(key, -1, MINUTE + 5),  # type: ignore[union-attr]
                None,
                bookkeeping=True,
            )


class Quotas:
    """Tenant limits over a :class:`StateBackend`."""

    def __init__(self, backend: StateBackend, config: StateConfig, logger: Any) -> None:
        self.backend = backend
        self.config = config
        self.logger = logger
        self.healthy = True

    def _key(self, tenant: Tenant, name: str, window: int | None) -> str:
        # {tenant} is a Redis Cluster hash tag: all of a tenant's counters share a slot, so one
        # script may touch them together.
        suffix = f":{window}" if window is not None else ""
        return f"{self.config.prefix}:{{{tenant.id}}}:{name}{suffix}"

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

    async def guarded(
        self, op: Callable[[], Awaitable[T]], fallback: T, *, bookkeeping: bool = False
    ) -> T:
        """Run a backend operation; on failure apply the configured fail-open/closed policy.

        ``bookkeeping`` operations (releasing a slot, refunds, usage, charges after the fact)
        never fail a request, whatever the policy: the answer is already decided.
        """
        try:
            result = await op()
        except Exception as exc:  # redis errors, timeouts, connection refused …
            if self.healthy:
                self.logger.error(
                    "state backend unreachable",
                    backend=self.backend.name,
                    error=type(exc).__name__,
                    fail_open=self.config.fail_open,
                )
            self.healthy = False
            if self.config.fail_open or bookkeeping:
                return fallback
            raise ServiceUnavailableError(
                "the gateway cannot reach its shared state backend; retry shortly",
                retry_after=2.0,
            ) from None
        if not self.healthy:
            self.logger.info("state backend reachable again", backend=self.backend.name)
        self.healthy = True
        return result

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
        """Count the request and take a concurrency slot (429 when either is at its limit)."""
        lim = tenant.limits
        counters: list[Counter] = []
        request_key = concurrency_key = None
        if lim.requests_per_minute is not None:
            c = self._windowed(tenant, "requests_per_minute", MINUTE, 1, lim.requests_per_minute)
            counters.append(c)
            request_key = c.key
        if lim.max_concurrent is not None:
            concurrency_key = self._key(tenant, "max_concurrent", None)
            counters.append(
                Counter(concurrency_key, 1, lim.max_concurrent, 3600, name="max_concurrent")
            )
        if not counters:
            return Admission(None, tenant, None, None)
        decision = await self.guarded(lambda: self.backend.consume(counters), Decision())
        if not decision.allowed:
            raise self._reject(decision, tenant)
        if not self.healthy:  # failed open: nothing was taken, nothing to give back
            return Admission(None, tenant, None, None)
        return Admission(self, tenant, concurrency_key, request_key)

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
