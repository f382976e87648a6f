"""Office files are told apart by their parts, and go to the providers that read them."""

from __future__ import annotations

import io
import random
import zipfile

from hypothesis import given, settings
from hypothesis import strategies as st

from aigateway.config import parse_config
from aigateway.ocr.normalize import resolve_media_type, sniff_media_type
from aigateway.ocr.normalize.encoding import DOCX, PPTX, XLSX
from aigateway.ocr.registry import OcrRegistry
from tests.support.officegen import deck_pptx, package, report_docx, sales_xlsx

MAIN = {DOCX: "word/document.xml", PPTX: "ppt/presentation.xml", XLSX: "xl/workbook.xml"}


def test_files_the_libraries_write_are_sniffed_from_their_first_8_kb() -> None:
    for data, media in (
        (report_docx(sections=1, photos=1), DOCX),
        (deck_pptx(slides=2), PPTX),
        (sales_xlsx(rows=5000), XLSX),  # openpyxl writes [Content_Types].xml last
    ):
        assert sniff_media_type(data[:8192]) == media
        # Sent without a type (curl -F file=@x), or as octet-stream: the bytes say.
        assert resolve_media_type(None, "application/octet-stream", data[:8192]) == media
        assert resolve_media_type(None, None, data[:8192]) == media


@settings(max_examples=60, deadline=None)
@given(
    media=st.sampled_from(sorted(MAIN)),
    others=st.lists(
        st.sampled_from(["docProps/app.xml", "docProps/core.xml", "customXml/item1.xml"]),
        max_size=3,
    ),
    size=st.integers(0, 3000),
)
def test_the_first_main_folder_named_decides(media: str, others: list[str], size: int) -> None:
    parts: dict[str, bytes | str] = {"[Content_Types].xml": "x" * size, "_rels/.rels": "<r/>"}
    parts.update({name: "<x/>" for name in others})
    parts[MAIN[media]] = "<root/>"
    data = package(parts)
    assert sniff_media_type(data[:8192]) == media


def test_a_zip_that_does_not_say_takes_its_filename_s_extension() -> None:
    # A big [Content_Types].xml pushes the main part's name past the sniffed head.
    blob = random.Random(7).randbytes(16_000)  # does not deflate
    parts: dict[str, bytes | str] = {"[Content_Types].xml": blob, "ppt/presentation.xml": "<p/>"}
    data = package(parts)
    head = data[:8192]
    assert sniff_media_type(head) is None
    assert resolve_media_type(None, "application/octet-stream", head, "Deck.PPTX") == PPTX
    assert resolve_media_type(None, None, head, "notes.zip") == "application/zip"
    # An OpenDocument file is a zip too, but not one of these.
    odt = package(
        {"mimetype": "application/vnd.oasis.opendocument.text", "word/x": ""}, first="mimetype"
    )
    assert sniff_media_type(odt[:8192]) is None
    # A declared type stands; one that contradicts recognised bytes does not.
    assert resolve_media_type(None, XLSX, head, "Deck.pptx") == XLSX
    pdf = b"%PDF-1.7\n"
    assert resolve_media_type(None, DOCX, pdf) == "application/pdf"
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert z.namelist()[0] == "[Content_Types].xml"


def test_providers_accept_the_office_types_their_upstreams_read() -> None:
    reg = OcrRegistry(
        parse_config(
            """
[[ocr_models]]
id = "local"
provider = "local"

[[ocr_models]]
id = "m"
provider = "mistral"
api_key = "k"

[[ocr_models]]
id = "az"
provider = "azure_docintel"
base_url = "https://example.invalid"
api_key = "k"
"""
        )
    )
    local, mistral, azure = (reg.providers[k].accepted_types for k in ("local", "m", "az"))
    assert {DOCX, PPTX, XLSX} <= local
    assert {DOCX, PPTX} <= mistral
    assert XLSX not in mistral  # Mistral documents Word and PowerPoint, not Excel
    assert {DOCX, PPTX, XLSX} <= azure
