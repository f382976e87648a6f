"""Cost arithmetic: prices read exactly, costs in whole nanos, headers that add up."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aigateway.config import ChatModelConfig, ModelPrice, OcrModelConfig, parse_config
from aigateway.errors import ConfigError
from aigateway.tenancy.cost import (
    NANOS,
    chat_price,
    estimate_input_tokens,
    format_cost,
    nanos,
    ocr_cost,
)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0, "0"),
        (1, "0.000000001"),
        (450_000, "0.00045"),
        (NANOS, "1"),
        (12 * NANOS + 5 * 10**8, "12.5"),
        (-3 * 10**8, "-0.3"),
    ],
)
def test_format_cost(value: int, text: str) -> None:
    assert format_cost(value) == text


@given(st.lists(st.integers(min_value=0, max_value=10**15), max_size=50))
def test_formatted_costs_add_up_exactly(values: list[int]) -> None:
    # The check a client runs: the sum of the x-aigateway-cost headers is the usage total.
    total = sum((Decimal(format_cost(v)) for v in values), Decimal(0))
    assert total == Decimal(sum(values)) / NANOS
    assert Decimal(format_cost(sum(values))) == total


def test_prices_are_read_as_their_decimal_spelling() -> None:
    # 0.1 is not 0.1000000000000000055… here, and a billion tokens at 1e-6 cost exactly 1000.
    assert nanos(0.1) == 100_000_000
    chat = ChatModelConfig(id="c", base_url="http://x", input_cost_per_token=1e-6)
    assert chat_price(chat, "m").cost(10**9, 0) == 1000 * NANOS
    cheap = ChatModelConfig(id="c", base_url="http://x", input_cost_per_token=2e-8)
    assert chat_price(cheap, "m").cost(3, 0) == 60


def test_per_model_prices_win_over_the_entity_prices() -> None:
    chat = ChatModelConfig(
        id="c",
        base_url="http://x",
        input_cost_per_token=1e-6,
        output_cost_per_token=2e-6,
        prices={"big": ModelPrice(input_cost_per_token=5e-6, output_cost_per_token=1.5e-5)},
    )
    assert chat_price(chat, "small").cost(100, 10) == 100 * 1000 + 10 * 2000
    assert chat_price(chat, "big").cost(100, 10) == 100 * 5000 + 10 * 15000


def test_ocr_annotated_pages_cost_the_annotation_price_instead() -> None:
    ocr = OcrModelConfig(
        id="m", provider="mistral", cost_per_page=0.001, cost_per_annotation_page=0.003
    )
    assert ocr_cost(ocr, 5, 0) == 5 * 1_000_000
    assert ocr_cost(ocr, 5, 5) == 5 * 3_000_000
    assert ocr_cost(ocr, 5, 2) == 3 * 1_000_000 + 2 * 3_000_000
    assert ocr_cost(ocr, 5, 9) == 5 * 3_000_000  # never more annotated pages than pages
    plain = OcrModelConfig(id="l", provider="local", cost_per_page=0.002)
    assert ocr_cost(plain, 4, 4) == 4 * 2_000_000  # no annotation price: the page price
    free = OcrModelConfig(id="f", provider="local")
    assert ocr_cost(free, 1000, 0) == 0


def test_input_estimate_bounds_text_by_its_bytes() -> None:
    body = b'{"model":"m","messages":[{"role":"user","content":"h\\u00e9llo w\xc3\xb6rld"}]}'
    assert estimate_input_tokens(body) == len(body)
    b64 = b"A" * 4000
    image = (
        b'{"messages":[{"content":[{"image_url":{"url":"data:image/png;base64,' + b64 + b'"}}]}]}'
    )
    # Inline media counts one token per four base64 characters.
    assert estimate_input_tokens(image) == len(image) - 4000 + 1000


@given(st.text(max_size=300))
def test_input_estimate_is_at_least_one_token_per_utf8_byte_of_text(text: str) -> None:
    import json

    body = json.dumps({"model": "m", "messages": [{"role": "user", "content": text}]}).encode()
    assert estimate_input_tokens(body) >= len(text.encode("utf-8", "surrogatepass"))


@pytest.mark.parametrize(
    ("toml", "where"),
    [
        ('[[ocr_models]]\nid = "a"\nprovider = "local"\ncost_per_page = -1.0', "cost_per_page"),
        (
            '[[ocr_models]]\nid = "a"\nprovider = "local"\ncost_per_annotation_page = nan',
            "cost_per_annotation_page",
        ),
        (
            '[[chat_models]]\nid = "c"\nbase_url = "http://x"\n'
            "prices = { m = { output_cost_per_token = inf } }",
            "prices.m.output_cost_per_token",
        ),
        (
            '[[chat_models]]\nid = "c"\nbase_url = "http://x"\nreserve_output_tokens = -1',
            "reserve_output_tokens",
        ),
        (
            '[[tenants]]\nid = "t"\napi_keys = ["k" ]\nbudget = { amount = -5.0 }',
            "budget.amount",
        ),
        (
            '[[tenants]]\nid = "t"\napi_keys = ["k"]\nbudget = { amount = 1.0, period = "week" }',
            "period",
        ),
        ("[cache]\nttl = 0", "cache.ttl"),
        ('[cache]\nbackend = "tape"', "cache.backend"),
    ],
)
def test_bad_prices_budgets_and_cache_keys_name_their_path(toml: str, where: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_config(toml)
    assert where in str(err.value)


def test_metrics_render_counters_in_full() -> None:
    from aigateway.http.metrics import Metrics

    m = Metrics()
    m.record_request(
        {"tenant": "t", "entity": "e", "cost_nanos": 12_345_678_901, "bytes_out": 1_234_567},
        200,
        0.01,
    )
    text = m.render()
    assert 'aigw_cost_total{tenant="t",entity="e"} 12.345678901' in text
    assert 'aigw_bytes_total{tenant="t",entity="e"} 1234567' in text  # not 1.23457e+06
