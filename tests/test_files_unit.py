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
