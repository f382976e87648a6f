"""What a chat or embeddings call reserves from a tenant's budget, and what it costs.

The worst case is reserved before the call: the body's
:func:`~aigateway.tenancy.cost.estimate_input_tokens` as prompt tokens, plus the completion
tokens the request allows (``max_completion_tokens`` or ``max_tokens`` times ``n``; the
entities' ``reserve_output_tokens`` when it sets no maximum; none for embeddings), at the highest
prices of the entities that may answer. The call settles the reservation to its cost when its
answer (or stream) ends, or gives it back when it fails. An answer whose upstream reports no
usage costs what was reserved for it, so an upstream that reports nothing is not free.
"""

from __future__ import annotations

from dataclasses import dataclass

import anyio

from ..tenancy.admission import Admission
from ..tenancy.budgets import Hold
from ..tenancy.cost import TokenPrice, estimate_input_tokens
from .protocol import PassThroughBody, Usage

__all__ = ("Bill", "reserve")


@dataclass
class Bill:
    """A call's reservation: the tokens it may use, and its hold on the budget."""

    tokens_in: int
    tokens_out: int
    hold: Hold | None = None

    def cost(self, price: TokenPrice, usage: Usage | None) -> int:
        """Nanos of the answer: its usage at ``price``, or what was reserved without one."""
        if usage is None:
            return price.cost(self.tokens_in, self.tokens_out)
        return price.cost(usage.prompt_tokens, usage.completion_tokens)

    async def settle(self, admission: Admission | None, cost: int) -> None:
        """Settle the hold to ``cost`` nanos, once (0 gives it back; never raises)."""
        hold, self.hold = self.hold, None
        if admission is not None and hold is not None:
            # Shielded: this runs while a client's disconnect cancels the call.
            with anyio.CancelScope(shield=True):
                await admission.settle(hold, cost)


async def reserve(
    admission: Admission | None,
    body: PassThroughBody,
    prices: list[TokenPrice],
    default_output: int,
    *,
    completions: bool,
) -> Bill:
    """The call's worst case, reserved from the tenant's budget when it has one (429
    ``budget_exceeded`` when it does not fit)."""
    outputs = 0
    if completions:
        allowed = body.output_allowance()
        outputs = allowed if allowed is not None else default_output
    bill = Bill(estimate_input_tokens(body.raw) if body.raw else body.size, outputs)
    if admission is not None and admission.budgeted:
        price = TokenPrice()
        for p in prices:
            price = price.max(p)
        bill.hold = await admission.reserve(price.cost(bill.tokens_in, bill.tokens_out))
    return bill
