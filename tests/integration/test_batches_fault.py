"""Fault test: two replicas, one redis-server, one S3-compatible server process (moto).

A 200-line batch is uploaded through replica A and created through replica B (files live in
S3, jobs and lines in Redis). Replica A is killed with SIGKILL while it holds lines; replica B
claims them back (XAUTOCLAIM after ``claim_idle``) and the job completes with every
``custom_id`` exactly once in the output file, which sits in the S3 bucket.
"""

from __future__ import annotations

import signal
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from ..support.batch_replicas import (
    ENV,
    HEADERS,
    create_batch,
    output_ids,
    replica_config,
    upload_lines,
)
from ..support.s3_server import S3Server
from ..support.server import GatewayProcess
from ..support.upstreams.openai_fake import OpenAIFake

pytestmark = pytest.mark.slow


def test_a_replica_killed_mid_batch_loses_no_line_and_duplicates_none(
    gateway_server_factory: Callable[..., GatewayProcess],
    redis_url: str,
    batch_s3: S3Server,
    batch_upstream: OpenAIFake,
    tmp_path: Path,
) -> None:
    batch_upstream.slow_delay = 0.15
    config = replica_config(batch_upstream, redis_url, batch_s3, tmp_path / "data")
    a = gateway_server_factory(config, env=ENV)
    b = gateway_server_factory(config, env=ENV)
    fid = upload_lines(a, 200)
    assert any(k.startswith("gw/data/") for k in batch_s3.object_keys())
    # Created through B: A sees the same job and takes lines from the same stream.
    job = create_batch(b, fid)
    url = f"/v1/batches/{job['id']}"
    deadline = time.monotonic() + 60
    while httpx.get(a.url + url, headers=HEADERS).json()["request_counts"]["completed"] < 40:
        assert time.monotonic() < deadline, "the batch did not start"
        time.sleep(0.05)
    a.process.send_signal(signal.SIGKILL)
    a.process.wait(10)
    done_at_kill = httpx.get(b.url + url, headers=HEADERS).json()["request_counts"]["completed"]
    assert done_at_kill < 200, "the batch finished before the kill: make lines slower"
    deadline = time.monotonic() + 120
    while (job := httpx.get(b.url + url, headers=HEADERS).json())["status"] != "completed":
        assert job["status"] in ("in_progress", "finalizing"), job
        assert time.monotonic() < deadline, job
        time.sleep(0.2)
    assert job["request_counts"] == {"total": 200, "completed": 200, "failed": 0}
    assert output_ids(b, job) == Counter({f"line-{i:03d}": 1 for i in range(200)})
    assert any(job["output_file_id"] in k for k in batch_s3.object_keys())
    # A's lines in flight were run again by B: the upstream saw some twice, the output once.
    assert len(batch_upstream.requests) >= 200
    assert "batch lines taken over from a silent replica" in b.log()  # XAUTOCLAIM ran
    assert "testing-secret" not in b.log()
