"""A filled-in form's answers put beside their labels in the text layer (:mod:`formfields`)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from aigateway.ocr.engine import page, textlayer
from aigateway.ocr.engine.formfields import Field, merge
from aigateway.ocr.engine.options import EngineOptions, Source

from ..support.docgen import FormField, form_pdf, text_pdf

H = 842.0  # A4 height in points; form_pdf's coordinates have y up


def test_values_go_after_their_labels_beside_or_above_and_recurring_labels_in_order() -> None:
    text = "Applicant\nName: Date:\nPartner\nName:\nAddress\nSigned."
    fields = [
        Field("Ada", "Name:", ""),
        Field("2026-12-05", "Date:", ""),
        Field("Charles", "Name:", ""),  # the second "Name:", in the partner's section
        Field("12 St James's Square", "", "Address"),
        Field("lost", "Nowhere:", "Nor here"),
    ]
    assert merge(text, fields) == (
        "Applicant\nName: Ada Date: 2026-12-05\nPartner\nName: Charles\nAddress\n"
        "12 St James's Square\nSigned.\nlost"
    )
    assert merge(text, []) == text
    assert merge("", [Field("alone", "", "")]) == "alone"


_TEXT = st.text(st.characters(codec="utf-8", exclude_characters="\n\r"), max_size=30)


@given(
    st.lists(_TEXT, max_size=6),
    st.lists(st.tuples(_TEXT.filter(str.strip), _TEXT, _TEXT), max_size=6),
)
def test_merge_keeps_the_text_and_adds_every_value_once(
    lines: list[str], specs: list[tuple[str, str, str]]
) -> None:
    text = "\n".join(lines)
    fields = [Field(v, beside, above) for v, beside, above in specs]
    out = merge(text, fields)
    # Nothing of the page's own text is lost or reordered: taking the values out again (they
    # are only ever inserted) leaves its characters in order.
    rest = iter(out)
    assert all(ch in rest for ch in text.replace("\n", ""))
    for f in fields:
        assert f.value in out
    assert len(out) >= len(text) + sum(len(f.value) for f in fields)


def _form() -> bytes:
    labels = [
        ("Application for a library card", 72, H - 80),
        ("Name:", 72, H - 150),
        ("Date:", 330, H - 150),
        ("Home address", 72, H - 200),
        ("Member before:", 72, H - 280),
        ("Yes", 200, H - 280),
        ("No", 260, H - 280),
        ("Password:", 72, H - 320),
        ("Signed at the desk.", 72, H - 400),
    ]
    fields = [
        FormField("text", "Ada Lovelace", (110, H - 155, 300, H - 140)),
        FormField("text", "2026-12-05", (365, H - 155, 500, H - 140)),
        FormField("text", "12 St James's Square, London", (72, H - 235, 400, H - 215)),
        FormField("check", "on", (185, H - 282, 195, H - 272)),
        FormField("check", "off", (245, H - 282, 255, H - 272)),
        FormField("password", "hunter2", (140, H - 325, 300, H - 310)),
        FormField("hidden", "secret note", (72, H - 380, 300, H - 365)),
    ]
    return form_pdf(labels, fields)


def test_a_filled_form_reads_with_its_answers_and_without_secret_ones() -> None:
    result = page.read_page(Source("application/pdf", data=_form()), 0, EngineOptions(), False)
    assert result.method == "text_layer"
    lines = result.markdown.split("\n")
    assert "Name: Ada Lovelace Date: 2026-12-05" in lines
    # A label above its field: the value on a line of its own after it.
    assert lines[lines.index("Home address") + 1] == "12 St James's Square, London"
    assert "Member before: \u2612 Yes \u2610 No" in lines
    # A password field's value and a hidden field's are not on the page as seen.
    assert "hunter2" not in result.markdown and "secret" not in result.markdown


def test_a_filled_form_rendered_for_ocr_shows_its_answers() -> None:
    # pdfium draws a form's fields only with its form env set up before the page is loaded.
    result = page.read_page(Source("application/pdf", data=_form()), 0, EngineOptions(), True)
    assert result.method == "ocr"
    assert "Ada Lovelace" in result.markdown and "2026-12-05" in result.markdown


def test_a_scanned_form_s_answers_alone_are_no_text_layer() -> None:
    # A paper form scanned and filled in on screen: its only text is the answers. Taken for
    # the page's text layer, they came back without a label; the page is read by OCR, with
    # its answers drawn where they were typed.
    labels = [("Name:", 72, H - 150), ("Date:", 330, H - 150), ("Home address", 72, H - 200)]
    fields = [
        FormField("text", "Ada Lovelace", (110, H - 155, 300, H - 140)),
        FormField("text", "2026-12-05", (365, H - 155, 500, H - 140)),
        FormField("text", "12 St James's Square, London", (72, H - 235, 400, H - 215)),
    ]
    data = form_pdf(labels, fields, scanned=True)
    assert len(data) >= 100_000
    result = page.read_page(Source("application/pdf", data=data), 0, EngineOptions(), False)
    assert (result.method, result.reason) == ("ocr", "too little text")
    text = " ".join(result.markdown.split())
    assert "Name: Ada Lovelace Date: 2026-12-05 Home address 12 St James's Square, London" in text


def test_a_page_without_a_form_reads_as_before() -> None:
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(text_pdf(["Plain text page without any form fields"]))
    try:
        doc.init_forms()  # no form: nothing is set up, and extract reads the page as it is
        pg = doc[0]
        assert textlayer.extract(pg).text == "Plain text page without any form fields"
        pg.close()
    finally:
        doc.close()
