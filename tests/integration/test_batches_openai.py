"""OpenAI-style batches on a real gateway process against a loopback OpenAI-compatible fake.

The openai SDK (current major and 1.x) uploads a JSONL of chat lines, runs
``batches.create(endpoint="/v1/chat/completions")`` to ``completed`` and reads the output and
error files; a tenant at ``max_concurrent = 1`` sees its lines wait, not fail; an embeddings
batch runs through the Mistral API; a signed webhook reports the end of a job.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from ..support.server import REPO, GatewayProcess, gateway_server
from ..support.upstreams.openai_fake import OpenAIFake
from ..support.upstreams.server import FakeUpstream, Recorded, Reply

pytestmark = pytest.mark.slow

KEY = "sk-batch-tenant-1"
LIMITED = "sk-batch-limited-2"
UPSTREAM_KEY = "sk-upstream-secret-123"
HOOK_SECRET = "webhook-secret-abcdef"
LEGACY = REPO / ".venv-legacy" / "bin" / "python"

CONFIG = """
[[ocr_models]]
id = "local"
provider = "local"

[[chat_models]]
id = "primary"
base_url = "{url}/v1"
api_key = "{key}"
models = ["gpt-test", "embed-test", "fail-400", "slow"]
timeout = 10

[[routes]]
path = "/"
plugin = "openai_compat"
ocr_model_refs = ["local"]
chat_model_refs = ["primary"]

[[tenants]]
id = "acme"
api_keys = ["{gw_key}"]

[[tenants]]
id = "limited"
api_keys = ["{limited}"]
limits = {{ max_concurrent = 1 }}

[fetch]
allow_private = true

[files]
directory = "{directory}"

