"""Shared fixtures: configs, in-process apps and the echo provider."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from aigateway import registry
from aigateway.config import Settings, parse_config

ECHO_CONFIG = """
[limits]
max_size_upload = 65536

[[ocr_models]]
id = "echo"
provider = "alphaedge"

[[ocr_models]]
id = "echo2"
provider = "alphaedge"
model = "second-model"

[[routes]]
path = "/"
plugin = "openai_compat"
ocr_model_refs = ["echo", "echo2"]

[[routes]]
path = "/scan"
plugin = "ocr"
refs = ["echo2"]
max_size_upload = 1024
"""


@pytest.fixture
def echo_provider(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every `alphaedge` entity is served by the echo provider for the test."""
    from .echo_provider import EchoOcrProvider

    monkeypatch.setitem(registry.OCR_PROVIDERS, "alphaedge", "tests.echo_provider:EchoOcrProvider")
    EchoOcrProvider.calls.clear()
    EchoOcrProvider.delay = 0.0
    yield
    EchoOcrProvider.calls.clear()
    EchoOcrProvider.delay = 0.0


def echo_settings(extra: str = "", top: str = "", **env: Any) -> Settings:
    """The echo config plus ``extra`` TOML tables (``top``: top-level keys, before tables)."""
    return parse_config(top + ECHO_CONFIG + extra, env={k: str(v) for k, v in env.items()})


@pytest.fixture(scope="session")
def redis_session() -> Iterator[Any]:
    """One real redis-server for the test session."""
    from .redis_server import redis_server

    with redis_server() as server:
        yield server


@pytest.fixture
def redis_url(redis_session: Any) -> str:
    """The URL of a flushed, running redis-server."""
    if redis_session.proc is None:
        redis_session.start()
    redis_session.flush()
    return str(redis_session.url)


from .server import gateway_server_factory  # noqa: E402,F401  (a fixture, shared by every module)
