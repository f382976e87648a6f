"""Batch jobs run in-process: lines waiting on rpm and page limits, spilled results, expiry,
and an unreachable job store."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

import pytest

from aigateway.batches.protocol import (
    Job,
)
from aigateway.config import parse_config
from aigateway.tenancy import quotas

CHAT_CONFIG = """
[[chat_models]]
id = "up"
base_url = "{url}/v1"
api_key = "sk-upstream-secret-123"
models = ["gpt-test"]

[[routes]]
chat_model_refs = ["up"]

[[tenants]]
id = "slowpoke"
api_keys = ["sk-slowpoke-key"]
limits = {{ requests_per_minute = 3 }}

[files]
directory = "{dir}"
"""


async def test_lines_over_requests_per_minute_wait_for_the_next_window(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """rpm = 3 with 2-second windows (patched): 8 lines all complete, none fails, and the
    upstream saw them spread over at least three windows."""
    from litestar.testing import AsyncTestClient

    from aigateway import create_app

    from ..support.upstreams.openai_fake import OpenAIFake

    monkeypatch.setattr(quotas, "MINUTE", 2)
    fake = OpenAIFake().start()
    try:
        app = create_app(parse_config(CHAT_CONFIG.format(url=fake.url, dir=tmp_path)))
        h = {"Authorization": "Bearer sk-slowpoke-key"}
        lines = [
            {
                "custom_id": str(i),
                "body": {"model": "gpt-test", "messages": [{"role": "user", "content": "hi"}]},
            }
            for i in range(8)
        ]
        async with AsyncTestClient(app) as client:
            r = await client.post(
                "/v1/batch/jobs",
                headers=h,
                json={"endpoint": "/v1/chat/completions", "requests": lines},
            )
            assert r.status_code in (200, 429), r.text
            if r.status_code == 429:  # the create call itself counts against the rpm
                await asyncio.sleep(float(r.headers["retry-after"]))
                r = await client.post(
                    "/v1/batch/jobs",
                    headers=h,
                    json={"endpoint": "/v1/chat/completions", "requests": lines},
                )
            job = r.json()
            started = time.monotonic()
            while job["status"] in ("QUEUED", "RUNNING") and time.monotonic() - started < 60:
                await asyncio.sleep(0.25)
                got = await client.get(f"/v1/batch/jobs/{job['id']}", headers=h)
                if got.status_code == 200:
                    job = got.json()
        assert job["status"] == "SUCCESS", job
        assert (job["succeeded_requests"], job["failed_requests"]) == (8, 0)
        assert len(fake.requests) == 8
    finally:
        fake.stop()


async def test_large_results_are_spilled_to_storage_and_read_back_in_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Results over the spill size live in the files storage while the job runs: the output
    file still has every answer in line order, and the scratch objects are gone after."""
    from litestar.testing import AsyncTestClient

    from aigateway import create_app
    from aigateway.batches import runner

    from ..support.upstreams.openai_fake import OpenAIFake

    monkeypatch.setattr(runner, "SPILL", 100)
    fake = OpenAIFake().start()
    try:
        config = CHAT_CONFIG.format(url=fake.url, dir=tmp_path).replace(
            "requests_per_minute = 3", "requests_per_minute = 1000"
        )
        app = create_app(parse_config(config))
        h = {"Authorization": "Bearer sk-slowpoke-key"}
        lines = [
            {
                "custom_id": f"c{i}",
                "body": {"model": "gpt-test", "messages": [{"role": "user", "content": "hi"}]},
            }
            for i in range(6)
        ]
        async with AsyncTestClient(app) as client:
            job = (
                await client.post(
                    "/v1/batch/jobs",
                    headers=h,
                    json={"endpoint": "/v1/chat/completions", "requests": lines},
                )
            ).json()
            for _ in range(200):
                if job["status"] not in ("QUEUED", "RUNNING"):
                    break
                await asyncio.sleep(0.05)
                job = (await client.get(f"/v1/batch/jobs/{job['id']}", headers=h)).json()
            assert job["status"] == "SUCCESS", job
            out = await client.get(f"/v1/files/{job['output_file']}/content", headers=h)
        got = [json.loads(raw) for raw in out.text.splitlines()]
        assert [g["custom_id"] for g in got] == [f"c{i}" for i in range(6)]
        text = fake.text_for("gpt-test")
        assert all(g["response"]["body"]["choices"][0]["message"]["content"] == text for g in got)
        assert not list((tmp_path / "files" / "scratch").rglob("*"))
    finally:
        fake.stop()


