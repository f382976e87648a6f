"""The page tasks an OCR worker process runs (its main loop is :mod:`.serve`).

Page tasks (:func:`probe`, :func:`read_page`) take a :class:`Source`: tiny documents travel as
bytes inside the task, anything larger as a file path the worker opens itself.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass

from PIL import Image, ImageFilter, ImageOps

from ...errors import PayloadTooLargeError, UnprocessableDocumentError
from .. import pdf
from ..pages import image_pages
from . import textlayer

__all__ = ("EngineOptions", "PageResult", "Source", "probe", "read_page")

IMAGE_TYPES = frozenset(
    {"image/png", "image/jpeg", "image/gif", "image/webp", "image/tiff", "image/bmp"}
)


@dataclass(frozen=True)
class Source:
    """Where a worker finds the document: ``data`` (tiny) or ``path`` (anything larger)."""

    media_type: str
    data: bytes | None = None
    path: str | None = None
    password: str | None = None

    def input(self) -> bytes | str:
        """What pdfium / Pillow open: the bytes or the path."""
        if self.data is not None:
            return self.data
        assert self.path is not None
        return self.path


@dataclass(frozen=True)
class EngineOptions:
    """How to read a page (validated by the provider)."""

    engine: str = "tesseract"
    languages: tuple[str, ...] = ("eng",)
    dpi: int = 300
    detect_orientation: bool = True
    osd_min_confidence: float = 2.0
    osd_below_confidence: int = 85
    """Tesseract mean confidence under which a page is checked for rotation and re-read."""
    trust_invisible_text: bool = True
    max_pixels: int = 50_000_000
    threads: int = 1


@dataclass(frozen=True)
class PageResult:
    """One page read by a worker."""

    markdown: str
    dpi: int
    width: int
    height: int
    method: str
    """``"text"`` (the PDF's text layer) or ``"ocr"``."""
    rotation: int = 0
    """Counter-clockwise degrees the page was turned before recognition."""
    reason: str | None = None
    """Why a PDF page's text layer was not used, when it was OCR'd."""
    started_ns: int = 0
    ended_ns: int = 0
    """When the worker began and finished the page (``time.time_ns()``): the server traces
    pages with the worker's own timing, not with the time they waited in the queue."""


# --- page tasks -------------------------------------------------------------------------------


def probe(src: Source, max_pixels: int) -> int:
    """Pages of a PDF, or frames of an image (each frame's header checked against the cap)."""
    if src.media_type == "application/pdf":
        return pdf.count_pages(src.input(), src.password)
    img = pdf.open_image(src.input(), max_pixels)
    try:
        frames = image_pages(img, src.media_type)
        for i in range(1, frames):
            img.seek(i)
            pdf.check_image_size(img.width, img.height, max_pixels)
        return frames
    finally:
        img.close()


def read_page(src: Source, index: int, opts: EngineOptions, force_ocr: bool) -> PageResult:
    """Read page (or TIFF frame) ``index``: the text layer when sane, OCR otherwise."""
    started = time.time_ns()
    if src.media_type == "application/pdf":
        result = _pdf_page(src, index, opts, force_ocr)
    else:
        img, dpi = _load_image(src, index, opts.max_pixels)
        result = _ocr(img, dpi, opts, None)
    return dataclasses.replace(result, started_ns=started, ended_ns=time.time_ns())


def _pdf_page(src: Source, index: int, opts: EngineOptions, force_ocr: bool) -> PageResult:
    import pypdfium2 as pdfium

    doc = pdf.open_pdf(src.input(), src.password)
    try:
        try:
            reason = "force_ocr" if force_ocr else None
            if not force_ocr:
                page = doc[index]
                try:
                    layer = textlayer.extract(page)
                    w_pt, h_pt = page.get_size()
                finally:
                    page.close()
                reason = textlayer.assess(layer, trust_invisible=opts.trust_invisible_text)
                if reason is None:
                    scale = pdf.page_scale(w_pt, h_pt, opts.dpi, opts.max_pixels)
                    return PageResult(
                        markdown=layer.text,
                        dpi=round(scale * 72),
                        width=round(w_pt * scale),
                        height=round(h_pt * scale),
                        method="text",
                    )
            img, dpi = pdf.render_page(doc, index, opts.dpi, opts.max_pixels)
        except pdfium.PdfiumError as exc:
            raise UnprocessableDocumentError(
                f"page {index} of the PDF could not be read ({exc})", param="document"
            ) from None
    finally:
        doc.close()
    return _ocr(img, dpi, opts, reason)


def _load_image(src: Source, index: int, max_pixels: int) -> tuple[Image.Image, int]:
    img = pdf.open_image(src.input(), max_pixels)
    try:
        if index:
            img.seek(index)
        pdf.check_image_size(img.width, img.height, max_pixels)
        img.load()
        xdpi = img.info.get("dpi", (0, 0))[0]
        dpi = round(float(xdpi)) if xdpi and 30 <= float(xdpi) <= 2400 else 0
        out = ImageOps.exif_transpose(img) if src.media_type == "image/jpeg" else img
        if out.mode in ("RGBA", "LA", "PA") or (out.mode == "P" and "transparency" in out.info):
            # Transparent pixels are usually the paper: put them on white, not black.
            rgba = out.convert("RGBA")
            white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
            out = Image.alpha_composite(white, rgba)
        if out.mode.startswith("I;16") or out.mode == "I":
            # convert("L") clips 16-bit samples at 255 (a white page): scale them down instead.
            out = out.convert("I").point(lambda v: v / 256)
        gray = out.convert("L")
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise UnprocessableDocumentError(
            f"the image could not be decoded ({exc})", param="document"
        ) from None
    except Image.DecompressionBombError as exc:  # pragma: no cover - MAX_IMAGE_PIXELS is off
        raise PayloadTooLargeError(str(exc), param="document") from None
    finally:
        img.close()
    return gray, dpi


def _rank(reading: tuple[bool, int, str, int, Image.Image]) -> tuple[bool, int]:
    return reading[0], reading[1]


def _tesseract_page(img: Image.Image, dpi: int, opts: EngineOptions) -> tuple[str, int]:
    """Read with Tesseract; doubtful pages (low confidence or no text) get second chances.

    Clean upright pages pay for one pass. Doubtful ones are checked for rotation (OSD, ~0.2 s)
    and re-read turned, then re-read through a 3x3 median filter (salt-and-pepper noise makes
    Tesseract's binarisation drop whole pages: bench/ocr_quality.py "noise" went from CER 0.18
    to ~0.005 with it). The most confident non-empty reading wins.
    """
    from . import tesseract

    def doubtful(md: str, conf: int) -> bool:
        return conf < opts.osd_below_confidence or not md.strip()

    markdown, conf = tesseract.recognize(img, dpi, opts.languages)
    if not doubtful(markdown, conf):
        return markdown, 0
    # (has text, confidence, markdown, rotation, image): max() picks the reading to keep.
    best = (bool(markdown.strip()), conf, markdown, 0, img)
    if opts.detect_orientation:
        rotation = tesseract.detect_rotation(img, dpi, opts.osd_min_confidence)
        if rotation:
            turned = img.rotate(rotation, expand=True)
            md2, conf2 = tesseract.recognize(turned, dpi, opts.languages)
            best = max(best, (bool(md2.strip()), conf2, md2, rotation, turned), key=_rank)
    if doubtful(best[2], best[1]):
        cleaned = best[4].filter(ImageFilter.MedianFilter(3))
        md3, conf3 = tesseract.recognize(cleaned, dpi, opts.languages)
        best = max(best, (bool(md3.strip()), conf3, md3, best[3], cleaned), key=_rank)
    return best[2], best[3]


def _ocr(img: Image.Image, dpi: int, opts: EngineOptions, reason: str | None) -> PageResult:
    from . import tesseract

    width, height = img.size
    # An image without a DPI tag: tell Tesseract 300 (its guess from the text size is worse
    # than a typical scan's resolution). Dimensions stay those of the page as given.
    ocr_dpi = dpi or 300
    rotation = 0
    if opts.engine == "rapidocr":
        from . import rapid

        if opts.detect_orientation:
            rotation = tesseract.detect_rotation(img, ocr_dpi, opts.osd_min_confidence)
        page_img = img.rotate(rotation, expand=True) if rotation else img
        markdown = rapid.recognize(page_img, opts.threads)
    else:
        markdown, rotation = _tesseract_page(img, ocr_dpi, opts)
    return PageResult(
        markdown=markdown,
        dpi=ocr_dpi,
        width=width,
        height=height,
        method="ocr",
        rotation=rotation,
        reason=reason,
    )
