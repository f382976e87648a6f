"""A generated robustness set for the OCR engine: odd, empty, extreme and broken documents.

Each case says what a correct gateway answers: 200 (with words that must be read, or that must
be absent), or a documented 4xx with the parameter it names. Nothing here is a 5xx, ever.
Documents are built at run time with Pillow and the docgen PDF writer.
"""

from __future__ import annotations

import io
import os
import struct
from dataclasses import dataclass, field

from PIL import Image, ImageDraw

from aigateway.ocr.normalize.encoding import DOCX

from .docgen import (
    FormField,
    font,
    form_pdf,
    png_header,
    render_text,
    scanned_pdf,
    text_pdf,
    tiff_frames,
)
from .officegen import report_docx, word_docx

__all__ = ("Case", "cases")


@dataclass(frozen=True)
class Case:
    """One document and what the gateway must answer for it."""

    name: str
    data: bytes
    media_type: str | None
    """Declared ``content_type``; ``None`` lets the gateway sniff."""
    status: int = 200
    pages: list[str] | None = None
    """With 200: each page's expected words (``""`` for an empty page); ``None``: not checked."""
    message: str = ""
    """With a 4xx: a fragment the error message must contain (the limit it names)."""
    options: dict[str, object] = field(default_factory=dict)


def _save(img: Image.Image, fmt: str, **kw: object) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format=fmt, **kw)
    return buf.getvalue()


