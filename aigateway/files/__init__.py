"""Files: tenant-owned uploads and batch outputs, signed URLs, local or S3 storage.

``build_file_store(settings)`` makes the store ``[files]`` describes; :mod:`.router` serves
``/v1/files`` (Mistral and OpenAI wire formats) over it.
"""

from __future__ import annotations

from pathlib import Path

from ..config import Settings
from .records import FileRecord
from .storage import LocalStorage, Storage
from .store import FileDocuments, FileStore

__all__ = ("FileDocuments", "FileRecord", "FileStore", "build_file_store", "data_directory")


def data_directory(settings: Settings) -> Path:
    """``[files] directory``, relative to the config file's folder (or the working directory
    for a config that came from memory)."""
    path = Path(settings.files.directory).expanduser()
    if path.is_absolute():
        return path
    source = Path(settings.source)
    base = source.parent if settings.source != "<memory>" and source.suffix else Path.cwd()
    return (base / path).resolve()


def build_file_store(settings: Settings) -> FileStore:
    """The store ``[files]`` asks for (nothing is created on disk until it is used)."""
    directory = data_directory(settings)
    storage: Storage
    if settings.files.backend == "s3":
        from .s3 import S3Storage

        storage = S3Storage(settings.files)
    else:
        storage = LocalStorage(directory / "files")
    return FileStore(settings.files, storage, directory)
