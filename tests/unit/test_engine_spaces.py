"""Spaces Tesseract dropped inside words of monospace text are put back (``spaces.restore``).

Each test draws real glyphs (DejaVu Sans Mono and DejaVu Sans) and hands ``restore`` the word
boxes a recogniser would: the words' text with a space missing, boxes tight to the ink.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image, ImageDraw, ImageOps

from aigateway.ocr.engine import spaces
from aigateway.ocr.engine.geometry import Line, Word

from ..support.docgen import find_font, font

MONO = "DejaVuSansMono.ttf"
SANS = "DejaVuSans.ttf"

pytestmark = pytest.mark.skipif(
    find_font(MONO) is None or find_font(SANS) is None, reason="fonts-dejavu-core not installed"
)


def _page(rows: list[str], face: str, glue: dict[str, str]) -> tuple[Image.Image, list[Line]]:
    """Draw ``rows``; return the page and its lines, where each token listed in ``glue`` is
    reported as one word with that text (its space dropped) over the tokens' joint box."""
    size = 40
    f = font(size, face)
    img = Image.new("L", (1800, 90 * len(rows) + 60), 255)
    draw = ImageDraw.Draw(img)
    lines: list[Line] = []
    for r, row in enumerate(rows):
        y = 40 + 90 * r
        draw.text((40, y), row, font=f, fill=0)
    for r, row in enumerate(rows):
        y = 40 + 90 * r
        words: list[Word] = []
        pos = 0
        for token in row.split(" "):
            start = row.index(token, pos)
            pos = start + len(token)
            x0 = 40 + draw.textlength(row[:start], font=f)
            x1 = x0 + draw.textlength(token, font=f)
            # Tight to the ink, as a recogniser's boxes are (not the glyphs' advances).
            box = (round(x0), y - 10, round(x1), y + size + 10)
            ink = ImageOps.invert(img.crop(box)).getbbox()
            assert ink is not None
            words.append(
                Word(
                    token, 95.0, box[0] + ink[0], box[1] + ink[1], box[0] + ink[2], box[1] + ink[3]
                )
            )
        merged: list[Word] = []
        for w in words:
            if merged and f"{merged[-1].text} {w.text}" in glue:
                a = merged.pop()
                text = glue[f"{a.text} {w.text}"]
                merged.append(Word(text, 95.0, a.x0, min(a.y0, w.y0), w.x1, max(a.y1, w.y1)))
            else:
                merged.append(w)
        lines.append(Line(merged, 1, r))
    return img, lines


CODE = [
    "result == value && count != limit",
    "values <- c(first, second, third)",
    "if (number > 0) return number;",
    "static int compute(int width);",
]


def test_missing_spaces_in_a_code_block_are_put_back() -> None:
    img, lines = _page(
        CODE,
        MONO,
        {
            "result ==": "result==",
            "<- c(first,": "<-c(first,",
            "compute(int width);": "compute(intwidth);",
        },
    )
    assert spaces.monospace_pitch(lines) is not None
    assert spaces.restore(img, lines) == 3
    assert [ln.text for ln in lines] == CODE


def test_missing_spaces_on_a_black_and_white_page_are_put_back() -> None:
    # Two grey levels (a fax, a grainy page's clean-up): Otsu's level is the ink's own, and
    # ink taken as darker than it was none, so no blank run was found and no space restored.
    img, lines = _page(CODE, MONO, {"result ==": "result==", "<- c(first,": "<-c(first,"})
    img = img.point(lambda v: 0 if v < 128 else 255)
    assert len(img.getcolors() or ()) == 2
    assert spaces.restore(img, lines) == 2
    assert [ln.text for ln in lines] == CODE


def test_words_read_right_are_left_alone() -> None:
    img, lines = _page(CODE, MONO, {})
    assert spaces.restore(img, lines) == 0
    assert [ln.text for ln in lines] == CODE


def test_proportional_text_is_not_monospace() -> None:
    prose = [
        "The quick brown fox jumps over the lazy dog",
        "while minimal illicit willows mimic wombats",
        "Illinois swimming will fill a small millpond",
    ]
    img, lines = _page(prose, SANS, {"lazy dog": "lazydog"})
    assert spaces.monospace_pitch(lines) is None
    assert spaces.restore(img, lines) == 0
    assert lines[0].words[-1].text == "lazydog"


