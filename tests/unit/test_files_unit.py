"""The files store in-process: tenant isolation, id hygiene, retention, and job input scans."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from aigateway.batches.scan import scan_inputs
from aigateway.blob import Blob
from aigateway.config import FilesConfig
from aigateway.errors import NotFoundError
from aigateway.files.storage import LocalStorage
from aigateway.files.store import FileStore


def _store(tmp_path: Path, **config: object) -> FileStore:
    return FileStore(FilesConfig(**config), LocalStorage(tmp_path / "files"), tmp_path)


async def test_files_are_seen_by_their_tenant_only(tmp_path: Path) -> None:
    store = _store(tmp_path)
    rec = await store.create("acme", Blob(b"hello"), filename="a.txt", purpose="user_data")
    assert (await store.get("acme", rec.id)).bytes == 5
    for tenant, file_id in [("other", rec.id), ("acme", "../acme/" + rec.id), ("acme", "x" * 200)]:
        with pytest.raises(NotFoundError):
            await store.get(tenant, file_id)
    assert [r.id for r in await store.list_files("acme")] == [rec.id]
    assert await store.list_files("other") == []
    # A tenant id with path characters stays inside its own folder.
    odd = await store.create("../acme", Blob(b"x"), filename="b", purpose="batch")
    assert [r.id for r in await store.list_files("acme")] == [rec.id]
    assert [r.id for r in await store.list_files("../acme")] == [odd.id]


async def test_expired_files_answer_404_and_are_swept(tmp_path: Path) -> None:
    store = _store(tmp_path, retention_days=1)
    keep = await store.create("t", Blob(b"keep"), filename="k", purpose="batch")
    assert keep.expires_at is not None and keep.expires_at > time.time() + 86_000
    gone = await store.create(
        "t", Blob(b"old"), filename="g", purpose="batch", expires_at=int(time.time()) - 1
    )
    assert [r.id for r in await store.list_files("t")] == [keep.id]
    assert await store.sweep() == 1
    with pytest.raises(NotFoundError):
        await store.get("t", gone.id)
    assert not (tmp_path / "files" / "data" / "t" / gone.id).exists()
    forever = _store(tmp_path, retention_days=0)
    assert (await forever.create("t", Blob(b"z"), filename="z", purpose="batch")).expires_at is None


async def test_scan_builds_refs_and_enforces_max_lines(tmp_path: Path) -> None:
    store = _store(tmp_path)
    lines = [json.dumps({"custom_id": f"c{i}", "body": {"n": i}}) for i in range(5)]
    body = ("\n\r\n".join(lines) + "\n").encode()  # blank lines and CRLF are tolerated
    rec = await store.create("t", Blob(body), filename="l.jsonl", purpose="batch")
    refs, errors = await scan_inputs(store, "t", "job", [rec.id], "/v1/ocr", 10)
    assert errors == []
    assert [r.index for r in refs] == [0, 1, 2, 3, 4]
    for ref, line in zip(refs, lines, strict=True):
        assert await store.read_range("t", ref.file, ref.offset, ref.length) == line.encode()
    _, errors = await scan_inputs(store, "t", "job", [rec.id], "/v1/ocr", 3)
    assert [e.code for e in errors] == ["too_many_lines"]
    empty = await store.create("t", Blob(b"\n\n"), filename="e.jsonl", purpose="batch")
    _, errors = await scan_inputs(store, "t", "job", [empty.id], "/v1/ocr", 3)
    assert [e.code for e in errors] == ["empty_file"]
    with pytest.raises(NotFoundError) as info:
        await scan_inputs(store, "other", "job", [rec.id], "/v1/ocr", 3)
    assert info.value.param == "input_files[0]"


async def test_s3_backend_against_a_moto_server(tmp_path: Path) -> None:
    """Large (spooled) and small objects, ranged reads, streaming, listing and deletes on an
    S3-compatible server process."""
    import os

    from aigateway.blob import SpoolingWriter
    from aigateway.files.s3 import S3Storage

    from ..support.s3_server import s3_server

    with s3_server() as s3:
        config = FilesConfig(
            backend="s3",
            s3_endpoint=s3.endpoint,
            s3_bucket=s3.bucket,
            s3_access_key="testing",
            s3_secret_key="testing",
            s3_prefix="unit/",
            signing_key="0123456789abcdef",
        )
        storage = S3Storage(config)
        store = FileStore(config, storage, tmp_path)
        data = os.urandom(3 * 1024 * 1024 + 17)
        writer = SpoolingWriter()
        writer.write(data)
        blob = writer.finish()
        assert not blob.in_memory
        try:
            rec = await store.create("acme", blob, filename="big.bin", purpose="user_data")
        finally:
            blob.close()
        assert rec.bytes == len(data)
        assert await store.read_range("acme", rec.id, 1_000_000, 10) == data[1_000_000:1_000_010]
        got = await store.blob(rec)
        try:
            assert got.read() == data
        finally:
            got.close()
        assert b"".join([c async for c in store.stream(rec)]) == data
        assert sorted(s3.object_keys()) == [
            f"unit/data/acme/{rec.id}",
            f"unit/meta/acme/{rec.id}.json",
        ]
        with pytest.raises(NotFoundError):
            await store.get("other", rec.id)
        await store.delete("acme", rec.id)
        assert s3.object_keys() == []
        with pytest.raises(NotFoundError):
            await store.get("acme", rec.id)
        await store.aclose()


@pytest.mark.usefixtures("echo_provider")
async def test_file_ids_without_a_files_store_are_a_400_naming_the_field() -> None:
    from litestar.testing import AsyncTestClient

    from ..support.echo import echo_app, echo_settings

    app = echo_app(echo_settings("[files]\nenabled = false\n[batches]\nenabled = false\n"))
    async with AsyncTestClient(app) as client:
        r = await client.post("/v1/ocr", json={"document": {"type": "file", "file_id": "abc"}})
        assert r.status_code == 400, r.text
        assert r.json()["error"]["param"] == "document.file_id"
        assert (await client.get("/v1/files")).status_code == 404
        assert (await client.get("/v1/batches")).status_code == 404


def test_batches_are_off_with_several_workers_on_the_memory_backend() -> None:
    from aigateway.config import parse_config
    from aigateway.server.factory import batches_off_reason, per_worker_settings

    memory = parse_config("")
    assert per_worker_settings(memory, 1).batches.enabled
    several = per_worker_settings(memory, 3)
    assert not several.batches.enabled and several.files.enabled
    assert "redis" in (batches_off_reason(memory, 3) or "")
    redis = parse_config('[state]\nbackend = "redis"\n')
    assert per_worker_settings(redis, 3).batches.enabled
    assert batches_off_reason(redis, 3) is None