PAGES_CONFIG = """
[ocr_pool]
workers = 1

[[ocr_models]]
id = "local"
provider = "local"

[[routes]]
ocr_model_refs = ["local"]

[[tenants]]
id = "pager"
api_keys = ["sk-pager-key-01"]
limits = {{ pages_per_minute = 2 }}

[files]
directory = "{dir}"
"""


async def test_lines_over_pages_per_minute_wait_and_a_too_big_document_fails_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """pages_per_minute = 2 with 2-second windows (patched): five one-page lines all succeed
    by waiting for later windows; a three-page document can never fit and fails, with 429."""
    import base64

    from litestar.testing import AsyncTestClient

    from aigateway import create_app

    from ..support.docgen import text_pdf

    monkeypatch.setattr(quotas, "MINUTE", 2)
    app = create_app(parse_config(PAGES_CONFIG.format(dir=tmp_path)))
    h = {"Authorization": "Bearer sk-pager-key-01"}

    def line(cid: str, pages: list[str]) -> dict[str, Any]:
        uri = "data:application/pdf;base64," + base64.b64encode(text_pdf(pages)).decode()
        return {
            "custom_id": cid,
            "body": {"document": {"type": "document_url", "document_url": uri}},
        }

    lines = [line(f"p{i}", [f"Page of line {i}"]) for i in range(5)]
    lines.append(line("big", ["one", "two", "three"]))
    async with AsyncTestClient(app) as client:
        job = (
            await client.post(
                "/v1/batch/jobs", headers=h, json={"endpoint": "/v1/ocr", "requests": lines}
            )
        ).json()
        started = time.monotonic()
        while job["status"] in ("QUEUED", "RUNNING") and time.monotonic() - started < 90:
            await asyncio.sleep(0.25)
            job = (await client.get(f"/v1/batch/jobs/{job['id']}?inline=true", headers=h)).json()
        assert job["status"] == "SUCCESS", job
        assert (job["succeeded_requests"], job["failed_requests"]) == (5, 1)
        got = {o["custom_id"]: o["response"]["body"]["text"] for o in job["outputs"]}
        assert got == {f"p{i}": f"Page of line {i}" for i in range(5)}
        errors = (await client.get(f"/v1/files/{job['error_file']}/content", headers=h)).text
        (bad,) = [json.loads(raw) for raw in errors.splitlines()]
        assert bad["custom_id"] == "big" and bad["response"]["status_code"] == 429
        assert "pages_per_minute" in bad["response"]["body"]["error"]["message"]


async def test_an_unreachable_redis_makes_batch_calls_503_not_500(tmp_path: Path) -> None:
    from litestar.testing import AsyncTestClient

    from aigateway import create_app

    from ..support.redis_server import free_port

    config = f"""
[[routes]]
ocr_model_refs = []

[state]
backend = "redis"
url = "redis://127.0.0.1:{free_port()}/0"
timeout = 0.2

[files]
directory = "{tmp_path}"
"""
    app = create_app(parse_config(config))
    async with AsyncTestClient(app) as client:
        r = await client.post(
            "/v1/batch/jobs",
            json={
                "endpoint": "/v1/embeddings",
                "model": "m",
                "requests": [{"body": {"input": "x"}}],
            },
        )
        assert r.status_code == 503, r.text
        assert r.headers["retry-after"] == "2"
        assert r.json()["error"]["code"] == "overloaded"
        r = await client.get("/v1/batches")
        assert r.status_code == 503, r.text


