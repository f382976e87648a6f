"""Units of files and batches: signing, line parsing, create validation, config, job stores
(local and a real redis-server), and lines waiting on a tenant's rate limit."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aigateway import quotas
from aigateway.batches.jobs import LocalJobStore
from aigateway.batches.protocol import (
    Job,
    parse_create_mistral,
    parse_create_openai,
    parse_line,
)
from aigateway.batches.queue import LineRef
from aigateway.config import parse_config
from aigateway.errors import BadRequestError, ConfigError, GoneError, PermissionDeniedError
from aigateway.files.signing import SignedRef, Signer, parse_signed_url

KEY = b"unit-test-signing-key-000"


def test_signed_url_round_trip_and_refusals() -> None:
    signer = Signer(KEY)
    exp = int(time.time()) + 60
    url = f"http://gw/v1/files/abc/signed?{signer.query('acme', 'abc', exp)}"
    ref = parse_signed_url(url)
    assert ref is not None and (ref.tenant, ref.file_id, ref.expires) == ("acme", "abc", exp)
    signer.verify(ref)
    with pytest.raises(GoneError):
        signer.verify(ref, now=exp)
    with pytest.raises(PermissionDeniedError):
        Signer(b"another-key-entirely-000").verify(ref)
    assert parse_signed_url("http://gw/v1/files/abc/content?tenant=a&expires=1&signature=x") is None
    assert (
        parse_signed_url("http://gw/v1/files/abc/signed?tenant=a&expires=soon&signature=x") is None
    )


@settings(max_examples=200)
@given(
    field=st.sampled_from(["tenant", "file_id", "expires", "signature"]),
    junk=st.text(min_size=1, max_size=12),
)
def test_any_altered_part_of_a_signed_url_is_refused(field: str, junk: str) -> None:
    signer = Signer(KEY)
    exp = int(time.time()) + 3600
    sig = signer.query("acme", "f1", exp).rsplit("=", 1)[1]
    parts: dict[str, Any] = {"tenant": "acme", "file_id": "f1", "expires": exp, "signature": sig}
    if field == "expires":
        parts[field] = exp + 1 + len(junk)
    else:
        parts[field] = str(parts[field]) + junk
    with pytest.raises(PermissionDeniedError):
        signer.verify(SignedRef(**parts))


@settings(max_examples=300)
@given(
    raw=st.binary(max_size=200)
    | st.builds(
        lambda v: json.dumps(v).encode(),
        st.recursive(
            st.none() | st.booleans() | st.integers() | st.text(max_size=8),
            lambda c: (
                st.lists(c, max_size=3)
                | st.dictionaries(
                    st.sampled_from(["custom_id", "body", "method", "url", "x"]), c, max_size=4
                )
            ),
            max_leaves=8,
        ),
    )
)
def test_parse_line_only_ever_raises_the_gateways_400(raw: bytes) -> None:
    try:
        line = parse_line(raw, 3, "/v1/ocr")
    except BadRequestError as exc:
        assert exc.param in ("line", "body", "custom_id", "method", "url")
    else:
        assert isinstance(line.body, dict) and line.custom_id


def test_parse_line_forms() -> None:
    line = parse_line(b'{"body": {"a": 1}}', 7, "/v1/ocr")
    assert (line.custom_id, line.body) == ("7", {"a": 1})
    openai = b'{"custom_id": "x", "method": "POST", "url": "/v1/ocr", "body": {}}'
    assert parse_line(openai, 0, "/v1/ocr").custom_id == "x"
    with pytest.raises(BadRequestError) as info:
        parse_line(openai, 0, "/v1/embeddings")
    assert info.value.param == "url"


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({}, "endpoint"),
        ({"endpoint": "/v1/ocr"}, "input_files"),
        ({"endpoint": "/v1/ocr", "input_files": [], "requests": []}, "input_files"),
        ({"endpoint": "/v1/ocr", "input_files": "x"}, "input_files"),
        ({"endpoint": "/v1/ocr", "requests": [{"nobody": 1}]}, "requests[0].body"),
        ({"endpoint": "/v1/ocr", "input_files": ["a"], "agent_id": "x"}, "agent_id"),
        ({"endpoint": "/v1/ocr", "input_files": ["a"], "model": 5}, "model"),
        ({"endpoint": "/v1/ocr", "input_files": ["a"], "metadata": {"k": [1]}}, "metadata.k"),
    ],
)
def test_mistral_create_names_the_bad_field(body: dict[str, Any], param: str) -> None:
    with pytest.raises(BadRequestError) as info:
        parse_create_mistral(body)
    assert info.value.param == param


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"endpoint": "/v1/ocr"}, "input_file_id"),
        (
            {"endpoint": "/v1/ocr", "input_file_id": "f", "completion_window": "1h"},
            "completion_window",
        ),
        ({"endpoint": "/v1/responses", "input_file_id": "f"}, "endpoint"),
    ],
)
def test_openai_create_names_the_bad_field(body: dict[str, Any], param: str) -> None:
    with pytest.raises(BadRequestError) as info:
        parse_create_openai(body)
    assert info.value.param == param


@pytest.mark.parametrize(
    ("extra", "path"),
    [
        ('[files]\nbackend = "s3"\ns3_bucket = "b"\n', "$.files.signing_key"),
        ('[files]\nbackend = "s3"\nsigning_key = "0123456789abcdef"\n', "$.files.s3_bucket"),
        ('[files]\nsigning_key = "short"\n', "$.files.signing_key"),
        ("[batches]\nocr_share = 0\n", "$.batches.ocr_share"),
        ('[batches]\nwebhook_url = "ftp://x"\n', "$.batches.webhook_url"),
        ('[batches]\nwebhook_url = "http://x"\n', "$.batches.webhook_secret"),
        ("[files]\nenabled = false\n", "$.batches.enabled"),
        ("[files]\nbogus = 1\n", "$.files"),
    ],
)
def test_config_errors_name_the_key(extra: str, path: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_config(extra)
    assert path in str(info.value)


def _job(job_id: str = "j1") -> Job:
    return Job(
        id=job_id, tenant="t", api="openai", endpoint="/v1/ocr", input_files=["f"], created_at=1
    )


def _append(path: Path, data: bytes) -> None:
    with path.open("ab") as f:
        f.write(data)


async def test_local_job_store_writes_each_line_once_and_survives_a_restart(tmp_path: Path) -> None:
    store = LocalJobStore(tmp_path)
    await store.put(_job())
    results = await asyncio.gather(
        *(store.record("j1", i % 3, i % 2 == 0, b'{"n":%d}' % i) for i in range(9))
    )
    assert sum(results) == 3
    await store.aclose()
    _append(tmp_path / "j1.results", b'[5,true,{"cut sho')  # a crash in the middle of a write
    again = LocalJobStore(tmp_path)
    counts = await again.counts("j1")
    assert counts.done == 3
    got = [r async for r in again.results("j1", 10)]
    assert [(i, ok) for i, ok, _ in got] == [(0, True), (1, False), (2, True)]
    assert [json.loads(line)["n"] for _, _, line in got] == [0, 1, 2]
    assert await again.record("j1", 5, True, b"{}")  # the cut line runs again
    assert (await again.get("j1")) == _job()


async def _store_and_stream(url: str | list[str]) -> None:
    from aigateway.batches.redis_store import RedisJobStore, RedisStreamQueue, redis_client

    r, _ = redis_client(url, 1.0)
    try:
        store = RedisJobStore(r, "unit")
        await store.put(_job())
        done = await asyncio.gather(*(store.record("j1", i % 4, True, b"{}") for i in range(12)))
        assert sum(done) == 4 and (await store.counts("j1")).succeeded == 4
        assert [await store.attempt("j1", 7) for _ in range(3)] == [1, 2, 3]
        assert await RedisJobStore(r, "unit").attempt("j1", 7) == 4  # shared by replicas

        def to(status: str) -> Callable[[Job], bool]:
            def change(job: Job) -> bool:
                if job.status == "completed":
                    return False
                job.status = status
                return True

            return change

        moved = await asyncio.gather(
            *(store.update("j1", to(s)) for s in ["in_progress", "completed"] * 3)
        )
        assert all(m is not None for m in moved)
        assert (await store.get("j1")).status == "completed"  # type: ignore[union-attr]
        assert await store.active() == []
        dead = RedisStreamQueue(r, "unit", claim_idle=0.3)
        alive = RedisStreamQueue(r, "unit", claim_idle=0.3)
        await dead.push([LineRef("j1", "t", "f", i * 10, 10, i) for i in range(5)])
        taken = await dead.take(5, wait=0.5)
        assert [d.ref.index for d in taken] == [0, 1, 2, 3, 4]
        assert await alive.take(5, wait=0.1) == []  # pending with another consumer
        await asyncio.sleep(0.4)
        claimed = await alive.take(5, wait=0.1)
        assert sorted(d.ref.index for d in claimed) == [0, 1, 2, 3, 4]
        for d in claimed:
            await alive.ack(d)
        await asyncio.sleep(0.4)
        assert await dead.take(5, wait=0.1) == []  # acknowledged lines never come back
        assert [i async for i, _, _ in store.results("j1", 10)] == [0, 1, 2, 3]
    finally:
        await r.aclose()


async def test_redis_store_and_stream_claim_back_a_dead_consumers_lines(redis_url: str) -> None:
    await _store_and_stream(redis_url)


async def test_batch_state_works_on_a_redis_cluster() -> None:
    """Every batch key shares one hash tag: scripts and pipelines stay single-slot."""
    from .redis_server import redis_cluster

    with redis_cluster() as nodes:
        await _store_and_stream([f"redis://127.0.0.1:{n.port}" for n in nodes])


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

    from .upstreams.openai_fake import OpenAIFake

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


async def test_webhook_post_keeps_the_ssrf_guard() -> None:
    from aigateway.config import FetchConfig
    from aigateway.fetch import Fetcher

    from .upstreams.server import FakeUpstream

    receiver = FakeUpstream().start()
    try:
        guarded = Fetcher(FetchConfig())
        with pytest.raises(BadRequestError) as info:
            await guarded.post(receiver.url + "/hook", b"{}", headers={})
        assert info.value.code == "url_not_allowed" and info.value.param == "webhook_url"
        assert receiver.requests == []
        await guarded.aclose()
        allowed = Fetcher(FetchConfig(allow_private=True))
        status = await allowed.post(
            receiver.url + "/hook", b'{"a":1}', headers={"x-aigateway-signature": "t=1,v1=00"}
        )
        await allowed.aclose()
        assert status == 404  # FakeUpstream's default answer: delivered, and the status returned
        (req,) = receiver.requests
        assert (req.method, req.path, req.body) == ("POST", "/hook", b'{"a":1}')
        assert req.headers["x-aigateway-signature"] == "t=1,v1=00"
    finally:
        receiver.stop()


def test_a_line_nesting_past_max_json_depth_is_refused_before_decoding() -> None:
    deep = b'{"custom_id": "d", "body": {"x": ' + b"[" * 70 + b"]" * 70 + b"}}"
    with pytest.raises(BadRequestError) as info:
        parse_line(deep, 0, "/v1/ocr", max_depth=64)
    assert info.value.param == "body"
    assert parse_line(deep, 0, "/v1/ocr", max_depth=128).custom_id == "d"


def test_output_lines_stay_one_line_whatever_the_upstream_sent() -> None:
    from aigateway.batches.execute import output_line
    from aigateway.batches.protocol import Line

    pretty = b'{\n  "choices": [\r\n    {"text": "a\\nb"}\n  ]\n}\n'
    out = output_line(Line(0, "c0", {}), 200, pretty, None, "rid")
    assert b"\n" not in out and b"\r" not in out
    assert json.loads(out)["response"]["body"] == {"choices": [{"text": "a\nb"}]}


async def test_large_results_are_spilled_to_storage_and_read_back_in_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Results over the spill size live in the files storage while the job runs: the output
    file still has every answer in line order, and the scratch objects are gone after."""
    from litestar.testing import AsyncTestClient

    from aigateway import create_app
    from aigateway.batches import runner

    from .upstreams.openai_fake import OpenAIFake

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


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=10),
    lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=6), c, max_size=3),
    max_leaves=10,
)
_create_keys = st.sampled_from(
    [
        "endpoint",
        "input_files",
        "requests",
        "model",
        "metadata",
        "agent_id",
        "input_file_id",
        "completion_window",
        "custom_id",
        "body",
    ]
)


