"""The built-in engine reads Word files from their XML (``engine.office``)."""

from __future__ import annotations

from aigateway.ocr.engine.office import package as package_mod
from aigateway.ocr.normalize.encoding import DOCX
from tests.support.officegen import para as p
from tests.support.officegen import (
    png,
    read_pages,
    rel,
    report_docx,
    word_docx,
)

read = read_pages


def test_python_docx_report_reads_as_structured_markdown() -> None:
    data = report_docx(sections=2, photos=1)
    first, second = read(data, DOCX, include_images=True)
    assert first.method == "markup"
    assert first.dpi_source == "layout"
    assert (first.width, first.height) == (2550, 3300)  # US Letter at 300 DPI
    md = first.markdown
    assert md.startswith("# Quarterly report\n\n# Section 1: regional results\n\nRevenue in")
    assert "- Northern stores opened late\n- Online orders doubled" in md
    assert "1. Review the pricing\n2. Hire two engineers" in md
    assert "| Region | Q2 | Q3 |\n|---|---|---|\n| North | 1,200 | 1,350 |" in md
    assert "| West \\| coast | 15 | 17 |" in md  # a pipe in a cell stays in its cell
    assert md.endswith("![img-0.jpeg](img-0.jpeg)")
    (img,) = first.images
    assert (img.x0, img.y0, img.x1) == (0, 0, 900)  # 3 inches wide at 300 DPI
    assert img.jpeg is not None and img.jpeg[:3] == b"\xff\xd8\xff"
    # The page break starts page two; its numbered list counts afresh (a new list in Word
    # would too: python-docx's List Number continues one list, numbered on).
    assert second.markdown.startswith("# Section 2: regional results")
    assert "3. Review the pricing" in second.markdown
    assert second.images == ()


def test_docx_tables_and_images_follow_the_request() -> None:
    data = report_docx(sections=1, photos=1)
    (pg,) = read(data, DOCX, table_format="html", include_images=False)
    assert "[tbl-0.html](tbl-0.html)" in pg.markdown
    assert "| Region" not in pg.markdown
    (table,) = pg.tables
    assert table.content.startswith("<table><tr><th>Region</th><th>Q2</th><th>Q3</th></tr>")
    assert "img-0" not in pg.markdown  # no images asked for: no placeholder either
    (pg,) = read(data, DOCX, include_images=True, image_min_size=1000)
    assert pg.images == ()


def test_word_features_python_docx_does_not_write() -> None:
    notes = (
        f'<w:footnotes xmlns:w="{package_mod.NS["w"]}">'
        '<w:footnote w:type="separator" w:id="-1"><w:p><w:r><w:separator/></w:r></w:p>'
        "</w:footnote>"
        '<w:footnote w:id="1"><w:p><w:r><w:t>Audited figures.</w:t></w:r></w:p></w:footnote>'
        "</w:footnotes>"
    )
    body = (
        p("Intro")
        # A footnote reference, a hyperlink, a revision deleted and one inserted.
        + '<w:p><w:r><w:t>Revenue</w:t></w:r><w:r><w:footnoteReference w:id="1"/></w:r>'
        '<w:r><w:t xml:space="preserve"> rose, see </w:t></w:r>'
        '<w:hyperlink r:id="rLink"><w:r><w:t>the site</w:t></w:r></w:hyperlink>'
        "<w:del><w:r><w:delText>not this</w:delText></w:r></w:del>"
        '<w:ins><w:r><w:t xml:space="preserve"> today</w:t></w:r></w:ins></w:p>'
        # A field: its code is not text, its result is.
         + '<w:p><w:r><w:t xml:space="preserve">Page </w:t></w:r>'
        '<w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText> PAGE </w:instrText>'
        '</w:r><w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>1</w:t></w:r>'
        '<w:r><w:fldChar w:fldCharType="end"/></w:r></w:p>'
        # An explicit break, and the rendered break Word records beside it: one new page.
         + '<w:p><w:r><w:br w:type="page"/></w:r></w:p>'
        "<w:p><w:r><w:lastRenderedPageBreak/><w:t>Second page</w:t></w:r></w:p>"
        # A content control, and a text box given twice (DrawingML and its VML fallback).
         + f"<w:sdt><w:sdtPr><w:alias w:val='x'/></w:sdtPr><w:sdtContent>{p('In a control')}"
        "</w:sdtContent></w:sdt>"
        '<w:p><w:r><mc:AlternateContent><mc:Choice Requires="wps"><w:drawing><w:txbxContent>'
        f"{p('Boxed text')}</w:txbxContent></w:drawing></mc:Choice><mc:Fallback><w:pict>"
        f"<w:txbxContent>{p('Boxed text')}</w:txbxContent></w:pict></mc:Fallback>"
        "</mc:AlternateContent></w:r></w:p>"
        # An equation's text (OMML), in the order written.
         + '<w:p><w:r><w:t xml:space="preserve">Energy: </w:t></w:r><m:oMath '
        'xmlns:m="http://schemas.openxmlformats.org/officeDocument/2006/math"><m:r><m:t>E=m'
        "</m:t></m:r><m:sSup><m:e><m:r><m:t>c</m:t></m:r></m:e><m:sup><m:r><m:t>2</m:t></m:r>"
        "</m:sup></m:sSup></m:oMath></w:p>"
        # A heading by outline level, a literal '#', an A4 page.
        + p("Outlined", "<w:pPr><w:outlineLvl w:val='1'/></w:pPr>")
        + p("# hash")
        + '<w:sectPr><w:pgSz w:w="11906" w:h="16838"/></w:sectPr>'
    )
    data = word_docx(
        body,
        parts={"word/footnotes.xml": notes},
        rels=rel("rNotes", "footnotes", "footnotes.xml")
        + rel("rLink", "hyperlink", "https://example.com/a b", external=True),
    )
    first, second = read(data, DOCX)
    assert first.markdown == (
        "Intro\n\nRevenue[^1] rose, see [the site](https://example.com/a%20b) today\n\nPage 1"
        "\n\n[^1]: Audited figures."
    )
    assert second.markdown == (
        "Second page\n\nIn a control\n\nBoxed text\n\nEnergy: E=mc2\n\n## Outlined\n\n\\# hash"
    )
    assert first.hyperlinks == ("https://example.com/a%20b",)
    assert second.hyperlinks == ()
    assert (first.width, first.height) == (2480, 3508)  # A4 at 300 DPI, from w:pgSz
    assert (second.width, second.height) == (2480, 3508)


