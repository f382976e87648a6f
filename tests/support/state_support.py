"""Helpers for the served shared-state tests: a gateway config over fake upstreams and Redis,
held-open streams (requests in flight), and the "full capacity, limits enforced" probe."""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import structlog

from aigateway.tenancy.auth import hash_key

from .server import GatewayProcess
from .upstreams.mistral import FakeMistral
from .upstreams.openai_fake import OpenAIFake
from .upstreams.server import Recorded, Reply

UPSTREAM_KEY = "sk-upstream-secret-123"
MISTRAL_KEY = "sk-mistral-test"
ADMIN = "admin-key-for-usage-0001"
Start = Callable[..., GatewayProcess]
"""The type of the ``gateway_server_factory`` fixture."""

KEYS = {"acme": "sk-acme-tenant-0001", "pages": "sk-pages-tenant-0001", "rpm": "sk-rpm-0001"}


class SlowMistral(FakeMistral):
    """The Mistral OCR fake, answering after ``delay`` seconds (a long OCR job)."""

    delay = 0.0

    async def handle(self, req: Recorded) -> Reply:
        if self.delay:
            await asyncio.sleep(self.delay)
        return await super().handle(req)


def gateway_config(
    state: str,
    openai: OpenAIFake,
    mistral: FakeMistral | None = None,
    *,
    limits: dict[str, str] | None = None,
) -> str:
    """A gateway over the fakes; ``state`` is the body of ``[state]``; ``limits`` maps tenant
    id (a key of :data:`KEYS`) to its inline limits table."""
    limits = limits or {"acme": "max_concurrent = 2"}
    tenants = "".join(
        f'\n[[tenants]]\nid = "{t}"\napi_keys = ["{hash_key(KEYS[t])}"]\nlimits = {{ {lim} }}\n'
        for t, lim in limits.items()
    )
    ocr = ""
    refs = "[]"
    if mistral is not None:
        ocr = f"""
[[ocr_models]]
id = "mistral"
provider = "mistral"
base_url = "{mistral.url}"
api_key = "{MISTRAL_KEY}"
model = "mistral-ocr-latest"
timeout = 60
"""
        refs = '["mistral"]'
    return f"""admin_key = "{hash_key(ADMIN)}"

[server]
sse_ping_interval = 0.5
{ocr}
[[chat_models]]
id = "primary"
base_url = "{openai.url}/v1"
api_key = "{UPSTREAM_KEY}"
models = ["gpt-test", "gated", "slow"]
timeout = 60

[[routes]]
path = "/"
ocr_model_refs = {refs}
chat_model_refs = ["primary"]

[state]
{state}
{tenants}"""


def auth(tenant: str = "acme") -> dict[str, str]:
    return {"authorization": f"Bearer {KEYS[tenant]}"}


def chat(model: str = "gpt-test", stream: bool = False) -> dict[str, Any]:
    body: dict[str, Any] = {"model": model, "messages": [{"role": "user", "content": "hello"}]}
    if stream:
        body["stream"] = True
    return body


@contextlib.contextmanager
def held_streams(gw: GatewayProcess, n: int, tenant: str = "acme") -> Iterator[list[int]]:
    """Open ``n`` streams of the ``gated`` model (each in flight until the fake's gate opens or
    the block exits, which disconnects the client); yields their statuses."""
    with contextlib.ExitStack() as stack:
        statuses = []
        # Keep each iterator alive: dropping one would close its connection at once.
        iterators = []
        for _ in range(n):
            client = stack.enter_context(httpx.Client(timeout=30))
            r = stack.enter_context(
                client.stream(
                    "POST",
                    gw.url + "/v1/chat/completions",
                    json=chat("gated", stream=True),
                    headers=auth(tenant),
                )
            )
            statuses.append(r.status_code)
            if r.status_code == 200:
                iterators.append(r.iter_raw())
                next(iterators[-1])
            else:
                r.read()
        yield statuses


def full_capacity(gw: GatewayProcess, limit: int, tenant: str = "acme") -> bool:
    """True when ``limit`` requests can be in flight at once and one more is refused with 429:
    the tenant has all its slots and the limit is enforced (not failing open)."""
    with held_streams(gw, limit, tenant) as statuses:
        if statuses != [200] * limit:
            return False
        extra = httpx.post(
            gw.url + "/v1/chat/completions", json=chat(), headers=auth(tenant), timeout=30
        )
        return extra.status_code == 429 and extra.json()["error"]["code"] == (
            "concurrency_limit_exceeded"
        )


def wait_for(condition: Any, limit: float, step: float = 0.2) -> float:
    """Poll ``condition()`` until true; the seconds it took (raises after ``limit``)."""
    start = time.monotonic()
    while True:
        if condition():
            return time.monotonic() - start
        if time.monotonic() - start > limit:
            raise AssertionError(f"not true within {limit} s")
        time.sleep(step)


def events(gw: GatewayProcess, name: str) -> int:
    """How many log lines of ``gw`` are the event ``name``."""
    return gw.log().count(f'"event":"{name}"')


class LogLines:
    """A structlog logger writing JSON lines into memory."""

    def __init__(self) -> None:
        self.buffer = io.StringIO()
        self.logger = structlog.wrap_logger(
            structlog.PrintLogger(self.buffer),
            processors=[structlog.processors.JSONRenderer()],
        )

    def events(self) -> list[str]:
        return [json.loads(line)["event"] for line in self.buffer.getvalue().splitlines()]
