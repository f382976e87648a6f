"""Fault test: two replicas, one redis-server, one S3-compatible server process (moto).

A 200-line batch is uploaded through replica A and created through replica B (files live in
S3, jobs and lines in Redis). Replica A is killed with SIGKILL while it holds lines; replica B
claims them back (XAUTOCLAIM after ``claim_idle``) and the job completes with every
``custom_id`` exactly once in the output file, which sits in the S3 bucket.
"""

from __future__ import annotations

import json
import signal
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from ..support.s3_server import S3Server, s3_server
from ..support.server import GatewayProcess
from ..support.upstreams.openai_fake import OpenAIFake

pytestmark = pytest.mark.slow

KEY = "sk-fault-tenant-1"
UPSTREAM_KEY = "sk-upstream-secret-123"

CONFIG = """
[[chat_models]]
id = "up"
base_url = "{upstream}/v1"
api_key = "{upstream_key}"
models = ["slow"]
timeout = 10

[[routes]]
chat_model_refs = ["up"]

[[tenants]]
id = "acme"
api_keys = ["{key}"]

[state]
backend = "redis"
url = "{redis}"
fail_open = false

[files]
backend = "s3"
s3_endpoint = "{s3}"
s3_bucket = "{bucket}"
s3_access_key = "${{S3_KEY}}"
s3_secret_key = "${{S3_SECRET}}"
s3_prefix = "gw"
signing_key = "${{SIGNING_KEY}}"
directory = "{directory}"

[batches]
upstream_concurrency = 6
claim_idle = 2.0
"""

ENV = {"S3_KEY": "testing", "S3_SECRET": "testing-secret", "SIGNING_KEY": "fault-test-key-0123456"}


@pytest.fixture
def s3() -> Iterator[S3Server]:
    with s3_server() as server:
        yield server


@pytest.fixture
def upstream() -> Iterator[OpenAIFake]:
    fake = OpenAIFake("up", UPSTREAM_KEY).start()
    fake.slow_delay = 0.15
    try:
        yield fake
    finally:
        fake.stop()


def test_a_replica_killed_mid_batch_loses_no_line_and_duplicates_none(
    gateway_server_factory: Callable[..., GatewayProcess],
    redis_url: str,
    s3: S3Server,
    upstream: OpenAIFake,
    tmp_path: Path,
) -> None:
    config = CONFIG.format(
        upstream=upstream.url,
        upstream_key=UPSTREAM_KEY,
        key=KEY,
        redis=redis_url,
        s3=s3.endpoint,
        bucket=s3.bucket,
        directory=tmp_path / "data",
    )
    a = gateway_server_factory(config, env=ENV)
    b = gateway_server_factory(config, env=ENV)
    h = {"Authorization": f"Bearer {KEY}"}
    lines = b"".join(
        json.dumps(
            {
                "custom_id": f"line-{i:03d}",
                "method": "POST",
                "url": "/v1/chat/completions",
                "body": {"model": "slow", "messages": [{"role": "user", "content": f"n {i}"}]},
            }
        ).encode()
        + b"\n"
        for i in range(200)
    )
    up = httpx.post(
        a.url + "/v1/files",
        headers=h,
        files={"file": ("lines.jsonl", lines)},
        data={"purpose": "batch"},
        timeout=30,
    )
    assert up.status_code == 200, up.text + a.log()[-2000:]
    fid = up.json()["id"]
    assert any(k.startswith("gw/data/") for k in s3.object_keys())
    # Created through B: A sees the same job and takes lines from the same stream.
    job = httpx.post(
        b.url + "/v1/batches",
        headers=h,
        json={"input_file_id": fid, "endpoint": "/v1/chat/completions", "completion_window": "24h"},
        timeout=30,
    ).json()
    assert job["status"] == "in_progress", job
    url = f"/v1/batches/{job['id']}"
    deadline = time.monotonic() + 60
    while httpx.get(a.url + url, headers=h).json()["request_counts"]["completed"] < 40:
        assert time.monotonic() < deadline, "the batch did not start"
        time.sleep(0.05)
    a.process.send_signal(signal.SIGKILL)
    a.process.wait(10)
    done_at_kill = httpx.get(b.url + url, headers=h).json()["request_counts"]["completed"]
    assert done_at_kill < 200, "the batch finished before the kill: make lines slower"
    deadline = time.monotonic() + 120
    while (job := httpx.get(b.url + url, headers=h).json())["status"] != "completed":
        assert job["status"] in ("in_progress", "finalizing"), job
        assert time.monotonic() < deadline, job
        time.sleep(0.2)
    assert job["request_counts"] == {"total": 200, "completed": 200, "failed": 0}
    out = httpx.get(b.url + f"/v1/files/{job['output_file_id']}/content", headers=h, timeout=30)
    ids = Counter(json.loads(raw)["custom_id"] for raw in out.text.splitlines())
    assert ids == Counter({f"line-{i:03d}": 1 for i in range(200)})
    assert any(job["output_file_id"] in k for k in s3.object_keys())
    # A's lines in flight were run again by B: the upstream saw some twice, the output once.
    assert len(upstream.requests) >= 200
    assert "batch lines taken over from a silent replica" in b.log()  # XAUTOCLAIM ran
    assert "testing-secret" not in b.log()