def test_too_few_words_to_judge() -> None:
    img, lines = _page(["x == 1"], MONO, {"x ==": "x=="})
    assert spaces.monospace_pitch(lines) is None
    assert spaces.restore(img, lines) == 0


def _split_scope(row: str, face: str, shift: int = 0) -> tuple[Image.Image, Line]:
    """``row`` drawn, read as Tesseract often reads a ``::``: two words, ``a:`` and ``:b``
    (the second drawn ``shift`` px further right)."""
    size = 40
    f = font(size, face)
    img = Image.new("L", (1800, 140), 255)
    draw = ImageDraw.Draw(img)
    cut = row.index("::") + 1
    left, right = row[:cut], row[cut:]
    draw.text((40, 40), left, font=f, fill=0)
    draw.text((40 + shift + draw.textlength(left, font=f), 40), right, font=f, fill=0)
    words = []
    for text, x in ((left, 40.0), (right, 40 + shift + draw.textlength(left, font=f))):
        box = (round(x), 30, round(x + draw.textlength(text, font=f)), 40 + size + 10)
        ink = ImageOps.invert(img.crop(box)).getbbox()
        assert ink is not None
        words.append(
            Word(text, 90.0, box[0] + ink[0], box[1] + ink[1], box[0] + ink[2], box[1] + ink[3])
        )
    return img, Line(words, 1, 1)


@pytest.mark.parametrize("face", [MONO, SANS])
def test_a_scope_operator_read_as_two_words_is_one_word_again(face: str) -> None:
    img, line = _split_scope("raptor::bin_validator", face)
    assert line.text == "raptor: :bin_validator"
    assert spaces.restore(img, [line]) == 1
    assert line.text == "raptor::bin_validator"
    assert (line.words[0].x0, line.words[0].x1) == (line.x0, line.x1)


def test_colons_far_apart_stay_two_words() -> None:
    # A label ending in a colon and a value starting with one, a column apart: not a ``::``.
    img, line = _split_scope("label::value", SANS, shift=120)
    assert spaces.restore(img, [line]) == 0
    assert line.text == "label: :value"


def _block(rows: list[tuple[str, list[str]]], face: str = MONO) -> tuple[Image.Image, list[Line]]:
    """Each ``row`` drawn and read as its ``parts`` (stretches of it, in order), boxed to their
    ink: one block of lines, as Tesseract groups a code listing."""
    f = font(40, face)
    img = Image.new("L", (1800, 90 * len(rows) + 60), 255)
    draw = ImageDraw.Draw(img)
    lines = []
    for r, (row, parts) in enumerate(rows):
        y = 40 + 90 * r
        draw.text((40, y), row, font=f, fill=0)
        words, at = [], 0
        for part in parts:
            at = row.index(part, at)
            x0, y0, x1, y1 = draw.textbbox(
                (40 + draw.textlength(row[:at], font=f), y), part, font=f
            )
            words.append(Word(part, 92.0, round(x0), round(y0), round(x1), round(y1)))
            at += len(part)
        lines.append(Line(words, 1, r))
    return img, lines


def _read_as(row: str, parts: list[str], reach: int = 0) -> tuple[Image.Image, Line]:
    """``row`` in a monospace font, read as the words ``parts`` (each a stretch of ``row``,
    in order), boxed to their ink; the last word's box starts ``reach`` px further left, over
    the word before it, as Tesseract boxes a ``;`` it split off."""
    img, (line,) = _block([(row, parts)])
    last = line.words[-1]
    line.words[-1] = replace(last, x0=last.x0 - reach)
    return img, Line(line.words, 1, 1)


def test_a_semicolon_split_off_over_the_word_before_is_joined() -> None:
    img, line = _read_as(
        "layer(picture pic=currentpicture);", ["layer(picture", "pic=currentpicture)", ";"], 14
    )
    assert spaces.restore(img, [line]) == 1
    assert line.text == "layer(picture pic=currentpicture);"


def test_a_semicolon_after_a_gap_and_a_bracket_over_a_word_stay_apart() -> None:
    # A space before the ``;`` leaves a gap between the boxes.
    img, line = _read_as("value = f(a) ;", ["value", "=", "f(a)", ";"])
    assert spaces.restore(img, [line]) == 0
    assert line.text == "value = f(a) ;"
    # An italic word's box reaches over the space after it: a ``)`` over it is not joined.
    img, line = _read_as("( fun-name )", ["(", "fun-name", ")"], 30)
    assert spaces.restore(img, [line]) == 0
    assert line.text == "( fun-name )"


