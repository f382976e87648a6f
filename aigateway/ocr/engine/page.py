"""Page tasks run in the OCR workers: probe a document, read one page.

A PDF page is read from its text layer when :func:`~.textlayer.assess` trusts it, else
rendered and recognised; an image (or TIFF frame) is recognised. Recognition is Tesseract
words with boxes, then the layout pass (:mod:`.layout`: tables as grids), then
:mod:`.compose`. Pages Tesseract doubts get second chances: a rotation check, the clean-up
ladder of :mod:`.preprocess`, and with ``engine = "auto"`` RapidOCR, when installed.
"""

from __future__ import annotations

import dataclasses
import time
from typing import Any

from PIL import Image, ImageOps, ImageStat

from ...errors import PayloadTooLargeError, UnprocessableDocumentError
from .. import pdf
from ..pages import image_pages
from . import compose, marks, office, paper, scans, specks, textlayer, textsize
from .markdown import escape_headings
from .options import EngineOptions, PageImage, PageRequest, PageResult, Source
from .reader import Reading, read_image

__all__ = ("probe", "read_page")

ASSUMED_DPI = 96
"""Reported for an image with neither a DPI tag nor text to estimate one from (the CSS pixel)."""

BODY_TEXT_PT = 11.0
"""Size assumed for a page's median text line when estimating an untagged image's DPI."""


def probe(src: Source, max_pixels: int) -> int:
    """Pages of a PDF or an Office file, or frames of an image (each frame's header checked
    against the cap)."""
    if office.is_office(src.media_type):
        return office.probe(src)
    if src.media_type == "application/pdf":
        return pdf.count_pages(src.input(), src.password)
    img = pdf.open_image(src.input(), max_pixels)
    try:
        frames = image_pages(img, src.media_type)
        for i in range(1, frames):
            img.seek(i)  # a damaged frame's header fails here ("unknown pixel mode")
            pdf.check_image_size(img.width, img.height, max_pixels)
        return frames
    except pdf.DECODE_ERRORS as exc:
        raise pdf.unreadable_image(exc) from None
    finally:
        img.close()


def read_page(
    src: Source,
    index: int,
    opts: EngineOptions,
    force_ocr: bool,
    req: PageRequest | None = None,
) -> PageResult:
    """Read page (or TIFF frame) ``index``: the text layer when sane, OCR otherwise."""
    started = time.time_ns()
    result = _read_page(src, index, opts, force_ocr, req or PageRequest())
    return dataclasses.replace(result, started_ns=started, ended_ns=time.time_ns())


def _read_page(
    src: Source, index: int, opts: EngineOptions, force_ocr: bool, req: PageRequest
) -> PageResult:
    if src.media_type == "application/pdf":
        return _pdf_page(src, index, opts, force_ocr, req)
    if office.is_office(src.media_type):
        return office.read_page(src, index, opts, req)
    img, dpi, estimated = _load_image(src, index, opts.max_pixels)
    # An untagged image (a screenshot, as a rule) is read as 300 DPI, a guess its text may
    # belie: the resolution Tesseract is told follows the text (textsize.told_dpi).
    reading = read_image(
        img, dpi or 300, opts if dpi else dataclasses.replace(opts, dpi_assumed=True)
    )
    if dpi:
        source = "estimated" if estimated else "metadata"
    else:
        dpi, source = _estimate_dpi(reading)
    return _result(reading, img.size, dpi, source, None, (), req)


def _estimate_dpi(reading: Reading) -> tuple[int, str]:
    if not reading.line_height:
        return ASSUMED_DPI, "assumed"
    dpi = reading.line_height * 72.0 / BODY_TEXT_PT
    return int(min(1200, max(50, round(dpi / 10) * 10))), "estimated"


def _result(
    reading: Reading,
    size: tuple[int, int],
    dpi: int,
    dpi_source: str,
    reason: str | None,
    images: tuple[PageImage, ...],
    req: PageRequest,
) -> PageResult:
    markdown, tables = compose.compose(reading.items, images, req.table_format)
    return PageResult(
        markdown=markdown,
        dpi=dpi,
        width=size[0],
        height=size[1],
        method="ocr",
        engine=reading.engine,
        dpi_source=dpi_source,
        rotation=reading.rotation,
        scale=reading.scale,
        sharpened=reading.sharpened,
        softened=reading.softened,
        flattened=reading.flattened,
        reread=reading.reread,
        reason=reason,
        tables=tables,
        images=images,
    )


