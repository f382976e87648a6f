"""Office documents (DOCX, PPTX, XLSX) read from their own XML: nothing rendered, nothing OCR'd.

Mistral's OCR API takes Word and PowerPoint files as ``document_url``; the built-in engine reads
them offline as it reads a PDF's text layer: the text is exact, and headings, lists and tables
keep their structure. Pages are Word's recorded pages (:mod:`.docx`), slides (:mod:`.pptx`) or
worksheets (:mod:`.xlsx`); ``pages[].reading.method`` is ``"markup"``.

Page tasks run in the OCR workers like a PDF's: :func:`probe` counts the pages and
:func:`read_page` reads one. A worker keeps the last document it parsed, so the pages of one
request that land on it parse the file once.
"""

from __future__ import annotations

import hashlib
import io
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import IO, TypeVar

from ...normalize.encoding import DOCX, PPTX, XLSX
from ..options import EngineOptions, PageRequest, PageResult, Source
from .docx import read_docx
from .model import OfficePage, render
from .package import Package, bad
from .pptx import count_pptx, read_pptx
from .xlsx import count_xlsx, read_xlsx

__all__ = ("MEDIA_TYPES", "count_pages", "is_office", "probe", "read_page")

MEDIA_TYPES: dict[str, tuple[str, Callable[[Package], list[OfficePage]]]] = {
    DOCX: ("DOCX", read_docx),
    PPTX: ("PPTX", read_pptx),
    XLSX: ("XLSX", read_xlsx),
}
"""Media type -> (name in errors, reader)."""

_last: tuple[object, list[OfficePage]] | None = None

T = TypeVar("T")


def is_office(media_type: str) -> bool:
    """True for the Office types this package reads."""
    return media_type in MEDIA_TYPES


@contextmanager
def _opened(src: Source) -> Iterator[Package]:
    kind = MEDIA_TYPES[src.media_type][0]
    file: IO[bytes] = io.BytesIO(src.data) if src.data is not None else open(src.input(), "rb")  # noqa: SIM115
    try:
        pkg = Package(file, kind)
        try:
            yield pkg
        finally:
            pkg.close()
    finally:
        file.close()


def _key(src: Source) -> object:
    if src.data is not None:
        return (src.media_type, hashlib.blake2b(src.data, digest_size=16).digest())
    st = os.stat(src.input())
    return (src.media_type, src.path, st.st_size, st.st_mtime_ns, st.st_ino)


def _guarded(read: Callable[[Package], T], pkg: Package) -> T:
    try:
        return read(pkg)
    except RecursionError:
        raise bad(pkg.kind, "its XML nests too deeply") from None


def _pages(src: Source, pkg: Package) -> list[OfficePage]:
    global _last
    key = _key(src)
    if _last is not None and _last[0] == key:
        return _last[1]
    pages = _guarded(MEDIA_TYPES[src.media_type][1], pkg)
    _last = (key, pages)
    return pages


_COUNTERS: dict[str, Callable[[Package], int]] = {
    DOCX: lambda pkg: len(read_docx(pkg)),  # Word's pages are known once the body is read
    PPTX: count_pptx,
    XLSX: count_xlsx,
}


def count_pages(source: bytes | str, media_type: str) -> int:
    """Pages of an Office file, counted before any reading is asked for (tenant page limits
    charge them first): slides and visible sheets from the main part alone, a Word file's
    pages from its body. Nothing is kept (this runs in the server, not in a worker)."""
    src = (
        Source(media_type, data=source)
        if isinstance(source, bytes)
        else Source(media_type, path=source)
    )
    with _opened(src) as pkg:
        return _guarded(_COUNTERS[media_type], pkg)


def probe(src: Source) -> int:
    """The document's pages (Word's recorded pages, slides or worksheets)."""
    with _opened(src) as pkg:
        return len(_pages(src, pkg))


def read_page(src: Source, index: int, opts: EngineOptions, req: PageRequest) -> PageResult:
    """Page ``index`` as Markdown, its tables and pictures as ``req`` asks."""
    with _opened(src) as pkg:
        pages = _pages(src, pkg)
        if not 0 <= index < len(pages):
            raise bad(MEDIA_TYPES[src.media_type][0], f"it has no page {index}")
        return render(pages[index], pkg, opts.dpi, req, opts.max_pixels)
