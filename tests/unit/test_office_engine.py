"""The built-in engine reads PowerPoint and Excel files, and hostile Office packages, from their XML (``engine.office``)."""

from __future__ import annotations

from typing import Any

import pytest

from aigateway.errors import UnprocessableDocumentError
from aigateway.ocr.engine import office
from aigateway.ocr.engine.office import package as package_mod
from aigateway.ocr.normalize.encoding import DOCX, PPTX, XLSX
from tests.support.officegen import (
    deck_pptx,
    package,
    png,
    read_pages,
    rel,
    report_docx,
    sales_xlsx,
    word_docx,
)
from tests.support.officegen import para as p

read = read_pages

# --- PowerPoint and Excel -----------------------------------------------------------------------


def test_python_pptx_deck_reads_slide_by_slide_in_position_order() -> None:
    first, second, third = read(deck_pptx(slides=3), PPTX, include_images=True)
    assert first.markdown == "# Launch plan\n\n- Ship in March\n  - Beta in February"
    assert (first.width, first.height) == (3000, 2250)  # 10 x 7.5 inches at 300 DPI
    # Top to bottom, then left to right: the table and the picture beside it (added after
    # it) level under the title, then the note at the bottom (added before both).
    assert second.markdown == (
        "# Numbers 1\n\n| Metric | Value |\n|---|---|\n| Users | 1000 |\n| Churn | 2 % |"
        "\n\n![img-0.jpeg](img-0.jpeg)\n\nSource: finance team, slide 2"
    )
    (img,) = second.images
    assert (img.x0, img.y0, img.x1) == (1950, 600, 2850)
    assert third.markdown.startswith("# Numbers 2")


def test_smartart_on_a_slide_stands_where_its_frame_does() -> None:
    import io
    import zipfile

    import pptx
    from pptx.util import Inches

    deck = pptx.Presentation()
    slide = deck.slides.add_slide(deck.slide_layouts[6])
    slide.shapes.add_textbox(Inches(1), Inches(6), Inches(4), Inches(1)).text_frame.text = "below"
    buf = io.BytesIO()
    deck.save(buf)
    dgm = "http://schemas.openxmlformats.org/drawingml/2006/diagram"
    frame = (
        '<p:graphicFrame><p:nvGraphicFramePr><p:cNvPr id="9" name="d"/><p:cNvGraphicFramePr/>'
        '<p:nvPr/></p:nvGraphicFramePr><p:xfrm><a:off x="914400" y="914400"/>'
        '<a:ext cx="3000000" cy="2000000"/></p:xfrm><a:graphic>'
        f'<a:graphicData uri="{dgm}"><dgm:relIds xmlns:dgm="{dgm}" r:dm="rDm"/></a:graphicData>'
        "</a:graphic></p:graphicFrame></p:spTree>"
    )
    data = (
        f'<dgm:dataModel xmlns:dgm="{dgm}" xmlns:a="{package_mod.NS["a"]}"><dgm:ptLst>'
        '<dgm:pt modelId="1"><dgm:t><a:p><a:r><a:t>Step one</a:t></a:r></a:p></dgm:t></dgm:pt>'
        "</dgm:ptLst></dgm:dataModel>"
    )
    parts: dict[str, bytes | str] = {}
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as z:
        for name in z.namelist():
            parts[name] = z.read(name)
    slide_xml = parts["ppt/slides/slide1.xml"]
    assert isinstance(slide_xml, bytes)
    parts["ppt/slides/slide1.xml"] = slide_xml.decode().replace("</p:spTree>", frame)
    slide_rels = parts["ppt/slides/_rels/slide1.xml.rels"]
    assert isinstance(slide_rels, bytes)
    parts["ppt/slides/_rels/slide1.xml.rels"] = slide_rels.decode().replace(
        "</Relationships>", rel("rDm", "diagramData", "../diagrams/data1.xml") + "</Relationships>"
    )
    parts["ppt/diagrams/data1.xml"] = data
    (pg,) = read(package(parts), PPTX)
    assert pg.markdown == "- Step one\n\nbelow"


