"""Values an upstream chooses are bounded before they reach callers, quotas or ``/metrics``."""

from __future__ import annotations

import pytest

from aigateway.chat.protocol import read_usage
from aigateway.errors import GATEWAY_CODES, bounded_code, bounded_param
from aigateway.http.metrics import MAX_OTHER_CODES, Metrics
from aigateway.upstream.errors import MAX_RETRY_AFTER, error_for_status, retry_after


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("context_length_exceeded", "context_length_exceeded"),
        (1500, "1500"),
        ("1500", "1500"),
        ("c" * 64, "c" * 64),
        ("c" * 65, None),
        ("two words", None),
        ("line\nbreak", None),
        ("<script>", None),
        (10**70, None),
        (True, None),
        ({"nested": 1}, None),
        (None, None),
    ],
)
def test_bounded_code(value: object, expected: str | None) -> None:
    assert bounded_code(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("messages", "messages"),
        ("messages[0].content", "messages[0].content"),
        ("p" * 65, None),
        ("a b", None),
        (3, None),
    ],
)
def test_bounded_param(value: object, expected: str | None) -> None:
    assert bounded_param(value) == expected


@pytest.mark.parametrize("header", ["1e400", "-1e400", "nan", "inf", "99999999"])
def test_retry_after_is_finite_and_at_most_an_hour(header: str) -> None:
    for name in ("retry-after", "retry-after-ms"):
        seconds = retry_after({name: header}, 1.0)
        assert 0.0 <= seconds <= MAX_RETRY_AFTER
    exc = error_for_status("up", 429, {"retry-after": header}, b"{}", ())
    assert 1 <= int(exc.headers["Retry-After"]) <= int(MAX_RETRY_AFTER)


def test_retry_after_from_a_far_http_date_is_bounded() -> None:
    assert retry_after({"retry-after": "Fri, 31 Dec 9999 23:59:59 GMT"}) == MAX_RETRY_AFTER


@pytest.mark.parametrize(
    "body",
    [
        b'{"usage": {"prompt_tokens": -5}}',
        b'{"usage": {"completion_tokens": 9999999999999}}',
        b'{"usage": {"total_tokens": 99999999999999999999999}}',
    ],
)
def test_negative_or_absurd_token_counts_are_not_counted(body: bytes) -> None:
    assert read_usage(body) is None


def test_error_code_labels_are_a_bounded_set() -> None:
    metrics = Metrics()
    for i in range(500):
        fields = {"route": "r", "entity": "e", "tenant": "t", "error": f"code_{i}"}
        metrics.record_request(fields, 400, 0.01)
    for code in sorted(GATEWAY_CODES):
        metrics.record_request({"error": code}, 400, 0.01)
    text = metrics.render()
    labels = {
        line.split('code="', 1)[1].split('"', 1)[0]
        for line in text.splitlines()
        if line.startswith("aigw_errors_total{")
    }
    assert labels <= GATEWAY_CODES | {f"code_{i}" for i in range(MAX_OTHER_CODES)} | {"other"}
    assert "other" in labels
    assert labels >= GATEWAY_CODES
