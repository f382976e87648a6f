"""A scanned PDF page's grain, judged on the scan's own pixels before the renderer resamples it.

A page scanned at 300 DPI is an image placed on a page whose size in points rarely comes out
at the scan's exact pixel count (A4 is 2480.3 px wide at 300 DPI: the image is 2480, the
render 2481). pdfium then interpolates every pixel, which averages fine grain enough that
:func:`~.preprocess.grainy` measured the render as clean (10-12 against 28-33 on the scan
itself; clean pages measure 0-13), and the page was read raw, grain and all: four grainy
pages embedded in PDFs read 1191, 2190, 243 and 104 edits in 9-30 s each, where the same
images as PNG files read 0, 2, 203 and 86 in 1-2 s. The scan is asked instead.
"""

from __future__ import annotations

from typing import Any

from .images import own_pixels
from .preprocess import grainy

__all__ = ("COVER", "grainy_scan")

COVER = 0.5
"""Share of the page an image must cover to be the page's scan."""


def grainy_scan(page: Any, max_pixels: int) -> bool:
    """Whether the open pdfium ``page`` holds a scan (an image covering :data:`COVER` of it,
    with grey levels: a one-bit scan's noise is specks, :mod:`.specks`) whose own pixels are
    grainy. An image over ``max_pixels`` is not decoded (the render says what it can)."""
    import pypdfium2 as pdfium

    width, height = page.get_size()
    best, area = None, COVER * width * height
    for obj in page.get_objects(filter=(pdfium.raw.FPDF_PAGEOBJ_IMAGE,), max_depth=2):
        try:
            left, bottom, right, top = obj.get_bounds()
        except pdfium.PdfiumError:
            continue
        covered = max(0.0, min(right, width) - max(left, 0.0)) * max(
            0.0, min(top, height) - max(bottom, 0.0)
        )
        if covered >= area:
            best, area = obj, covered
    if best is None:
        return False
    try:
        meta = best.get_metadata()
    except pdfium.PdfiumError:
        return False
    if meta.bits_per_pixel == 1 or meta.width * meta.height > max_pixels:
        return False
    scan = own_pixels(best, "L")
    return scan is not None and grainy(scan)