def test_running_headers_and_footers_come_from_each_section() -> None:
    def margin(kind: str, text: str) -> str:
        tag = "hdr" if kind == "header" else "ftr"
        return f'<w:{tag} xmlns:w="{package_mod.NS["w"]}">{p(text)}</w:{tag}>'

    refs = (
        '<w:headerReference w:type="default" r:id="rH"/>'
        '<w:headerReference w:type="first" r:id="rH1"/>'
        '<w:footerReference w:type="default" r:id="rF"/>'
    )
    body = (
        p("Cover")
        + f"<w:p><w:pPr><w:sectPr>{refs}<w:titlePg/></w:sectPr></w:pPr></w:p>"
        + p("Body one")
        + '<w:p><w:r><w:br w:type="page"/></w:r></w:p>'
        + p("Body two")
        + "<w:sectPr><w:headerReference w:type='default' r:id='rH2'/></w:sectPr>"
    )
    data = word_docx(
        body,
        parts={
            "word/header1.xml": margin("header", "Annual report"),
            "word/header2.xml": margin("header", "Cover header"),
            "word/header3.xml": margin("header", "Appendix"),
            "word/footer1.xml": margin("footer", "Page footer"),
        },
        rels=rel("rH", "header", "header1.xml")
        + rel("rH1", "header", "header2.xml")
        + rel("rH2", "header", "header3.xml")
        + rel("rF", "footer", "footer1.xml"),
    )
    pages = read(data, DOCX)
    assert [(pg.markdown, pg.header, pg.footer) for pg in pages] == [
        # A section with a title page shows that page's own header and footer: it has no
        # first-page footer, so none (as Word shows it).
        ("Cover", "Cover header", None),
        # The second section names its own default header and keeps the first one's footer.
        ("Body one", "Appendix", "Page footer"),
        ("Body two", "Appendix", "Page footer"),
    ]


def test_sections_size_their_own_pages_and_strict_documents_read() -> None:
    landscape = '<w:pgSz w:w="15840" w:h="12240" w:orient="landscape"/>'
    body = (
        p("Portrait")
        + '<w:p><w:pPr><w:sectPr><w:pgSz w:w="12240" w:h="15840"/></w:sectPr></w:pPr></w:p>'
        + p("Wide table page")
        + f"<w:sectPr>{landscape}</w:sectPr>"
    )
    one, two = read(word_docx(body), DOCX)
    assert (one.width, one.height, one.markdown) == (2550, 3300, "Portrait")
    assert (two.width, two.height, two.markdown) == (3300, 2550, "Wide table page")
    strict = word_docx(
        p("Strict text"), namespace="http://purl.oclc.org/ooxml/wordprocessingml/main"
    )
    assert read(strict, DOCX)[0].markdown == "Strict text"


def test_pictures_are_read_from_the_package_only() -> None:
    drawing = (
        '<w:p><w:r><w:drawing><wp:inline><wp:extent cx="914400" cy="457200"/>'
        '<a:graphic><a:graphicData><a:blip r:embed="{rid}"/></a:graphicData></a:graphic>'
        "</wp:inline></w:drawing></w:r></w:p>"
    )
    body = drawing.format(rid="rIn") + drawing.format(rid="rOut") + drawing.format(rid="rGone")
    data = word_docx(
        body,
        parts={"word/media/in.png": png()},
        rels=rel("rIn", "image", "media/in.png")
        + rel("rOut", "image", "http://169.254.169.254/latest/meta-data", external=True)
        + rel("rGone", "image", "media/missing.png"),
    )
    (pg,) = read(data, DOCX, include_images=True)
    # The linked picture is never fetched and the missing one is skipped: one image.
    assert pg.markdown == "![img-0.jpeg](img-0.jpeg)"
    (img,) = pg.images
    assert (img.x0, img.y0, img.x1, img.y1) == (0, 0, 300, 150)


