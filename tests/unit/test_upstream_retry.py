"""The one retry policy (``aigateway.upstream.retry``): which failures are tried again on the
same entity, and how long the gateway waits first."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from aigateway.errors import (
    BadRequestError,
    RateLimitError,
    ServiceUnavailableError,
    UpstreamTimeoutError,
)
from aigateway.upstream.retry import MAX_BACKOFF, backoff, do_not_retry, not_here, retry_again


def test_a_retryable_failure_is_tried_again_until_the_retries_are_spent() -> None:
    exc = UpstreamTimeoutError("slow")
    assert retry_again(exc, 0, 2) and retry_again(exc, 1, 2)
    assert not retry_again(exc, 2, 2)
    assert not retry_again(BadRequestError("bad", param="x"), 0, 2)  # the caller's fault


def test_a_deterministic_failure_is_not_tried_again() -> None:
    # The local engine's page timeout: the same page takes as long again.
    exc = do_not_retry(UpstreamTimeoutError("took longer than 300 s on one page"))
    assert exc.headers["x-should-retry"] == "false"
    assert not retry_again(exc, 0, 3)


def test_a_stopping_pool_is_not_retried_here_but_the_caller_may_retry() -> None:
    # A local OCR pool draining for shutdown: another replica will take the call.
    exc = not_here(ServiceUnavailableError("the OCR engine stopped", retry_after=1))
    assert not retry_again(exc, 0, 3)
    assert "x-should-retry" not in exc.headers
    assert retry_again(ServiceUnavailableError("busy", retry_after=1), 0, 3)


def test_a_wait_longer_than_the_backoff_is_not_waited_out_on_the_same_entity() -> None:
    # The local OCR queue, full, asks for minutes: a retry four seconds later fails alike.
    assert not retry_again(ServiceUnavailableError("queue full", retry_after=360), 0, 3)
    assert not retry_again(RateLimitError("slow down", retry_after=MAX_BACKOFF + 1), 0, 3)
    assert retry_again(RateLimitError("slow down", retry_after=MAX_BACKOFF), 0, 3)


@given(attempt=st.integers(0, 50), wait=st.floats(0, 3600))
def test_backoff_honours_retry_after_within_the_cap(attempt: int, wait: float) -> None:
    delay = backoff(attempt, RateLimitError("slow down", retry_after=wait))
    assert min(wait, MAX_BACKOFF) <= delay <= MAX_BACKOFF
