"""File metadata: the stored record and its wire form for both SDKs.

One object satisfies the ``openai`` SDK (``FileObject``: ``id, object="file", bytes,
created_at, filename, purpose, status``) and the ``mistralai`` SDK (``CreateFileResponse`` /
``GetFileResponse`` / ``FileSchema``: ``id, object, bytes, created_at, filename, purpose,
sample_type, source``, plus ``deleted`` on retrieve). Extra keys are ignored by both, so every
endpoint answers the union. Field facts: ``docs/files-batches.md``.
"""

from __future__ import annotations

import re

import msgspec

__all__ = (
    "ID_PATTERN",
    "PURPOSES",
    "FileList",
    "FileObject",
    "FileRecord",
    "valid_id",
)

PURPOSES = ("ocr", "batch", "user_data", "batch_output", "fine-tune", "vision", "assistants")
"""Purposes accepted on upload (Mistral: ocr, batch, fine-tune; OpenAI: batch, user_data, …)."""

ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,95}$")


def valid_id(value: str) -> bool:
    """True when ``value`` can be a file or job id (no path characters, bounded length)."""
    return bool(ID_PATTERN.match(value))


class FileRecord(msgspec.Struct, kw_only=True):
    """What the store keeps about one file (persisted as JSON next to the bytes)."""

    id: str
    tenant: str
    filename: str
    bytes: int
    created_at: int
    purpose: str
    mimetype: str | None = None
    num_lines: int | None = None
    expires_at: int | None = None
    sample_type: str = "batch_request"
    source: str = "upload"

    def wire(self) -> FileObject:
        """The response object."""
        return FileObject(
            id=self.id,
            bytes=self.bytes,
            created_at=self.created_at,
            filename=self.filename,
            purpose=self.purpose,
            sample_type=self.sample_type,
            source=self.source,
            mimetype=self.mimetype,
            num_lines=self.num_lines,
            expires_at=self.expires_at,
        )


class FileObject(msgspec.Struct, kw_only=True):
    """A file as both SDKs parse it."""

    id: str
    object: str = "file"
    bytes: int
    created_at: int
    filename: str
    purpose: str
    sample_type: str
    source: str
    status: str = "processed"
    status_details: None = None
    mimetype: str | None = None
    num_lines: int | None = None
    expires_at: int | None = None
    deleted: bool = False


class FileList(msgspec.Struct, kw_only=True):
    """``GET /v1/files``: Mistral reads ``data``/``total``, OpenAI ``data``/``has_more``."""

    data: list[FileObject]
    object: str = "list"
    total: int
    has_more: bool
    first_id: str | None
    last_id: str | None
