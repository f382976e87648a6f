"""What HTTP OCR adapters send and how they fan out: base64 JSON bodies streamed from a blob,
the source pdfium opens, and bounded concurrency over pages."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from typing import TypeVar

import anyio

from ...blob import Base64Blob, Blob
from ..protocol import Document

__all__ = ("as_jpeg", "b64_json_body", "pdf_source", "run_bounded")

T = TypeVar("T")

_B64_CHUNK = 3 * 256 * 1024  # a multiple of 3, so chunk encodings concatenate into valid base64


def pdf_source(doc: Document) -> bytes | str:
    """What pdfium opens: the bytes when in memory, else the spooled file (no extra copy)."""
    return doc.blob.read() if doc.blob.in_memory else doc.blob.path()


def _jpeg_of(doc: Document, max_pixels: int) -> Document:
    import io

    from ..pdf import DECODE_ERRORS, open_image, unreadable_image

    img = open_image(pdf_source(doc), max_pixels)  # 413/422 for what it cannot take or read
    buf = io.BytesIO()
    try:
        img.convert("RGB").save(buf, format="JPEG", quality=95)
    except DECODE_ERRORS as exc:  # the pixels are decoded here, not when the header was read
        raise unreadable_image(exc) from None
    return Document(Blob.from_bytes(buf.getvalue()), "image/jpeg", doc.filename, doc.type_field)


async def as_jpeg(doc: Document, max_pixels: int) -> Document:
    """An image an upstream does not read (an iPhone's HEIC photo) as a JPEG of it, decoded
    upright (its orientation applied) off the event loop."""
    return await anyio.to_thread.run_sync(_jpeg_of, doc, max_pixels)


def b64_json_body(
    blob: Blob, prefix: bytes, suffix: bytes
) -> tuple[int, bytes | AsyncIterator[bytes]]:
    """A JSON body ``prefix + base64(blob) + suffix``, with its size.

    A 50 MB PDF becomes ~67 MB of JSON; building it as one ``bytes`` (plus the base64 string and
    the encoder's copy) would cost several times that. Streaming it costs one chunk. A document
    of one chunk or less is built in one piece: a generator per request costs more than it saves.
    """
    text = blob.base64_text() if isinstance(blob, Base64Blob) else None
    if text is not None:
        # The caller's own base64, forwarded as it came: no decode, no re-encode.
        return _forward_b64(text, prefix, suffix)
    size = len(prefix) + 4 * ((blob.size + 2) // 3) + len(suffix)
    if blob.in_memory and blob.size <= _B64_CHUNK:
        return size, b"".join((prefix, base64.b64encode(blob.read()), suffix))

    async def chunks() -> AsyncIterator[bytes]:
        yield prefix
        with blob.open() as f:
            while True:
                if blob.in_memory:
                    data = f.read(_B64_CHUNK)
                else:
                    data = await anyio.to_thread.run_sync(f.read, _B64_CHUNK)
                if not data:
                    break
                yield base64.b64encode(data)
        yield suffix

    return size, chunks()


def _forward_b64(
    text: str, prefix: bytes, suffix: bytes
) -> tuple[int, bytes | AsyncIterator[bytes]]:
    size = len(prefix) + len(text) + len(suffix)
    step = 4 * _B64_CHUNK // 3
    if len(text) <= step:
        return size, b"".join((prefix, text.encode("ascii"), suffix))

    async def chunks() -> AsyncIterator[bytes]:
        yield prefix
        for i in range(0, len(text), step):
            yield text[i : i + step].encode("ascii")
        yield suffix

    return size, chunks()


async def run_bounded(
    items: Iterable[T], fn: Callable[[T], Awaitable[None]], concurrency: int
) -> None:
    """Run ``fn(item)`` for every item, at most ``concurrency`` at once.

    The first failure cancels the rest and is raised *as itself*: a task group would wrap it in
    an ``ExceptionGroup``, which the service's retry/fallback logic does not look into.
    """
    errors: list[Exception] = []
    limiter = anyio.CapacityLimiter(concurrency)

    async with anyio.create_task_group() as tg:

        async def run(item: T) -> None:
            try:
                async with limiter:
                    await fn(item)
            except Exception as exc:
                if not errors:
                    errors.append(exc)
                tg.cancel_scope.cancel()

        for item in items:
            tg.start_soon(run, item)
    if errors:
        raise errors[0]