def test_hidden_shapes_sheets_rows_and_columns_are_left_out() -> None:
    import io

    import openpyxl
    import pptx
    from pptx.util import Inches

    deck = pptx.Presentation()
    slide = deck.slides.add_slide(deck.slide_layouts[6])
    slide.shapes.add_textbox(Inches(1), Inches(1), Inches(3), Inches(1)).text_frame.text = "seen"
    ghost = slide.shapes.add_textbox(Inches(1), Inches(3), Inches(3), Inches(1))
    ghost.text_frame.text = "hidden"
    ghost._element.nvSpPr.cNvPr.set("hidden", "1")
    buf = io.BytesIO()
    deck.save(buf)
    assert [pg.markdown for pg in read(buf.getvalue(), PPTX)] == ["seen"]

    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Shown"
    for row in (["a", "b", "c"], ["1", "2", "3"], ["4", "5", "6"]):
        ws.append(row)
    ws.column_dimensions["B"].hidden = True
    ws.row_dimensions[2].hidden = True
    wb.create_sheet("Secret").append(["x"])
    wb["Secret"].sheet_state = "hidden"
    buf = io.BytesIO()
    wb.save(buf)
    (sheet,) = read(buf.getvalue(), XLSX)
    assert sheet.markdown == "## Shown\n\n| a | c |\n|---|---|\n| 4 | 6 |"


def test_slide_hyperlinks_are_links_and_listed() -> None:
    import io

    import pptx
    from pptx.util import Inches

    deck = pptx.Presentation()
    slide = deck.slides.add_slide(deck.slide_layouts[6])
    frame = slide.shapes.add_textbox(Inches(1), Inches(1), Inches(6), Inches(1)).text_frame
    para = frame.paragraphs[0]
    para.add_run().text = "See "
    run = para.add_run()
    run.text = "the docs"
    run.hyperlink.address = "https://example.com/docs (v2)"
    other = para.add_run()
    other.text = " or run this"
    other.hyperlink.address = "file:///etc/passwd"  # not a web or mail address: text only
    buf = io.BytesIO()
    deck.save(buf)
    (pg,) = read(buf.getvalue(), PPTX)
    assert pg.markdown == "See [the docs](https://example.com/docs%20(v2%29) or run this"
    assert pg.hyperlinks == ("https://example.com/docs%20(v2%29",)


def test_group_shapes_place_their_children() -> None:
    import io

    import pptx
    from pptx.util import Inches

    deck = pptx.Presentation()
    slide = deck.slides.add_slide(deck.slide_layouts[6])  # blank
    group = slide.shapes.add_group_shape()
    group.shapes.add_textbox(Inches(1), Inches(5), Inches(3), Inches(1)).text_frame.text = "low"
    group.shapes.add_textbox(Inches(1), Inches(1), Inches(3), Inches(1)).text_frame.text = "high"
    buf = io.BytesIO()
    deck.save(buf)
    (pg,) = read(buf.getvalue(), PPTX)
    assert pg.markdown == "high\n\nlow"


def test_openpyxl_workbook_reads_sheet_by_sheet() -> None:
    sales, empty, far = read(sales_xlsx(rows=3), XLSX)
    assert sales.markdown.splitlines()[:6] == [
        "## Sales",
        "",
        "| Item | Qty | Price | Sold on | Paid |",
        "|---|---|---|---|---|",
        "| Item 0 | 1 | 0.1 | 2026-11-01 | TRUE |",
        "| Item 1 | 2 | 0.3 | 2026-11-02 | FALSE |",
    ]
    # A formula openpyxl wrote has no cached value: nothing, not its code.
    assert sales.markdown.splitlines()[-1] == "| Total |  |  |  |  |"
    assert empty.markdown == "## Empty"
    (styled,) = read(_styled_book(), XLSX)
    assert styled.markdown.splitlines()[-1] == "| 12.5% | 07:45:00 | 2026-12-05 | 1234.5 |"
    assert far.markdown == "## Far apart\n\n| top left |  |\n|---|---|\n|  | 2026-12-05 13:30:00 |"


def _styled_book() -> bytes:
    import datetime
    import io

    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["Share", "Start", "Day", "Amount"])
    ws.append([0.125, datetime.time(7, 45), 46361, 1234.5])
    ws["A2"].number_format = "0.0%"
    ws["C2"].number_format = "yyyy-mm-dd"
    ws["D2"].number_format = '#,##0.00 "EUR"'
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


# --- hostile packages --------------------------------------------------------------------------


def _error(data: bytes, media: str = DOCX) -> str:
    with pytest.raises(UnprocessableDocumentError) as exc:
        read(data, media)
    assert exc.value.param == "document"
    return str(exc.value)


