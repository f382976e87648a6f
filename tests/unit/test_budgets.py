"""Budgets on the in-process backend: periods, reservations that never overdraw, settles, 429s.

The same scripts over a real redis-server and two served replicas are in
``tests/integration/test_budget_server.py``.
"""

from __future__ import annotations

import asyncio
import calendar
from datetime import UTC, datetime
from typing import Any

import pytest

from aigateway.config import BudgetConfig, StateConfig, TenantLimits
from aigateway.errors import RateLimitError
from aigateway.tenancy.auth import Tenant
from aigateway.tenancy.budgets import period_bounds
from aigateway.tenancy.cost import NANOS
from aigateway.tenancy.quotas import Quotas
from aigateway.tenancy.state import MemoryBackend


def _ts(*args: int) -> float:
    return calendar.timegm(datetime(*args, tzinfo=UTC).timetuple())  # type: ignore[misc]


def test_periods_are_utc_days_and_months() -> None:
    assert period_bounds("day", _ts(2026, 12, 31, 23, 59, 59)) == (
        "2026-12-31",
        _ts(2026, 12, 31),
        _ts(2027, 1, 1),
    )
    assert period_bounds("month", _ts(2026, 12, 31, 12)) == (
        "2026-12",
        _ts(2026, 12, 1),
        _ts(2027, 1, 1),
    )
    assert period_bounds("month", _ts(2028, 2, 29, 12))[2] == _ts(2028, 3, 1)  # leap year


def _quotas() -> tuple[Quotas, MemoryBackend]:
    backend = MemoryBackend()
    return Quotas(backend, StateConfig(), None), backend


def _tenant(amount: float, **limits: Any) -> Tenant:
    return Tenant("acme", None, TenantLimits(**limits), BudgetConfig(amount=amount, period="day"))


async def test_concurrent_reservations_never_pass_the_budget() -> None:
    quotas, backend = _quotas()
    tenant = _tenant(0.05)  # 50,000,000 nanos
    cost = 3_000_000

    async def one() -> bool:
        admission = await quotas.admit(tenant)
        try:
            hold = await admission.reserve(cost)
        except RateLimitError:
            return False
        await asyncio.sleep(0.01)
        await admission.settle(hold, cost)
        return True

    results = await asyncio.gather(*(one() for _ in range(40)))
    assert results.count(True) == 16  # 16 x 3,000,000 <= 50,000,000 < 17 x 3,000,000
    window = quotas.budgets.window("acme", tenant.budget)  # type: ignore[arg-type]
    assert await backend.get(window.key) == 16 * cost


async def test_settle_moves_the_reservation_to_the_cost() -> None:
    quotas, backend = _quotas()
    tenant = _tenant(1.0)
    admission = await quotas.admit(tenant)
    key = quotas.budgets.window("acme", tenant.budget).key  # type: ignore[arg-type]
    hold = await admission.reserve(400_000_000)
    assert await backend.get(key) == 400_000_000
    await admission.settle(hold, 150_000_000)  # used less than reserved
    assert await backend.get(key) == 150_000_000
    hold = await admission.reserve(100_000_000)
    await admission.settle(hold, 0)  # failed: all of it back
    assert await backend.get(key) == 150_000_000
    assert await admission.reserve(0) is None  # nothing priced: the budget is not touched


async def test_over_budget_is_a_429_saying_what_is_left_and_when_it_resets() -> None:
    quotas, _ = _quotas()
    tenant = _tenant(0.01)
    admission = await quotas.admit(tenant)
    await admission.settle(await admission.reserve(7_000_000), 7_000_000)
    with pytest.raises(RateLimitError) as err:
        await admission.reserve(5_000_000)
    exc = err.value
    assert exc.status_code == 429
    assert exc.code == "budget_exceeded"
    assert "0.003 of it is left this day" in exc.message
    assert "may cost up to 0.005" in exc.message
    _, _, end = period_bounds("day", datetime.now(UTC).timestamp())
    reset = datetime.fromtimestamp(end, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert f"resets at {reset}" in exc.message
    assert exc.headers["x-aigateway-budget-remaining"] == "0.003"
    assert exc.headers["x-aigateway-budget-reset"] == reset
    assert 1 <= int(exc.headers["Retry-After"]) <= 86_400
    assert "x-should-retry" not in exc.headers
    with pytest.raises(RateLimitError) as whole:
        await admission.reserve(2 * NANOS)  # more than the whole budget: waiting cannot help
    assert "more than the whole budget" in whole.value.message
    assert whole.value.headers["x-should-retry"] == "false"


@pytest.mark.minute_window
async def test_pages_and_budget_are_taken_all_or_nothing() -> None:
    quotas, backend = _quotas()
    tenant = _tenant(0.01, pages_per_minute=100)
    admission = await quotas.admit(tenant)
    budget_key = quotas.budgets.window("acme", tenant.budget).key  # type: ignore[arg-type]
    with pytest.raises(RateLimitError) as err:
        await admission.charge_pages(10, 20_000_000)  # pages fit, the budget does not
    assert err.value.code == "budget_exceeded"
    assert await backend.get(budget_key) == 0
    pages_key = quotas._windowed(tenant, "pages_per_minute", 60, 0, 100).key
    assert await backend.get(pages_key) == 0  # the pages were not taken either
    hold = await admission.charge_pages(10, 5_000_000)
    assert await backend.get(pages_key) == 10
    assert await backend.get(budget_key) == 5_000_000
    await admission.settle(hold, 5_000_000)


async def test_a_tenant_without_budget_reserves_nothing() -> None:
    quotas, _ = _quotas()
    admission = await quotas.admit(Tenant("free"))
    assert not admission.budgeted
    assert await admission.reserve(10**15) is None


async def test_budget_wait_says_how_long_an_exhausted_budget_takes_to_reset() -> None:
    quotas, _ = _quotas()
    tenant = _tenant(0.01)
    assert await quotas.budget_wait(tenant) is None
    assert await quotas.budget_wait(Tenant("free")) is None
    admission = await quotas.admit(tenant)
    await admission.settle(await admission.reserve(10_000_000), 10_000_000)
    wait = await quotas.budget_wait(tenant)
    assert wait is not None and 1.0 <= wait <= 86_400
