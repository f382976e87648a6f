"""The batch finalization lease, served: two ``aigateway serve`` replicas share one Redis and one
S3-compatible server, and replica A reaches S3 through a relay that holds its writes back (a
slow store). Its finalization of a job then takes longer than the lease:

- while A lives, it renews the lease, and B's janitor (asking every ``claim_idle`` seconds)
  never takes the job: A writes the output, once;
- once A is killed in the middle, B finalizes the job within a lease of the kill, where the
  two-minute lock this replaced held the job up for two minutes.
"""

from __future__ import annotations

import signal
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from aigateway.batches.lease import LEASE

from ..support.batch_replicas import (
    ENV,
    create_batch,
    output_ids,
    replica_config,
    upload_lines,
    wait_for,
)
from ..support.relay import relay
from ..support.s3_server import S3Server
from ..support.server import GatewayProcess
from ..support.upstreams.openai_fake import OpenAIFake

pytestmark = pytest.mark.slow

LINES = 6


def test_a_slow_finalization_keeps_its_job_and_a_killed_one_gives_it_up_within_a_lease(
    gateway_server_factory: Callable[..., GatewayProcess],
    redis_url: str,
    batch_s3: S3Server,
    batch_upstream: OpenAIFake,
    tmp_path: Path,
) -> None:
    # A second a line: time to hold S3 back once the job is created, before it is finalized.
    batch_upstream.slow_delay = 1.0
    port = int(batch_s3.endpoint.rsplit(":", 1)[1])
    every_line_once = Counter({f"line-{i:03d}": 1 for i in range(LINES)})
    with relay(port) as slow:
        config_a = replica_config(
            batch_upstream, redis_url, batch_s3, tmp_path / "data", s3_url=slow.url
        )
        config_b = replica_config(batch_upstream, redis_url, batch_s3, tmp_path / "data")
        a = gateway_server_factory(config_a, env=ENV)

        # 1. A finalizes alone, its output held back longer than a lease; B starts meanwhile.
        first = upload_lines(a, LINES)
        job = create_batch(a, first)
        # Finalizing writes two objects (the output file and its record): held back 0.7 of a
        # lease each, the whole takes 1.4 leases.
        slow.hold_puts = 0.7 * LEASE
        wait_for(a, job["id"], "finalizing", 30)
        began = time.monotonic()
        b = gateway_server_factory(config_b, env=ENV)
        done = wait_for(b, job["id"], "completed", 3 * LEASE)
        assert time.monotonic() - began > LEASE  # the finalization outlived a lease ...
        assert slow.puts_held >= 1  # ... held back on its way to S3, as it renewed the lease
        assert output_ids(b, done) == every_line_once
        assert "batch finished" in a.log()
        assert "batch finished" not in b.log()  # B's janitor never had the job
        assert "its lease ran out" not in a.log()

        # 2. A finalizes again, held back for good this time, and is killed in the middle.
        # B is stopped meanwhile so that A, not B, runs the lines and finalizes the job.
        b.process.send_signal(signal.SIGTERM)
        b.process.wait(30)
        slow.hold_puts = 0
        job = create_batch(a, upload_lines(a, LINES))
        slow.hold_puts = 600
        wait_for(a, job["id"], "finalizing", 30)
        b = gateway_server_factory(config_b, env=ENV)
        a.process.send_signal(signal.SIGKILL)
        a.process.wait(10)
        killed_at = time.monotonic()
        done = wait_for(b, job["id"], "completed", 150)
        took = time.monotonic() - killed_at
        # Within a lease of the kill, a janitor's round (claim_idle 2 s) and some slack; the
        # two-minute lock this replaced took 120 s.
        assert took < LEASE + 10, took
        assert output_ids(b, done) == every_line_once
        assert "batch finished" in b.log()
        assert "testing-secret" not in a.log() + b.log()
