"""Test documents made at run time: text-layer PDFs, scanned PDFs, images, encrypted PDFs.

Nothing here reads a file shipped with the repository, so every test can build exactly the
document it needs. PDFs are written by a tiny hand-rolled writer (base-14 Helvetica, no font
embedding: pdfium substitutes its own metrics-compatible font), so the text layer of a generated
PDF is exactly the strings passed in. Images are drawn with Pillow using DejaVu/Liberation fonts
when installed, Pillow's built-in scalable font otherwise.
"""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageFont

__all__ = (
    "FAINT_TEXTS",
    "FONT_DIRS",
    "PY_LISTING",
    "creased",
    "encrypted_pdf",
    "faint_scan",
    "find_font",
    "font",
    "noise",
    "on_grain",
    "png_header",
    "prose_page",
    "render_text",
    "scanned_pdf",
    "text_pdf",
    "text_png",
    "tiff_frames",
)

PY_LISTING = [
    "def total(items):",
    "    s = 0",
    "    for it in items:",
    "        s += it.price * it.qty",
    "    return s",
    "",
    "class Cart:",
    "    def __init__(self, owner):",
    "        self.owner = owner",
    "        self.items = []",
    "    def add(self, item):",
    "        self.items.append(item)",
]
"""A short Python listing with a blank line, for numbered-listing and editor screenshots."""

FONT_DIRS = ("/usr/share/fonts/truetype", "/usr/share/fonts")

A4 = (595.0, 842.0)
"""Page size in points."""


def find_font(name: str) -> str | None:
    """Path of a TrueType font file called ``name`` (e.g. ``DejaVuSans.ttf``), if installed."""
    for base in FONT_DIRS:
        hits = sorted(Path(base).rglob(name)) if Path(base).is_dir() else []
        if hits:
            return str(hits[0])
    return None


def font(size: int, name: str = "DejaVuSans.ttf") -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """A font of ``size`` pixels: ``name`` when installed, else Pillow's scalable default."""
    path = find_font(name)
    if path is not None:
        return ImageFont.truetype(path, size)
    return ImageFont.load_default(size)


def render_text(
    text: str,
    *,
    width: int = 1700,
    size: int = 40,
    font_name: str = "DejaVuSans.ttf",
    margin: int = 100,
    line_spacing: float = 1.5,
    min_height: int = 0,
) -> Image.Image:
    """Draw ``text`` (paragraphs separated by blank lines) black on white, wrapped to ``width``.

    Returns a grayscale image; the default 1700 px width is an A4/letter page at ~200 DPI.
    """
    fnt = font(size, font_name)
    draw = ImageDraw.Draw(Image.new("L", (1, 1)))
    lines: list[str] = []
    for para in text.split("\n\n"):
        line = ""
        for word in para.split():
            cand = f"{line} {word}".strip()
            if draw.textlength(cand, font=fnt) <= width - 2 * margin or not line:
                line = cand
            else:
                lines.append(line)
                line = word
        lines.append(line)
        lines.append("")
    step = int(size * line_spacing)
    height = max(min_height, 2 * margin + step * len(lines))
    img = Image.new("L", (width, height), 255)
    d = ImageDraw.Draw(img)
    for i, line in enumerate(lines):
        d.text((margin, margin + i * step), line, font=fnt, fill=0)
    return img


def prose_page(text: str, *, margin: int = 300, height: int = 3508) -> Image.Image:
    """``text`` set in serif type at 42 px, A4-wide at 300 DPI (2480 px) with ``margin``, on
    a page at least ``height`` px tall (3508: a whole A4 page): the engine passes' unit pages."""
    return render_text(
        text, width=2480, size=42, margin=margin, font_name="DejaVuSerif.ttf", min_height=height
    )


