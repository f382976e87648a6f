"""Replicas that run batches together: one Redis for jobs and lines, one S3-compatible server
for files, one OpenAI-compatible upstream. The config, the environment its ``${VAR}``s need
and the requests the replica tests make through ``aigateway serve``."""

from __future__ import annotations

import json
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

from .s3_server import S3Server
from .server import GatewayProcess
from .upstreams.openai_fake import OpenAIFake

__all__ = (
    "ENV",
    "HEADERS",
    "UPSTREAM_KEY",
    "create_batch",
    "output_ids",
    "replica_config",
    "upload_lines",
    "wait_for",
)

KEY = "sk-fault-tenant-1"
UPSTREAM_KEY = "sk-upstream-secret-123"
HEADERS = {"Authorization": f"Bearer {KEY}"}

_CONFIG = """
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
"""What the config's ``${VAR}``s read; pass as ``env`` to the server factory."""


def replica_config(
    upstream: OpenAIFake, redis_url: str, s3: S3Server, directory: Path, s3_url: str = ""
) -> str:
    """One replica's config; ``s3_url`` reaches ``s3`` another way (through a relay)."""
    return _CONFIG.format(
        upstream=upstream.url,
        upstream_key=UPSTREAM_KEY,
        key=KEY,
        redis=redis_url,
        s3=s3_url or s3.endpoint,
        bucket=s3.bucket,
        directory=directory,
    )


def upload_lines(gateway: GatewayProcess, n: int) -> str:
    """Upload a batch input of ``n`` chat lines (``custom_id`` ``line-000`` on); its file id."""
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
        for i in range(n)
    )
    up = httpx.post(
        gateway.url + "/v1/files",
        headers=HEADERS,
        files={"file": ("lines.jsonl", lines)},
        data={"purpose": "batch"},
        timeout=30,
    )
    assert up.status_code == 200, up.text + gateway.log()[-2000:]
    file_id: str = up.json()["id"]
    return file_id


def create_batch(gateway: GatewayProcess, file_id: str) -> dict[str, Any]:
    """``POST /v1/batches`` for ``file_id``; the job, in progress."""
    job: dict[str, Any] = httpx.post(
        gateway.url + "/v1/batches",
        headers=HEADERS,
        json={
            "input_file_id": file_id,
            "endpoint": "/v1/chat/completions",
            "completion_window": "24h",
        },
        timeout=30,
    ).json()
    assert job["status"] == "in_progress", job
    return job


def wait_for(gateway: GatewayProcess, job_id: str, status: str, timeout: float) -> dict[str, Any]:
    """Ask ``gateway`` about the job until it has ``status``; the job then."""
    deadline = time.monotonic() + timeout
    while True:
        job: dict[str, Any] = httpx.get(
            f"{gateway.url}/v1/batches/{job_id}", headers=HEADERS
        ).json()
        if job["status"] == status:
            return job
        assert time.monotonic() < deadline, (status, job)
        time.sleep(0.1)


def output_ids(gateway: GatewayProcess, job: dict[str, Any]) -> Counter[str]:
    """How many times each ``custom_id`` is in the finished ``job``'s output file."""
    out = httpx.get(
        f"{gateway.url}/v1/files/{job['output_file_id']}/content", headers=HEADERS, timeout=30
    )
    assert out.status_code == 200, out.text
    return Counter(json.loads(raw)["custom_id"] for raw in out.text.splitlines())