def test_files_that_are_not_packages_are_422s() -> None:
    assert "not a zip archive" in _error(b"just text, labelled as a DOCX")
    # What Word writes for a password-protected file: an OLE compound file.
    assert "password-protected" in _error(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600))
    no_main = package({"[Content_Types].xml": "<Types/>", "readme.txt": "hello"})
    assert "no main document part" in _error(no_main, PPTX)
    truncated = report_docx(sections=1, photos=0)
    assert "truncated or damaged" in _error(truncated[: len(truncated) // 2])


def test_xml_bombs_and_zip_bombs_stop_at_their_caps(monkeypatch: pytest.MonkeyPatch) -> None:
    laughs = (
        '<!DOCTYPE w:document [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
    )
    assert "document type declaration" in _error(word_docx(p("&b;"), prolog=laughs))
    external = '<!DOCTYPE w:document [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    assert "document type declaration" in _error(word_docx(p("&x;"), prolog=external))
    # 80 MB of blanks deflate to about 80 KB: the part is refused by its size, unread.
    bomb = word_docx(p("x") + " " * 80_000_000)
    assert len(bomb) < 200_000
    assert "inflates to" in _error(bomb)
    # A worksheet is streamed, not parsed whole: its declaration is refused all the same.
    book = _rewrite(
        sales_xlsx(rows=2),
        "xl/worksheets/sheet1.xml",
        lambda xml: xml.replace(b"<worksheet", laughs.encode() + b"<worksheet", 1),
    )
    assert "document type declaration" in _error(book, XLSX)
    monkeypatch.setattr(package_mod, "MAX_ENTRIES", 5)
    many = package({f"f{n}.txt": "x" for n in range(6)})
    assert "zip entries" in _error(many)


def _rewrite(data: bytes, name: str, change: Any) -> bytes:
    import io
    import zipfile

    parts: dict[str, bytes | str] = {}
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        for entry in z.namelist():
            parts[entry] = z.read(entry)
    parts[name] = change(parts[name])
    return package(parts)


def test_an_encrypted_zip_entry_is_a_422() -> None:
    data = bytearray(word_docx(p("secret")))
    # Set the "encrypted" flag of every entry, in its local and its central header.
    for sig, flag_at in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = data.find(sig)
        while at >= 0:
            data[at + flag_at] |= 1
            at = data.find(sig, at + 4)
    assert "encrypted" in _error(bytes(data))


def test_part_names_written_as_uris_are_found() -> None:
    drawing = (
        '<w:p><w:r><w:drawing><wp:inline><wp:extent cx="914400" cy="457200"/><a:graphic>'
        '<a:graphicData><a:blip r:embed="rImg"/></a:graphicData></a:graphic></wp:inline>'
        "</w:drawing></w:r></w:p>"
    )
    data = word_docx(
        drawing,
        parts={"word/media/my picture.png": png()},
        rels=rel("rImg", "image", "media/my%20picture.png"),
    )
    (pg,) = read(data, DOCX, include_images=True)
    assert len(pg.images) == 1


def test_deep_nesting_is_a_422_not_a_crash() -> None:
    depth = 5000
    body = "<w:sdt><w:sdtContent>" * depth + p("deep") + "</w:sdtContent></w:sdt>" * depth
    assert "nests too deeply" in _error(word_docx(body))


def test_pages_counted_first_are_the_pages_read() -> None:
    for data, media in (
        (report_docx(sections=4, photos=0), DOCX),
        (deck_pptx(slides=3, photos=False), PPTX),
        (sales_xlsx(rows=3), XLSX),
        (package({"[Content_Types].xml": "<Types/>"}), PPTX),
    ):
        try:
            counted = office.count_pages(data, media)
        except UnprocessableDocumentError:
            with pytest.raises(UnprocessableDocumentError):
                read(data, media)
            continue
        assert counted == len(read(data, media)), media


def test_a_worker_parses_a_document_once_for_its_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    real = office.MEDIA_TYPES[DOCX]

    def counting(pkg: Any) -> Any:
        calls.append(1)
        return real[1](pkg)

    monkeypatch.setitem(office.MEDIA_TYPES, DOCX, (real[0], counting))
    data = report_docx(sections=3, photos=0)
    pages = read(data, DOCX)
    assert len(pages) == 3
    assert len(calls) == 1  # one parse for the probe and the three pages
    read(data, DOCX)
    assert len(calls) == 1  # the same bytes again: still the worker's last document
    read(report_docx(sections=2, photos=0), DOCX)
    assert len(calls) == 2
