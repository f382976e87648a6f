"""The disk cache backend: one file per entry in a directory the processes of a host share.

``<path>/<key[:2]>/<key>``: written to a temporary file in the same directory and renamed into
place (``os.replace`` is atomic), so a reader sees a whole entry or none, even across
``--workers N`` processes. A file's modification time is its last use (a hit touches it), which
makes the eviction least-recently-used: once the bytes this process has seen pass
``max_bytes``, it lists the directory and deletes the oldest files (and any older than ``ttl``)
until 90 % of ``max_bytes`` is left. Every file operation runs in a worker thread, never on the
event loop. Files hold OCR text of the documents: the directory is created with mode 0700 and
files with 0600.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import anyio.to_thread

from .backends import CacheBackend

__all__ = ("DiskCache",)

_KEEP = 0.9
"""Share of ``max_bytes`` left after an eviction (so every write does not evict)."""


class DiskCache(CacheBackend):
    """Entries as files under ``path`` (see the module docstring)."""

    name = "disk"

    def __init__(self, path: str, max_bytes: int, ttl: float, logger: Any) -> None:
        self.root = Path(path)
        self.max_bytes = max_bytes
        self.ttl = ttl
        self.logger = logger
        self.bytes: int | None = None
        """Bytes in the directory as this process last counted them, plus its own writes."""
        self.evictions = 0
        self._failed = False

    def _file(self, key: str) -> Path:
        return self.root / key[:2] / key

    def _warn(self, what: str, exc: OSError) -> None:
        if not self._failed:  # once: a full or read-only disk would log every request
            self._failed = True
            self.logger.warning(
                "ocr cache disk error", op=what, path=str(self.root), error=type(exc).__name__
            )

    async def get(self, key: str) -> bytes | None:
        return await anyio.to_thread.run_sync(self._get, key)

    def _get(self, key: str) -> bytes | None:
        path = self._file(key)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            self._warn("read", exc)
            return None
        with contextlib.suppress(OSError):
            os.utime(path)  # a hit is a use: the file moves to the back of the LRU
        return data

    async def set(self, key: str, value: bytes) -> None:
        if len(value) > self.max_bytes:
            return
        await anyio.to_thread.run_sync(self._set, key, value)

    def _set(self, key: str, value: bytes) -> None:
        path = self._file(key)
        try:
            if self.bytes is None:
                self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
                self.bytes = self._scan(evict=False)
            path.parent.mkdir(mode=0o700, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
            try:
                with os.fdopen(fd, "wb") as f:
                    f.write(value)
                os.replace(tmp, path)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                raise
        except OSError as exc:
            self._warn("write", exc)
            return
        self.bytes += len(value)
        if self.bytes > self.max_bytes:
            self.bytes = self._scan(evict=True)

    def _scan(self, *, evict: bool) -> int:
        """Bytes in the directory; with ``evict``, delete the oldest files (and expired ones)
        until at most 90 % of ``max_bytes`` is left."""
        files: list[tuple[float, int, str]] = []
        total = 0
        for sub in os.scandir(self.root):
            if not sub.is_dir(follow_symlinks=False):
                continue
            for entry in os.scandir(sub.path):
                try:
                    st = entry.stat(follow_symlinks=False)
                except FileNotFoundError:  # another process evicted it meanwhile
                    continue
                files.append((st.st_mtime, st.st_size, entry.path))
                total += st.st_size
        if not evict:
            return total
        files.sort()
        stale = time.time() - self.ttl
        goal = int(self.max_bytes * _KEEP)
        for mtime, size, path in files:
            if total <= goal and mtime >= stale:
                break
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)
                self.evictions += 1
            total -= size
        return total