def text_png(text: str, *, size: int = 40, rotate: int = 0, width: int = 1700) -> bytes:
    """PNG of ``text`` rendered at ``size`` px, optionally rotated counter-clockwise."""
    img = render_text(text, size=size, width=width)
    if rotate:
        img = img.rotate(rotate, expand=True, fillcolor=255)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def tiff_frames(texts: Sequence[str], *, size: int = 40) -> bytes:
    """A multi-frame TIFF, one frame per text."""
    frames = [render_text(t, size=size, width=1400) for t in texts]
    buf = io.BytesIO()
    frames[0].save(buf, format="TIFF", save_all=True, append_images=frames[1:])
    return buf.getvalue()


def png_header(width: int, height: int) -> bytes:
    """A syntactically valid PNG announcing ``width`` x ``height`` grayscale pixels.

    Only the first scanline's worth of IDAT is present, so nothing big is ever allocated by the
    writer; a reader that decodes it anyway would need ``width * height`` bytes.
    """

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00" + b"\xff" * min(width, 1024))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


# --- a minimal PDF writer ---------------------------------------------------------------------


def _pdf_escape(s: str) -> bytes:
    # WinAnsi covers Latin-1 for the base-14 fonts; tests keep to that.
    raw = s.encode("cp1252")
    return raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


def _text_ops(lines: Sequence[str], *, size: float, x: float, top: float, mode: int) -> bytes:
    leading = size * 1.4
    out = [b"BT", f"/F1 {size:g} Tf {leading:g} TL {mode} Tr {x:g} {top:g} Td".encode()]
    for line in lines:
        out.append(b"(" + _pdf_escape(line) + b") Tj T*")
    out.append(b"ET")
    return b"\n".join(out)


def _wrap(text: str, chars: int) -> list[str]:
    lines: list[str] = []
    for para in text.split("\n\n"):
        line = ""
        for word in para.split():
            if line and len(line) + 1 + len(word) > chars:
                lines.append(line)
                line = word
            else:
                line = f"{line} {word}".strip()
        lines.append(line)
        lines.append("")
    return lines[:-1]


class _PdfWriter:
    """Objects numbered in insertion order; ``finish`` writes the xref table."""

    def __init__(self) -> None:
        self.objects: list[bytes] = []

    def add(self, body: bytes) -> int:
        self.objects.append(body)
        return len(self.objects)

    def stream(self, dictionary: bytes, data: bytes) -> int:
        return self.add(
            dictionary[:-2]
            + f" /Length {len(data)} >>".encode()
            + b"\nstream\n"
            + data
            + b"\nendstream"
        )

    def finish(self, page_ids: list[int], pages_id: int, catalog_extra: str = "") -> bytes:
        kids = " ".join(f"{p} 0 R" for p in page_ids)
        self.objects[pages_id - 1] = (
            f"<< /Type /Pages /Kids [{kids}] /Count {len(page_ids)} >>".encode()
        )
        catalog = self.add(f"<< /Type /Catalog /Pages {pages_id} 0 R {catalog_extra}>>".encode())
        buf = io.BytesIO()
        buf.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
        offsets = []
        for i, body in enumerate(self.objects, start=1):
            offsets.append(buf.tell())
            buf.write(f"{i} 0 obj\n".encode() + body + b"\nendobj\n")
        xref = buf.tell()
        buf.write(f"xref\n0 {len(self.objects) + 1}\n0000000000 65535 f \n".encode())
        for off in offsets:
            buf.write(f"{off:010d} 00000 n \n".encode())
        buf.write(
            f"trailer\n<< /Size {len(self.objects) + 1} /Root {catalog} 0 R >>\n"
            f"startxref\n{xref}\n%%EOF\n".encode()
        )
        return buf.getvalue()


