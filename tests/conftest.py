"""Shared fixtures: a real redis-server, served gateways and the echo provider's state.

Tests live in ``unit/`` (in process: no servers, no child processes), ``integration/``
(anything starting a process or a server: gateways, redis-server, loopback upstreams, the OCR
worker pool) and share helpers from ``support/`` (fake upstreams, documents, clients).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

MINUTE_AHEAD = 20.0
"""Seconds of the current minute a ``minute_window`` test starts with at least."""


@pytest.fixture(autouse=True)
def _minute_window(request: pytest.FixtureRequest) -> None:
    """A test marked ``minute_window`` counts requests, pages or tokens against a per-minute
    limit, which the gateway counts in fixed calendar minutes (``tenancy/quotas.py``): run
    across a minute's end, its requests fall in two windows and the limit seems not to hold
    (``test_sentinel_serves_limits`` once saw four 200s against a limit of three on a loaded
    machine). Such a test starts with :data:`MINUTE_AHEAD` seconds of its minute left."""
    if request.node.get_closest_marker("minute_window") is None:
        return
    left = 60.0 - time.time() % 60.0
    if left < MINUTE_AHEAD:
        time.sleep(left + 0.05)


@pytest.fixture
def echo_provider() -> Iterator[None]:
    """The echo provider's record of calls starts empty and without delay (``echo_app`` apps
    serve their ``provider = "echo"`` entities with it)."""
    from .support.echo import EchoOcrProvider

    EchoOcrProvider.calls.clear()
    EchoOcrProvider.delay = 0.0
    yield
    EchoOcrProvider.calls.clear()
    EchoOcrProvider.delay = 0.0


@pytest.fixture(scope="session")
def redis_session() -> Iterator[Any]:
    """One real redis-server for the test session."""
    from .support.redis_server import redis_server

    with redis_server() as server:
        yield server


@pytest.fixture
def redis_url(redis_session: Any) -> str:
    """The URL of a flushed, running redis-server."""
    if redis_session.proc is None:
        redis_session.start()
    redis_session.flush()
    return str(redis_session.url)


@pytest.fixture
def redis() -> Iterator[Any]:
    """A redis-server of the test's own (started; closed after it), for tests that stop,
    freeze or kill it."""
    from .support.redis_server import redis_server

    with redis_server() as server:
        yield server


@pytest.fixture(scope="module")
def mistral_openai() -> Iterator[tuple[Any, Any]]:
    """A loopback Mistral OCR upstream and an OpenAI-compatible one (model ``up``), per module."""
    from .support.upstreams.mistral import FakeMistral
    from .support.upstreams.openai_fake import OpenAIFake

    mistral, openai = FakeMistral().start(), OpenAIFake("up").start()
    try:
        yield mistral, openai
    finally:
        mistral.stop()
        openai.stop()


from .support.server import gateway_server_factory  # noqa: E402,F401  (a fixture, shared by every module)
