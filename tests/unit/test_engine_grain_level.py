"""A grainy page's clean-up keeps light grey print when much of the page is black.

Otsu's level splits a page's grey levels into two classes; a large black figure drags it
down, and a listing's light grey strings and comments (syntax colouring), though they stand
well clear of the grain once it is smoothed, fell on the paper's side and were lost. The
clean-up's level is raised to six of the smoothed paper's spreads below the paper."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFilter

from aigateway.ocr.engine import preprocess

from ..support.docgen import font, on_grain

GREY = 128
"""Light grey print, as a listing's string literals (#808080 in ReportLab's manual)."""


def _page(figure: bool) -> tuple[Image.Image, tuple[int, int, int, int]]:
    """A page with a black line, a grey line below it and, if asked, a big black figure;
    returns it with the grey line's box."""
    page = Image.new("L", (1700, 2200), 255)
    draw = ImageDraw.Draw(page)
    fnt = font(30, "DejaVuSansMono.ttf")
    draw.text((150, 300), "star(canvas, xcenter = 1*inch, nvertices=4)", fill=0, font=fnt)
    grey = (150, 360, 1500, 410)
    draw.text((150, 365), '"Default", "no projection", "Round cap"', fill=GREY, font=fnt)
    if figure:
        draw.rectangle((200, 800, 1500, 1900), fill=0)
    return page, grey


def _ink(img: Image.Image, box: tuple[int, int, int, int]) -> int:
    return int((np.asarray(img.crop(box)) == 0).sum())


def _columns(img: Image.Image, box: tuple[int, int, int, int], print_: np.ndarray) -> float:
    """Share of the grey print's inked columns (``print_``) that hold ink in ``img``'s crop:
    whether each glyph left a mark, which is what Tesseract needs (the blur thins strokes, so
    a pixel count says little)."""
    inked = (np.asarray(img.crop(box)) == 0).any(axis=0)
    return float((inked & print_).sum() / print_.sum())


def _otsu_only(page: Image.Image) -> Image.Image:
    """The clean-up as it was: the same blur, then Otsu's level."""
    return preprocess.threshold(page.filter(ImageFilter.BoxBlur(1)))


def test_grey_print_beside_a_black_figure_survives_the_clean_up() -> None:
    clean, grey = _page(figure=True)
    print_ = (np.asarray(clean.crop(grey)) <= 160).any(axis=0)  # the grey print's columns
    empty = (150, 500, 1500, 750)
    for seed in (1, 2, 3):
        page = on_grain(clean, seed, 207, 45)
        cleaned = preprocess.smooth_threshold(page)
        assert _columns(_otsu_only(page), grey, print_) < 0.05, seed  # Otsu's level: all lost
        assert _columns(cleaned, grey, print_) > 0.4, seed
        # The raised level still leaves the grain out: hardly a speck on empty paper.
        specks = _ink(cleaned, empty)
        assert specks < 0.001 * (empty[2] - empty[0]) * (empty[3] - empty[1]), specks


def test_a_clean_page_keeps_otsus_level() -> None:
    clean, _ = _page(figure=True)
    smooth = clean.filter(ImageFilter.BoxBlur(1))
    hist = smooth.histogram()[:256]
    assert preprocess.paper_spread(hist, preprocess.otsu_level(hist))[1] < preprocess.GRAIN_SPREAD
    assert preprocess.grain_level(hist) == preprocess.otsu_level(hist)
    assert preprocess.smooth_threshold(clean).tobytes() == _otsu_only(clean).tobytes()


def test_a_grainy_uneven_page_is_not_flattened_and_read_raw(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A chart's black bars make a grainy page "uneven" (a dark panel); its flattened copy no
    # longer measured as grainy and was read raw, grain and all (minutes on a letter-size
    # page, past the pool's task timeout). The clean-up ladder flattens a grainy page itself.
    from aigateway.ocr.engine import reader
    from aigateway.ocr.engine.options import EngineOptions

    page = Image.new("L", (1700, 1400), 255)
    draw = ImageDraw.Draw(page)
    for k, height in enumerate((400, 600, 300, 650)):
        draw.rectangle((200 + 330 * k, 800 - height, 440 + 330 * k, 800), fill=0)
    bold = font(34, "DejaVuSansMono-Bold.ttf")
    for k in range(6):
        draw.text((150, 900 + 64 * k), f"canvas.setLineCap({k})", font=bold, fill=0)
    page = on_grain(page, 1, 207, 45)
    assert preprocess.uneven(page) and preprocess.grainy(page)
    readings: list[Image.Image] = []
    upright = reader._upright

    def spy(img: Image.Image, *args: Any) -> Any:
        readings.append(img)  # each whole-page reading: the page, and a flattened copy
        return upright(img, *args)

    monkeypatch.setattr(reader, "_upright", spy)
    r = reader.read_image(page, 300, EngineOptions(engine="tesseract"))
    assert r.has_text
    assert len(readings) == 1


def _sparse_listing() -> Image.Image:
    """A letter-size page holding only twelve short numbered lines: little ink, much paper."""
    page = Image.new("L", (1700, 2200), 255)
    draw = ImageDraw.Draw(page)
    fnt = font(30, "DejaVuSansMono.ttf")
    for k in range(12):
        draw.text((150, 300 + 45 * k), f"{80 + k:3d}    x{k} = y;", fill=60, font=fnt)
    return page


def test_a_sparse_grainy_page_is_cleaned_of_its_grain() -> None:
    # With so little ink Otsu's two classes are the grain's own halves: its level sat within
    # a spread of the paper, and the clean-up kept a speck of every other grain clump (about
    # 45 % of empty paper black; Tesseract read nothing). The level stays 4.5 spreads down.
    clean = _sparse_listing()
    print_ = np.asarray(clean.crop((150, 300, 700, 840))) < 128
    empty = (150, 1200, 1500, 1800)
    area = (empty[2] - empty[0]) * (empty[3] - empty[1])
    for seed in (1, 2, 3):
        page = on_grain(clean, seed, 207, 45)
        hist = page.filter(ImageFilter.BoxBlur(1)).histogram()[:256]
        paper, spread = preprocess.paper_spread(hist, preprocess.otsu_level(hist))
        assert paper - preprocess.otsu_level(hist) < spread, seed  # Otsu splits the grain
        assert _ink(_otsu_only(page), empty) > 0.3 * area, seed
        cleaned = preprocess.smooth_threshold(page)
        assert _ink(cleaned, empty) < 0.001 * area, seed
        # The listing's strokes are still there: most of its ink pixels stay black.
        kept = np.asarray(cleaned.crop((150, 300, 700, 840))) == 0
        assert (kept & print_).sum() > 0.5 * print_.sum(), seed