def _build_pdf(pages: Sequence[tuple[bytes, list[tuple[str, bytes, int, int]], int]]) -> bytes:
    """``pages``: (content stream, images as (name, jpeg bytes, w, h), /Rotate) per page."""
    w = _PdfWriter()
    pages_id = w.add(b"")  # patched in finish()
    font_id = w.add(
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
    )
    page_ids = []
    for content, images, rotate in pages:
        xobjs = []
        for name, jpeg, iw, ih in images:
            img_id = w.stream(
                f"<< /Type /XObject /Subtype /Image /Width {iw} /Height {ih} "
                f"/ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /DCTDecode >>".encode(),
                jpeg,
            )
            xobjs.append(f"/{name} {img_id} 0 R")
        content_id = w.stream(b"<< >>", content)
        xobj = f"/XObject << {' '.join(xobjs)} >>" if xobjs else ""
        page_ids.append(
            w.add(
                f"<< /Type /Page /Parent {pages_id} 0 R /MediaBox [0 0 {A4[0]:g} {A4[1]:g}] "
                f"/Rotate {rotate} /Resources << /Font << /F1 {font_id} 0 R >> {xobj} >> "
                f"/Contents {content_id} 0 R >>".encode()
            )
        )
    return w.finish(page_ids, pages_id)


def text_pdf(pages: Sequence[str], *, size: float = 11, rotate: int = 0) -> bytes:
    """A born-digital PDF: one A4 page per string, real text operators (a text layer)."""
    built: list[tuple[bytes, list[tuple[str, bytes, int, int]], int]] = []
    for text in pages:
        lines = _wrap(text, int(900 / size))
        built.append((_text_ops(lines, size=size, x=56, top=A4[1] - 72, mode=0), [], rotate))
    return _build_pdf(built)


@dataclass(frozen=True)
class FormField:
    """A filled-in AcroForm field of :func:`form_pdf`."""

    kind: str
    """``text``, ``check`` (``value`` "on" or "off"), ``password`` or ``hidden`` (a text field
    flagged hidden)."""
    value: str
    rect: tuple[float, float, float, float]
    """x0, y0, x1, y1 in points, PDF coordinates (y up)."""


