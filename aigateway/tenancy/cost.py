"""What a request costs: prices from the config, cost from what was used, in exact integers.

Costs are counted in **nanos**, billionths of the currency the prices are written in: integers
add up exactly in Redis hashes and counters (``HINCRBY``/``INCRBY``) on every replica, where
floats would drift. A price of ``2.5e-6`` per token is 2,500 nanos per token; a request's cost
is rounded to a whole nano once, from the exact product of its counts and its prices (the config
float is read through its shortest decimal spelling, so ``0.1`` is one tenth, not
0.1000000000000000055…).

* **OCR**: pages processed at ``cost_per_page``; the pages of a request that asked for
  annotations (``document_annotation_format`` or ``bbox_annotation_format``) at
  ``cost_per_annotation_page`` instead. Which pages were annotated comes from the upstream when
  it says (Mistral's ``usage_info.pages_processed_annotation``), else every page of such a
  request is.
* **Chat and embeddings**: prompt tokens at ``input_cost_per_token`` and completion tokens at
  ``output_cost_per_token``, from the upstream's ``usage`` (per upstream model with
  ``prices``).

Budgets reserve a request's worst case before it runs (its counted pages at the highest page
price of the entities that may answer; :func:`estimate_input_tokens` plus the completion tokens
it allows at the highest token prices) and settle to its cost afterwards (:mod:`.budgets`).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from ..config import ChatModelConfig, OcrModelConfig

__all__ = (
    "NANOS",
    "TokenPrice",
    "chat_cost",
    "chat_price",
    "estimate_input_tokens",
    "format_cost",
    "nanos",
    "ocr_cost",
    "page_price",
)

NANOS = 10**9
"""Nanos in one unit of currency."""

_NO_PRICE = Decimal(0)


def _per_unit(price: float | None) -> Decimal:
    """A config price as exact nanos per unit (``repr`` is the shortest spelling of the float)."""
    return Decimal(repr(price)) * NANOS if price else _NO_PRICE


def nanos(amount: float) -> int:
    """An amount of currency (a budget) in whole nanos."""
    return int((Decimal(repr(amount)) * NANOS).to_integral_value(ROUND_HALF_UP))


def _round(value: Decimal) -> int:
    return int(value.to_integral_value(ROUND_HALF_UP))


def format_cost(value: int) -> str:
    """Nanos as a plain decimal string: ``450000`` -> ``"0.00045"``, ``0`` -> ``"0"``.

    Exact (no float on the way), so the ``x-aigateway-cost`` headers of many requests add up
    to the total in ``/admin/usage`` to the last digit.
    """
    sign = "-" if value < 0 else ""
    whole, frac = divmod(abs(value), NANOS)
    text = f"{whole}.{frac:09d}".rstrip("0").rstrip(".")
    return sign + text


# --- OCR -------------------------------------------------------------------------------------


def page_price(entity: OcrModelConfig, annotated: bool) -> Decimal:
    """Nanos of one page of ``entity`` (annotated or not)."""
    if annotated and entity.cost_per_annotation_page is not None:
        return _per_unit(entity.cost_per_annotation_page)
    return _per_unit(entity.cost_per_page)


def ocr_cost(entity: OcrModelConfig, pages: int, annotated_pages: int) -> int:
    """Nanos of ``pages`` processed by ``entity``, ``annotated_pages`` of them annotated."""
    annotated_pages = max(0, min(annotated_pages, pages))
    plain = pages - annotated_pages
    return _round(plain * page_price(entity, False) + annotated_pages * page_price(entity, True))


# --- chat and embeddings ---------------------------------------------------------------------


@dataclass(frozen=True)
class TokenPrice:
    """Nanos per input and per output token of one upstream model."""

    input: Decimal = _NO_PRICE
    output: Decimal = _NO_PRICE

    def cost(self, tokens_in: int, tokens_out: int) -> int:
        """Nanos of ``tokens_in`` prompt and ``tokens_out`` completion tokens."""
        return _round(tokens_in * self.input + tokens_out * self.output)

    def max(self, other: TokenPrice) -> TokenPrice:
        """The higher of each price (a reservation covers whichever entity answers)."""
        return TokenPrice(max(self.input, other.input), max(self.output, other.output))


def chat_price(entity: ChatModelConfig, upstream_model: str) -> TokenPrice:
    """The token prices of ``upstream_model`` on ``entity`` (its own row of ``prices``, else the
    entity's prices)."""
    row = entity.prices.get(upstream_model)
    if row is not None:
        return TokenPrice(_per_unit(row.input_cost_per_token), _per_unit(row.output_cost_per_token))
    return TokenPrice(
        _per_unit(entity.input_cost_per_token), _per_unit(entity.output_cost_per_token)
    )


def chat_cost(price: TokenPrice, tokens_in: int, tokens_out: int) -> int:
    """Nanos of one answer's tokens at ``price``."""
    return price.cost(tokens_in, tokens_out)


# Inline media: base64 after a data URI's ``;base64,`` (images, PDFs in chat content parts).
_INLINE = re.compile(rb";base64,([A-Za-z0-9+/=_-]+)")


def estimate_input_tokens(body: bytes) -> int:
    """An upper bound of the prompt tokens of a chat/embeddings body, for budget reservations.

    Text: its bytes (a byte-level BPE token is at least one byte of UTF-8, and the JSON around
    each message outweighs the few tokens its framing costs). Inline base64 media: one token per
    four characters; image tokens are priced by tiles, far fewer than that, so this stays a
    generous bound.
    """
    if b";base64," not in body:
        return len(body)
    tokens = len(body)
    for m in _INLINE.finditer(body):
        n = m.end(1) - m.start(1)
        tokens += math.ceil(n / 4) - n
    return tokens
