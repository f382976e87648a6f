"""Text height measured from pixels, and pages read resized towards it (``rescale``).

Pages are rendered with a real font at known sizes; the estimate must follow the font size
whatever the page's layout (one column, two columns whose lines do not align), refuse pages
with nothing to measure, and a resized reading (shrunk or enlarged) must give the same words, with boxes in the
coordinates of the page as given.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from PIL import Image, ImageDraw, ImageFilter

from aigateway.ocr.engine import textsize
from aigateway.ocr.engine.options import EngineOptions
from aigateway.ocr.engine.reader import read_image

from ..support.docgen import font, render_text

PROSE = (
    "Every request the gateway accepts is checked against the limits of its tenant before "
    "any upstream sees it, and the answer carries the same envelope whichever provider "
    "produced it. Pages that arrive as scans are read by the local engine, which keeps the "
    "layout of columns and tables while it recognises the words on each line of the page."
)


def ink_height(size: int) -> int:
    """Ascender-to-descender height of a line of :data:`PROSE` at font ``size``."""
    box = font(size).getbbox("Thg, Every request")
    return int(box[3] - box[1])


@pytest.mark.parametrize("size", [16, 28, 44, 72])
def test_height_follows_the_font_size(size: int) -> None:
    img = render_text("\n\n".join([PROSE] * 3), size=size, width=2400)
    height = textsize.text_height(img)
    assert height is not None
    assert 0.75 * ink_height(size) <= height <= 1.25 * ink_height(size)


def test_columns_whose_lines_do_not_align_are_measured_apart() -> None:
    left = render_text(PROSE, size=40, width=1200, line_spacing=1.5)
    right = render_text(PROSE, size=40, width=1200, line_spacing=1.9)
    page = Image.new("L", (2400, max(left.height, right.height)), 255)
    page.paste(left, (0, 0))
    page.paste(right, (1200, 37))
    height = textsize.text_height(page)
    assert height is not None
    assert 0.75 * ink_height(40) <= height <= 1.25 * ink_height(40)


@pytest.mark.parametrize(
    "img",
    [
        Image.new("L", (2000, 2800), 255),
        Image.new("L", (40, 40), 0),
        Image.new("L", (2000, 2800), 0),
    ],
    ids=["blank", "tiny", "black"],
)
def test_nothing_to_measure_gives_none(img: Image.Image) -> None:
    assert textsize.text_height(img) is None
    assert textsize.read_scale(img) == 1.0


def test_a_few_words_are_not_enough() -> None:
    img = Image.new("L", (2000, 2800), 255)
    ImageDraw.Draw(img).text((100, 100), "Hello there", fill=0, font=font(60))
    assert textsize.text_height(img) is None


def test_scale_moves_text_towards_the_target_height() -> None:
    near = render_text("\n\n".join([PROSE] * 2), size=24, width=1800)
    small = render_text("\n\n".join([PROSE] * 2), size=15, width=1400)
    tiny = render_text("\n\n".join([PROSE] * 3), size=8, width=900)
    large = render_text("\n\n".join([PROSE] * 2), size=36, width=3000)
    huge = render_text("\n\n".join([PROSE] * 3), size=120, width=5000)
    assert textsize.read_scale(near) == 1.0
    assert 1.2 < textsize.read_scale(small) < textsize.MAX_SCALE
    assert textsize.read_scale(tiny) == textsize.MAX_SCALE
    assert textsize.MIN_SCALE < textsize.read_scale(large) < 0.8
    assert textsize.read_scale(huge) == textsize.MIN_SCALE


def test_an_enlarged_copy_stays_within_tesseract_limits() -> None:
    # Small text on a page that is already huge: enlarged only as far as the caps allow.
    strip = render_text("\n\n".join([PROSE] * 3), size=8, width=900)
    page = Image.new("L", (6000, 5000), 255)
    page.paste(strip, (0, 0))
    scale = textsize.read_scale(page)
    assert 1.0 <= scale < textsize.MAX_SCALE
    assert page.width * page.height * scale * scale <= textsize.MAX_PIXELS * 1.001


def words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


@pytest.mark.parametrize("size", [52, 15], ids=["shrunk", "enlarged"])
def test_a_resized_reading_has_the_same_words_and_page_coordinates(size: int) -> None:
    img = render_text("\n\n".join([PROSE] * 2), size=size, width=50 * size)
    assert textsize.read_scale(img) != 1.0
    resized = read_image(img, 300, EngineOptions(rescale="both"))
    full = read_image(img, 300, EngineOptions(rescale="off"))
    text = " ".join(line for p in resized.items for line in getattr(p, "lines", ()))
    assert words(text) == words(" ".join([PROSE] * 2))
    # Boxes and line heights are the page's own, not the resized copy's.
    assert resized.line_height == pytest.approx(full.line_height, rel=0.15)
    tops = [p.top for p in resized.items]
    full_tops = [p.top for p in full.items]
    assert len(tops) == len(full_tops)
    assert all(abs(a - b) <= 6 for a, b in zip(tops, full_tops, strict=True))


def _blurred(img: Image.Image) -> Image.Image:
    return img.filter(ImageFilter.GaussianBlur(1.2))


def _bilevel(img: Image.Image) -> Image.Image:
    return img.point(lambda v: 0 if v < 128 else 255)


def _skewed(img: Image.Image) -> Image.Image:
    return img.rotate(2.5, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255)


def test_only_rendered_glyphs_are_crisp() -> None:
    page = render_text("\n\n".join([PROSE] * 2), size=52, width=2600)
    assert textsize.crisp(page)
    assert not textsize.crisp(_blurred(page))  # a scan's soft edges
    assert not textsize.crisp(_bilevel(page))  # no anti-aliasing to judge by: ragged edges
    assert not textsize.crisp(Image.new("L", (400, 400), 255))  # nothing to judge


def test_only_black_and_white_pages_are_bilevel() -> None:
    page = render_text("\n\n".join([PROSE] * 2), size=52, width=2600)
    assert textsize.bilevel(_bilevel(page))  # a fax, a 1-bit scan
    assert not textsize.bilevel(page)  # anti-aliased edges
    assert not textsize.bilevel(Image.new("L", (400, 400), 255))  # no ink at all


def test_by_default_small_text_is_enlarged_and_only_crisp_large_text_shrunk(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Shrinking large text read faster and better on clean renders (both splits) but worse on
    # the report split's degraded scans, grainy and levelled pages: "auto" shrinks only crisp
    # pages that were not levelled; "both" shrinks any.
    from aigateway.ocr.engine import tesseract

    seen: list[tuple[int, int]] = []
    real = tesseract.read_lines

    def spy(img: Image.Image, dpi: int, languages: Any) -> Any:
        seen.append(img.size)
        return real(img, dpi, languages)

    monkeypatch.setattr(tesseract, "read_lines", spy)
    large = render_text("\n\n".join([PROSE] * 2), size=52, width=2600)
    small = render_text("\n\n".join([PROSE] * 2), size=15, width=750)
    for img, mode, expect in [
        (large, "auto", "smaller"),
        (_blurred(large), "auto", "same"),
        (_bilevel(large), "auto", "same"),
        (_skewed(large), "auto", "levelled"),
        (_blurred(large), "both", "smaller"),
        (large, "enlarge", "same"),
        (small, "auto", "bigger"),
        (small, "enlarge", "bigger"),
        (small, "off", "same"),
        # Small bilevel text (a fax) is not enlarged into blocky glyphs.
        (_bilevel(small), "auto", "same"),
    ]:
        seen.clear()
        read_image(img, 300, EngineOptions(rescale=mode, detect_orientation=False))
        first = seen[0]
        if expect == "bigger":
            assert first[0] > img.width, mode
        elif expect == "smaller":
            assert first[0] < 0.9 * img.width, mode
        elif expect == "levelled":
            assert first[0] >= 0.9 * img.width, mode  # levelled, but not shrunk
        else:
            assert first == img.size, mode


def test_an_untagged_pages_small_print_sets_the_resolution_tesseract_is_told(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Told 300 DPI, Tesseract took 11-13 px screen print for 2-4 pt text and cut its lines
    # into fragments; an untagged page is told a resolution its text's height allows, a
    # tagged page its own, whatever its print.
    from aigateway.ocr.engine import tesseract

    told: list[int] = []
    real = tesseract.read_lines

    def spy(img: Image.Image, dpi: int, languages: Any) -> Any:
        told.append(dpi)
        return real(img, dpi, languages)

    monkeypatch.setattr(tesseract, "read_lines", spy)
    small = render_text("\n\n".join([PROSE] * 2), size=12, width=900)
    large = render_text("\n\n".join([PROSE] * 2), size=44, width=2400)
    first = {}
    for img, assumed in [(small, True), (small, False), (large, True), (large, False)]:
        told.clear()
        read_image(img, 300, EngineOptions(dpi_assumed=assumed, detect_orientation=False))
        first[img is small, assumed] = told[0]
    # Enlarged twice, small print is told 600 only when a tag says 300 DPI.
    assert 70 <= first[True, True] <= 270 and first[True, False] == 600, first
    # Print of a book's size is told the same either way.
    assert first[False, True] == first[False, False], first


@pytest.mark.parametrize(
    ("dpi", "height", "told"), [(300, 12, 123), (600, 26, 267), (150, 40, 150)]
)
def test_told_dpi_is_the_lower_of_the_page_and_its_text(dpi: int, height: float, told: int) -> None:
    assert textsize.told_dpi(dpi, height) == told
    assert textsize.told_dpi(1, 0.1) == 1  # never 0, which Tesseract takes for "unknown"


def test_a_tag_no_page_could_have_gives_way_to_the_texts_own_resolution() -> None:
    # A 300 DPI page saved with a camera's or an editor's 72 (or 96) DPI: 34 x 49 inches, its
    # body text 40-50 pt. Its text says what resolution it is: within a fifth of the truth.
    page = render_text("\n\n".join([PROSE] * 6), size=42, width=2480, min_height=3508)
    for tag in (72, 96):
        assert 240 <= textsize.checked_dpi(page, tag) <= 400, tag
    assert textsize.checked_dpi(page, 300) == 300
    assert textsize.checked_dpi(page, 0) == 0  # untagged stays untagged


def test_large_print_or_a_large_sheet_alone_keeps_its_tag() -> None:
    # A slide at 96 DPI: 28 pt text on a 13 inch page. A poster's worth of grain, tagged 72,
    # 35 inches long, with no lines to measure. A large sheet of small print (a map's legend).
    slide = render_text("\n\n".join([PROSE] * 2), size=37, width=1280, min_height=720)
    grain = Image.effect_noise((2500, 1800), 60).convert("L")
    legend = render_text("\n\n".join([PROSE] * 20), size=12, width=2000)
    assert textsize.checked_dpi(slide, 96) == 96
    assert textsize.checked_dpi(grain, 72) == 72
    assert max(legend.size) > 20 * 72 and textsize.checked_dpi(legend, 72) == 72
