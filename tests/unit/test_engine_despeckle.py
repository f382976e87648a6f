"""Noise specks on bilevel pages (``specks.despeckle``) and on one-bit images inside PDFs
(``specks.clean_pdf_page``): exactly the black marks that fit in the speck size with white all
round them go, and nothing else on any page changes."""

from __future__ import annotations

import io

import numpy as np
import pypdfium2 as pdfium
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from PIL import Image

from aigateway.ocr import pdf
from aigateway.ocr.engine import specks
from aigateway.ocr.engine.geometry import Line, Word


def _specks(ink: np.ndarray, size: int) -> np.ndarray:
    """The inked pixels inside some window of ``size + 2`` pixels square, wholly on the page,
    whose outermost ring is white: found window by window."""
    out = np.zeros_like(ink)
    h, w = ink.shape
    for y in range(h - size - 1):
        for x in range(w - size - 1):
            win = ink[y : y + size + 2, x : x + size + 2]
            if win.sum() == win[1:-1, 1:-1].sum():
                out[y + 1 : y + size + 1, x + 1 : x + size + 1] |= win[1:-1, 1:-1]
    return out


@settings(max_examples=200, deadline=None)
@given(
    arrays(
        np.bool_,
        st.tuples(st.integers(1, 24), st.integers(1, 24)),
        elements=st.sampled_from([False, False, False, True]),
    ),
    st.sampled_from([150, 204, 300, 450, 600, 1200]),
)
def test_exactly_the_specks_go(ink: np.ndarray, dpi: int) -> None:
    page = Image.fromarray(np.where(ink, 0, 255).astype(np.uint8))
    out = np.asarray(specks.despeckle(page, dpi)) == 0
    if ink.all() or not ink.any():
        assert (out == ink).all()  # one level: no page to clean
    elif ink.sum() <= ink.size / 2:
        assert (out == (ink & ~_specks(ink, specks.speck_size(dpi)))).all()
    else:  # white is the rarer level: white print on a black page, its specks white
        assert (~out == (~ink & ~_specks(~ink, specks.speck_size(dpi)))).all()


def test_speck_sizes() -> None:
    assert [specks.speck_size(d) for d in (0, 96, 149, 150, 204, 300, 600, 2400)] == [
        0,
        0,
        0,
        1,
        1,
        2,
        4,
        4,
    ]


def _speckled(size: tuple[int, int] = (400, 300)) -> np.ndarray:
    rng = np.random.default_rng(3)
    ink = rng.random((size[1], size[0])) < 0.004
    ink[100:130, 50:350] = True  # a bar of "text"
    ink[150:152, 60:62] = True  # a 2x2 period
    return ink


def test_grey_pages_and_coarse_or_unknown_resolutions_are_left_alone() -> None:
    ink = _speckled()
    bilevel = Image.fromarray(np.where(ink, 0, 255).astype(np.uint8))
    assert specks.despeckle(bilevel, 0) is bilevel  # resolution unknown
    assert specks.despeckle(bilevel, 96) is bilevel  # a bitmap font's dots are one pixel
    grey = bilevel.copy()
    grey.putpixel((5, 5), 128)
    assert specks.despeckle(grey, 300) is grey
    # Any two levels are a bilevel page, the rarer one its ink (white print on black too).
    two = bilevel.point(lambda v: 30 if v == 0 else 230)
    assert (np.asarray(specks.despeckle(two, 204)) == 30).sum() < ink.sum() - 300
    negative = bilevel.point(lambda v: 255 - v)
    assert (np.asarray(specks.despeckle(negative, 204)) == 255).sum() < ink.sum() - 300
    cleaned = np.asarray(specks.despeckle(bilevel, 204)) == 0
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
        specks.clean_pdf_page(page, 10_000_000)
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
        specks.clean_pdf_page(page, 1000)  # 400 x 300 pixels: over the limit, left as it is
        after, _ = pdf.render(page, 204, 10_000_000)
    finally:
        page.close()
        doc.close()
    assert (np.asarray(after) < 128).sum() >= ink.sum() - 50


def _word(text: str, x: int, y: int, w: int, h: int, conf: float = 30.0) -> Word:
    return Word(text, conf, x, y, x + w, y + h)


def test_specks_read_as_glyphs_are_dropped_and_real_marks_kept() -> None:
    body = [
        Line(
            [
                _word("Border", 100, 100 + 60 * i, 110, 40, 95.0),
                _word("width", 220, 100 + 60 * i, 90, 40, 95.0),
            ],
            1,
            i,
        )
        for i in range(3)
    ]
    cell = Line(
        [
            _word("sideLabels", 100, 300, 190, 40, 95.0),
            _word("é", 600, 310, 5, 4),  # a speck read as a letter: dropped
            _word("3", 700, 310, 4, 5),  # ... as a digit: dropped
            _word(".", 800, 330, 4, 4),  # a full stop is that small: kept
            _word("J.", 900, 310, 4, 5, 93.0),  # a real word Tesseract boxed too small: kept
        ],
        1,
        3,
    )
    alone = Line([_word("=", 400, 400, 5, 4)], 2, 4)  # a line of nothing but a speck: gone
    lines = [*body, cell, alone]
    assert specks.drop_read(lines) == 3
    assert [ln.text for ln in lines[3:]] == ["sideLabels . J."]
    assert len(lines) == 4


def test_a_small_glyph_in_small_print_is_no_speck() -> None:
    # The size is the page's text height's share: a 150 DPI page's letters are 8 px tall.
    lines = [Line([_word("a", 10, 10, 6, 8), _word("to", 20, 10, 10, 10)], 1, 1)]
    assert specks.drop_read(lines) == 0