[batches]
upstream_concurrency = 4
webhook_url = "{hook}/hooks/batch"
webhook_secret = "{secret}"
"""


class Hooks(FakeUpstream):
    """Records webhook deliveries and answers 204."""

    async def handle(self, req: Recorded) -> Reply:
        return Reply(204, b"")


@pytest.fixture(scope="module")
def upstream() -> Iterator[OpenAIFake]:
    fake = OpenAIFake("primary", UPSTREAM_KEY).start()
    fake.slow_delay = 0.2
    try:
        yield fake
    finally:
        fake.stop()


@pytest.fixture(scope="module")
def hooks() -> Iterator[Hooks]:
    server = Hooks().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def gateway(
    upstream: OpenAIFake, hooks: Hooks, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[GatewayProcess]:
    tmp = tmp_path_factory.mktemp("gw")
    config = CONFIG.format(
        url=upstream.url,
        key=UPSTREAM_KEY,
        gw_key=KEY,
        limited=LIMITED,
        directory=tmp / "data",
        hook=hooks.url,
        secret=HOOK_SECRET,
    )
    with gateway_server(config, tmp) as gw:
        yield gw


def _chat_lines(models: list[str]) -> bytes:
    return b"".join(
        json.dumps(
            {
                "custom_id": f"req-{i}",
                "method": "POST",
                "url": "/v1/chat/completions",
                "body": {"model": m, "messages": [{"role": "user", "content": f"question {i}"}]},
            }
        ).encode()
        + b"\n"
        for i, m in enumerate(models)
    )


@pytest.mark.parametrize("python", ["current", "legacy"])
def test_openai_sdk_batch_to_completed(
    gateway: GatewayProcess, upstream: OpenAIFake, hooks: Hooks, tmp_path: Path, python: str
) -> None:
    exe = sys.executable if python == "current" else str(LEGACY)
    if python == "legacy" and not LEGACY.exists():
        pytest.fail(".venv-legacy is missing: run scripts/setup (CI does) to get openai 1.x")
    models = ["gpt-test"] * 10 + ["fail-400", "gpt-test"]
    lines = tmp_path / "lines.jsonl"
    lines.write_bytes(_chat_lines(models))
    hooks.reset()
    out = subprocess.run(
        [
            exe,
            str(REPO / "tests/support/clients/openai_batch.py"),
            gateway.url + "/v1",
            KEY,
            str(lines),
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert out.returncode == 0, out.stderr[-3000:] + gateway.log()[-3000:]
    report = json.loads(out.stdout)
    assert (int(report["sdk"].split(".")[0]) >= 2) == (python == "current"), report["sdk"]
    assert report["file"]["purpose"] == "batch"
    batch = report["batch"]
    assert batch["status"] == "completed", batch
    assert batch["statuses"][-1] == "completed"
    assert set(batch["statuses"]) <= {"validating", "in_progress", "finalizing", "completed"}
    assert batch["counts"] == [12, 11, 1]
    expected = {
        f"req-{i}": upstream.text_for("gpt-test") for i, m in enumerate(models) if m != "fail-400"
    }
    assert report["outputs"] == expected
    assert report["errors"] == {"req-10": 400}
    assert report["file"]["id"] in report["files"]
    assert report["retrieved"] == "lines.jsonl"
    assert report["deleted"] is True
    assert report["cancel"] in ("cancelling", "cancelled", "finalizing", "completed")
    # Every answer went through the gateway's upstream key, never the tenant's.
    assert all(r.headers["authorization"] == f"Bearer {UPSTREAM_KEY}" for r in upstream.requests)
    _check_webhooks(hooks, {report["batch"]["output_file_id"]})


def _check_webhooks(hooks: Hooks, output_files: set[str]) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not hooks.requests:
        time.sleep(0.1)
    seen = set()
    for req in hooks.requests:
        t, v1 = (p.split("=", 1)[1] for p in req.headers["x-aigateway-signature"].split(","))
        mac = hmac.new(HOOK_SECRET.encode(), t.encode() + b"." + req.body, hashlib.sha256)
        assert hmac.compare_digest(mac.hexdigest(), v1)
        event = json.loads(req.body)
        seen.add(event["data"].get("output_file_id"))
    assert output_files & seen, (output_files, seen)


def test_a_tenants_batch_does_not_hold_its_concurrency_slots(
    gateway: GatewayProcess, upstream: OpenAIFake
) -> None:
    """max_concurrent = 1: the batch's lines run (bounded by the batch lanes) and the tenant's
    own interactive calls are still admitted while they do."""
    h = {"Authorization": f"Bearer {LIMITED}"}
    fid = httpx.post(
        gateway.url + "/v1/files",
        headers=h,
        files={"file": ("l.jsonl", _chat_lines(["slow"] * 8))},
        data={"purpose": "batch"},
    ).json()["id"]
    job = httpx.post(
        gateway.url + "/v1/batches",
        headers=h,
        json={"input_file_id": fid, "endpoint": "/v1/chat/completions", "completion_window": "24h"},
    ).json()
    deadline = time.monotonic() + 60
    while job["status"] not in ("completed", "failed") and time.monotonic() < deadline:
        time.sleep(0.1)
        r = httpx.get(gateway.url + f"/v1/batches/{job['id']}", headers=h)
        assert r.status_code == 200, r.text
        job = r.json()
    assert job["status"] == "completed", job
    assert job["request_counts"] == {"total": 8, "completed": 8, "failed": 0}


def test_embeddings_batch_through_the_mistral_api(gateway: GatewayProcess) -> None:
    h = {"Authorization": f"Bearer {KEY}"}
    requests = [{"custom_id": f"e{i}", "body": {"input": [f"text {i}"]}} for i in range(5)]
    job = httpx.post(
        gateway.url + "/v1/batch/jobs",
        headers=h,
        json={"endpoint": "/v1/embeddings", "model": "embed-test", "requests": requests},
    ).json()
    deadline = time.monotonic() + 60
    while job["status"] in ("QUEUED", "RUNNING") and time.monotonic() < deadline:
        time.sleep(0.2)
        job = httpx.get(gateway.url + f"/v1/batch/jobs/{job['id']}?inline=true", headers=h).json()
    assert job["status"] == "SUCCESS", job
    assert job["succeeded_requests"] == 5
    metrics = httpx.get(gateway.url + "/metrics").text
    assert (
        'aigw_batch_lines_total{tenant="acme",endpoint="/v1/embeddings",outcome="succeeded"} 5'
        in metrics
    ), metrics[-2000:]
    got: dict[str, Any] = {o["custom_id"]: o["response"]["body"] for o in job["outputs"]}
    assert sorted(got) == [f"e{i}" for i in range(5)]
    assert all(body["data"][0]["embedding"] for body in got.values())
