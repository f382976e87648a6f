"""The OCR result cache in process: keys, stored entries, the memory and disk backends, flights.

Served gateways over a loopback Mistral, a shared directory and a real redis-server are in
``tests/integration/test_cache_server.py``.
"""

from __future__ import annotations

import asyncio
import base64
import os
import stat
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aigateway.blob import Base64Blob, Blob
from aigateway.config import OcrModelConfig
from aigateway.errors import UpstreamError
from aigateway.ocr.cache.backends import MemoryCache
from aigateway.ocr.cache.disk import DiskCache
from aigateway.ocr.cache.entry import CacheEntry, EntryMeta, dumps, loads
from aigateway.ocr.cache.flights import Flights
from aigateway.ocr.cache.key import cache_key, document_digest
from aigateway.ocr.normalize import normalize_form, normalize_json
from aigateway.ocr.protocol import OcrOptions

PDF = b"%PDF-1.7\n" + b"cache me " * 50
ENTITY = OcrModelConfig(id="m", provider="mistral", model="mistral-ocr-latest")
NO_OPTIONS = OcrOptions()


def _key(digest: bytes, options: OcrOptions = NO_OPTIONS, **kw: Any) -> str:
    args: dict[str, Any] = {
        "scope": "tenant:acme",
        "entity": ENTITY,
        "model": None,
        "digest": digest,
        "media_type": "application/pdf",
        "options": options,
    }
    args.update(kw)
    return cache_key(**args)


@settings(max_examples=40, deadline=None)
@given(st.binary(min_size=1, max_size=400))
def test_every_transport_of_the_same_bytes_has_one_key(tail: bytes) -> None:
    data = b"%PDF-1.7\n" + tail
    b64 = base64.b64encode(data).decode()
    forms = [
        normalize_json({"document_base64": b64, "pages": [0]}),
        normalize_json(
            {
                "document": {"type": "document_url", "document_url": f"data:x/y;base64,{b64}"},
                "pages": "0",
                "id": "ignored",
                "include_blocks": True,
            }
        ),
        normalize_form(
            {"pages": "0"}, ("file", Blob.from_bytes(data), "application/pdf", "doc.pdf")
        ),
    ]
    keys = set()
    for request in forms:
        assert request.source.blob is not None
        keys.add(_key(document_digest(request.source.blob), request.options))
    assert len(keys) == 1


def test_what_changes_the_answer_changes_the_key() -> None:
    digest = document_digest(Blob.from_bytes(PDF))
    base = _key(digest)
    schema = {"type": "json_schema", "json_schema": {"name": "t", "schema": {"a": 1, "b": 2}}}
    reordered = {"json_schema": {"schema": {"b": 2, "a": 1}, "name": "t"}, "type": "json_schema"}
    assert _key(digest, OcrOptions(document_annotation_format=schema)) == _key(
        digest, OcrOptions(document_annotation_format=reordered)
    )
    others = [
        _key(document_digest(Blob.from_bytes(PDF + b" "))),
        _key(digest, scope="tenant:other"),
        _key(digest, scope="*"),
        _key(digest, model="mistral-ocr-2505"),
        _key(digest, media_type="image/png"),
        _key(digest, entity=OcrModelConfig(id="m", provider="mistral", model="mistral-ocr-2512")),
        _key(digest, entity=OcrModelConfig(id="n", provider="mistral", model="mistral-ocr-latest")),
        _key(digest, OcrOptions(pages=(0,))),
        _key(digest, OcrOptions(pages=(0, 1))),
        _key(digest, OcrOptions(include_image_base64=True)),
        _key(digest, OcrOptions(table_format="html")),
        _key(digest, OcrOptions(extract_header=True)),
        _key(digest, OcrOptions(force_ocr=True)),
        _key(digest, OcrOptions(pdf_password="secret")),
        _key(digest, OcrOptions(document_annotation_format=schema)),
        _key(digest, OcrOptions(bbox_annotation_format=schema)),
        _key(digest, OcrOptions(image_limit=3)),
    ]
    assert len({base, *others}) == len(others) + 1
    # What does not shape the answer does not: the key, timeouts, prices, the cache switch.
    assert base == _key(
        digest,
        entity=OcrModelConfig(
            id="m",
            provider="mistral",
            model="mistral-ocr-latest",
            api_key="sk-other",
            timeout=5,
            cost_per_page=0.1,
            cache=True,
        ),
    )


def test_a_document_has_one_digest_however_it_is_held(tmp_path: Path) -> None:
    data = os.urandom(3_000_001)
    path = tmp_path / "doc.bin"
    path.write_bytes(data)
    text = base64.b64encode(data).decode()
    held = [
        Blob.from_bytes(data),
        Blob(path=str(path), owned=False),  # spooled upload, hashed in chunks
        Base64Blob(text, len(data), "document"),  # base64 kept as it came
    ]
    assert len({document_digest(b) for b in held}) == 1
    lazy = normalize_json({"document_base64": text}).source.blob
    assert isinstance(lazy, Base64Blob) and document_digest(lazy) == document_digest(held[0])
    assert lazy.base64_text() == text  # hashing did not decode it


