"""Operations endpoints, usage accounting, metrics, and secrets staying out of logs."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from aigateway.tenancy.auth import hash_key

from ..support.docgen import text_pdf
from ..support.echo import echo_app, echo_settings

pytestmark = pytest.mark.usefixtures("echo_provider")

KEY = "ops-tenant-secret-123"
ADMIN = "admin-secret-456"
PDF = {"document_base64": base64.b64encode(text_pdf(["a", "b", "c"])).decode()}


TOP = f'admin_key = "{hash_key(ADMIN)}"\n'


def config(state: str = "") -> str:
    return f"""
{state}
[[tenants]]
id = "ops"
api_keys = ["{hash_key(KEY)}"]
"""


async def test_health_and_readiness() -> None:
    async with AsyncTestClient(echo_app(echo_settings())) as c:
        assert (await c.get("/healthz")).json() == {"status": "ok"}
        ready = await c.get("/readyz")
        assert ready.status_code == 200
        assert ready.json()["checks"]["state"]["reachable"] is True


@pytest.mark.parametrize("fail_open", [True, False])
async def test_readyz_tells_degraded_from_not_serving(
    redis_session: Any, redis_url: str, fail_open: bool
) -> None:
    state = (
        f'[state]\nbackend = "redis"\nurl = "{redis_url}"\nfail_open = {str(fail_open).lower()}\n'
    )
    async with AsyncTestClient(echo_app(echo_settings(config(state), TOP))) as c:
        up = await c.get("/readyz")
        assert up.status_code == 200
        assert up.json()["status"] == "ready"
        assert up.json()["reasons"] == []
        assert up.json()["checks"]["state"]["limits"] == "enforced"
        redis_session.stop()
        try:
            down = await c.get("/readyz")
            check = down.json()["checks"]["state"]
            assert check["reachable"] is False
            assert check["target"] == redis_url  # where it looks, never a password
            if fail_open:  # serving without limits: a load balancer must keep this replica
                assert down.status_code == 200
                assert down.json()["status"] == "degraded"
                assert check["limits"] == "off"
                assert "serving without tenant limits" in down.json()["reasons"][0]
            else:
                assert down.status_code == 503
                assert down.json()["status"] == "not ready"
                assert check["limits"] == "refusing"
                assert "503" in down.json()["reasons"][0]
        finally:
            redis_session.start()


async def test_usage_metrics_and_admin(capsys: pytest.CaptureFixture[str]) -> None:
    app = echo_app(echo_settings(config(), TOP))
    auth = {"authorization": f"Bearer {KEY}"}
    async with AsyncTestClient(app) as c:
        assert (await c.post("/v1/ocr", json=PDF, headers=auth)).status_code == 200
        assert (await c.post("/v1/ocr", json={"document": 1}, headers=auth)).status_code == 400
        assert (await c.get("/admin/usage")).status_code == 401
        bad = await c.get("/admin/usage", headers={"authorization": f"Bearer {KEY}"})
        assert bad.status_code == 401
        usage = await c.get("/admin/usage", headers={"authorization": f"Bearer {ADMIN}"})
        assert usage.status_code == 200
        data = usage.json()["data"]["ops"]
        assert data["echo"]["requests"] == 1
        assert data["echo"]["pages"] == 1
        assert data["-"]["errors"] == 1
        metrics = (await c.get("/metrics")).text
    assert (
        'aigw_requests_total{route="openai_compat:/",entity="echo",tenant="ops",status="200"} 1'
        in metrics
    )
    assert 'aigw_pages_total{tenant="ops",entity="echo"} 1' in metrics
    assert 'aigw_upstream_duration_seconds_count{entity="echo"} 1' in metrics
    logs = capsys.readouterr()
    everything = logs.out + logs.err + metrics
    assert KEY not in everything
    assert ADMIN not in everything
    assert PDF["document_base64"][:40] not in everything
    assert '"tenant":"ops"' in logs.err


async def test_admin_disabled_without_key() -> None:
    async with AsyncTestClient(echo_app(echo_settings())) as c:
        assert (await c.get("/admin/usage")).status_code == 404


async def test_usage_is_shared_through_redis(redis_url: str) -> None:
    state = f'[state]\nbackend = "redis"\nurl = "{redis_url}"\n'
    auth = {"authorization": f"Bearer {KEY}"}
    admin = {"authorization": f"Bearer {ADMIN}"}
    one = echo_app(echo_settings(config(state), TOP))
    two = echo_app(echo_settings(config(state), TOP))
    async with AsyncTestClient(one) as c1, AsyncTestClient(two) as c2:
        assert (await c1.post("/v1/ocr", json=PDF, headers=auth)).status_code == 200
        assert (await c2.post("/v1/ocr", json=PDF, headers=auth)).status_code == 200
        data = (await c1.get("/admin/usage", headers=admin)).json()["data"]
    assert data["ops"]["echo"]["requests"] == 2
