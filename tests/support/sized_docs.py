"""Documents of an exact byte size that still read as a given text.

The pool's transport once broke on document *size* (anything over a socket buffer), so served
tests need real documents at real sizes: 1 KB to 5 MB. Each format is padded the way real files
carry extra bytes that readers skip, with random (incompressible) data:

* PNG: a private ancillary chunk (``prVt``) before ``IEND``;
* JPEG: ``COM`` segments after ``SOI``;
* PDF: an incremental update adding one unreferenced stream object (new xref section + trailer
  with ``/Prev``), as editors append to signed or annotated files;
* TIFF: bytes after the last IFD (TIFF locates everything by offset).
"""

from __future__ import annotations

import io
import os
import re
import struct
import zlib

from .docgen import render_text, scanned_pdf, text_png

__all__ = ("FORMATS", "pad_jpeg", "pad_pdf", "pad_png", "pad_tiff", "sized_document")

MEDIA_TYPES = {
    "png": "image/png",
    "jpeg": "image/jpeg",
    "pdf": "application/pdf",
    "tiff": "image/tiff",
}
FORMATS = tuple(MEDIA_TYPES)


def _too_big(fmt: str, have: int, size: int) -> ValueError:
    return ValueError(f"a {fmt} of this text is already {have} bytes; cannot make {size}")


def pad_png(data: bytes, size: int) -> bytes:
    """``data`` (a PNG) grown to exactly ``size`` bytes with a private ancillary chunk."""
    if len(data) == size:
        return data
    room = size - len(data) - 12  # length, type and CRC of the new chunk
    if room < 0:
        raise _too_big("PNG", len(data), size)
    iend = data.rindex(b"IEND") - 4
    payload = os.urandom(room)
    crc = zlib.crc32(b"prVt" + payload) & 0xFFFFFFFF
    chunk = struct.pack(">I", room) + b"prVt" + payload + struct.pack(">I", crc)
    return data[:iend] + chunk + data[iend:]


def pad_jpeg(data: bytes, size: int) -> bytes:
    """``data`` (a JPEG) grown to exactly ``size`` bytes with COM segments after SOI."""
    need = size - len(data)
    if need == 0:
        return data
    if need < 4:
        raise _too_big("JPEG", len(data), size - 4)
    segments = []
    while need:
        # A segment costs 4 bytes of marker and length; never leave a remainder under 4.
        body = min(need - 4, 65533)
        if 0 < need - 4 - body < 4:
            body -= 4
        segments.append(b"\xff\xfe" + struct.pack(">H", body + 2) + os.urandom(body))
        need -= body + 4
    return data[:2] + b"".join(segments) + data[2:]


def pad_pdf(data: bytes, size: int) -> bytes:
    """``data`` (a PDF with a classic xref table) grown to exactly ``size`` bytes.

    Appends an incremental update holding one stream object nothing refers to.
    """
    prev = int(re.findall(rb"startxref\s+(\d+)", data)[-1])
    trailer = re.findall(rb"trailer\s*<<(.*?)>>\s*startxref", data, re.S)[-1]
    count = int(re.search(rb"/Size\s+(\d+)", trailer).group(1))  # type: ignore[union-attr]
    root = re.search(rb"/Root\s+(\d+ \d+ R)", trailer).group(1)  # type: ignore[union-attr]

    def build(n: int) -> bytes:
        head = f"{count} 0 obj\n<< /Length {n} >>\nstream\n".encode()
        obj = head + b"\0" * n + b"\nendstream\nendobj\n"
        offset = len(data)
        xref = len(data) + len(obj)
        tail = (
            f"xref\n{count} 1\n{offset:010d} 00000 n \n"
            f"trailer\n<< /Size {count + 1} /Root {root.decode()} /Prev {prev} >>\n"
            f"startxref\n{xref}\n%%EOF\n"
        ).encode()
        return obj + tail

    # The overhead depends (a little) on the digits of the numbers: settle it by iterating.
    n = max(0, size - len(data) - len(build(0)))
    for _ in range(5):
        extra = build(n)
        diff = size - len(data) - len(extra)
        if diff == 0:
            break
        n += diff
    if n < 0 or len(data) + len(build(n)) != size:
        raise _too_big("PDF", len(data), size)
    head_len = len(f"{count} 0 obj\n<< /Length {n} >>\nstream\n")
    out = bytearray(data + build(n))
    start = len(data) + head_len
    out[start : start + n] = os.urandom(n)
    return bytes(out)


def pad_tiff(data: bytes, size: int) -> bytes:
    """``data`` (a TIFF) grown to exactly ``size`` bytes with trailing bytes."""
    if len(data) > size:
        raise _too_big("TIFF", len(data), size)
    return data + os.urandom(size - len(data))


def _jpeg(text: str) -> bytes:
    buf = io.BytesIO()
    render_text(text, width=1400, size=40).save(buf, format="JPEG", quality=85)
    return buf.getvalue()


def _tiff(text: str) -> bytes:
    # Uncompressed, like many scanners write them: big without any padding.
    buf = io.BytesIO()
    render_text(text, width=1400, size=40).save(buf, format="TIFF")
    return buf.getvalue()


def _tiny_png(text: str) -> bytes:
    # 1-bit, just around the words: a few hundred bytes.
    img = render_text(text, width=700, size=28, margin=16).convert("1")
    buf = io.BytesIO()
    img.save(buf, format="PNG", optimize=True)
    return buf.getvalue()


def sized_document(fmt: str, text: str, size: int) -> tuple[bytes, str]:
    """A ``fmt`` document (see :data:`FORMATS`) reading ``text``, exactly ``size`` bytes.

    Returns the bytes and their media type.
    """
    if fmt == "png":
        base = text_png(text) if size > 50_000 else _tiny_png(text)
        data = pad_png(base, size)
    elif fmt == "jpeg":
        data = pad_jpeg(_jpeg(text), size)
    elif fmt == "pdf":
        data = pad_pdf(scanned_pdf([text]), size)
    elif fmt == "tiff":
        data = pad_tiff(_tiff(text), size)
    else:
        raise ValueError(f"unknown format {fmt!r}")
    assert len(data) == size
    return data, MEDIA_TYPES[fmt]
