"""Noise specks on bilevel pages: a fax's line noise, dust on a 1-bit scanner's glass.

A bilevel page (black and white, no grey) is what a fax machine sends and what an office
scanner's "black and white" setting stores (CCITT G3/G4 in a TIFF or a PDF, JBIG2 in a PDF).
Its noise is specks of a pixel or a few, thousands a page; Tesseract reads each one beside a
word as a period, a comma or a quote ("compressing... Has.no"), and a PDF's renderer first
blurs each into a grey dot that reads the same. Specks are taken away before anything else
sees the page: from an image file as it is loaded, from a PDF's one-bit images before the page
is rendered.

A grey scan's specks are left in the page: they are grey, like a faint glyph's edge. Those
Tesseract reads as a letter, a digit or a sign (``é``, ``3``, ``=`` after the text of a
ruled table's cells on a scanned ReportLab page, 3-6 px boxes in 40 px lines) are dropped
from its reading instead (:func:`drop_read`): no such glyph is a quarter of a line's height
across both ways. Forty-fourth round, 219 tune pages: 6881 to 6861 edits (that ReportLab page
368 to 353, a grainy Raptor listing 545 to 537; a scanned R listing 14 to 16 and a grainy
Raptor one 156 to 157, each a real glyph Tesseract boxed a few pixels wide).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from PIL import Image

from .geometry import Line, body_height
from .preprocess import page_histogram

__all__ = (
    "READ_CONF",
    "READ_SIZE",
    "SPECK_DPI",
    "clean_pdf_page",
    "despeckle",
    "drop_read",
    "speck_size",
)

READ_SIZE = 0.25
"""A word read in a box at most this many text heights wide and tall is a speck when it holds
a letter, a digit or a sign: a lower-case letter is twice that tall, an ``=`` twice as wide."""

READ_CONF = 60.0
"""...and Tesseract is less sure of it than this: its boxes of real words are now and then a
few pixels wide (``J.`` in 4 by 5 px, 93 sure), a speck's reading never that sure."""

_SIGNS = frozenset("=+<>#%&@$?!")

SPECK_DPI = 150
"""Resolution (DPI, the finer axis) each pixel of a speck's side stands for: a speck is at
most ``dpi // SPECK_DPI`` pixels square (:func:`speck_size`). Under it nothing is a speck: a
screenshot's bitmap font, drawn without anti-aliasing at 72-96 DPI, dots its i's and ends its
sentences with one pixel. The smallest glyph mark at any resolution, a period or an i's dot
at 6 pt, is 0.25 mm across: 2.4 pixels at 250 DPI, 3 at 300, 6 at 600, each more than the
speck size there."""

_MAX_SPECK = 4


