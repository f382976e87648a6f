"""Rows of hyphens are read by counting their bars (``hyphens.py``).

The page is drawn in a monospaced font; the words are what Tesseract returned over it (its
garbage for a long row of hyphens). The pass must count the row's hyphens exactly, at 300 and
150 DPI sizes and in grey, and leave alone what is not a row of hyphens: a dash or two, a dot
leader, underscores, equals signs, a row it cannot see whole.
"""

from __future__ import annotations

import pytest
from PIL import Image, ImageDraw

from aigateway.ocr.engine import hyphens
from aigateway.ocr.engine.geometry import Line, Word

from ..support.docgen import find_font, font

pytestmark = pytest.mark.skipif(find_font("DejaVuSansMono.ttf") is None, reason="fonts-dejavu")

X, Y = 60, 100


def _page(text: str, size: int = 40, ink: int = 0) -> tuple[Image.Image, float, float]:
    """``text`` drawn as a listing's line between two others; the line's top and bottom."""
    mono = font(size, "DejaVuSansMono.ttf")
    img = Image.new("L", (2 * X + round(mono.getlength(text)) + 4 * size, Y + 4 * size), 255)
    d = ImageDraw.Draw(img)
    d.text((X, Y - round(1.3 * size)), "int main(void)", font=mono, fill=0)
    d.text((X, Y), text, font=mono, fill=ink)
    d.text((X, Y + round(1.3 * size)), "{ return 0; }", font=mono, fill=0)
    box = d.textbbox((X, Y), "1 //", font=mono)
    return img, box[1], box[3]


def _cell(size: int) -> float:
    return float(font(size, "DejaVuSansMono.ttf").getlength("-"))


def _lines(words: list[tuple[str, int, int]], top: float, bottom: float) -> list[Line]:
    """The drawn line as ``(text, first cell, cells)`` words, and its neighbours."""
    return [
        Line([Word("int", 95.0, X, round(top) - 52, X + 70, round(bottom) - 52)], 1, 1),
        Line(
            [Word(t, 40.0, X + a, round(top), X + a + w, round(bottom)) for t, a, w in words],
            1,
            1,
        ),
        Line([Word("{", 95.0, X, round(top) + 52, X + 20, round(bottom) + 52)], 1, 1),
    ]


def _garbled(n: int, size: int) -> tuple[Image.Image, list[Line]]:
    """``1 // `` and ``n`` hyphens, the hyphens read as two words of garbage."""
    img, top, bottom = _page("1 // " + "-" * n, size)
    cell = _cell(size)
    start = round(5 * cell)
    half = round(n / 2 * cell)
    words = [
        ("1", 0, round(cell)),
        ("//", round(2 * cell), round(2 * cell)),
        ("[rr", start, half - 4),
        ("RR", start + half, round(n * cell) - half),
    ]
    return img, _lines(words, top, bottom)


@pytest.mark.parametrize("n", [6, 17, 60])
@pytest.mark.parametrize("size", [40, 20])
def test_a_row_of_hyphens_read_as_garbage_is_counted(n: int, size: int) -> None:
    img, lines = _garbled(n, size)
    assert hyphens.restore(img, lines) == 1
    assert lines[1].text == "1 // " + "-" * n
    assert [ln.text for ln in (lines[0], lines[2])] == ["int", "{"]


def test_a_light_grey_row_is_counted_too() -> None:
    # A Doxygen listing's comments are grey: a rendered hyphen's core about 106 on white.
    img, top, bottom = _page("1 // " + "-" * 40, 40, ink=110)
    cell = _cell(40)
    lines = _lines([("1", 0, 24), ("/", 48, 48), ("[rr RR", round(5 * cell), 40 * 24)], top, bottom)
    assert hyphens.restore(img, lines) == 1
    assert lines[1].text == "1 / " + "-" * 40


def test_a_row_read_right_is_left_as_it_is() -> None:
    img, lines = _garbled(30, 40)
    words = lines[1].words
    words[2:] = [Word("-" * 30, 91.0, words[2].x0, words[2].y0, words[3].x1, words[3].y1)]
    before = lines[1].text
    assert hyphens.restore(img, lines) == 0
    assert lines[1].text == before


@pytest.mark.parametrize(
    "text",
    [
        "x = a -- b",  # a dash or two in text
        "1 // -----",  # five: under MIN_COUNT
        "Contents ............ 7",  # a dot leader
        "1 // ________________________",  # underscores join into one rule
        "1 // ========================",  # equals signs: two bars each
        "1 // - - - - - - - - - - - -",  # spaced hyphens: a word space apart
    ],
)
def test_what_is_not_a_row_of_hyphens_is_left_alone(text: str) -> None:
    img, top, bottom = _page(text)
    cell = _cell(40)
    words = [(w, round(text.index(w) * cell), round(len(w) * cell)) for w in text.split()[:2]]
    words.append(("garbage", round(5 * cell), round((len(text) - 5) * cell)))
    lines = _lines(words, top, bottom)
    before = [ln.text for ln in lines]
    assert hyphens.restore(img, lines) == 0
    assert [ln.text for ln in lines] == before


