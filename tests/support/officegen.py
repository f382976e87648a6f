"""Office files for the engine's DOCX / PPTX / XLSX tests.

Two kinds: files written by the libraries people generate them with (python-docx, python-pptx,
openpyxl), at real sizes, and hand-written WordprocessingML for what those libraries do not
write but Word does (footnotes, revisions, fields, rendered page breaks, text boxes, Strict
namespaces) and for hostile packages.
"""

from __future__ import annotations

import datetime
import io
import zipfile

from PIL import Image

from aigateway.ocr.engine import page
from aigateway.ocr.engine.options import EngineOptions, PageRequest, PageResult, Source

from .docgen import noise

__all__ = (
    "W_NS",
    "deck_pptx",
    "package",
    "para",
    "png",
    "read_pages",
    "rel",
    "report_docx",
    "sales_xlsx",
    "word_docx",
)

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"


def photo(size: tuple[int, int] = (900, 600), seed: int = 1) -> bytes:
    """A photo-like JPEG (grain does not compress): what makes real Office files big."""
    img = noise(size, 90, seed=seed).convert("RGB")
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=92)
    return buf.getvalue()


def report_docx(sections: int = 3, photos: int = 3) -> bytes:
    """A report python-docx writes: a running header and footer, title, headings, prose, bullet
    and numbered lists, a table per section, photos, a page break between sections."""
    import docx
    from docx.shared import Inches

    d = docx.Document()
    d.sections[0].header.paragraphs[0].text = "Acme Corp | Quarterly report"
    d.sections[0].footer.paragraphs[0].text = "Confidential"
    d.add_heading("Quarterly report", 0)
    for s in range(sections):
        d.add_heading(f"Section {s + 1}: regional results", level=1)
        d.add_paragraph(
            f"Revenue in section {s + 1} grew by {10 + s} % against the same quarter last year, "
            "while costs stayed flat; the table below gives the figures by region."
        )
        d.add_paragraph("Northern stores opened late", style="List Bullet")
        d.add_paragraph("Online orders doubled", style="List Bullet")
        d.add_paragraph("Review the pricing", style="List Number")
        d.add_paragraph("Hire two engineers", style="List Number")
        t = d.add_table(rows=4, cols=3)
        rows = [["Region", "Q2", "Q3"], ["North", "1,200", "1,350"], ["South", "980", "1,010"]]
        rows.append(["West | coast", "15", "17"])  # a pipe that must stay in its cell
        for r, row in enumerate(rows):
            for c, text in enumerate(row):
                t.cell(r, c).text = text
        if s < photos:
            d.add_picture(io.BytesIO(photo(seed=s + 1)), width=Inches(3))
        if s < sections - 1:
            d.add_page_break()
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def deck_pptx(slides: int = 3, photos: bool = True) -> bytes:
    """A deck python-pptx writes: a title slide layout with bullets, then slides with a table, a
    picture and a text box (added bottom first: reading order comes from position)."""
    import pptx
    from pptx.util import Inches

    p = pptx.Presentation()
    s = p.slides.add_slide(p.slide_layouts[1])
    s.shapes.title.text = "Launch plan"
    body = s.placeholders[1].text_frame
    body.text = "Ship in March"
    para = body.add_paragraph()
    para.text = "Beta in February"
    para.level = 1
    for n in range(1, slides):
        sl = p.slides.add_slide(p.slide_layouts[5])
        sl.shapes.title.text = f"Numbers {n}"
        note = sl.shapes.add_textbox(Inches(1), Inches(6), Inches(6), Inches(1))
        note.text_frame.text = f"Source: finance team, slide {n + 1}"
        tbl = sl.shapes.add_table(3, 2, Inches(1), Inches(2), Inches(5), Inches(1.5)).table
        for r, row in enumerate([["Metric", "Value"], ["Users", str(1000 * n)], ["Churn", "2 %"]]):
            for c, text in enumerate(row):
                tbl.cell(r, c).text = text
        if photos:
            sl.shapes.add_picture(io.BytesIO(photo(seed=n)), Inches(6.5), Inches(2), Inches(3))
    buf = io.BytesIO()
    p.save(buf)
    return buf.getvalue()


