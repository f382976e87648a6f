"""S3-compatible object storage (AWS S3, MinIO, Ceph, moto …) through aiobotocore.

Installed with the ``s3`` extra (``pip install 'aigateway[s3]'``). One client per app, opened
on first use and closed with the app. Large objects go up as one ``PutObject`` streamed from
the spooled file (no whole-file copy in memory); reads stream the body or ask for a byte
``Range`` (a batch line is read without fetching its whole input file).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

from ..blob import Blob, SpoolingWriter
from ..config import FilesConfig
from ..errors import ConfigError, UpstreamError
from .storage import CHUNK, Storage

__all__ = ("S3Storage",)


def _missing(exc: Exception) -> bool:
    response = getattr(exc, "response", None) or {}
    code = str(response.get("Error", {}).get("Code", ""))
    return code in ("NoSuchKey", "404", "NotFound")


class S3Storage(Storage):
    """Objects in ``config.s3_bucket`` under ``config.s3_prefix``."""

    name = "s3"

    def __init__(self, config: FilesConfig) -> None:
        try:
            from aiobotocore.session import get_session
        except ImportError:
            raise ConfigError(
                '$.files.backend = "s3" needs the s3 extra: pip install "aigateway[s3]"'
            ) from None
        self.config = config
        self.bucket = str(config.s3_bucket)
        self.prefix = config.s3_prefix.strip("/") + "/" if config.s3_prefix.strip("/") else ""
        self._session = get_session()
        self._stack: contextlib.AsyncExitStack | None = None
        self._client: Any = None

    async def _c(self) -> Any:
        if self._client is None:
            from aiobotocore.config import AioConfig

            stack = contextlib.AsyncExitStack()
            self._client = await stack.enter_async_context(
                self._session.create_client(
                    "s3",
                    endpoint_url=self.config.s3_endpoint,
                    region_name=self.config.s3_region,
                    aws_access_key_id=self.config.s3_access_key,
                    aws_secret_access_key=self.config.s3_secret_key,
                    config=AioConfig(
                        connect_timeout=10,
                        read_timeout=60,
                        retries={"max_attempts": 3, "mode": "standard"},
                        max_pool_connections=32,
                    ),
                )
            )
            self._stack = stack
        return self._client

    def _key(self, key: str) -> str:
        return self.prefix + key

    @staticmethod
    def _failed(what: str, exc: Exception) -> UpstreamError:
        # The message names the operation and the error class only: never credentials or URLs
        # with signatures.
        return UpstreamError(f"file storage {what} failed ({type(exc).__name__})")

    async def put(self, key: str, blob: Blob) -> None:
        client = await self._c()
        try:
            with blob.open() as body:
                await client.put_object(
                    Bucket=self.bucket, Key=self._key(key), Body=body, ContentLength=blob.size
                )
        except Exception as exc:
            raise self._failed("write", exc) from None

    async def put_bytes(self, key: str, data: bytes) -> None:
        await self.put(key, Blob(data))

    async def _get(self, key: str, **extra: Any) -> Any:
        client = await self._c()
        try:
            return await client.get_object(Bucket=self.bucket, Key=self._key(key), **extra)
        except Exception as exc:
            if _missing(exc):
                return None
            raise self._failed("read", exc) from None

    async def get_bytes(self, key: str) -> bytes | None:
        response = await self._get(key)
        if response is None:
            return None
        async with response["Body"] as body:
            data: bytes = await body.read()
        return data

    async def get_blob(self, key: str) -> Blob | None:
        response = await self._get(key)
        if response is None:
            return None
        writer = SpoolingWriter()
        try:
            async with response["Body"] as body:
                while chunk := await body.read(CHUNK):
                    writer.write(chunk)
        except BaseException:
            writer.discard()
            raise
        return writer.finish()

    async def read_range(self, key: str, offset: int, length: int) -> bytes:
        if length <= 0:
            return b""
        response = await self._get(key, Range=f"bytes={offset}-{offset + length - 1}")
        if response is None:
            raise FileNotFoundError(key)
        async with response["Body"] as body:
            data: bytes = await body.read()
        return data

    async def stream(self, key: str) -> AsyncIterator[bytes]:
        response = await self._get(key)
        if response is None:
            raise FileNotFoundError(key)
        async with response["Body"] as body:
            while chunk := await body.read(CHUNK):
                yield chunk

    async def delete(self, key: str) -> None:
        client = await self._c()
        try:
            await client.delete_object(Bucket=self.bucket, Key=self._key(key))
        except Exception as exc:
            if not _missing(exc):
                raise self._failed("delete", exc) from None

    async def keys(self, prefix: str) -> list[str]:
        client = await self._c()
        keys: list[str] = []
        try:
            paginator = client.get_paginator("list_objects_v2")
            async for page in paginator.paginate(Bucket=self.bucket, Prefix=self._key(prefix)):
                keys += [o["Key"][len(self.prefix) :] for o in page.get("Contents", [])]
        except Exception as exc:
            raise self._failed("listing", exc) from None
        return keys

    async def aclose(self) -> None:
        if self._stack is not None:
            await self._stack.aclose()
        self._stack = None
        self._client = None