async def test_a_job_past_its_window_ends_expired_with_what_is_done(tmp_path: Path) -> None:
    from litestar.testing import AsyncTestClient

    from aigateway import create_app

    from ..support.upstreams.openai_fake import OpenAIFake

    fake = OpenAIFake().start()
    fake.slow_delay = 0.3
    try:
        config = (
            CHAT_CONFIG.format(url=fake.url, dir=tmp_path)
            .replace('["gpt-test"]', '["gpt-test", "slow"]')
            .replace("requests_per_minute = 3", "requests_per_minute = 1000")
        )
        app = create_app(parse_config(config))
        gw = app.state.runtime
        h = {"Authorization": "Bearer sk-slowpoke-key"}
        lines = [
            {
                "custom_id": f"c{i}",
                "body": {"model": "slow", "messages": [{"role": "user", "content": "hi"}]},
            }
            for i in range(30)
        ]
        async with AsyncTestClient(app) as client:
            r = await client.post(
                "/v1/batch/jobs",
                headers=h,
                json={"endpoint": "/v1/chat/completions", "requests": lines, "timeout_hours": 1},
            )
            job = r.json()
            assert job["status"] == "RUNNING"

            def past(j: Job) -> bool:
                j.expires_at = int(time.time()) - 1
                return True

            await gw.batches.store.update(job["id"], past)
            deadline = time.monotonic() + 30
            while (await gw.batches.store.counts(job["id"])).done < 2:  # some lines finish first
                assert time.monotonic() < deadline
                await asyncio.sleep(0.05)
            await gw.batches.runner._upkeep()
            deadline = time.monotonic() + 30
            while (openai := (await client.get(f"/v1/batches/{job['id']}", headers=h)).json())[
                "status"
            ] == "cancelling":  # a line's runner may be the one finalizing
                assert time.monotonic() < deadline
                await asyncio.sleep(0.05)
            mistral = (await client.get(f"/v1/batch/jobs/{job['id']}", headers=h)).json()
            await asyncio.sleep(1.0)  # lines still in flight finish, and must not count
            later = (await client.get(f"/v1/batches/{job['id']}", headers=h)).json()
            out = await client.get(f"/v1/files/{openai['output_file_id']}/content", headers=h)
        assert later["request_counts"] == openai["request_counts"]
        assert len(out.text.splitlines()) == openai["request_counts"]["completed"]
        assert mistral["status"] == "TIMEOUT_EXCEEDED", mistral
        assert openai["status"] == "expired" and openai["expired_at"] is not None
        done = openai["request_counts"]["completed"]
        assert 0 < done < 30
        assert mistral["output_file"] == openai["output_file_id"] is not None
    finally:
        fake.stop()


async def test_only_a_finished_job_can_be_deleted(tmp_path: Path) -> None:
    from litestar.testing import AsyncTestClient

    from aigateway import create_app

    from ..support.upstreams.openai_fake import OpenAIFake

    fake = OpenAIFake().start()
    fake.slow_delay = 0.5
    try:
        config = (
            CHAT_CONFIG.format(url=fake.url, dir=tmp_path)
            .replace('["gpt-test"]', '["gpt-test", "slow"]')
            .replace("requests_per_minute = 3", "requests_per_minute = 1000")
        )
        app = create_app(parse_config(config))
        h = {"Authorization": "Bearer sk-slowpoke-key"}
        body = {"model": "slow", "messages": [{"role": "user", "content": "hi"}]}
        async with AsyncTestClient(app) as client:
            job = (
                await client.post(
                    "/v1/batch/jobs",
                    headers=h,
                    json={"endpoint": "/v1/chat/completions", "requests": [{"body": body}]},
                )
            ).json()
            r = await client.delete(f"/v1/batch/jobs/{job['id']}", headers=h)
            assert (r.status_code, r.json()["error"]["code"]) == (400, "job_not_finished")
            while job["status"] in ("QUEUED", "RUNNING"):
                await asyncio.sleep(0.1)
                job = (await client.get(f"/v1/batch/jobs/{job['id']}", headers=h)).json()
            r = await client.delete(f"/v1/batch/jobs/{job['id']}", headers=h)
            assert r.json() == {"id": job["id"], "object": "batch", "deleted": True}
            assert (await client.get(f"/v1/batch/jobs/{job['id']}", headers=h)).status_code == 404
            # The output file outlives the job record.
            out = await client.get(f"/v1/files/{job['output_file']}", headers=h)
            assert out.status_code == 200
    finally:
        fake.stop()