def speck_size(dpi: int) -> int:
    """The side in pixels of the largest speck at ``dpi`` (0 when none is taken away)."""
    return min(_MAX_SPECK, max(0, dpi) // SPECK_DPI)


def despeckle(img: Image.Image, dpi: int) -> Image.Image:
    """A bilevel page (two grey levels) scanned at ``dpi`` (its finer axis; 0 when unknown)
    with its specks turned to paper: marks of the rarer level (the ink) that fit in
    :func:`speck_size` pixels square with paper all round them. Any other page, one with grey
    in it (where a dark pixel may be a faint stroke's, and grain has its own clean-up) or at a
    resolution too coarse or unknown, is returned as it is (the same object).

    Twelve tune pages made noisy faxes (0.4 % of pixels black at random): fine mode
    (204 x 196 DPI) read 480 edits before and 215 after, standard mode (204 x 98) 2217 and
    543; the fine faxes made 300 DPI PNGs (their specks 1-2 pixels across) 1287 and 207."""
    size = speck_size(dpi)
    if img.mode != "L" or not size:
        return img
    # Two grey levels exactly: black and white, or whatever pair a converter chose. The rarer
    # one is the ink: white print on a black page (a negative) has white specks.
    hist = page_histogram(img)
    levels = [level for level, count in enumerate(hist) if count]
    if len(levels) != 2:
        return img
    ink_level, paper = sorted(levels, key=lambda level: hist[level])
    pixels = np.asarray(img)
    ink = (pixels == ink_level).view(np.uint8)
    h, w = ink.shape
    if h < size + 2 or w < size + 2:
        return img
    rows, cols = h - size - 1, w - size - 1
    # Window sums by shifted adds in uint8 (at most 6 x 6 = 36): a tenth of the time of a
    # summed-area table in int32 (a fine-mode fax page, 15 ms against 150 ms).
    outer = _window_sums(ink, size + 2)[:rows, :cols]
    inner = _window_sums(ink, size)[1 : 1 + rows, 1 : 1 + cols]
    # A window whose ring (outer less inner) is white and whose middle holds ink holds a whole
    # speck.
    hits = (outer == inner) & (inner > 0)
    if not hits.any():
        return img
    gone = np.zeros(ink.shape, bool)
    for dy in range(size):
        for dx in range(size):
            gone[1 + dy : 1 + dy + rows, 1 + dx : 1 + dx + cols] |= hits
    return Image.fromarray(np.where(gone, np.uint8(paper), pixels))


def _window_sums(ink: np.ndarray, k: int) -> np.ndarray:
    """Ink in each ``k`` x ``k`` window of the 0/1 ``ink``, by its top-left corner: shape
    ``(h - k + 1, w - k + 1)``, uint8 (``k`` at most 15)."""
    h, w = ink.shape
    across = ink[:, : w - k + 1].copy()
    for i in range(1, k):
        across += ink[:, i : w - k + 1 + i]
    sums = across[: h - k + 1].copy()
    for j in range(1, k):
        sums += across[j : h - k + 1 + j]
    return sums


_DEVICE_GRAY = 1  # FPDF_COLORSPACE_DEVICEGRAY


def clean_pdf_page(page: Any, max_pixels: int) -> None:
    """Each one-bit grey image on the open pdfium ``page`` despeckled in place at its own
    resolution, before rendering blurs its specks into grey dots. The page must be rendered
    from this handle: a page loaded again parses its images afresh. A fax sent as PDF (the
    usual way one arrives) read 381 edits where the same page as a TIFF read 21. Image masks
    (no colour space of their own) are left alone: replacing one with a bitmap would paint
    its paper too; so is an image over ``max_pixels``, which would be decoded whole."""
    import pypdfium2 as pdfium

    for obj in page.get_objects(filter=(pdfium.raw.FPDF_PAGEOBJ_IMAGE,), max_depth=1):
        meta = obj.get_metadata()
        if meta.bits_per_pixel != 1 or meta.colorspace != _DEVICE_GRAY:
            continue
        if meta.width * meta.height > max_pixels:
            continue
        try:
            bitmap = obj.get_bitmap(render=False)
        except pdfium.PdfiumError:
            continue  # the renderer will say what is wrong with it, if anything
        # No bitmap.close(): pdfium owns an image object's bitmap (see images.py); convert()
        # copies the pixels out.
        img = bitmap.to_pil().convert("L")
        clean = despeckle(img, round(max(meta.horizontal_dpi, meta.vertical_dpi)))
        if clean is not img:
            obj.set_bitmap(pdfium.PdfBitmap.from_pil(clean))


def drop_read(lines: list[Line]) -> int:
    """Take out of ``lines``, in place, words that are specks read as glyphs (the module
    docstring); a line left with no word goes too. Returns how many words went."""
    small = READ_SIZE * body_height(lines)
    dropped = 0
    for ln in lines:
        keep = [
            w
            for w in ln.words
            if not (
                w.conf < READ_CONF
                and w.x1 - w.x0 <= small
                and w.y1 - w.y0 <= small
                and any(c.isalnum() or c in _SIGNS for c in w.text)
            )
        ]
        dropped += len(ln.words) - len(keep)
        ln.words[:] = keep
    if dropped:
        lines[:] = [ln for ln in lines if ln.words]
    return dropped