def form_pdf(
    labels: Sequence[tuple[str, float, float]],
    fields: Sequence[FormField],
    *,
    scanned: bool = False,
) -> bytes:
    """A one-page A4 form as a form filler saves it: ``labels`` ((text, x, y) in points) are the
    page's text, and what was typed lives only in ``fields``' widgets (values and appearance
    streams), not in the page's content. ``scanned``: the labels are a picture of a paper form
    (a grainy 200 DPI JPEG filling the page), with no text of their own."""
    w = _PdfWriter()
    pages_id = w.add(b"")  # patched in finish()
    font_id = w.add(
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
    )
    res = f"/Resources << /Font << /F1 {font_id} 0 R >> >>"
    widget_ids = []
    for i, f in enumerate(fields):
        x0, y0, x1, y1 = f.rect
        box = f"/Type /XObject /Subtype /Form /BBox [0 0 {x1 - x0:g} {y1 - y0:g}] {res}"
        common = f"/Type /Annot /Subtype /Widget /Rect [{x0:g} {y0:g} {x1:g} {y1:g}] /T (f{i})"
        if f.kind == "check":
            on = w.stream(f"<< {box} >>".encode(), b"q 0 g 2 2 m 8 8 l 2 8 m 8 2 l S Q")
            off = w.stream(f"<< {box} >>".encode(), b"")
            state = "/Yes" if f.value == "on" else "/Off"
            body = (
                f"<< {common} /FT /Btn /F 4 /V {state} /AS {state} "
                f"/AP << /N << /Yes {on} 0 R /Off {off} 0 R >> >> >>"
            )
        else:
            shown = "*" * len(f.value) if f.kind == "password" else f.value
            ops = b"/Tx BMC q BT /F1 10 Tf 2 6 Td (" + _pdf_escape(shown) + b") Tj ET Q EMC"
            ap = w.stream(f"<< {box} >>".encode(), ops)
            flags = {"password": " /Ff 8192", "hidden": ""}.get(f.kind, "")
            annot_flags = 2 if f.kind == "hidden" else 4
            value = _pdf_escape(f.value).decode("latin-1")
            body = (
                f"<< {common} /FT /Tx /F {annot_flags}{flags} /V ({value}) "
                f"/DA (/F1 10 Tf 0 g) /AP << /N {ap} 0 R >> >>"
            )
        widget_ids.append(w.add(body.encode()))
    if scanned:
        paper = Image.new("L", (1654, 2339), 245)
        draw = ImageDraw.Draw(paper)
        px = 1654 / A4[0]
        for text, x, y in labels:
            draw.text((x * px, (A4[1] - y) * px), text, font=font(30), fill=20, anchor="ls")
        jpeg = _jpeg(on_grain(paper, seed=len(labels), mean=235, sigma=12), quality=85)
        img_id = w.stream(
            f"<< /Type /XObject /Subtype /Image /Width {paper.width} /Height {paper.height} "
            f"/ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /DCTDecode >>".encode(),
            jpeg,
        )
        res = res[:-3] + f" /XObject << /Im0 {img_id} 0 R >> >>"
        content = f"q {A4[0]:g} 0 0 {A4[1]:g} 0 0 cm /Im0 Do Q".encode()
    else:
        ops = [b"BT /F1 11 Tf"]
        for text, x, y in labels:
            ops.append(f"1 0 0 1 {x:g} {y:g} Tm (".encode() + _pdf_escape(text) + b") Tj")
        ops.append(b"ET")
        content = b"\n".join(ops)
    content_id = w.stream(b"<< >>", content)
    annots = " ".join(f"{i} 0 R" for i in widget_ids)
    page_id = w.add(
        f"<< /Type /Page /Parent {pages_id} 0 R /MediaBox [0 0 {A4[0]:g} {A4[1]:g}] {res} "
        f"/Annots [{annots}] /Contents {content_id} 0 R >>".encode()
    )
    acroform = (
        f"/AcroForm << /Fields [{annots}] /DA (/F1 10 Tf 0 g) "
        f"/DR << /Font << /F1 {font_id} 0 R >> >> >> "
    )
    return w.finish([page_id], pages_id, acroform)


def _jpeg(img: Image.Image, quality: int = 90) -> bytes:
    buf = io.BytesIO()
    img.convert("L").save(buf, format="JPEG", quality=quality)
    return buf.getvalue()


def scanned_pdf(
    pages: Sequence[str],
    *,
    hidden_text: Sequence[str] | None = None,
    rotate_image: int = 0,
    size: int = 40,
) -> bytes:
    """An image-only PDF: each page is a picture of its text (a "scan") filling the page.

    ``hidden_text`` adds an invisible (render mode 3) text layer per page, as OCR tools do: pass
    garbage to model a bad text layer. ``rotate_image`` rotates the scan counter-clockwise inside
    the page (a page fed sideways into the scanner).
    """
    built = []
    for i, text in enumerate(pages):
        img = render_text(text, size=size, width=1654, min_height=2339)
        if rotate_image:
            img = img.rotate(rotate_image, expand=True, fillcolor=255)
        pw, ph = (A4[1], A4[0]) if rotate_image in (90, 270) else A4
        ops = f"q {A4[0]:g} 0 0 {A4[1]:g} 0 0 cm /Im0 Do Q".encode()
        if rotate_image in (90, 270):
            # Landscape scan squeezed onto a portrait page would distort: keep its aspect.
            scale = A4[0] / pw
            ops = f"q {A4[0]:g} 0 0 {ph * scale:g} 0 0 cm /Im0 Do Q".encode()
        if hidden_text is not None:
            lines = _wrap(hidden_text[i], 80)
            ops += b"\n" + _text_ops(lines, size=11, x=56, top=A4[1] - 72, mode=3)
        built.append((ops, [("Im0", _jpeg(img), img.width, img.height)], 0))
    return _build_pdf(built)


