"""Batch lines and budgets: a line over its tenant's budget waits for room, it does not fail.

In process (like ``test_batches_runs.py``), with the budget's period patched to 3 seconds so
the test sees it reset: 20 chat lines, a budget that holds about 12 of them per period. Every
line completes, none fails, and the upstream saw them spread over at least two periods; a line
that alone would cost more than the whole budget fails at once instead of waiting forever.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from aigateway.config import parse_config
from aigateway.tenancy import budgets

CONFIG = """
[[chat_models]]
id = "up"
base_url = "{url}/v1"
api_key = "sk-upstream-secret-123"
models = ["gpt-test"]
input_cost_per_token = 0.000001
output_cost_per_token = 0.00001

[[routes]]
chat_model_refs = ["up"]

[[tenants]]
id = "thrifty"
api_keys = ["sk-thrifty-key"]
budget = {{ amount = 0.0005, period = "day" }}

[files]
directory = "{dir}"
"""
PERIOD = 3.0


def _short_periods(period: str, now: float) -> tuple[str, float, float]:
    n = int(now // PERIOD)
    return f"p{n}", n * PERIOD, (n + 1) * PERIOD


async def test_lines_over_budget_wait_for_it_to_reset(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from litestar.testing import AsyncTestClient

    from aigateway import create_app

    from ..support.upstreams.openai_fake import OpenAIFake

    monkeypatch.setattr(budgets, "period_bounds", _short_periods)
    fake = OpenAIFake().start()
    try:
        app = create_app(parse_config(CONFIG.format(url=fake.url, dir=tmp_path)))
        h = {"Authorization": "Bearer sk-thrifty-key"}
        body: dict[str, Any] = {
            "model": "gpt-test",
            "messages": [{"role": "user", "content": "hi"}],
            "max_tokens": 4,
        }
        lines = [{"custom_id": str(i), "body": body} for i in range(20)]
        lines.append({"custom_id": "whale", "body": {**body, "max_tokens": 10**9}})
        async with AsyncTestClient(app) as client:
            r = await client.post(
                "/v1/batch/jobs",
                headers=h,
                json={"endpoint": "/v1/chat/completions", "requests": lines},
            )
            assert r.status_code == 200, r.text
            job = r.json()
            started = time.monotonic()
            while job["status"] in ("QUEUED", "RUNNING") and time.monotonic() - started < 90:
                await asyncio.sleep(0.25)
                got = await client.get(f"/v1/batch/jobs/{job['id']}", headers=h)
                if got.status_code == 200:
                    job = got.json()
            errors = await client.get(f"/v1/files/{job['error_file']}/content", headers=h)
        assert (job["succeeded_requests"], job["failed_requests"]) == (20, 1), job
        (failed,) = [line for line in errors.text.splitlines() if line]
        assert '"custom_id":"whale"' in failed and "budget_exceeded" in failed
        assert len(fake.requests) == 20  # the whale never went upstream
        # 20 lines at 0.000041 each cannot fit one period's 0.0005 (12 of them do): they took
        # two periods at least, and no period saw many more than 12 (a line reserved near the
        # end of one period may reach the upstream in the next: up to the 4 upstream lanes).
        per_period = Counter(int(t // PERIOD) for t in fake.times)
        assert len(per_period) >= 2
        assert max(per_period.values()) <= 12 + 4, per_period
    finally:
        fake.stop()
