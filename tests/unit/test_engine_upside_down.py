"""A levelled page turned 180 degrees is told from an upright one by its lines' shape
(``orientation.upside_down``), before any reading.

Latin lower case has more ascenders than descenders: an upright line carries more ink above its
x-height band than below it. The check must never fire on an upright page (it would cost a
wasted reading), and must stay out of scripts where that does not hold.
"""

from __future__ import annotations

import io

import pytest
from PIL import Image, ImageDraw, ImageFilter

from aigateway.ocr.engine import deskew, orientation, preprocess

from ..support.docgen import find_font, font, render_text, text_png

pytestmark = pytest.mark.skipif(find_font("DejaVuSans.ttf") is None, reason="fonts-dejavu")

PROSE = (
    "The gateway reads scanned pages, photographs of receipts and born-digital manuals alike. "
    "Each page is levelled, checked for orientation and read once; doubtful words are read "
    "again by a second recogniser, and the layout pass puts tables and columns back in order. "
    "Uploads are bounded, spooled to disk and checked before any byte reaches an engine.\n\n"
    "Quick brown foxes jump over the lazy dog while the band plays a slow waltz in the hall. "
    "Typography shapes how a reader moves through a dense page of technical reference text."
)

ALL_CAPS = (
    "SECTION 4.2 TABLE OF LIMITS\n\n" + "UPLOAD SIZE 25 MB PER FILE AND 50 MB PER REQUEST. " * 8
)


@pytest.mark.parametrize("size", [28, 40, 56])
def test_an_upright_page_is_not_upside_down_and_a_turned_one_is(size: int) -> None:
    page = render_text(PROSE, size=size, width=2000)
    ratio, lines = orientation.ascent_ratio(page)
    assert lines >= orientation.MIN_LINES
    assert ratio > 1.0
    assert not orientation.upside_down(page)
    turned = page.rotate(180)
    ratio, _ = orientation.ascent_ratio(turned)
    assert ratio < orientation.UPSIDE_DOWN_BELOW
    assert orientation.upside_down(turned)
    assert orientation.upside_down(turned, ("eng", "deu"))


def test_an_upright_page_in_capitals_and_digits_is_not_turned() -> None:
    # No lower case to measure by: whatever the profile shows, an upright page stays.
    page = render_text(ALL_CAPS, size=40, width=2000)
    assert not orientation.upside_down(page)


def test_other_scripts_and_tiny_or_blank_pages_are_not_judged() -> None:
    turned = render_text(PROSE, size=40, width=2000).rotate(180)
    assert not orientation.upside_down(turned, ("rus",))
    assert not orientation.upside_down(turned, ("eng", "ukr"))
    assert not orientation.upside_down(turned, ())
    assert not orientation.upside_down(Image.new("L", (2000, 2800), 255))
    assert not orientation.upside_down(Image.new("L", (40, 40), 0))
    # A line or two is too little to judge.
    assert not orientation.upside_down(render_text("a few words here", size=40).rotate(180))


@pytest.mark.parametrize("turn", [90, 270])
def test_a_page_on_its_side_is_turned_the_right_way(turn: int) -> None:
    # A full page of one paragraph, set as densely as a book's (projections of a page with
    # wide blank margins and paragraph gaps are less sure it lies sideways).
    text = " ".join([PROSE.replace("\n\n", " ")] * 6)
    upright = render_text(text, size=32, width=2000, line_spacing=1.25)
    page = upright.rotate(-turn, expand=True)  # turned clockwise: ``turn`` sets it upright
    assert orientation.sideways(page)
    assert orientation.sideways_turn(page) == turn
    assert orientation.sideways_turn(page, ("rus",)) == 0  # left to OSD


def test_a_sideways_page_of_a_few_words_is_left_to_osd() -> None:
    page = render_text("a few words here", size=40).rotate(90, expand=True)
    assert orientation.sideways_turn(page) == 0


@pytest.mark.parametrize(
    "text",
    [
        "The quarterly report lists seventeen warehouses across the province.",
        "The quarterly report lists seventeen warehouses across the northern province.",
    ],
)
def test_a_strip_of_two_lines_taken_for_sideways_is_left_to_osd(text: str) -> None:
    # A line or two on a wide strip can look sideways to the projections; turned 90 degrees,
    # their profiles look decisive and mean nothing. OSD decides there (and finds no turn).
    page = render_text(text)
    assert orientation.sideways(page)
    assert orientation.sideways_turn(page) == 0


def test_an_upright_ruled_table_of_figures_is_not_turned() -> None:
    # Strips cut a ruled table's figures into lone digits, whose profiles show no x-height
    # band: 13 such slivers once measured 0.22 on an upright photographed table, which was
    # turned over and read upside down. Slivers with too little ink are not measured.
    page = Image.new("L", (2400, 1500), 255)
    d = ImageDraw.Draw(page)
    rows = [["Region", "Spring", "Summer", "Autumn", "Winter"]]
    rows += [[f"Area {i}", *(str(100 + 7 * i + 13 * j) for j in range(4))] for i in range(10)]
    for i, row in enumerate(rows):
        for j, cell in enumerate(row):
            d.text((120 + 420 * j, 115 + 100 * i), cell, font=font(36), fill=0)
    for i in range(len(rows) + 1):
        d.line((100, 100 + 100 * i, 2200, 100 + 100 * i), fill=0, width=3)
    for j in range(6):
        d.line((100 + 420 * j, 100, 100 + 420 * j, 100 + 100 * len(rows)), fill=0, width=3)
    # Photographed: turned 1.5 degrees and blurred, then levelled as the reader does.
    photo = page.rotate(1.5, fillcolor=255, resample=Image.Resampling.BICUBIC)
    levelled, angle = deskew.straighten(photo.filter(ImageFilter.GaussianBlur(0.8)))
    assert angle != 0
    assert not orientation.upside_down(levelled)