def test_numbered_paragraphs_show_the_labels_word_shows() -> None:
    def lvl(ilvl: int, fmt: str, text: str, start: int = 1) -> str:
        return (
            f'<w:lvl w:ilvl="{ilvl}"><w:start w:val="{start}"/><w:numFmt w:val="{fmt}"/>'
            f'<w:lvlText w:val="{text}"/></w:lvl>'
        )

    numbering = (
        f'<w:numbering xmlns:w="{package_mod.NS["w"]}">'
        '<w:abstractNum w:abstractNumId="0">'
        + lvl(0, "decimal", "%1")
        + lvl(1, "decimal", "%1.%2")
        + "</w:abstractNum>"
        '<w:abstractNum w:abstractNumId="1">'
        + lvl(0, "lowerLetter", "(%1)")
        + lvl(1, "lowerRoman", "%2.", start=3)
        + "</w:abstractNum>"
        '<w:abstractNum w:abstractNumId="2">' + lvl(0, "decimal", "%1.") + "</w:abstractNum>"
        '<w:num w:numId="1"><w:abstractNumId w:val="0"/></w:num>'
        '<w:num w:numId="2"><w:abstractNumId w:val="1"/></w:num>'
        '<w:num w:numId="3"><w:abstractNumId w:val="2"/></w:num>'
        "</w:numbering>"
    )

    def item(text: str, num: int, ilvl: int = 0, heading: bool = False) -> str:
        style = '<w:outlineLvl w:val="0"/>' if heading else ""
        props = f'<w:numPr><w:ilvl w:val="{ilvl}"/><w:numId w:val="{num}"/></w:numPr>'
        return p(text, f"<w:pPr>{style}{props}</w:pPr>")

    body = (
        item("Scope", 1, heading=True)
        + item("Purpose", 1, 1)
        + item("Terms", 1, 1)
        + item("Definitions", 1, heading=True)
        + item("first clause", 2)
        + item("its detail", 2, 1)
        + item("second clause", 2)
        + item("plain one", 3)
        + item("plain two", 3)
    )
    data = word_docx(
        body,
        parts={"word/numbering.xml": numbering},
        rels=rel("rNum", "numbering", "numbering.xml"),
    )
    (pg,) = read(data, DOCX)
    assert pg.markdown.split("\n\n") == [
        "# 1 Scope",
        "1.1 Purpose",
        "1.2 Terms",
        "# 2 Definitions",
        "(a) first clause",
        "iii. its detail",  # its level starts at 3
        "(b) second clause",
        "1. plain one\n2. plain two",  # plain decimals: a Markdown list
    ]


def test_hidden_text_is_left_out() -> None:
    body = (
        '<w:p><w:r><w:t xml:space="preserve">Shown </w:t></w:r>'
        "<w:r><w:rPr><w:vanish/></w:rPr><w:t>secret </w:t></w:r>"
        '<w:r><w:rPr><w:vanish w:val="0"/></w:rPr><w:t>too</w:t></w:r></w:p>'
    )
    assert read(word_docx(body), DOCX)[0].markdown == "Shown too"


def test_smartart_reads_as_a_list_of_its_texts() -> None:
    dgm = "http://schemas.openxmlformats.org/drawingml/2006/diagram"
    data = (
        f'<dgm:dataModel xmlns:dgm="{dgm}" xmlns:a="{package_mod.NS["a"]}"><dgm:ptLst>'
        '<dgm:pt modelId="0" type="doc"><dgm:t><a:p><a:r><a:t>not shown</a:t></a:r></a:p>'
        "</dgm:t></dgm:pt>"
        '<dgm:pt modelId="1"><dgm:t><a:p><a:r><a:t>Plan</a:t></a:r></a:p></dgm:t></dgm:pt>'
        '<dgm:pt modelId="2" type="parTrans"><dgm:t/></dgm:pt>'
        '<dgm:pt modelId="3"><dgm:t><a:p><a:r><a:t>Build</a:t></a:r></a:p></dgm:t></dgm:pt>'
        "</dgm:ptLst></dgm:dataModel>"
    )
    body = (
        p("Our process:")
        + f'<w:p><w:r><w:drawing><wp:inline><a:graphic><a:graphicData uri="{dgm}">'
        f'<dgm:relIds xmlns:dgm="{dgm}" r:dm="rDm" r:lo="x" r:qs="y" r:cs="z"/>'
        "</a:graphicData></a:graphic></wp:inline></w:drawing></w:r></w:p>" + p("Then ship.")
    )
    doc = word_docx(
        body,
        parts={"word/diagrams/data1.xml": data},
        rels=rel("rDm", "diagramData", "diagrams/data1.xml"),
    )
    (pg,) = read(doc, DOCX)
    assert pg.markdown == "Our process:\n\n- Plan\n- Build\n\nThen ship."
