"""Where file bytes live: the storage interface and the local-directory backend.

Keys are ``/``-separated paths built by :mod:`aigateway.files.store` from validated ids (never
from a caller's raw text), so a backend only maps them to its own namespace. Every method is
async; the local backend does its disk work in a thread so a large file never blocks the loop.
Objects are written whole and atomically (a temporary name, then a rename), so a reader never
sees half a file and a crash leaves no partial object under a real key.
"""

from __future__ import annotations

import abc
import contextlib
import os
import shutil
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import anyio.to_thread

from ..blob import Blob

__all__ = ("CHUNK", "LocalStorage", "Storage")

CHUNK = 256 * 1024
"""Bytes per chunk when streaming an object out."""


class Storage(abc.ABC):
    """Object storage: whole-object writes, whole or ranged reads, listing by prefix."""

    name = "abstract"

    @abc.abstractmethod
    async def put(self, key: str, blob: Blob) -> None:
        """Store ``blob`` under ``key`` (replacing any object there)."""

    @abc.abstractmethod
    async def put_bytes(self, key: str, data: bytes) -> None:
        """Store small ``data`` under ``key``."""

    @abc.abstractmethod
    async def get_bytes(self, key: str) -> bytes | None:
        """The whole object (for small objects), ``None`` when absent."""

    @abc.abstractmethod
    async def get_blob(self, key: str) -> Blob | None:
        """The object as a :class:`Blob` (spooled to disk when large), ``None`` when absent.

        The caller closes the blob.
        """

    @abc.abstractmethod
    async def read_range(self, key: str, offset: int, length: int) -> bytes:
        """``length`` bytes from ``offset`` (raises ``FileNotFoundError`` when absent)."""

    @abc.abstractmethod
    def stream(self, key: str) -> AsyncIterator[bytes]:
        """The object's bytes in chunks (raises ``FileNotFoundError`` when absent)."""

    @abc.abstractmethod
    async def delete(self, key: str) -> None:
        """Remove the object (absent is fine)."""

    @abc.abstractmethod
    async def keys(self, prefix: str) -> list[str]:
        """Every key under ``prefix`` (ending in ``/``, nested ones too), in no set order."""

    async def aclose(self) -> None:  # noqa: B027 - optional
        """Release connections."""


class LocalStorage(Storage):
    """Objects as files under ``root`` (created on first write)."""

    name = "local"

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        return self.root / key

    def _write(self, key: str, source: Blob | bytes) -> None:
        path = self._path(key)
        for attempt in range(3):
            path.parent.mkdir(parents=True, exist_ok=True)
            try:
                fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
                break
            except FileNotFoundError:  # a delete pruned the empty folder in between
                if attempt == 2:
                    raise
        try:
            with os.fdopen(fd, "wb") as out:
                if isinstance(source, bytes):
                    out.write(source)
                else:
                    with source.open() as src:
                        shutil.copyfileobj(src, out, CHUNK)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise

    async def put(self, key: str, blob: Blob) -> None:
        await anyio.to_thread.run_sync(self._write, key, blob)

    async def put_bytes(self, key: str, data: bytes) -> None:
        await anyio.to_thread.run_sync(self._write, key, data)

    def _read(self, key: str) -> bytes | None:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            return None

    async def get_bytes(self, key: str) -> bytes | None:
        return await anyio.to_thread.run_sync(self._read, key)

    async def get_blob(self, key: str) -> Blob | None:
        path = self._path(key)
        if not path.is_file():
            return None
        # The file itself backs the blob; the blob does not own (delete) it.
        return Blob(path=str(path), owned=False)

    def _range(self, key: str, offset: int, length: int) -> bytes:
        with self._path(key).open("rb") as f:
            f.seek(offset)
            return f.read(length)

    async def read_range(self, key: str, offset: int, length: int) -> bytes:
        return await anyio.to_thread.run_sync(self._range, key, offset, length)

    async def stream(self, key: str) -> AsyncIterator[bytes]:
        f = await anyio.to_thread.run_sync(self._path(key).open, "rb")
        try:
            while chunk := await anyio.to_thread.run_sync(f.read, CHUNK):
                yield chunk
        finally:
            f.close()

    async def delete(self, key: str) -> None:
        def unlink() -> None:
            path = self._path(key)
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
            # Empty folders go too (a finished job's scratch, a tenant's last file).
            for parent in path.parents:
                if parent == self.root or self.root not in parent.parents:
                    break
                try:
                    parent.rmdir()
                except OSError:
                    break

        await anyio.to_thread.run_sync(unlink)

    async def keys(self, prefix: str) -> list[str]:
        def scan() -> list[str]:
            base = self._path(prefix)
            if not base.is_dir():
                return []
            return [
                str(p.relative_to(self.root))
                for p in base.rglob("*")
                if p.is_file() and not p.name.startswith(".tmp-")
            ]

        return await anyio.to_thread.run_sync(scan)
