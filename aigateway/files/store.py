"""The files store: tenant-owned files (bytes plus a JSON record) in a :class:`Storage`.

Layout inside the storage: ``meta/{tenant}/{id}.json`` (the :class:`FileRecord`) and
``data/{tenant}/{id}`` (the bytes); the tenant part is percent-encoded. A file is looked up
under the caller's own tenant only, so another tenant's id is simply not there: 404, the same
answer as an id that never existed. Ids are validated before they reach a key (no path
tricks). Records carry ``expires_at`` from ``[files] retention_days``; an expired file answers
404 and is removed (also by :meth:`FileStore.sweep`).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import quote

import msgspec

from ..blob import Blob
from ..config import FilesConfig
from ..errors import BadRequestError, GatewayError, NotFoundError
from .records import FileRecord, valid_id
from .signing import SIGNED_SUFFIX, Signer, load_key, parse_signed_url
from .storage import Storage

__all__ = ("FileDocuments", "FileStore")

DAY = 86_400


def _t(tenant: str) -> str:
    return quote(tenant, safe="")


def _not_found(file_id: str, param: str) -> NotFoundError:
    return NotFoundError(f"no file with id {file_id!r}", param=param, code="file_not_found")


def count_lines(blob: Blob) -> int:
    """Non-empty lines of a JSONL blob (read in chunks; runs in a thread)."""
    lines = 0
    last = b"\n"
    with blob.open() as f:
        while chunk := f.read(1 << 20):
            lines += chunk.count(b"\n")
            last = chunk[-1:]
    return lines + (0 if last == b"\n" else 1)


class FileStore:
    """Files of every tenant in one :class:`Storage`."""

    def __init__(self, config: FilesConfig, storage: Storage, directory: Path) -> None:
        self.config = config
        self.storage = storage
        self.directory = directory
        self._signer: Signer | None = None

    @property
    def signer(self) -> Signer:
        """The URL signer (a single node's key is created on first use)."""
        if self._signer is None:
            self._signer = Signer(load_key(self.config.signing_key, self.directory))
        return self._signer

    @staticmethod
    def _meta(tenant: str, file_id: str) -> str:
        return f"meta/{_t(tenant)}/{file_id}.json"

    @staticmethod
    def _data(tenant: str, file_id: str) -> str:
        return f"data/{_t(tenant)}/{file_id}"

    async def create(
        self,
        tenant: str,
        blob: Blob,
        *,
        filename: str,
        purpose: str,
        mimetype: str | None = None,
        sample_type: str = "batch_request",
        source: str = "upload",
        num_lines: int | None = None,
        expires_at: int | None = None,
        file_id: str | None = None,
    ) -> FileRecord:
        """Store ``blob`` as a new file of ``tenant`` (bytes first, then the record)."""
        now = int(time.time())
        if expires_at is None and self.config.retention_days > 0:
            expires_at = now + int(self.config.retention_days * DAY)
        record = FileRecord(
            id=file_id or str(uuid.uuid4()),
            tenant=tenant,
            filename=filename,
            bytes=blob.size,
            created_at=now,
            purpose=purpose,
            mimetype=mimetype,
            num_lines=num_lines,
            expires_at=expires_at,
            sample_type=sample_type,
            source=source,
        )
        await self.storage.put(self._data(tenant, record.id), blob)
        # The record is written last: a file is visible only once its bytes are complete.
        await self.storage.put_bytes(self._meta(tenant, record.id), msgspec.json.encode(record))
        return record

    async def get(self, tenant: str, file_id: str, *, param: str = "file_id") -> FileRecord:
        """The record of ``tenant``'s file ``file_id`` (404 when absent, foreign or expired)."""
        if not isinstance(file_id, str) or not valid_id(file_id):
            raise _not_found(str(file_id)[:100], param)
        raw = await self.storage.get_bytes(self._meta(tenant, file_id))
        if raw is None:
            raise _not_found(file_id, param)
        record = msgspec.json.decode(raw, type=FileRecord)
        if record.expires_at is not None and record.expires_at <= time.time():
            await self._remove(tenant, file_id)
            raise _not_found(file_id, param)
        return record

    async def list_files(self, tenant: str, purpose: str | None = None) -> list[FileRecord]:
        """``tenant``'s live files, newest first."""
        now = time.time()
        out: list[FileRecord] = []
        for key in await self.storage.keys(f"meta/{_t(tenant)}/"):
            raw = await self.storage.get_bytes(key)
            if raw is None:
                continue
            record = msgspec.json.decode(raw, type=FileRecord)
            if record.expires_at is not None and record.expires_at <= now:
                continue
            if purpose is None or record.purpose == purpose:
                out.append(record)
        out.sort(key=lambda r: (r.created_at, r.id), reverse=True)
        return out

    async def _remove(self, tenant: str, file_id: str) -> None:
        await self.storage.delete(self._meta(tenant, file_id))
        await self.storage.delete(self._data(tenant, file_id))

    async def delete(self, tenant: str, file_id: str) -> FileRecord:
        """Delete ``tenant``'s file (404 when absent or foreign)."""
        record = await self.get(tenant, file_id)
        await self._remove(tenant, file_id)
        return record

    def stream(self, record: FileRecord) -> AsyncIterator[bytes]:
        """The file's bytes in chunks."""
        return self.storage.stream(self._data(record.tenant, record.id))

    async def blob(self, record: FileRecord) -> Blob:
        """The file's bytes as a blob (the caller closes it)."""
        blob = await self.storage.get_blob(self._data(record.tenant, record.id))
        if blob is None:
            raise _not_found(record.id, "file_id")
        return blob

    async def read_range(self, tenant: str, file_id: str, offset: int, length: int) -> bytes:
        """Part of a file (a batch line) without reading the rest."""
        return await self.storage.read_range(self._data(tenant, file_id), offset, length)

    def signed_url(self, record: FileRecord, base: str, hours: int) -> str:
        """A URL serving ``record`` without auth for ``hours`` hours."""
        expires = int(time.time()) + hours * 3600
        query = self.signer.query(record.tenant, record.id, expires)
        return f"{base.rstrip('/')}/v1/files/{record.id}{SIGNED_SUFFIX}?{query}"

    async def open_signed(self, url: str, *, param: str) -> FileRecord:
        """The file a signed URL grants (403 bad signature, 410 expired, 404 gone)."""
        ref = parse_signed_url(url)
        if ref is None:
            raise BadRequestError(f"{param} is not a signed file URL", param=param)
        try:
            self.signer.verify(ref)
        except GatewayError as exc:
            exc.param = param
            raise
        return await self.get(ref.tenant, ref.file_id, param=param)

    # --- scratch objects of batch jobs (large line results) ----------------------------------

    async def put_scratch(self, tenant: str, job_id: str, name: str, data: bytes) -> str:
        """Keep ``data`` for a job (not a file: never listed); returns its key."""
        key = f"scratch/{_t(tenant)}/{job_id}/{name}"
        await self.storage.put_bytes(key, data)
        return key

    async def get_scratch(self, key: str) -> bytes | None:
        """A scratch object written by :meth:`put_scratch`."""
        if not key.startswith("scratch/") or ".." in key:
            return None
        return await self.storage.get_bytes(key)

    async def drop_scratch(self, tenant: str, job_id: str) -> None:
        """Delete a job's scratch objects (once its files are written)."""
        for key in await self.storage.keys(f"scratch/{_t(tenant)}/{job_id}/"):
            await self.storage.delete(key)

    async def sweep(self) -> int:
        """Delete every expired file (retention); returns how many."""
        now = time.time()
        removed = 0
        for key in await self.storage.keys("meta/"):
            raw = await self.storage.get_bytes(key)
            if raw is None:
                continue
            try:
                record = msgspec.json.decode(raw, type=FileRecord)
            except msgspec.DecodeError:
                continue
            if record.expires_at is not None and record.expires_at <= now:
                await self._remove(record.tenant, record.id)
                removed += 1
        return removed

    def documents_for(self, tenant: str) -> FileDocuments:
        """The OCR document resolver for ``tenant`` (file ids and signed URLs)."""
        return FileDocuments(self, tenant)

    async def aclose(self) -> None:
        """Close the storage client."""
        await self.storage.aclose()


class FileDocuments:
    """Lets OCR read ``{"type": "file", "file_id": …}`` and signed URLs from the store.

    A file id is looked up under the caller's tenant; a signed URL carries its own permission
    (the signature), so it is read locally whoever presents it, never fetched over the network.
    """

    def __init__(self, store: FileStore, tenant: str) -> None:
        self.store = store
        self.tenant = tenant

    def claims(self, file_id: str | None, url: str | None) -> bool:
        """True when this resolver serves the document (a file id, or a signed URL of ours)."""
        return file_id is not None or (url is not None and parse_signed_url(url) is not None)

    async def open(
        self, file_id: str | None, url: str | None, field: str
    ) -> tuple[Blob, str | None, str]:
        """``(blob, declared media type, filename)`` of the document."""
        if file_id is not None:
            record = await self.store.get(self.tenant, file_id, param=field)
        else:
            assert url is not None
            record = await self.store.open_signed(url, param=field)
        return await self.store.blob(record), record.mimetype, record.filename