@pytest.mark.parametrize("size", [28, 40])
def test_a_black_and_white_page_is_judged_too(size: int) -> None:
    # A one-bit page (a fine-mode fax: 1728 px wide, read at full size) has no grey between
    # ink and paper. Otsu's level is then the ink's own, which the profile once counted as
    # paper: it saw no line on such a page, upright or turned.
    page = render_text(PROSE, size=size, width=1700).point(lambda v: 0 if v < 128 else 255)
    assert orientation.upright_turn(page) == 0
    assert orientation.upright_turn(page.rotate(180)) == 180
    assert orientation.upside_down(page.rotate(180))


def test_only_pages_whose_lines_tell_are_judged_upright() -> None:
    assert orientation.upright_turn(render_text(PROSE, size=40, width=2000)) == 0
    assert orientation.upright_turn(render_text("a few words here", size=40)) is None
    assert orientation.upright_turn(render_text(PROSE, size=40, width=2000), ("rus",)) is None


def _osd_says(monkeypatch: pytest.MonkeyPatch, turn: int) -> list[int]:
    """Tesseract OSD patched to answer ``turn``; the list records each time it is asked."""
    from aigateway.ocr.engine import tesseract

    asked: list[int] = []

    def detect(*args: object, **kwargs: object) -> tuple[int, bool]:
        asked.append(turn)
        return turn, True

    monkeypatch.setattr(tesseract, "osd", detect)
    return asked


@pytest.mark.parametrize(("text", "asked"), [(PROSE, False), ("a few words here", True)])
def test_osd_is_not_asked_about_a_page_whose_lines_stand_upright(
    monkeypatch: pytest.MonkeyPatch, text: str, asked: bool
) -> None:
    # OSD said 180 or 270 degrees of noisy faxes, a 150 DPI page and grainy pages whose many
    # lines all stand upright (bench tune split), and each was read a second time turned, for
    # nothing. Where the lines cannot tell (a few words), OSD is asked and its turn tried.
    from aigateway.ocr.engine import reader
    from aigateway.ocr.engine.options import EngineOptions

    osd = _osd_says(monkeypatch, 180)
    rotations: list[int] = []
    read = reader._tesseract

    def counted(
        img: Image.Image, dpi: int, opts: EngineOptions, rotation: int = 0, edges: str = ""
    ) -> reader.Reading:
        rotations.append(rotation)
        return read(img, dpi, opts, rotation, edges)

    monkeypatch.setattr(reader, "_tesseract", counted)
    # Every reading doubtful, so that OSD would be asked.
    opts = EngineOptions(engine="tesseract", osd_below_confidence=101)
    page = render_text(text, size=40, width=2000)
    got = reader.read_image(page, 300, opts)
    assert bool(osd) is asked
    assert (180 in rotations) is asked
    assert got.rotation == 0  # the upright reading is the surer one either way


def test_osd_is_still_asked_about_vertical_text_the_profile_takes_for_upright(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Two short paragraphs turned 90 degrees: their lines are not found vertical (a strip of
    # a page), and the strips cut across them profile as upright lines. Only lines surely
    # across the page (``ACROSS``) keep OSD away.
    from aigateway.ocr.engine import reader
    from aigateway.ocr.engine.options import EngineOptions

    text = (
        "The quick brown fox jumps over the lazy dog while optical character recognition "
        "turns pictures of printed pages into text.\n\n"
        "A second paragraph follows with numbers 12345 and 2024, and it ends here."
    )
    page = Image.open(io.BytesIO(text_png(text, rotate=90))).convert("L")
    assert not orientation.sideways(page)
    assert orientation.upright_turn(deskew.straighten(page)[0]) == 0
    assert orientation.line_direction(page) < orientation.ACROSS
    asked = _osd_says(monkeypatch, 270)
    got = reader.read_image(page, 300, EngineOptions(engine="tesseract"))
    assert asked
    assert got.rotation == 270


@pytest.mark.parametrize(("sure", "asked"), [(True, 1), (False, len(preprocess.LADDER))])
def test_osd_sure_a_clean_up_is_upright_is_not_asked_about_the_next(
    monkeypatch: pytest.MonkeyPatch, sure: bool, asked: int
) -> None:
    # A grainy page of two lines (too few to tell which way up it is), every reading
    # doubtful: each clean-up of the ladder is read, and OSD was asked about each in turn
    # (tune grainy pages: 11 questions at 0.4-0.5 s, none found a turn). Once it is sure the
    # page is upright it is not asked again; unsure, it is asked about the cleaner copies.
    from aigateway.ocr.engine import reader, tesseract
    from aigateway.ocr.engine.options import EngineOptions

    from ..support.docgen_layout import noisy_png

    questions: list[bool] = []

    def osd(*args: object, **kwargs: object) -> tuple[int, bool]:
        questions.append(sure)
        return 0, sure

    monkeypatch.setattr(tesseract, "osd", osd)
    text = "The harbour office keeps a ledger\nof every vessel in the bay"
    page = Image.open(io.BytesIO(noisy_png(text, size=48))).convert("L")
    assert preprocess.grainy(page)
    assert orientation.upright_turn(page) is None
    got = reader.read_image(page, 300, EngineOptions(engine="tesseract", osd_below_confidence=101))
    assert len(questions) == asked
    assert got.rotation == 0
