"""A lock held as a lease: taken for a short time, renewed while its work runs, given back after.

A replica finalizing a batch job holds the job's lock. Taken once for a long time, the lock had
to outlast the slowest finalization (thousands of lines, their files written to S3), so a
replica killed in the middle kept every other replica from finishing the job for that long;
and a finalization slower still would have lost the lock while it ran, and a second replica
would have written the same files while the first purged the results under it. A lease is
short and renewed: it ends at most :data:`LEASE` seconds after its holder dies, however long
the work takes while the holder lives; a holder that can no longer renew it stops its work.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

__all__ = ("LEASE", "LeaseLost", "hold")

LEASE = 15.0
"""Seconds a lease lives unless renewed: how long a dead holder keeps others waiting."""

RENEWALS = 3
"""Renewals a lease gets over one :data:`LEASE` (every 5 s): two can fail (a slow or
briefly unreachable store) before it runs out."""

T = TypeVar("T")


class LeaseLost(Exception):
    """The lease ended while its work ran (the store unreachable for a whole :data:`LEASE`, or
    the lock expired or taken by another holder): the work was cancelled."""


async def hold(
    renew: Callable[[float], Awaitable[bool]],
    work: Coroutine[Any, Any, T],
    lease: float = LEASE,
) -> T:
    """Run ``work`` while renewing a lease already taken for ``lease`` seconds.

    ``renew(lease)`` extends it and returns False when it is no longer this holder's. Raises
    :class:`LeaseLost` (after cancelling ``work``) when renewal says so, or when it has failed
    with errors until the lease has run out. Cancelling the caller cancels ``work`` too.
    """
    task = asyncio.ensure_future(work)
    lost = False

    async def keep() -> None:
        nonlocal lost
        until = time.monotonic() + lease
        while True:
            await asyncio.sleep(lease / RENEWALS)
            try:
                if not await renew(lease):
                    break
                until = time.monotonic() + lease
            except Exception:
                # The store did not answer: the lease still runs until ``until``; retried.
                if time.monotonic() >= until:
                    break
        lost = True
        task.cancel()

    keeper = asyncio.create_task(keep())
    try:
        return await task
    except asyncio.CancelledError:
        current = asyncio.current_task()
        if lost and (current is None or not current.cancelling()):
            raise LeaseLost from None
        raise
    finally:
        keeper.cancel()
        task.cancel()  # if the caller was cancelled first: a no-op once ``work`` is done
