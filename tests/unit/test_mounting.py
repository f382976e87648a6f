"""The gateway mounted inside another ASGI app: errors name the path the client asked for.

Hosts pass the mount prefix differently (Starlette keeps the full ``path`` and sets
``root_path``; Litestar's mounts strip it and keep ``raw_path``), and the 404 message once said
``/ai/ai/nope``. Both hosts are built as README's "Embedding" section builds them.
"""

from __future__ import annotations

from typing import Any

import pytest
from litestar import Litestar, asgi
from litestar.testing import AsyncTestClient
from litestar.types import Receive, Scope, Send
from starlette.applications import Starlette
from starlette.routing import Mount

from aigateway import create_app, parse_config
from aigateway.server.app import requested_path

CONFIG = """
[[ocr_models]]
id = "m"
provider = "mistral"
base_url = "http://127.0.0.1:9"
api_key = "unused"

[[routes]]
path = "/"
ocr_model_refs = ["m"]
"""


def _litestar_host(gateway: Any) -> Litestar:
    @asgi("/ai", is_mount=True, copy_scope=True)
    async def ai(scope: Scope, receive: Receive, send: Send) -> None:
        await gateway(scope, receive, send)

    return Litestar(route_handlers=[ai])


@pytest.mark.parametrize("host", ["starlette", "litestar"])
async def test_errors_under_a_prefix_name_the_requested_path(host: str) -> None:
    gateway = create_app(parse_config(CONFIG))
    app: Any = (
        Starlette(routes=[Mount("/ai", app=gateway)])
        if host == "starlette"
        else _litestar_host(gateway)
    )
    async with AsyncTestClient(app) as client:
        missing = await client.get("/ai/nope")
        wrong_method = await client.delete("/ai/v1/ocr")
        health = await client.get("/ai/healthz")
    await gateway.state.runtime.aclose()
    assert health.status_code == 200
    assert missing.status_code == 404
    assert missing.json()["error"]["message"] == "no such endpoint: GET /ai/nope"
    assert wrong_method.status_code == 405
    assert wrong_method.json()["error"]["message"].endswith("not allowed on /ai/v1/ocr")


@pytest.mark.parametrize(
    ("scope", "path"),
    [
        ({"path": "/ai/x", "root_path": "/ai"}, "/ai/x"),  # Starlette >= 0.35
        ({"path": "/x", "root_path": "/ai"}, "/ai/x"),  # ASGI servers with --root-path
        ({"path": "/x", "root_path": ""}, "/x"),
        ({"path": "/ai", "root_path": "/ai"}, "/ai"),
        ({"path": "/aix", "root_path": "/ai"}, "/ai/aix"),
        ({"path": "/x/", "raw_path": b"/ai/x"}, "/ai/x"),  # Litestar mounts
    ],
)
def test_requested_path(scope: dict[str, Any], path: str) -> None:
    assert requested_path(scope) == path
