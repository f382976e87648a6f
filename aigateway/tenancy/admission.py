"""An admitted request: its concurrency lease (renewed while it lives), its request counter,
and what the services charge through it (pages, tokens, budget reservations).

Services get an :class:`Admission` from the router and charge through it; it knows its tenant
and its quotas, so nothing above this layer needs to.
"""

from __future__ import annotations

import asyncio
import weakref
from typing import TYPE_CHECKING

from .auth import Tenant
from .budgets import Hold
from .state import Lease

if TYPE_CHECKING:
    from .quotas import Quotas

__all__ = ("MINUTE", "Admission")

MINUTE = 60


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

    @property
    def budgeted(self) -> bool:
        """True when the tenant has a budget (its requests reserve their worst-case cost)."""
        return self.tenant.budget is not None

    async def charge_pages(self, pages: int, reserve: int = 0) -> Hold | None:
        """Count ``pages`` against the page limits before any OCR, and reserve ``reserve``
        nanos of the budget, all or nothing (429 and a refunded request when either is over).
        The hold must be settled (:meth:`settle`)."""
        if self._quotas is None:
            return None
        return await self._quotas.charge_pages(self, pages, reserve)

    async def reserve(self, amount: int) -> Hold | None:
        """Reserve ``amount`` nanos of the tenant's budget (429 ``budget_exceeded`` when they do
        not fit); ``None`` when there is nothing to reserve. The hold must be settled
        (:meth:`settle`)."""
        if self._quotas is None:
            return None
        return await self._quotas.reserve(self, amount)

    async def settle(self, hold: Hold | None, cost: int) -> None:
        """Settle ``hold`` to what the request cost (0 gives it all back; never raises)."""
        if hold is not None and self._quotas is not None:
            await self._quotas.settle(hold, cost)

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