def test_a_word_only_partly_over_the_row_leaves_the_line_alone() -> None:
    # Tesseract's last word runs well past the row's end (ink after it read with the last
    # hyphens): a word of the hyphens seen would stand beside that word's own reading.
    img, lines = _garbled(30, 40)
    w = lines[1].words[3]
    lines[1].words[3] = Word("RR:x", 40.0, w.x0, w.y0, w.x1 + 2 * (w.x1 - w.x0), w.y1)
    before = lines[1].text
    assert hyphens.restore(img, lines) == 0
    assert lines[1].text == before


def test_a_row_at_a_fractional_pitch_is_counted_exactly() -> None:
    # 29 px DejaVu Sans Mono: a cell of 17.47 px, hyphens 17 and 18 px apart by turns. Counted
    # at a whole pixel's pitch, 98 hyphens come out 101.
    img, lines = _garbled(98, 29)
    assert hyphens.restore(img, lines) == 1
    assert lines[1].text == "1 // " + "-" * 98


def test_a_hyphen_faded_away_is_still_counted() -> None:
    img, lines = _garbled(40, 40)
    cell = _cell(40)
    x = X + round(25 * cell)  # the 21st hyphen
    ImageDraw.Draw(img).rectangle((x, lines[1].y0 - 10, x + round(cell) - 2, lines[1].y1 + 10), 255)
    assert hyphens.restore(img, lines) == 1
    assert lines[1].text == "1 // " + "-" * 40


def test_a_row_dropped_whole_after_the_line_number_is_put_back() -> None:
    # Tesseract kept the listing's number alone: the ``//`` and the hyphens gone.
    img, lines = _garbled(50, 40)
    lines[1].words[1:] = []
    assert hyphens.restore(img, lines) == 1
    assert lines[1].text == "1 " + "-" * 50


def test_a_row_under_another_lines_words_is_that_lines() -> None:
    # Tesseract read the row as a line of its own (another block): the row is its, and the
    # line before it keeps its words.
    img, lines = _garbled(30, 40)
    row = lines[1].words[2:]
    lines[1].words[2:] = []
    lines.insert(2, Line(row, 2, 2))
    assert hyphens.restore(img, lines) == 1
    assert [lines[1].text, lines[2].text] == ["1 //", "-" * 30]


def _table(above: int = 1, below: int = 1) -> tuple[Image.Image, list[Line], int]:
    """A heading row, a row of 40 hyphens ``above`` lines under it that Tesseract dropped,
    and a data row ``below`` lines under that: its lines as read, and the hyphens' top."""
    size = 40
    mono = font(size, "DejaVuSansMono.ttf")
    step = round(1.3 * size)
    img = Image.new("L", (1400, 200 + (above + below + 2) * step), 255)
    d = ImageDraw.Draw(img)
    rows = ["Ir     I1mr  ILmr", "-" * 40, "27,742  276   275"]
    ys = [Y, Y + above * step, Y + (above + below) * step]
    lines = []
    for k, (text, y) in enumerate(zip(rows, ys, strict=True)):
        d.text((X, y), text, font=mono, fill=0)
        if k == 1:
            continue
        box = d.textbbox((X, y), text, font=mono)
        words = [
            Word(
                w,
                95.0,
                box[0] + round(text.index(w) * _cell(size)),
                box[1],
                box[0] + round((text.index(w) + len(w)) * _cell(size)),
                box[3],
            )
            for w in text.split()
        ]
        lines.append(Line(words, 1, 1))
    return img, lines, ys[1]


def test_a_row_of_hyphens_dropped_between_two_lines_is_put_back_between_them() -> None:
    img, lines, _ = _table()
    assert hyphens.restore(img, lines) == 1
    assert [ln.text for ln in lines] == ["Ir I1mr ILmr", "-" * 40, "27,742 276 275"]


def test_a_row_dropped_over_a_line_after_a_wide_gap_is_put_back() -> None:
    # A shaded listing's padding: four lines' room over the heading row, the rule right on it.
    img, lines, _ = _table(above=4)
    assert hyphens.restore(img, lines) == 1
    assert [ln.text for ln in lines] == ["Ir I1mr ILmr", "-" * 40, "27,742 276 275"]


def test_dashes_in_the_middle_of_a_wide_gap_are_left_alone() -> None:
    # Three lines' room either side: a figure's dashed line, not a dropped line of text.
    img, lines, _ = _table(above=3, below=3)
    assert hyphens.restore(img, lines) == 0
    assert len(lines) == 2
