"""A column of line numbers read sideways is read again row by row (``glyphcolumns.py``).

Tesseract's layout analysis can take the narrow column of small digits beside a numbered
listing for one line of vertical text and read it as garbage. The pass cuts such a column into
its items, reads each one, and puts it in front of the line on its row.
"""

from __future__ import annotations

import pytest
from PIL import Image, ImageDraw

from aigateway.ocr.engine import amounts, glyphcolumns, rapid
from aigateway.ocr.engine.geometry import Line, Word

from ..support.docgen import find_font, font

pytestmark = pytest.mark.skipif(find_font("DejaVuSansMono.ttf") is None, reason="fonts-dejavu")

CODE = ["border(1,0,2,20) { x:= t; y:= 0 };", "border(1,0,1,10) { x:= 1; y:= t };"] * 3
STEP = 60
TOP = 200


def _listing(
    numbers: bool = True,
    indent: int = 0,
    first: int = 1,
    blank: tuple[int, ...] = (),
    order: tuple[int, ...] = (),
) -> tuple[Image.Image, list[Line]]:
    """A numbered listing as an image, and Tesseract's reading of it with its numbers taken
    for one sideways line (``"cs wo Lo} H"``), boxed on the numbers' first digit. ``indent``:
    the code stands that many cells further right (a block's body); ``first``: the number of
    its first line; ``blank``: lines (from 0) left empty but numbered; ``order``: the numbers
    drawn, by line, instead of counting up."""
    img = Image.new("L", (1600, 700), 255)
    d = ImageDraw.Draw(img)
    lines = []
    for k, code in enumerate(CODE):
        y = TOP + STEP * k
        if numbers:
            d.text((100, y + 8), str(order[k] if order else k + first), font=font(24), fill=0)
        if k in blank:
            continue
        x = 160 + 24 * indent
        d.text((x, y), code, font=font(40, "DejaVuSansMono.ttf"), fill=0)
        words = []
        for w in code.split():
            words.append(Word(w, 90.0, x, y + 4, x + 24 * len(w), y + 44))
            x += 24 * (len(w) + 1)
        lines.append(Line(words, 2, 2 + k))
    right = 120 if first < 10 else 108  # the first digit only
    column = Line([Word("cs", 40.0, 98, TOP, right, TOP + 5 * STEP + 40)], 1, 1)
    return img, [column, *lines]


@pytest.mark.skipif(rapid.available() is not None, reason="RapidOCR is not installed")
def test_line_numbers_read_sideways_come_back_in_front_of_their_lines() -> None:
    img, lines = _listing()
    assert glyphcolumns.split(img, lines, use_rapid=True) == 1
    assert len(lines) == len(CODE)
    assert [ln.words[0].text for ln in lines] == [str(k + 1) for k in range(len(CODE))]
    assert [" ".join(w.text for w in ln.words[1:]) for ln in lines] == CODE


@pytest.mark.skipif(rapid.available() is not None, reason="RapidOCR is not installed")
def test_line_numbers_on_a_black_and_white_page_come_back() -> None:
    # A page of two grey levels (a fax, a grainy page's clean-up): Otsu's level is the ink's
    # own, and ink taken as darker than it was none, so no item was found and the numbers of
    # a grainy listing came back as "wow oan Oo UW BB WN &".
    img, lines = _listing(indent=8, first=10)
    img = img.point(lambda v: 0 if v < 128 else 255)
    assert len(img.getcolors() or ()) == 2
    assert glyphcolumns.split(img, lines, use_rapid=True) == 1
    assert [ln.words[0].text for ln in lines] == [str(k + 10) for k in range(len(CODE))]


@pytest.mark.skipif(rapid.available() is not None, reason="RapidOCR is not installed")
def test_a_column_read_as_two_sideways_lines_comes_back_once() -> None:
    # Tesseract read a column of two-digit numbers as two overlapping sideways lines, one on
    # each digit: both widen to the same items, which were put back twice ("10 10").
    img, lines = _listing(indent=8, first=10)
    second = Line([Word("oO", 30.0, 106, TOP, 126, TOP + 5 * STEP + 40)], 1, 1)
    lines.insert(1, second)
    assert glyphcolumns.split(img, lines, use_rapid=True) == 2
    assert [ln.words[0].text for ln in lines] == [str(k + 10) for k in range(len(CODE))]
    assert [" ".join(w.text for w in ln.words[1:]) for ln in lines] == CODE


@pytest.mark.skipif(rapid.available() is not None, reason="RapidOCR is not installed")
def test_two_digit_numbers_beside_indented_code_come_back_whole() -> None:
    # Lines 10-15 of a class body, indented 8 cells (7 text heights off their numbers):
    # Tesseract's sideways box covered the first digit of each number only.
    img, lines = _listing(indent=8, first=10)
    assert glyphcolumns.split(img, lines, use_rapid=True) == 1
    assert [ln.words[0].text for ln in lines] == [str(k + 10) for k in range(len(CODE))]