def _with_media_box(pdf: bytes, box: str) -> bytes:
    """``pdf`` with every page's MediaBox set to ``box`` (four numbers, as written), via pypdf."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import ArrayObject, FloatObject, NameObject

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    for page in writer.pages:
        page[NameObject("/MediaBox")] = ArrayObject(FloatObject(v) for v in box.split())
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


def _exif_rotated_jpeg(text: str) -> bytes:
    # Stored turned 90 degrees counter-clockwise, with EXIF orientation 6 ("rotate 90 degrees
    # clockwise to display"), as a phone held sideways writes it.
    img = render_text(text, width=1400).rotate(90, expand=True)
    exif = Image.Exif()
    exif[0x0112] = 6
    return _save(img, "JPEG", quality=90, exif=exif.tobytes())


def _exif_rotated_png(text: str) -> bytes:
    # Turned 180 degrees as stored, orientation 3 in its eXIf chunk.
    exif = Image.Exif()
    exif[0x0112] = 3
    return _save(render_text(text, width=1400).rotate(180), "PNG", exif=exif.tobytes())


def _png_with_garbage_exif(text: str) -> bytes:
    # An eXIf chunk holding no TIFF header: the page is still readable, so it is read.
    return _save(render_text(text, width=1200), "PNG", exif=b"\x00garbage, not exif\xff" * 4)


def _sixteen_bit(text: str) -> bytes:
    img = render_text(text, width=1200)
    return _save(img.convert("I").point(lambda v: v * 257).convert("I;16"), "PNG")


def _cmyk_jpeg(text: str) -> bytes:
    return _save(render_text(text, width=1200).convert("CMYK"), "JPEG", quality=92)


def _palette_alpha(text: str) -> bytes:
    # Black text on transparent "paper" in a palette image: index 0 transparent.
    base = render_text(text, width=1200)
    img = base.point(lambda v: 0 if v > 128 else 1).convert("P")
    img.putpalette([255, 255, 255, 0, 0, 0] + [0] * 762)
    return _save(img, "PNG", transparency=0)


def _light_on_transparent(text: str) -> bytes:
    # White print on a fully transparent background (a dark-theme screenshot, a logo): put on
    # white paper it would vanish.
    ink = render_text(text, width=1200, margin=20)
    img = Image.new("RGBA", ink.size, (255, 255, 255, 0))
    img.putalpha(ink.point(lambda v: 255 - v))
    return _save(img, "PNG")


def _card_on_transparent(text: str) -> bytes:
    # A white card with dark print, on a transparent canvas larger than it.
    img = Image.new("RGBA", (2000, 1200), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    draw.rounded_rectangle((200, 200, 1500, 700), 30, fill=(255, 255, 255, 255))
    draw.text((260, 400), text, font=font(40), fill=(20, 20, 20, 255))
    return _save(img, "PNG")


def _heic_photo(text: str) -> bytes:
    # An iPhone's photo format, taken with the phone held sideways (EXIF orientation 6).
    import pillow_heif

    pillow_heif.register_heif_opener()
    exif = Image.Exif()
    exif[0x0112] = 6
    img = render_text(text, width=1400).convert("RGB").rotate(90, expand=True)
    return _save(img, "HEIF", quality=80, exif=exif.tobytes())


def _avif(text: str) -> bytes:
    return _save(render_text(text, width=1400).convert("RGB"), "AVIF", quality=60)


def _sparse_page(text: str) -> bytes:
    img = Image.new("L", (6000, 6000), 255)
    ImageDraw.Draw(img).text((2400, 3000), text, font=font(48), fill=0)
    return _save(img, "PNG", optimize=True)


def _zero_page_pdf() -> bytes:
    pdf = text_pdf(["gone"])
    # The page tree says it has no kids: a valid, empty document.
    start = pdf.index(b"<< /Type /Pages")
    end = pdf.index(b">>", start) + 2
    empty = b"<< /Type /Pages /Kids [] /Count 0 >>"
    return pdf[:start] + empty.ljust(end - start) + pdf[end:]


def _gif_1x1() -> bytes:
    return _save(Image.new("P", (1, 1), 0), "GIF")


def _bmp_1x1() -> bytes:
    return _save(Image.new("RGB", (1, 1), (0, 0, 0)), "BMP")


def _webp_1x1() -> bytes:
    return _save(Image.new("RGB", (1, 1), (255, 255, 255)), "WEBP")


def _bogus_bmp_header(width: int, height: int) -> bytes:
    # A BMP whose header promises a huge image and carries no pixels.
    info = struct.pack("<IiiHHIIiiII", 40, width, height, 1, 24, 0, 0, 2835, 2835, 0, 0)
    return b"BM" + struct.pack("<IHHI", 14 + len(info), 0, 0, 14 + len(info)) + info


_XXE = '<!DOCTYPE w:document [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_DOCX_PAGE_1 = (
    "Quarterly report Section 1: regional results Revenue in section 1 grew by 10 % against the "
    "same quarter last year, while costs stayed flat; the table below gives the figures by "
    "region. Northern stores opened late Online orders doubled 1. Review the pricing 2. Hire two "
    "engineers Region Q2 Q3 North 1,200 1,350 South 980 1,010 West | coast 15 17"
)
_DOCX_PAGE_2 = (
    _DOCX_PAGE_1.replace("Quarterly report ", "")
    .replace("1:", "2:")
    .replace("10 %", "11 %")
    .replace("1. Review", "3. Review")
    .replace("2. Hire", "4. Hire")
    .replace("section 1", "section 2")
)


def _filled_form(*, scanned: bool) -> bytes:
    """An application form with its name and date filled in (on screen, or scanned)."""
    labels = [("Name:", 72, 700), ("Date:", 330, 700)]
    fields = [
        FormField("text", "Ada Lovelace", (110, 695, 300, 710)),
        FormField("text", "5 December 2026", (365, 695, 520, 710)),
    ]
    return form_pdf(labels, fields, scanned=scanned)


def _empty_deck() -> bytes:
    import pptx

    buf = io.BytesIO()
    pptx.Presentation().save(buf)
    return buf.getvalue()


def cases() -> list[Case]:
    """Every case; documents are made fresh on each call."""
    words = "Robust reading survives odd pages"
    blank = Image.new("L", (1700, 2200), 255)
    noise = Image.frombytes("L", (1000, 1000), os.urandom(1_000_000))
    return [
        # Empty pages: 200 with empty markdown, never "No text returned".
        Case("blank-png", _save(blank, "PNG"), "image/png", pages=[""]),
        Case("blank-jpeg", _save(blank, "JPEG"), None, pages=[""]),
        Case("pdf-second-page-blank", text_pdf([words, ""]), None, pages=[words, ""]),
        Case(
            "pdf-blank-forced",
            text_pdf([words, ""]),
            None,
            pages=[words, ""],
            options={"force_ocr": True},
        ),
        Case("scanned-blank-pdf", scanned_pdf([""]), None, pages=[""]),
        Case(
            "tiff-blank-frames",
            tiff_frames([words, "", words, ""]),
            "image/tiff",
            pages=[words, "", words, ""],
        ),
        # pdfium refuses a page tree without pages: a 422, like any unreadable PDF.
        Case("zero-page-pdf", _zero_page_pdf(), None, status=422, message="not a readable PDF"),
        # Degenerate images.
        Case("png-1x1-black", _save(Image.new("L", (1, 1), 0), "PNG"), None, pages=[""]),
        Case("png-1x1-white", _save(Image.new("1", (1, 1), 1), "PNG"), None, pages=[""]),
        Case("gif-1x1", _gif_1x1(), None, pages=[""]),
        Case("bmp-1x1", _bmp_1x1(), None, pages=[""]),
        Case("webp-1x1", _webp_1x1(), None, pages=[""]),
        Case("png-20000x2", _save(Image.new("L", (20000, 2), 0), "PNG"), None, pages=[""]),
        Case("noise", _save(noise, "PNG"), None),
        Case("tiny-text", _save(render_text(words, size=6, width=300, margin=4), "PNG"), None),
        Case("huge-sparse-page", _sparse_page(words), None, pages=[words]),
        # Colour models and encodings.
        Case("png-16-bit", _sixteen_bit(words), None, pages=[words]),
        Case("jpeg-cmyk", _cmyk_jpeg(words), None, pages=[words]),
        Case("png-palette-alpha", _palette_alpha(words), None, pages=[words]),
        Case("png-light-print-on-transparency", _light_on_transparent(words), None, pages=[words]),
        Case("png-card-on-transparency", _card_on_transparent(words), None, pages=[words]),
        Case("jpeg-exif-rotated", _exif_rotated_jpeg(words), None, pages=[words]),
        Case("heic-exif-rotated", _heic_photo(words), None, pages=[words]),
        Case(
            "heic-truncated",
            _heic_photo(words)[:4000],
            None,
            status=422,
            message="could not be decoded",
        ),
        Case("avif", _avif(words), None, pages=[words]),
        Case("png-exif-upside-down", _exif_rotated_png(words), None, pages=[words]),
        Case("png-garbage-exif", _png_with_garbage_exif(words), None, pages=[words]),
        # Odd PDF page geometry.
        Case("pdf-mediabox-1pt", _with_media_box(text_pdf(["x"]), "0 0 1 1"), None),
        Case(
            "pdf-mediabox-1pt-forced",
            _with_media_box(text_pdf(["x"]), "0 0 1 1"),
            None,
            options={"force_ocr": True},
        ),
        Case("pdf-mediabox-zero", _with_media_box(text_pdf([words]), "0 0 0 0"), None),
        Case("pdf-mediabox-negative", _with_media_box(text_pdf([words]), "0 0 -595 -842"), None),
        Case("pdf-mediabox-flipped", _with_media_box(text_pdf([words]), "595 842 0 0"), None),
        Case(
            "pdf-mediabox-huge-square-forced",
            _with_media_box(text_pdf([words]), "0 0 14400 14400"),
            None,
            options={"force_ocr": True},
        ),
        Case("pdf-rotated-90", text_pdf([words], rotate=90), None, pages=[words]),
        # A filled-in form: the answers live in its fields' widgets, not in the page's text.
        Case(
            "pdf-filled-form",
            _filled_form(scanned=False),
            None,
            pages=["Name: Ada Lovelace Date: 5 December 2026"],
        ),
        # The same form scanned from paper: its only text is the answers, so it is read by OCR
        # (labels and all), not from a text layer of answers without their labels.
        Case(
            "pdf-scanned-filled-form",
            _filled_form(scanned=True),
            None,
            pages=["Name: Ada Lovelace Date: 5 December 2026"],
        ),
        # Over the documented limits: 413 / 422 naming them.
        Case(
            "pdf-mediabox-1e9-by-1-forced",
            _with_media_box(text_pdf([words]), "0 0 1000000000 1"),
            None,
            status=422,
            message="aspect ratio over 32767:1",
            options={"force_ocr": True},
        ),
        Case(
            "pdf-mediabox-1e9-by-1",
            _with_media_box(text_pdf([words]), "0 0 1000000000 1"),
            None,
            status=422,
            message="aspect ratio over 32767:1",
        ),
        Case(
            "png-40000x10",
            _save(Image.new("L", (40000, 10), 255), "PNG"),
            None,
            status=413,
            message="32767 pixels per side",
        ),
        Case("png-header-40000x40000", png_header(40000, 40000), None, status=413, message="40000"),
        Case(
            "bmp-header-huge",
            _bogus_bmp_header(30000, 30000),
            None,
            status=413,
            message="pixels per page",
        ),
        # Broken bytes.
        Case(
            "png-truncated",
            _save(blank, "PNG")[:200],
            None,
            status=422,
            message="could not be decoded",
        ),
        Case(
            "pdf-garbage",
            b"%PDF-1.7\n" + os.urandom(4000),
            "application/pdf",
            status=422,
            message="not a readable PDF",
        ),
        Case("random-bytes", os.urandom(5000), None, status=415, message="application/pdf"),
        # PostScript declared a PNG: Pillow's EPS decoder (which runs Ghostscript) is not used.
        Case(
            "eps-declared-png",
            b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 100 100\nshowpage\n" + bytes(2000),
            "image/png",
            status=422,
            message="not a readable image",
        ),
        # Office files: read from their XML; broken and hostile packages named.
        Case("docx", report_docx(sections=2, photos=0), None, pages=[_DOCX_PAGE_1, _DOCX_PAGE_2]),
        Case("pptx-no-slides", _empty_deck(), None, pages=[]),
        Case(
            "docx-zip-bomb",
            word_docx("<w:p/>" + " " * 80_000_000),
            DOCX,
            status=422,
            message="inflates to",
        ),
        Case(
            "docx-external-entity",
            word_docx("<w:p><w:r><w:t>&x;</w:t></w:r></w:p>", prolog=_XXE),
            None,
            status=422,
            message="document type declaration",
        ),
        Case("docx-encrypted", _OLE + bytes(5000), DOCX, status=422, message="password-protected"),
        # "²" is a digit to str.isdigit() and no number to int(): a cell spanning "²" columns
        # and a heading at outline level "²" were a ValueError in the server's page count.
        Case(
            "docx-superscript-numbers",
            word_docx(
                '<w:tbl><w:tr><w:tc><w:tcPr><w:gridSpan w:val="\N{SUPERSCRIPT TWO}"/></w:tcPr>'
                "<w:p><w:r><w:t>cell</w:t></w:r></w:p></w:tc></w:tr></w:tbl>"
                '<w:p><w:pPr><w:outlineLvl w:val="\N{SUPERSCRIPT TWO}"/></w:pPr>'
                "<w:r><w:t>Heading</w:t></w:r></w:p>"
            ),
            DOCX,
            pages=["cell Heading"],
        ),
        # Declared an image, holds none: Pillow's reason, without its Python object reprs.
        Case(
            "png-declared-not-an-image",
            os.urandom(5000),
            "image/png",
            status=422,
            message="not a readable image (cannot identify image file)",
        ),
    ]
