"""Lone noise pixels on bilevel pages (``preprocess.despeckle``) and on one-bit images inside
PDFs (the engine's page reader): exactly the black pixels with no black neighbour go, and
nothing else on any page changes."""

from __future__ import annotations

import io

import numpy as np
import pypdfium2 as pdfium
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from PIL import Image

from aigateway.ocr import pdf
from aigateway.ocr.engine import preprocess
from aigateway.ocr.engine.page import _despeckle_scans


def _lone(ink: np.ndarray) -> np.ndarray:
    """The inked pixels with no inked neighbour, by a scan of each one (the page's outermost
    pixels are left as they are: the filter does not reach them)."""
    out = np.zeros_like(ink)
    h, w = ink.shape
    for y in range(1, h - 1):
        for x in range(1, w - 1):
            if ink[y, x] and ink[y - 1 : y + 2, x - 1 : x + 2].sum() == 1:
                out[y, x] = True
    return out


@settings(max_examples=200, deadline=None)
@given(
    arrays(
        np.bool_,
        st.tuples(st.integers(3, 24), st.integers(3, 24)),
        elements=st.sampled_from([False, False, False, True]),
    )
)
def test_exactly_the_lone_black_pixels_go(ink: np.ndarray) -> None:
    page = Image.fromarray(np.where(ink, 0, 255).astype(np.uint8))
    out = np.asarray(preprocess.despeckle(page, 200)) == 0
    assert (out == (ink & ~_lone(ink))).all()
    # Idempotent: what is left has no lone pixel.
    again = np.asarray(
        preprocess.despeckle(Image.fromarray(np.where(out, 0, 255).astype(np.uint8)), 200)
    )
    assert ((again == 0) == out).all()


def _speckled(size: tuple[int, int] = (400, 300)) -> np.ndarray:
    rng = np.random.default_rng(3)
    ink = rng.random((size[1], size[0])) < 0.004
    ink[100:130, 50:350] = True  # a bar of "text"
    ink[150:152, 60:62] = True  # a 2x2 period
    return ink


def test_grey_pages_and_coarse_or_unknown_resolutions_are_left_alone() -> None:
    ink = _speckled()
    bilevel = Image.fromarray(np.where(ink, 0, 255).astype(np.uint8))
    assert preprocess.despeckle(bilevel, 0) is bilevel  # resolution unknown
    assert preprocess.despeckle(bilevel, 96) is bilevel  # a bitmap font's dots are one pixel
    grey = bilevel.copy()
    grey.putpixel((5, 5), 128)
    assert preprocess.despeckle(grey, 300) is grey
    cleaned = np.asarray(preprocess.despeckle(bilevel, 204)) == 0
    assert cleaned[100:130, 50:350].all() and cleaned[150:152, 60:62].all()
    assert cleaned.sum() < ink.sum() - 300  # about 480 noise pixels, nearly all lone


def _fax_pdf(ink: np.ndarray, dpi: tuple[int, int]) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(np.where(ink, 0, 255).astype(np.uint8)).convert("1").save(buf, "PDF", dpi=dpi)
    return buf.getvalue()


def test_one_bit_images_in_a_pdf_are_cleaned_before_rendering() -> None:
    ink = _speckled()
    doc = pdfium.PdfDocument(_fax_pdf(ink, (204, 196)))
    page = doc[0]
    try:
        before, _ = pdf.render(page, 204, 10_000_000)
        _despeckle_scans(page, 10_000_000)
        after, dpi = pdf.render(page, 204, 10_000_000)
    finally:
        page.close()
        doc.close()
    dark_before = (np.asarray(before) < 128).sum()
    dark_after = (np.asarray(after) < 128).sum()
    assert dpi == 204
    assert dark_after < dark_before - 300
    assert (np.asarray(after)[105:125, 60:340] < 128).all()  # the text is still there


def test_a_pdf_image_larger_than_the_pixel_limit_is_not_decoded() -> None:
    ink = _speckled()
    doc = pdfium.PdfDocument(_fax_pdf(ink, (204, 196)))
    page = doc[0]
    try:
        _despeckle_scans(page, 1000)  # 400 x 300 pixels: over the limit, left as it is
        after, _ = pdf.render(page, 204, 10_000_000)
    finally:
        page.close()
        doc.close()
    assert (np.asarray(after) < 128).sum() >= ink.sum() - 50