@pytest.mark.skipif(rapid.available() is not None, reason="RapidOCR is not installed")
def test_numbers_of_blank_lines_come_back_as_lines_of_their_own() -> None:
    # A listing's blank lines (and comment rules Tesseract reads as nothing) leave numbers with
    # no text line on their row: two of six here, too many for a column of items on text rows
    # (a Raptor header's 1 to 9 read sideways as "MDMAA SBWNe", four numbers beside nothing).
    # Its numbers count up, so they are a listing's, each put back where it stands.
    img, lines = _listing(blank=(1, 4))
    assert glyphcolumns.split(img, lines, use_rapid=True) == 1
    assert [ln.text for ln in lines] == [
        f"1 {CODE[0]}",
        "2",
        f"3 {CODE[2]}",
        f"4 {CODE[3]}",
        "5",
        f"6 {CODE[5]}",
    ]


@pytest.mark.skipif(rapid.available() is not None, reason="RapidOCR is not installed")
def test_a_blank_last_line_s_number_comes_after_its_listing() -> None:
    # One blank line of six: the column sits on text rows as before, and the number of the
    # last, empty line, which was dropped, now follows the line above it.
    img, lines = _listing(blank=(5,))
    assert glyphcolumns.split(img, lines, use_rapid=True) == 1
    assert [ln.words[0].text for ln in lines] == [str(k + 1) for k in range(len(CODE))]
    assert lines[-1].text == "6"


@pytest.mark.skipif(rapid.available() is not None, reason="RapidOCR is not installed")
def test_items_beside_blank_lines_that_do_not_count_up_are_left_alone() -> None:
    # Short items, two of six beside nothing, that are no count (a column of labels): the
    # sideways reading stays for the other passes, as before.
    img, lines = _listing(blank=(1, 4), order=(3, 1, 4, 1, 5, 9))
    before = [ln.text for ln in lines]
    assert glyphcolumns.split(img, lines, use_rapid=True) == 0
    assert [ln.text for ln in lines] == before


def test_without_the_recogniser_the_sideways_reading_is_dropped() -> None:
    img, lines = _listing()
    assert glyphcolumns.split(img, lines, use_rapid=False) == 1
    assert [ln.text for ln in lines] == CODE


def test_a_tall_line_whose_ink_does_not_sit_on_the_rows_is_left_alone() -> None:
    # A sideways label beside the listing: one long run of ink, no items on the rows.
    img, lines = _listing(numbers=False)
    d = ImageDraw.Draw(img)
    d.rectangle((104, TOP + 30, 112, TOP + 5 * STEP), fill=0)
    before = [ln.text for ln in lines]
    assert glyphcolumns.split(img, lines, use_rapid=False) == 0
    assert [ln.text for ln in lines] == before


def test_a_page_turned_sideways_is_left_alone() -> None:
    # Tesseract reads a page turned 90 degrees as vertical lines: they are its text.
    img = Image.new("L", (700, 1600), 255)
    lines = [
        Line([Word("text", 90.0, 100 + 60 * k, 100, 140 + 60 * k, 1400)], 1, k) for k in range(6)
    ]
    assert glyphcolumns.split(img, lines, use_rapid=False) == 0
    assert len(lines) == 6


PROSE = ["triangulates the unit square", "with four points on each side", "and gives ib=1"]
GRID = [("0.", "0."), ("1.", "0."), ("1.", "1."), ("0.", "1."), ("0.", "0.")]


def _grid() -> tuple[Image.Image, list[Line]]:
    """A data file shown as two columns of short numbers under a line of prose, and
    Tesseract's reading of it: each column one sideways line (``oOrRRrRO``), boxed on the
    digits (not the periods), with no text line on any of its rows."""
    img = Image.new("L", (1600, 800 + STEP * len(PROSE)), 255)
    d = ImageDraw.Draw(img)
    mono = font(40, "DejaVuSansMono.ttf")
    d.text((100, 60), "with the file mypoints.dta containing", font=mono, fill=0)
    prose = Line([Word("with the file mypoints.dta containing", 90.0, 100, 64, 1000, 104)], 1, 1)
    after = []
    for k, text in enumerate(PROSE):
        d.text((100, 560 + STEP * k), text, font=mono, fill=0)
        after.append(Line([Word(text, 90.0, 100, 564 + STEP * k, 800, 604 + STEP * k)], 3, 3))
    for k, (a, b) in enumerate(GRID):
        y = 200 + STEP * k
        d.text((100, y), a, font=mono, fill=0)
        d.text((400, y), b, font=mono, fill=0)
    bottom = 200 + STEP * (len(GRID) - 1) + 44
    columns = [
        Line([Word("oOrRRrRO", 30.0, 100, 204, 124, bottom)], 2, 2),
        Line([Word("OorRrROO;O", 30.0, 400, 204, 424, bottom)], 2, 2),
    ]
    return img, [prose, *columns, *after]


