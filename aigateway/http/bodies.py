"""Reading request bodies under a byte cap: JSON, multipart (streamed, files spooled) and forms.

Shared by every upload endpoint. Limits are enforced before reading (``Content-Length``) and
while streaming (chunked bodies), so an oversized upload is refused having cost at most one
chunk beyond the cap; multipart file parts are spooled to disk past 1 MiB as they arrive.
"""

from __future__ import annotations

import codecs
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

import msgspec
from multipart import (
    MultipartSegment,
    ParserError,
    ParserLimitReached,
    PushMultipartParser,
    parse_options_header,
)

from ..blob import Blob, SpoolingWriter
from ..errors import BadRequestError, PayloadTooLargeError
from ..jsondepth import DEFAULT_MAX_DEPTH, check_request_json
from .limits import BodyLimits

__all__ = (
    "FormBody",
    "content_type_of",
    "decode_text_part",
    "read_bytes",
    "read_json",
    "read_multipart",
)

MAX_PARTS = 64


@dataclass
class FormBody:
    """Text fields plus at most one uploaded file ``(field, blob, content type, filename)``."""

    fields: dict[str, str] = field(default_factory=dict)
    upload: tuple[str, Blob, str | None, str | None] | None = None


def content_type_of(header: str | None) -> tuple[str, dict[str, str]]:
    """Lower-cased media type and parameters of a ``Content-Type`` header."""
    if not header:
        return "", {}
    media, params = parse_options_header(header)
    return media.lower(), params


async def read_bytes(stream: AsyncIterator[bytes], limits: BodyLimits) -> bytes:
    """The whole body as ``bytes``, counted against ``limits``."""
    body = await read_buffer(stream, limits)
    return body if isinstance(body, bytes) else bytes(body)


async def read_buffer(stream: AsyncIterator[bytes], limits: BodyLimits) -> bytes | bytearray:
    """The whole body, counted against ``limits``, without a final copy.

    One growing buffer, not a list of chunks joined at the end: a large body is held once, not
    twice, at its peak.
    """
    first = b""
    buf: bytearray | None = None
    async for chunk in stream:
        limits.add(len(chunk))
        if buf is not None:
            buf += chunk
        elif not first:
            first = chunk
        else:
            buf = bytearray(first)
            buf += chunk
            first = b""
    return buf if buf is not None else first


_json_decoder = msgspec.json.Decoder()


async def read_json(
    stream: AsyncIterator[bytes], limits: BodyLimits, max_depth: int = DEFAULT_MAX_DEPTH
) -> object:
    """Decode a JSON body (400 naming the position when it is not JSON, or naming the field
    when it nests deeper than ``max_depth``)."""
    raw = await read_buffer(stream, limits)
    check_request_json(raw, max_depth)
    try:
        return _json_decoder.decode(raw)
    except msgspec.DecodeError as exc:
        raise BadRequestError(
            f"the request body is not valid JSON: {exc}", code="invalid_json"
        ) from None


async def read_urlencoded(stream: AsyncIterator[bytes], limits: BodyLimits) -> FormBody:
    """An ``application/x-www-form-urlencoded`` body as text fields (at most ``MAX_PARTS``:
    ``a&a&a…`` would otherwise make a tuple of every two bytes)."""
    raw = await read_bytes(stream, limits)
    try:
        pairs = parse_qsl(raw.decode("utf-8"), keep_blank_values=True, max_num_fields=MAX_PARTS)
    except UnicodeDecodeError:
        raise BadRequestError("the form body is not UTF-8") from None
    except ValueError:
        raise BadRequestError(f"the form body has more than {MAX_PARTS} fields") from None
    return FormBody(fields=dict(pairs))