@settings(max_examples=300)
@given(
    body=st.dictionaries(_create_keys, _json_values | st.just("/v1/ocr"), max_size=6) | _json_values
)
def test_create_bodies_only_ever_raise_the_gateways_400(body: Any) -> None:
    for parse in (parse_create_mistral, parse_create_openai):
        try:
            spec = parse(body)
        except BadRequestError as exc:
            assert exc.status_code == 400
        else:
            assert spec.endpoint == "/v1/ocr" and spec.input_files is not None


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

    from .docgen import text_pdf

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

    from .redis_server import free_port

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

    from .upstreams.openai_fake import OpenAIFake

    fake = OpenAIFake().start()
    fake.slow_delay = 0.3
    try:
        config = (
            CHAT_CONFIG.format(url=fake.url, dir=tmp_path)
            .replace('["gpt-test"]', '["gpt-test", "slow"]')
            .replace("requests_per_minute = 3", "requests_per_minute = 1000")
        )
        app = create_app(parse_config(config))
        gw = app.state.gateway
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


def test_timeout_hours_is_checked() -> None:
    with pytest.raises(BadRequestError) as info:
        parse_create_mistral({"endpoint": "/v1/ocr", "input_files": ["a"], "timeout_hours": 0})
    assert info.value.param == "timeout_hours"