def _entry(body: bytes = b'{"pages":[]}', pages: int = 2) -> CacheEntry:
    return CacheEntry(EntryMeta("m", pages, 0, 123, time.time()), body)


def test_entries_round_trip_and_foreign_values_are_misses() -> None:
    entry = _entry(b"x" * 1000)
    assert loads(dumps(entry)) == entry
    raw = dumps(entry)
    for bad in (b"", b"AGC1", raw[:10], b"AGC1\xff\xff\xff\xff{}", b"something else entirely"):
        assert loads(bad) is None


async def test_memory_backend_is_an_lru_bounded_in_bytes() -> None:
    cache = MemoryCache(max_bytes=3000, ttl=60)
    for k in "abc":
        await cache.set(k, b"x" * 1000)
    assert await cache.get("a") is not None  # a is now the most recent
    await cache.set("d", b"x" * 1000)
    assert await cache.get("b") is None  # the least recently used left
    assert {k for k in "acd" if await cache.get(k)} == {"a", "c", "d"}
    assert cache.bytes == 3000
    await cache.set("huge", b"x" * 5000)  # larger than the whole cache: not kept
    assert await cache.get("huge") is None and cache.bytes == 3000
    expired = MemoryCache(max_bytes=3000, ttl=0.0)
    await expired.set("a", b"x")
    assert await expired.get("a") is None and expired.bytes == 0


async def test_disk_backend_evicts_the_least_recently_used(tmp_path: Path) -> None:
    root = tmp_path / "cache"
    disk = DiskCache(str(root), max_bytes=10_000, ttl=3600, logger=None)
    keys = [f"{i:02x}" + "0" * 62 for i in range(6)]
    for i, k in enumerate(keys):
        await disk.set(k, bytes([i]) * 3000)
        old = time.time() - 100 + i  # oldest first
        os.utime(root / k[:2] / k, (old, old))
        if i == 2:
            break
    assert await disk.get(keys[0]) == b"\x00" * 3000  # a hit makes it the most recent use
    await disk.set(keys[3], b"\x03" * 3000)  # 12,000 > 10,000: down to 9,000 or less
    present = [k for k in keys[:4] if await disk.get(k) is not None]
    assert present == [keys[0], keys[2], keys[3]]  # keys[1] was the least recently used
    assert disk.evictions == 1
    assert stat.S_IMODE(root.stat().st_mode) == 0o700
    assert stat.S_IMODE((root / keys[0][:2] / keys[0]).stat().st_mode) == 0o600
    assert not list(root.rglob(".tmp-*"))  # writes are renamed into place
    # A second process sharing the directory sees the entries.
    other = DiskCache(str(root), max_bytes=10_000, ttl=3600, logger=None)
    assert await other.get(keys[3]) == b"\x03" * 3000


async def test_disk_errors_are_misses_logged_once(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    logged: list[str] = []

    class Log:
        def warning(self, event: str, **_: Any) -> None:
            logged.append(event)

    disk = DiskCache(str(blocker / "cache"), max_bytes=10_000, ttl=60, logger=Log())
    for _ in range(3):
        await disk.set("ab" + "0" * 62, b"x")
        assert await disk.get("ab" + "0" * 62) is None
    assert logged == ["ocr cache disk error"]


async def test_followers_get_the_leaders_answer() -> None:
    flights = Flights()
    leader = flights.lead("k")
    assert leader is not None and flights.lead("k") is None
    followers = [asyncio.ensure_future(flights.follow("k")) for _ in range(5)]
    await asyncio.sleep(0)
    leader.land(_entry())
    leader.close()
    answers = [await f for f in followers]
    assert answers == [leader.future.result()] * 5
    assert await flights.follow("k") is None and flights.lead("k") is not None


async def test_followers_share_a_failure_but_retry_an_abandoned_flight() -> None:
    flights = Flights()
    leader = flights.lead("k")
    assert leader is not None
    follower = asyncio.ensure_future(flights.follow("k"))
    await asyncio.sleep(0)
    leader.fail(UpstreamError("upstream said no"))
    with pytest.raises(UpstreamError):
        await follower
    leader = flights.lead("k")
    assert leader is not None
    follower = asyncio.ensure_future(flights.follow("k"))
    await asyncio.sleep(0)
    leader.abandon()
    assert await follower is None  # no answer, no error: look again (and lead)
    assert flights.lead("k") is not None


async def test_a_cancelled_follower_does_not_cancel_the_flight() -> None:
    flights = Flights()
    leader = flights.lead("k")
    assert leader is not None
    quitter = asyncio.ensure_future(flights.follow("k"))
    stayer = asyncio.ensure_future(flights.follow("k"))
    await asyncio.sleep(0)
    quitter.cancel()
    await asyncio.sleep(0)
    leader.land(_entry())
    assert (await stayer) is not None