def decode_text_part(data: bytes | bytearray, charset: str | None, name: str) -> str:
    """A multipart text part as ``str`` in its declared charset (UTF-8 when none).

    An unknown charset, or a codec that is not a text encoding (``rot13``, ``zlib``, ``idna``
    with replacement …), is a 400 naming the field. Lone surrogates (UTF-7 can make them) become
    ``?``: they cannot be encoded again, upstream or in a log line.
    """
    encoding = charset or "utf-8"
    try:
        info = codecs.lookup(encoding)
        if not getattr(info, "_is_text_encoding", True):
            raise LookupError(encoding)
        text = bytes(data).decode(info.name, "replace")
    except (LookupError, UnicodeError, ValueError, TypeError):
        raise BadRequestError(
            f"form field {name!r}: charset {encoding[:40]!r} is not a text encoding this "
            "gateway knows; send UTF-8",
            param=name or None,
        ) from None
    if not text.isascii():
        text = text.encode("utf-8", "replace").decode("utf-8")
    return text


async def read_multipart(
    stream: AsyncIterator[bytes],
    boundary: str,
    limits: BodyLimits,
    *,
    file_fields: tuple[str, ...],
    max_file_bytes: int,
    max_field_bytes: int,
) -> FormBody:
    """Stream a ``multipart/form-data`` body.

    The part named in ``file_fields`` (a second such part is a 400; or the first part with a
    filename, when none of those is present) becomes the upload, spooled to disk past 1 MiB;
    other parts are text fields of at most ``max_field_bytes``. The upload is capped at
    ``max_file_bytes``.
    """
    form = FormBody()
    writer: SpoolingWriter | None = None
    text: bytearray | None = None
    segment: MultipartSegment | None = None
    spare: tuple[str, Blob, str | None, str | None] | None = None
    try:
        parser = PushMultipartParser(boundary, max_segment_count=MAX_PARTS, max_header_count=16)
        async for chunk in stream:
            limits.add(len(chunk))
            for event in parser.parse(chunk):
                if isinstance(event, MultipartSegment):
                    segment = event
                    # A file is a part with a filename, or a document field with a binary
                    # type; `document=https://…` typed by curl stays a text field.
                    is_file = event.filename is not None or (
                        event.name in file_fields and event.content_type not in (None, "text/plain")
                    )
                    if is_file:
                        writer = SpoolingWriter()
                    else:
                        text = bytearray()
                elif event is not None:
                    if writer is not None:
                        writer.write(event)
                        if writer.size > max_file_bytes:
                            name = segment.name if segment else "file"
                            raise PayloadTooLargeError(
                                f"{name}: the uploaded file exceeds the limit of "
                                f"{max_file_bytes} bytes",
                                param=name,
                            )
                    elif text is not None:
                        text += event
                        if len(text) > max_field_bytes:
                            name = segment.name if segment else "?"
                            raise PayloadTooLargeError(
                                f"form field {name!r} exceeds {max_field_bytes} bytes",
                                param=name,
                            )
                else:
                    assert segment is not None
                    name = segment.name or ""
                    if writer is not None:
                        part = (name, writer.finish(), segment.content_type, segment.filename)
                        writer = None
                        if name in file_fields:
                            if form.upload is not None:
                                # Which one was meant? Reading the first and dropping the
                                # rest would answer for a document nobody asked about.
                                part[1].close()
                                raise BadRequestError(
                                    f"{name}: more than one document was uploaded; send one "
                                    "file a request",
                                    param=name,
                                )
                            form.upload = part
                        elif spare is None and form.upload is None:
                            spare = part
                        else:
                            part[1].close()
                    elif text is not None:
                        form.fields[name] = decode_text_part(text, segment.charset, name)
                        text = None
                    segment = None
        for _ in parser.parse(b""):
            pass
        if not parser.closed:
            raise BadRequestError("the multipart body ended early (truncated upload)")
    except (ParserError, ParserLimitReached) as exc:
        _cleanup(form, writer, spare)
        raise BadRequestError(f"the multipart body is malformed: {exc}") from None
    except BaseException:
        _cleanup(form, writer, spare)
        raise
    if form.upload is None:
        form.upload = spare
    elif spare is not None:
        spare[1].close()
    return form


def _cleanup(
    form: FormBody,
    writer: SpoolingWriter | None,
    spare: tuple[str, Blob, str | None, str | None] | None,
) -> None:
    if writer is not None:
        writer.discard()
    if form.upload is not None:
        form.upload[1].close()
        form.upload = None
    if spare is not None:
        spare[1].close()