def _pdf_page(
    src: Source, index: int, opts: EngineOptions, force_ocr: bool, req: PageRequest
) -> PageResult:
    import pypdfium2 as pdfium

    doc = pdf.open_pdf(src.input(), src.password, forms=True)
    try:
        try:
            page = doc[index]
            try:
                w_pt, h_pt = page.get_size()
                scale = pdf.page_scale(w_pt, h_pt, opts.dpi, opts.max_pixels)
                reason = "force_ocr" if force_ocr else None
                if not force_ocr:
                    layer = textlayer.extract(page)
                    reason = textlayer.assess(layer, trust_invisible=opts.trust_invisible_text)
                images: tuple[PageImage, ...] = ()
                if req.include_images and req.image_limit != 0:
                    from . import images as _images

                    images = tuple(
                        _images.extract(
                            page,
                            scale,
                            limit=req.image_limit,
                            min_size=req.image_min_size,
                            skip_full_page=reason is not None,
                        )
                    )
                if reason is None:
                    return PageResult(
                        markdown=compose.with_images(
                            [escape_headings(layer.full_text)], None, images
                        ),
                        dpi=round(scale * 72),
                        width=round(w_pt * scale),
                        height=round(h_pt * scale),
                        method="text_layer",
                        images=images,
                    )
                # A scan's own pixels, cleaned before the renderer blurs them: the page is
                # read from this handle (a page loaded again would parse the images afresh).
                specks.clean_pdf_page(page, opts.max_pixels)
                grain = scans.grainy_scan(page, opts.max_pixels)
                # In colour, so a stamp or a highlighter over the print is told from it (up to
                # a size: three channels of a 50-megapixel page are 150 MB, copied once more).
                colour = w_pt * scale * h_pt * scale <= marks.MAX_PIXELS
                img, dpi = pdf.render(page, opts.dpi, opts.max_pixels, colour=colour)
                img = marks.grey(img)
            finally:
                page.close()
        except pdfium.PdfiumError as exc:
            raise UnprocessableDocumentError(
                f"page {index} of the PDF could not be read ({exc})", param="document"
            ) from None
    finally:
        doc.close()
    reading = read_image(img, dpi, opts, grain)
    return _result(reading, img.size, dpi, "render", reason, images, req)


def _valid_dpi(value: Any) -> int:
    try:
        dpi = float(value)
    except (TypeError, ValueError):
        return 0
    return round(dpi) if 30 <= dpi <= 2400 else 0


def _square(img: Image.Image, xdpi: int, ydpi: int, max_pixels: int) -> tuple[Image.Image, int]:
    """``img`` resampled to square pixels at its finer resolution (its coarser one if that
    would pass ``max_pixels``), and that DPI. A fax in standard mode is 204 x 98 DPI: its
    glyphs, half as tall as they are wide in pixels, read as "cormmittee" and "frorm"."""
    dpi = max(xdpi, ydpi)
    size = (round(img.width * dpi / xdpi), round(img.height * dpi / ydpi))
    if size[0] * size[1] > max_pixels:
        dpi = min(xdpi, ydpi)
        size = (round(img.width * dpi / xdpi), round(img.height * dpi / ydpi))
    return img.resize((max(1, size[0]), max(1, size[1])), Image.Resampling.BICUBIC), dpi


_ORIENTATION = 0x0112
_EXIF_TYPES = frozenset(("image/jpeg", "image/png", "image/webp", "image/tiff"))


def _orientation(img: Image.Image) -> int:
    """The EXIF orientation (1-8; 1 when absent, out of range or unreadable)."""
    try:
        value = img.getexif().get(_ORIENTATION, 1)
    except Exception:  # a damaged EXIF block must not cost a readable page
        return 1
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


TRANSPARENT_PAPER = 0.5
"""Share of an image's pixels at least this transparent (alpha under half) from which the
transparency is its paper and what is opaque its print (:func:`_flatten`)."""