def test_spaces_read_into_code_beside_brackets_are_taken_out() -> None:
    # A typewriter face's bracket or ``;`` leaves a wide blank in its own cell, and Tesseract
    # cuts the word there; no space cell lies between them.
    rows = [
        ("assert(count > 0);", ["assert", "(count", ">", "0)", ";"]),
        ("values.emplace_back(first, second);", ["values.emplace_back", "(first,", "second);"]),
        ("return table(x)[0];", ["return", "table(x)", "[0];"]),
        ("auto cmp = [&](auto a) { return f(a); };", ["auto", "cmp", "=", "[&]", "(auto", "a)"]),
    ]
    img, lines = _block(rows)
    assert spaces.monospace_pitch(lines) is not None
    assert spaces.restore(img, lines) == 5
    assert [ln.text for ln in lines] == [
        "assert(count > 0);",
        "values.emplace_back(first, second);",
        "return table(x)[0];",
        "auto cmp = [&](auto a)",
    ]


def test_spaces_written_beside_brackets_stay() -> None:
    # ``if (n)``, and a style that sets its arguments off with spaces: a cell of blank and more.
    rows = [
        ("if (number > 0) return number ;", ["if", "(number", ">", "0)", "return", "number", ";"]),
        ("BZ2_bzRead ( &error, file, buf ) ;", ["BZ2_bzRead", "(", "&error,", "file,", "buf", ")"]),
        ("call( first, second );", ["call(", "first,", "second", ");"]),
    ]
    img, lines = _block(rows)
    assert spaces.monospace_pitch(lines) is not None
    before = [ln.text for ln in lines]
    assert spaces.restore(img, lines) == 0
    assert [ln.text for ln in lines] == before


def test_brackets_in_proportional_text_keep_their_spaces() -> None:
    # Prose is never judged monospace, so its word gaps are never measured against a cell.
    rows = [
        ("The value (when given) is used as the limit", ["The", "value", "(when", "given)"]),
        ("for every column [see below] of the table ;", ["for", "every", "column", "[see"]),
    ]
    img, lines = _block(rows, SANS)
    assert spaces.monospace_pitch(lines) is None
    assert spaces.restore(img, lines) == 0


def test_a_line_number_is_not_joined_to_the_code_beside_it() -> None:
    # A number standing first on a listing's line is its line number, whatever the code's
    # first glyph was read as and however close it stands (``6 //`` read ``6 [fl``).
    rows = [
        ("6//  include the header", ["6", "//", "include", "the", "header"]),
        (
            "7 result == value && count != limit",
            ["7", "result", "==", "value", "&&", "count", "!=", "limit"],
        ),
        ("8 static int compute(int width);", ["8", "static", "int", "compute(int", "width);"]),
    ]
    img, lines = _block(rows)
    assert spaces.monospace_pitch(lines) is not None
    lines[0].words[1] = replace(lines[0].words[1], text="[fl")
    assert spaces.restore(img, lines) == 0
    assert lines[0].text == "6 [fl include the header"


_TOKENS = ["assert", "(n", ">", "0)", ";", "f(x)", "[0]", "values", "(", ")", "x==", "a<-2", "if"]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(_TOKENS),
            st.integers(-40, 1900),
            st.integers(-20, 200),
            st.integers(-10, 160),
        ),
        min_size=1,
        max_size=14,
    ),
    st.integers(0, 4),
    st.floats(0.5, 60.0),
)
def test_spaces_only_ever_move_spaces(
    words: list[tuple[str, int, int, int]], rows: int, pitch: float
) -> None:
    # Any boxes (overlapping, reaching off the page, zero wide) on any ink and any cell
    # width: the passes never raise, and never change, add or drop a character other than a
    # space. The monospace passes are run with the cell forced, as random boxes are seldom
    # judged monospace.
    img, _ = _block([(" ".join(CODE), [])])
    got = [Line([], 1, 0) for _ in range(rows + 1)]
    for k, (text, x, width, y) in enumerate(words):
        got[k % len(got)].words.append(Word(text, 90.0, x, y, x + width, y + 40))
    before = "".join(w.text for ln in got for w in ln.words).replace(" ", "")
    spaces.restore(img, got)
    for ln in got:
        spaces._join(ln, spaces._unspaced, img, pitch)
        ln.words[:] = [spaces._split(w, img, pitch) or w for w in ln.words]
    assert "".join(w.text for ln in got for w in ln.words).replace(" ", "") == before
