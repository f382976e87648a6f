"""Office files bent out of shape read or fail with a 422: never another exception.

Valid files (as python-docx, python-pptx and openpyxl write them) have their XML parts mutated
structurally: elements dropped or repeated, attribute values swapped for hostile ones (negative,
huge, empty, not numbers, pointing nowhere). Every result is a page list or an
:class:`~aigateway.errors.UnprocessableDocumentError` naming ``document``.
"""

from __future__ import annotations

import functools
import io
import random
import xml.etree.ElementTree as ET
import zipfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aigateway.errors import UnprocessableDocumentError
from aigateway.ocr.engine import page
from aigateway.ocr.engine.options import EngineOptions, PageRequest, Source
from aigateway.ocr.normalize.encoding import DOCX, PPTX, XLSX
from tests.support.officegen import deck_pptx, package, report_docx, sales_xlsx

HOSTILE = ["", "-1", "0", "99999999999999999999", "abc", "1e400", "rId999", "../../etc/passwd"]


@functools.cache
def _parts(media: str) -> dict[str, bytes]:
    data = {
        DOCX: lambda: report_docx(sections=2, photos=1),
        PPTX: lambda: deck_pptx(slides=2),
        XLSX: lambda: sales_xlsx(rows=4),
    }[media]()
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {name: z.read(name) for name in z.namelist()}


def _mutate(xml: bytes, rng: random.Random, edits: int) -> bytes:
    root = ET.fromstring(xml)
    elements = list(root.iter())
    for _ in range(edits):
        el = rng.choice(elements)
        kind = rng.randrange(3)
        if kind == 0 and el.attrib:
            key = rng.choice(sorted(el.attrib))
            el.set(key, rng.choice(HOSTILE))
        elif kind == 1 and len(el):
            el.remove(rng.choice(list(el)))
        elif len(el):
            el.append(rng.choice(list(el)))  # the same child twice
    return ET.tostring(root)


def _read(data: bytes, media: str) -> None:
    src = Source(media, data=data)
    n = page.probe(src, 50_000_000)
    req = PageRequest(include_images=True, table_format="html")
    for i in range(min(n, 5)):
        page.read_page(src, i, EngineOptions(), False, req)


@settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    media=st.sampled_from([DOCX, PPTX, XLSX]), seed=st.integers(0, 2**32), edits=st.integers(1, 12)
)
def test_mutated_office_files_read_or_422(media: str, seed: int, edits: int) -> None:
    rng = random.Random(seed)
    parts: dict[str, bytes | str] = dict(_parts(media))
    xml_parts = sorted(n for n in parts if n.endswith((".xml", ".rels")))
    for name in rng.sample(xml_parts, k=min(3, len(xml_parts))):
        blob = parts[name]
        assert isinstance(blob, bytes)
        parts[name] = _mutate(blob, rng, edits)
    try:
        _read(package(parts), media)
    except UnprocessableDocumentError as exc:
        assert exc.param == "document"


@functools.cache
def _file(media: str) -> bytes:
    parts: dict[str, bytes | str] = dict(_parts(media))
    return package(parts)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(
    media=st.sampled_from([DOCX, PPTX, XLSX]),
    flips=st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.integers(0, 255)), max_size=8),
)
def test_bytes_flipped_anywhere_read_or_422(media: str, flips: list[tuple[float, int]]) -> None:
    # Zip headers included: flags (encryption), sizes, offsets, name lengths, the end record.
    data = bytearray(_file(media))
    for where, value in flips:
        data[int(where * len(data))] = value
    try:
        _read(bytes(data), media)
    except UnprocessableDocumentError as exc:
        assert exc.param == "document"


@pytest.mark.parametrize("media", [DOCX, PPTX, XLSX])
def test_every_part_missing_in_turn_reads_or_422(media: str) -> None:
    parts = _parts(media)
    for gone in parts:
        kept: dict[str, bytes | str] = {k: v for k, v in parts.items() if k != gone}
        try:
            _read(package(kept), media)
        except UnprocessableDocumentError as exc:
            assert exc.param == "document", gone


@pytest.mark.parametrize("digit", ["\N{SUPERSCRIPT TWO}", "\N{ARABIC-INDIC DIGIT THREE}"])
@pytest.mark.parametrize("media", [DOCX, PPTX, XLSX])
def test_numbers_written_in_other_digits_read_or_422(media: str, digit: str) -> None:
    # Every number in every part (attribute or text) written in a character that str.isdigit
    # accepts: "²" is a digit to isdigit() and no number to int(), and a Word table's
    # gridSpan of "²" was a ValueError (a 500 from the server, which counts a Word file's
    # pages by reading it).
    parts: dict[str, bytes | str] = {}
    for name, blob in _parts(media).items():
        if not name.endswith((".xml", ".rels")):
            parts[name] = blob
            continue
        root = ET.fromstring(blob)
        for el in root.iter():
            for key, value in el.attrib.items():
                if value.isascii() and value.isdigit():
                    el.set(key, digit * len(value))
            if el.text and el.text.isascii() and el.text.isdigit():
                el.text = digit * len(el.text)
        parts[name] = ET.tostring(root)
    try:
        _read(package(parts), media)
    except UnprocessableDocumentError as exc:
        assert exc.param == "document"
