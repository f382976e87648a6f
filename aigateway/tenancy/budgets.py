"""Tenant budgets: a spending cap per calendar day or month (UTC), held across replicas.

A budget is one counter of nanos (:mod:`.cost`) per tenant and period, under the tenant's hash
tag (``aigw:{acme}:budget:month:2026-12``), in the same state backend as the limits:

1. **Reserve** before the call: the request's worst case is added to the counter only if the
   counter stays within the budget, in the same all-or-nothing script as the other limits
   (:meth:`StateBackend.consume`), so concurrent requests on any number of replicas cannot
   reserve more than the budget between them. A request that does not fit is a 429
   ``budget_exceeded`` saying what is left and when the budget resets (``Retry-After``).
2. **Settle** afterwards: the counter moves by the cost minus the reservation (one atomic
   ``INCRBY``); a failed request gives its whole reservation back.

Spend can pass the budget only by what requests in flight cost *beyond* their reservations
(an upstream reporting more tokens than ``max_tokens``, a chat request without a maximum using
more than ``reserve_output_tokens``): at most the sum of those differences over the requests
admitted before the budget ran out. Where the reservation is an upper bound (OCR pages counted
from the document, chat with a maximum the upstream honours) spend never passes the budget.
A settle that lands after the period ended counts to the period the request was reserved in.
"""

from __future__ import annotations

import calendar
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from ..config import BudgetConfig
from ..errors import RateLimitError
from .cost import NANOS, format_cost, nanos
from .state import Counter

__all__ = ("Budgets", "Hold", "period_bounds")

SLACK = 86_400
"""Seconds a period's counter outlives the period (settles of requests still running)."""


def period_bounds(period: str, now: float) -> tuple[str, float, float]:
    """``(stamp, start, end)`` of the UTC day or month holding ``now`` (Unix seconds)."""
    t = datetime.fromtimestamp(now, UTC)
    if period == "day":
        start = datetime(t.year, t.month, t.day, tzinfo=UTC)
        return start.strftime("%Y-%m-%d"), start.timestamp(), start.timestamp() + 86_400
    start = datetime(t.year, t.month, 1, tzinfo=UTC)
    days = calendar.monthrange(t.year, t.month)[1]
    return start.strftime("%Y-%m"), start.timestamp(), start.timestamp() + days * 86_400


@dataclass(frozen=True)
class Hold:
    """A reservation taken from a budget: ``amount`` nanos on the counter ``key``."""

    key: str
    amount: int
    ttl: int


@dataclass(frozen=True)
class _Window:
    key: str
    limit: int
    reset_at: float
    ttl: int


class Budgets:
    """Budget counters and their 429s (the counting itself runs through the quotas' backend)."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix

    def window(self, tenant_id: str, budget: BudgetConfig, now: float | None = None) -> _Window:
        """The counter of the budget's current period."""
        now = time.time() if now is None else now
        stamp, _, end = period_bounds(budget.period, now)
        key = f"{self.prefix}:{{{tenant_id}}}:budget:{budget.period}:{stamp}"
        return _Window(key, nanos(budget.amount), end, int(end - now) + SLACK)

    def reservation(
        self, tenant_id: str, budget: BudgetConfig, amount: int
    ) -> tuple[Counter, Hold]:
        """The counter that reserves ``amount`` nanos (for :meth:`StateBackend.consume`) and
        the hold that settles it."""
        w = self.window(tenant_id, budget)
        counter = Counter(w.key, amount, w.limit, w.ttl, name="budget", reset_at=w.reset_at)
        return counter, Hold(w.key, amount, w.ttl)

    def status(self, tenant_id: str, budget: BudgetConfig, spent: int) -> dict[str, object]:
        """The budget's current period for ``/admin/usage`` (``spent`` includes what requests
        in flight have reserved)."""
        w = self.window(tenant_id, budget)
        return {
            "amount": budget.amount,
            "period": budget.period,
            "spent": spent / NANOS,
            "spent_nanos": spent,
            "left": max(0, w.limit - spent) / NANOS,
            "resets_at": datetime.fromtimestamp(w.reset_at, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        }

    @staticmethod
    def rejection(
        tenant_id: str, budget: BudgetConfig, counter: Counter, spent: int
    ) -> RateLimitError:
        """The 429 for a reservation that did not fit: what is left, when the budget resets."""
        now = time.time()
        wait = max(1.0, counter.reset_at - now)
        left = max(0, counter.limit - spent)
        resets = datetime.fromtimestamp(counter.reset_at, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        whole = counter.amount > counter.limit
        why = (
            "more than the whole budget"
            if whole
            else f"and {format_cost(left)} of it is left this {budget.period}"
        )
        err = RateLimitError(
            f"tenant {tenant_id!r} has a budget of {format_cost(counter.limit)} per "
            f"{budget.period}; this request may cost up to {format_cost(counter.amount)}, "
            f"{why}; the budget resets at {resets} (in {int(wait + 0.999)} s)",
            retry_after=wait,
            code="budget_exceeded",
            headers={
                "x-aigateway-budget-remaining": format_cost(left),
                "x-aigateway-budget-reset": resets,
            },
        )
        if whole:  # waiting cannot help this request
            err.headers["x-should-retry"] = "false"
        return err