def _flatten(rgba: Image.Image) -> Image.Image:
    """``rgba`` on an opaque backing that its print stands out from.

    Transparent pixels are usually the paper, so white is the backing, except where the
    transparency *is* the paper and the opaque print on it is light: white text on a
    transparent background (a dark-theme screenshot, a logo) put on white would vanish and the
    page read as blank, so it goes on black, and the engine reads light-on-dark print."""
    alpha = rgba.getchannel("A")
    counts = alpha.histogram()
    clear, opaque = sum(counts[:128]), sum(counts[128:])
    backing = (255, 255, 255, 255)
    if opaque and clear >= TRANSPARENT_PAPER * rgba.width * rgba.height:
        # The print's lightness: its mostly opaque pixels' median (anti-aliased edges left out).
        solid = alpha.point(lambda a: 255 if a >= 128 else 0)
        if ImageStat.Stat(rgba.convert("L"), mask=solid).median[0] >= 128:
            backing = (0, 0, 0, 255)
    return Image.alpha_composite(Image.new("RGBA", rgba.size, backing), rgba)


def _load_image(src: Source, index: int, max_pixels: int) -> tuple[Image.Image, int, bool]:
    """A page image in grey, its DPI (0: untagged) and whether that DPI was estimated from its
    text instead of taken from a tag no page could have (:func:`.textsize.checked_dpi`)."""
    img = pdf.open_image(src.input(), max_pixels)
    estimated = False
    try:
        if index:
            img.seek(index)
        pdf.check_image_size(img.width, img.height, max_pixels)
        # Read before load(): loading a TIFF drops the tag (see below).
        turn = _orientation(img) if src.media_type in _EXIF_TYPES else 1
        img.load()
        tag = tuple(img.info.get("dpi") or ())
        xdpi, ydpi = (_valid_dpi(v) for v in (*tag, 0, 0)[:2])
        # Phones and scanners store a page as the sensor saw it and say how to turn it in the
        # EXIF orientation tag, which JPEG, PNG (eXIf), WebP and TIFF all carry; a turn by a
        # quarter swaps the axes, and with them a fax's oblong DPI.
        # Pillow turns a TIFF itself as it loads it (and drops the tag), not its DPI.
        out = ImageOps.exif_transpose(img) if turn in range(2, 9) else img
        if turn in (5, 6, 7, 8):
            xdpi, ydpi = ydpi, xdpi
        dpi = xdpi
        if out.mode in ("RGBA", "LA", "PA") or (out.mode == "P" and "transparency" in out.info):
            out = _flatten(out.convert("RGBA"))
        if out.mode.startswith("I;16") or out.mode == "I":
            # convert("L") clips 16-bit samples at 255 (a white page): scale them down instead,
            # by the image's own brightest sample, since 16-bit files also carry 12-bit scanner
            # data (0-4095, which /256 leaves 16 grey levels of) or 8-bit data (0-255).
            out = out.convert("I")
            low_high: Any = out.getextrema()  # (min, max) for a one-band image
            top = max(255, int(low_high[1]))
            out = out.point(lambda v: v * 255 / top)
        # In grey, with a stamp's or a highlighter's colour over the print made light.
        gray = marks.grey(out)
        checked = textsize.checked_dpi(gray, max(xdpi, ydpi))
        # A tag no page could have: the text's own resolution. Except on a photographed sheet
        # (a phone's 72 DPI), where the tag is as meaningless but read better: tune photos
        # 1362 edits believed, 1420 at their text's resolution.
        if checked != max(xdpi, ydpi) and paper.find(gray) is None:
            xdpi = ydpi = dpi = checked
            estimated = True
        # Before squaring a fax's oblong pixels, which would blur its specks into grey.
        gray = specks.despeckle(gray, max(xdpi, ydpi))
        if xdpi and ydpi and abs(xdpi - ydpi) > 0.1 * max(xdpi, ydpi):
            gray, dpi = _square(gray, xdpi, ydpi, max_pixels)
    except pdf.DECODE_ERRORS as exc:
        raise UnprocessableDocumentError(
            f"the image could not be decoded ({exc})", param="document"
        ) from None
    except Image.DecompressionBombError as exc:  # pragma: no cover - MAX_IMAGE_PIXELS is off
        raise PayloadTooLargeError(str(exc), param="document") from None
    finally:
        img.close()
    return gray, dpi, estimated