def encrypted_pdf(text: str, password: str) -> bytes:
    """A one-page text PDF encrypted with ``password`` (user and owner), via pypdf."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(text_pdf([text]))))
    writer.encrypt(user_password=password, owner_password=password, algorithm="RC4-128")
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


def _gaussian(size: tuple[int, int], mean: float, sigma: float, seed: int) -> Image.Image:
    noise = np.random.default_rng(seed).normal(mean, sigma, (size[1], size[0]))
    return Image.fromarray(np.clip(np.rint(noise), 0, 255).astype(np.uint8), "L")


def noise(size: tuple[int, int], sigma: float, seed: int = 0) -> Image.Image:
    """Gaussian noise around grey 128, as Pillow's ``Image.effect_noise`` makes it, but
    seeded. ``effect_noise`` draws from C's unseeded ``rand()``, so a page built with it
    changed with the tests run before it in the process: a grainy test page read "on a" as
    "ona" after 25 other pages had been made."""
    return _gaussian(size, 128, sigma, seed)


def on_grain(img: Image.Image, seed: int, mean: int = 200, sigma: float = 50) -> Image.Image:
    """``img`` (mode ``L``) under seeded Gaussian paper grain, as bench/corpus.py makes its
    grainy pages (there: mean 195-210, sigma 40-55): each pixel the darker of the two."""
    return ImageChops.darker(img, _gaussian(img.size, mean, sigma, seed))


def creased(
    img: Image.Image, y: float, grey: int = 190, width: float = 4, drop: float = 30
) -> Image.Image:
    """``img`` (mode ``L``) folded and flattened again: a soft grey crease across it from row
    ``y``, falling ``drop`` px over the width with a slight wave, about ``width`` px thick and
    ``grey`` at its darkest, laid over the print as a shadow is (multiplied)."""
    w, h = img.size
    x = np.arange(w)
    centre = y + drop * x / w + 3 * np.sin(x / 300)
    rows = np.arange(h)[:, None]
    shade = (255 - grey) * np.exp(-0.5 * ((rows - centre[None, :]) / (width / 2)) ** 2)
    layer = Image.fromarray(np.clip(255 - shade, 0, 255).round().astype(np.uint8))
    return ImageChops.multiply(img, layer)


FAINT_TEXTS = (
    "The committee met on Tuesday in the town hall and presented the budget for the coming "
    "year, and the members asked how the new library would be paid for. ",
    "Residents can read the full plan at the office or online and send their comments "
    "before the end of the month, when the council meets again to decide. ",
    "The road to the station will close for two weeks in the spring while the bridge is "
    "repaired, and buses will stop at the market square instead. ",
)


def faint_scan(grey: int = 187, seed: int = 1) -> Image.Image:
    """An A4 page at 300 DPI, scanned: three paragraphs of 40 px sans, the middle one printed
    light grey (``grey``, as a web page's or a form's secondary text), black around it; then
    0.6 degrees askew, softened, shaded towards one side and grainy (paper about 232)."""
    import textwrap

    face = font(40, "DejaVuSans.ttf")
    img = Image.new("L", (2480, 3508), 255)
    draw = ImageDraw.Draw(img)
    y = 300
    for fill, text in zip((0, grey, 0), FAINT_TEXTS, strict=True):
        for line in textwrap.wrap(text * 2, 80):
            draw.text((250, y), line, font=face, fill=fill)
            y += 62
        y += 60
    img = img.rotate(0.6, resample=Image.Resampling.BICUBIC, fillcolor=255)
    img = img.filter(ImageFilter.GaussianBlur(0.7))
    ramp = Image.linear_gradient("L").resize(img.size).point(lambda v: 255 - v // 6)
    return on_grain(ImageChops.multiply(img, ramp), seed=seed, mean=232, sigma=14)
