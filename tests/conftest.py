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

MINUTE_AHEAD = 8.0
"""Seconds of the current minute a ``minute_window`` test starts with at least, unless its
marker asks for more (``minute_window(20)``: a test that starts servers)."""


@pytest.fixture(autouse=True)
def _minute_window(request: pytest.FixtureRequest) -> None:
    """A test marked ``minute_window`` counts requests, pages or tokens against a per-minute
    limit, which the gateway counts in fixed calendar minutes (``tenancy/quotas.py``): run
    across a minute's end, its requests fall in two windows and the limit seems not to hold
    (``test_sentinel_serves_limits`` once saw four 200s against a limit of three on a loaded
    machine). Such a test starts with :data:`MINUTE_AHEAD` seconds of its minute left, or the
    seconds its marker names. The wait costs a test ahead**2 / 120 s on average, so in-process
    tests (well under a second each) ask for little and tests that start servers for more."""
    marker = request.node.get_closest_marker("minute_window")
    if marker is None:
        return
    ahead = float(marker.args[0]) if marker.args else MINUTE_AHEAD
    left = 60.0 - time.time() % 60.0
    if left < ahead:
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


@pytest.fixture
def batch_s3() -> Iterator[Any]:
    """An S3-compatible server (moto) with one bucket, for the batch replica tests."""
    from .support.s3_server import s3_server

    with s3_server() as server:
        yield server


@pytest.fixture
def batch_upstream() -> Iterator[Any]:
    """The OpenAI-compatible upstream the batch replica tests' lines call (model ``slow``,
    ``slow_delay`` seconds a line: set it in the test)."""
    from .support.batch_replicas import UPSTREAM_KEY
    from .support.upstreams.openai_fake import OpenAIFake

    fake = OpenAIFake("up", UPSTREAM_KEY).start()
    try:
        yield fake
    finally:
        fake.stop()


from .support.server import (  # noqa: E402,F401  (fixtures, shared by every module)
    gateway_server_factory,
    module_gateway_factory,
)

# Modules that read real-size pages through served OCR pools: each keeps both cores busy, so
# under ``pytest -n 3`` they run one after another on one worker while the other workers take
# the rest (mostly waiting on sockets, timers and child processes).
_OCR_HEAVY = ("test_engine_served", "test_served_robustness", "test_bench_ocr_served")


def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """Under ``--dist loadgroup``, the OCR-heavy modules form one unit of work; every other test
    is scheduled alone, as ``load`` does.

    Marking them ``xdist_group`` no longer groups anything: xdist tags a grouped test by
    rewriting its node id, which pytest 9.2's structured node ids ignore (pytest-xdist issue
    1386), so the modules ran side by side, three gateways' pools on two cores. Choosing the
    unit from the node id here needs no tag."""
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class _OcrGroup(LoadScopeScheduling):  # type: ignore[misc]
        def _split_scope(self, nodeid: str) -> str:
            module = nodeid.split("::", 1)[0].rsplit("/", 1)[-1]
            return "ocr" if module.startswith(_OCR_HEAVY) else nodeid

    return _OcrGroup(config, log)