@pytest.mark.skipif(rapid.available() is not None, reason="RapidOCR is not installed")
def test_columns_of_short_numbers_side_by_side_are_read_row_by_row() -> None:
    img, lines = _grid()
    assert glyphcolumns.split(img, lines, use_rapid=True) == 2
    assert lines[0].text == "with the file mypoints.dta containing"
    assert [ln.text for ln in lines[1:-3]] == [f"{a} {b}" for a, b in GRID]
    assert [ln.text for ln in lines[-3:]] == PROSE


@pytest.mark.skipif(rapid.available() is not None, reason="RapidOCR is not installed")
def test_tall_lines_side_by_side_whose_ink_does_not_line_up_are_left_alone() -> None:
    # Two columns of glyphs side by side that do not fall into common rows (sideways labels
    # whose letters are spaced unlike each other's): no grid, whatever the glyphs read as.
    img = Image.new("L", (1600, 800 + STEP * len(PROSE)), 255)
    d = ImageDraw.Draw(img)
    d.text((100, 60), "a line of text above the labels", font=font(40), fill=0)
    for k in range(4):
        d.text((100, 200 + 70 * k), str(k + 1), font=font(40, "DejaVuSansMono.ttf"), fill=0)
        d.text((400, 235 + 70 * k), str(k + 5), font=font(40, "DejaVuSansMono.ttf"), fill=0)
    lines = [
        Line([Word("a line of text above the labels", 90.0, 100, 64, 900, 104)], 1, 1),
        Line([Word("label", 40.0, 100, 200, 124, 440)], 2, 2),
        Line([Word("label", 40.0, 400, 240, 424, 480)], 3, 3),
    ]
    for k, text in enumerate(PROSE):
        d.text((100, 560 + STEP * k), text, font=font(40), fill=0)
        lines.append(Line([Word(text, 90.0, 100, 564 + STEP * k, 800, 604 + STEP * k)], 4, 4))
    before = [ln.text for ln in lines]
    assert glyphcolumns.split(img, lines, use_rapid=True) == 0
    assert [ln.text for ln in lines] == before


def test_without_the_recogniser_a_grid_read_sideways_is_left_as_read() -> None:
    # With nothing to read its items by, a grid's columns stay (no line to hang them on).
    img, lines = _grid()
    assert glyphcolumns.split(img, lines, use_rapid=False) == 0
    assert len(lines) == 6


RECEIPT = [
    "   CORNER CAFE",
    "  12 Mill Lane",
    "",
    "Flat white      3.20",
    "Croissant       2.40",
    "Orange juice    2.90",
    "Water           1.10",
    "",
    "TOTAL           9.60",
    "CARD            9.60",
    "",
    "28/11/2026 08:41",
]
AMOUNTS = ["3.20", "2.40", "2.90", "1.10", "9.60"]


def _receipt() -> Image.Image:
    """A till receipt in a typewriter font: each amount right-aligned, so the amounts'
    leading digits stand one under the other (which Tesseract reads as a sideways line)."""
    img = Image.new("L", (700, 1000), 255)
    d = ImageDraw.Draw(img)
    for k, text in enumerate(RECEIPT):
        d.text((40, 60 + 60 * k), text, font=font(34, "DejaVuSansMono.ttf"), fill=0)
    return img


def test_amounts_whose_leading_digits_were_read_sideways_are_read_again_with_their_rows() -> None:
    from aigateway.ocr.engine import tesseract

    img = _receipt()
    lines, _ = tesseract.read_lines(img, 300, ["eng"])
    before = " ".join(ln.text for ln in lines)
    # What Tesseract's page layout makes of it: the amounts lose their first digits.
    assert not all(amount in before for amount in AMOUNTS), before
    assert amounts.glued(img, lines, 300) == 1
    after = [ln.text for ln in lines]
    # Read again with the item names on their rows, each row is one line, amount and all.
    rows = [" ".join(t.split()) for t in RECEIPT[3:10] if t]
    assert [t for t in after if t in rows] == rows, after


def test_line_numbers_a_space_from_their_lines_are_not_glued_to_them() -> None:
    for listing in (_listing(), _listing(indent=0, first=10), _listing(indent=8, first=10)):
        img, lines = listing
        before = [ln.text for ln in lines]
        assert amounts.glued(img, lines, 300) == 0
        assert [ln.text for ln in lines] == before
