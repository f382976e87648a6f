"""Document bytes held in memory or spooled to a temporary file.

Uploads above a threshold go to disk as they stream in, so a 100 MB multipart upload does not
cost 100 MB of RSS; providers ask for ``read()`` (bytes), ``path()`` (a file for workers and
streamed uploads) or ``open()`` (a binary file object) as they need.
"""

from __future__ import annotations

import contextlib
import io
import os
import tempfile
from typing import BinaryIO, cast

__all__ = ("Base64Blob", "Blob", "SpoolingWriter")

SPOOL_THRESHOLD = 1_048_576


class Blob:
    """Immutable document bytes; either ``data`` in memory or a temporary file at ``_path``."""

    __slots__ = ("_data", "_owned", "_path", "size")

    def __init__(self, data: bytes | None = None, *, path: str | None = None, owned: bool = True):
        if (data is None) == (path is None):
            raise ValueError("Blob needs exactly one of data or path")
        self._data = data
        self._path = path
        self._owned = owned and path is not None
        self.size = len(data) if data is not None else os.path.getsize(path)  # type: ignore[arg-type]

    @classmethod
    def from_bytes(cls, data: bytes) -> Blob:
        """A blob over bytes already in memory."""
        return cls(data)

    @property
    def in_memory(self) -> bool:
        """True when the bytes live in this process's memory."""
        return self._data is not None

    def head(self, n: int = 4096) -> bytes:
        """The first ``n`` bytes (for magic-number sniffing)."""
        if self._data is not None:
            return self._data[:n]
        assert self._path is not None
        with open(self._path, "rb") as f:
            return f.read(n)

    def read(self) -> bytes:
        """All bytes (loads a spooled file into memory)."""
        if self._data is not None:
            return self._data
        assert self._path is not None
        with open(self._path, "rb") as f:
            return f.read()

    def open(self) -> BinaryIO:
        """A fresh binary file object positioned at the start."""
        if self._data is not None:
            return io.BytesIO(self._data)
        assert self._path is not None
        return cast(BinaryIO, open(self._path, "rb"))

    def path(self) -> str:
        """A file path holding the bytes (spools in-memory bytes to a temporary file once)."""
        if self._path is None:
            fd, name = tempfile.mkstemp(prefix="aigw-", suffix=".bin")
            with os.fdopen(fd, "wb") as f:
                f.write(self._data)  # type: ignore[arg-type]
            self._path = name
            self._owned = True
        return self._path

    def close(self) -> None:
        """Delete the temporary file, if this blob owns one."""
        if self._owned and self._path is not None:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self._path)
            self._owned = False

    def __del__(self) -> None:
        self.close()


class SpoolingWriter:
    """Collects streamed bytes in memory, moving to a temporary file past ``threshold``."""

    __slots__ = ("_buf", "_file", "_name", "size", "threshold")

    def __init__(self, threshold: int = SPOOL_THRESHOLD) -> None:
        self.threshold = threshold
        self._buf = bytearray()
        self._file: BinaryIO | None = None
        self._name = ""
        self.size = 0

    def write(self, chunk: bytes | bytearray | memoryview) -> None:
        """Append ``chunk``."""
        self.size += len(chunk)
        if self._file is not None:
            self._file.write(chunk)
            return
        self._buf += chunk
        if len(self._buf) > self.threshold:
            fd, name = tempfile.mkstemp(prefix="aigw-up-", suffix=".bin")
            self._file = os.fdopen(fd, "wb")
            self._name = name
            self._file.write(self._buf)
            self._buf = bytearray()

    def finish(self) -> Blob:
        """Close the writer and return the collected bytes as a :class:`Blob`."""
        if self._file is not None:
            self._file.close()
            self._file = None
            return Blob(path=self._name)
        data = bytes(self._buf)
        self._buf = bytearray()
        return Blob(data)

    def discard(self) -> None:
        """Drop everything written so far (and the temporary file)."""
        if self._file is not None:
            self._file.close()
            self._file = None
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self._name)
        self._buf = bytearray()


class Base64Blob(Blob):
    """Document bytes still in their canonical base64 form, decoded on first use.

    A provider that sends base64 upstream (Mistral, Azure) forwards :meth:`base64_text` as it
    came, with no decode and re-encode; anything that needs the bytes decodes them once, and a
    defect in the middle of the text is then a 400 naming ``field``.
    """

    __slots__ = ("_b64", "_field")

    def __init__(self, text: str, size: int, field: str) -> None:
        self._data = None
        self._path = None
        self._owned = False
        self._b64: str | None = text
        self._field = field
        self.size = size

    @property
    def in_memory(self) -> bool:
        """Always true: the text (or its decoded bytes) is in memory."""
        return self._path is None

    def base64_text(self) -> str | None:
        """The canonical base64 text, while it is still held (``None`` once decoded)."""
        return self._b64

    def head(self, n: int = 4096) -> bytes:
        if self._data is not None or self._b64 is None:
            return super().head(n)
        return _strict_b64(self._b64[: (n + 2) // 3 * 4], self._field)[:n]

    def read(self) -> bytes:
        if self._data is None:
            if self._b64 is None:
                return super().read()
            self._data = _strict_b64(self._b64, self._field)
            self._b64 = None  # hold the document once, not twice
        return self._data

    def open(self) -> BinaryIO:
        self.read()
        return super().open()

    def path(self) -> str:
        self.read()
        return super().path()


def _strict_b64(text: str, field: str) -> bytes:
    import binascii

    from .errors import BadRequestError

    try:
        return binascii.a2b_base64(text, strict_mode=True)
    except (binascii.Error, ValueError):
        raise BadRequestError(f"{field} is not valid base64", param=field) from None