def sales_xlsx(rows: int = 20) -> bytes:
    """A workbook openpyxl writes: a sheet of strings, numbers, dates, booleans and a formula,
    an empty sheet, and a sheet with values far apart."""
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Sales"
    ws.append(["Item", "Qty", "Price", "Sold on", "Paid"])
    day = datetime.date(2026, 11, 1)
    for n in range(rows):
        ws.append([f"Item {n}", n + 1, 0.1 + 0.2 * n, day + datetime.timedelta(days=n), n % 2 == 0])
    ws.append(["Total", f"=SUM(B2:B{rows + 1})"])
    wb.create_sheet("Empty")
    far = wb.create_sheet("Far apart")
    far["B2"] = "top left"
    far["H40"] = datetime.datetime(2026, 12, 5, 13, 30)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def package(parts: dict[str, bytes | str], *, first: str = "[Content_Types].xml") -> bytes:
    """A zip of ``parts`` (``first`` first, as Office writes it)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name in sorted(parts, key=lambda n: n != first):
            data = parts[name]
            z.writestr(name, data.encode() if isinstance(data, str) else data)
    return buf.getvalue()


def word_docx(
    body: str,
    *,
    parts: dict[str, bytes | str] | None = None,
    rels: str = "",
    prolog: str = "",
    namespace: str = W_NS,
) -> bytes:
    """A DOCX whose ``w:body`` is ``body`` (WordprocessingML, prefix ``w``), with extra
    ``parts`` and ``Relationship`` elements for ``word/document.xml``."""
    doc = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>{prolog}'
        f'<w:document xmlns:w="{namespace}" xmlns:r="{R_NS}" '
        'xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing" '
        'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" '
        'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" '
        'xmlns:v="urn:schemas-microsoft-com:vml">'
        f"<w:body>{body}</w:body></w:document>"
    )
    pkg_rels = (
        '<?xml version="1.0"?><Relationships '
        'xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{_REL}officeDocument" Target="word/document.xml"/>'
        "</Relationships>"
    )
    doc_rels = (
        '<?xml version="1.0"?><Relationships '
        f'xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{rels}'
        "</Relationships>"
    )
    content_types = (
        '<?xml version="1.0"?><Types '
        'xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>'
    )
    return package(
        {
            "[Content_Types].xml": content_types,
            "_rels/.rels": pkg_rels,
            "word/document.xml": doc,
            "word/_rels/document.xml.rels": doc_rels,
            **(parts or {}),
        }
    )


def rel(rid: str, kind: str, target: str, *, external: bool = False) -> str:
    """One ``Relationship`` element of type ``kind`` (``image``, ``footnotes`` ...)."""
    mode = ' TargetMode="External"' if external else ""
    return f'<Relationship Id="{rid}" Type="{_REL}{kind}" Target="{target}"{mode}/>'


def para(text: str, props: str = "") -> str:
    """One WordprocessingML paragraph of ``text`` (``props``: its ``w:pPr``)."""
    return f'<w:p>{props}<w:r><w:t xml:space="preserve">{text}</w:t></w:r></w:p>'


def read_pages(data: bytes, media: str, **req: object) -> list[PageResult]:
    """Every page of an Office file as a pool worker reads it (``req``: the PageRequest)."""
    src = Source(media, data=data)
    n = page.probe(src, 50_000_000)
    request = PageRequest(**req)  # type: ignore[arg-type]
    return [page.read_page(src, i, EngineOptions(dpi=300), False, request) for i in range(n)]


def png(size: tuple[int, int] = (120, 80)) -> bytes:
    """A small PNG for a picture part."""
    buf = io.BytesIO()
    Image.new("RGB", size, (200, 40, 40)).save(buf, format="PNG")
    return buf.getvalue()
