"""Runs of stops set with spaces between them are read with their spaces (``ellipses.restore``).

Each test draws real glyphs (DejaVu Sans, and DejaVu Sans Mono for code) and hands
``restore`` the words a recogniser would: Tesseract's text (``...`` with its spaces lost)
over boxes tight to the ink.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image, ImageDraw, ImageOps

from aigateway.ocr.engine import ellipses
from aigateway.ocr.engine.geometry import Line, Word

from ..support.docgen import find_font, font

MONO = "DejaVuSansMono.ttf"
SANS = "DejaVuSans.ttf"

pytestmark = pytest.mark.skipif(
    find_font(MONO) is None or find_font(SANS) is None, reason="fonts-dejavu-core not installed"
)

Y = 40


def _drawn(
    segments: list[tuple[str, str]], reads: list[tuple[str, str]]
) -> tuple[Image.Image, Line]:
    """Draw ``segments`` (text, face) one after the other on a line; return the page and the
    line read as ``reads``: each (text read, the stretch of the drawn line it covers)."""
    img = Image.new("L", (1800, 140), 255)
    draw = ImageDraw.Draw(img)
    x = 40.0
    drawn, xs = "", []
    for text, face in segments:
        f = font(40, face)
        xs += [x + draw.textlength(text[:k], font=f) for k in range(len(text))]
        draw.text((x, Y), text, font=f, fill=0)
        x += draw.textlength(text, font=f)
        drawn += text
    xs.append(x)
    words, at = [], 0
    for read, stretch in reads:
        at = drawn.index(stretch, at)
        box = (math.floor(xs[at]), Y - 10, math.ceil(xs[at + len(stretch)]), Y + 60)
        ink = ImageOps.invert(img.crop(box)).getbbox()
        assert ink is not None
        x0, y0 = box[0] + ink[0], box[1] + ink[1]
        words.append(Word(read, 95.0, x0, y0, box[0] + ink[2], box[1] + ink[3]))
        at += len(stretch)
    return img, Line(words, 1, 1)


def _sans(text: str, reads: list[tuple[str, str]]) -> tuple[Image.Image, Line]:
    return _drawn([(text, SANS)], reads)


def test_stops_spaced_in_a_formula_are_read_with_their_spaces() -> None:
    img, line = _sans(
        "the values x1, x2, . . . , xn are",
        [
            ("the", "the"),
            ("values", "values"),
            ("x1,", "x1,"),
            ("x2,...,xn", "x2, . . . , xn"),
            ("are", "are"),
        ],
    )
    assert ellipses.restore(img, [line]) == 1
    # The space after the last comma is a comma's, not the stops': not this pass's to judge.
    assert line.text == "the values x1, x2, . . . ,xn are"


def test_stops_between_operators_are_read_with_their_spaces() -> None:
    img, line = _sans(
        "sum a1 + . . . + an here",
        [("sum", "sum"), ("a1", "a1"), ("+...+", "+ . . . +"), ("an", "an"), ("here", "here")],
    )
    assert ellipses.restore(img, [line]) == 1
    assert line.text == "sum a1 + . . . + an here"


@pytest.mark.parametrize("typed", ["wait...", "wait\u2026"])
def test_a_typed_ellipsis_stays_as_read(typed: str) -> None:
    img, line = _sans(f"so {typed} and go", [("so", "so"), ("wait...", typed), ("go", "go")])
    assert ellipses.restore(img, [line]) == 0
    assert line.text == "so wait... go"


def test_stops_in_a_typewriter_face_stay_as_read() -> None:
    # A monospace face's stops stand a cell apart, as far as TeX's spaced ones: the glyphs
    # beside them standing on the same cells tell them apart.
    img, line = _drawn(
        [("then call ", SANS), ("printf(fmt, ...)", MONO), (" here", SANS)],
        [
            ("then", "then"),
            ("call", "call"),
            ("printf(fmt,", "printf(fmt,"),
            ("...)", "...)"),
            ("here", "here"),
        ],
    )
    assert ellipses.restore(img, [line]) == 0
    assert line.text == "then call printf(fmt, ...) here"


def test_a_run_of_stops_read_as_a_word_of_its_own_stays() -> None:
    # Spaced stops between words, or a typewriter face's "..." in running text: the ink
    # cannot tell them apart, and the read is left as it is.
    img, line = _sans(
        "see the . . . argument", [("see", "see"), ("the", "the"), ("...", ". . ."), ("arg", "arg")]
    )
    assert ellipses.restore(img, [line]) == 0


def test_stops_miscounted_stay_as_read() -> None:
    img, line = _sans(
        "the values x1, x2, . . . , xn are",
        [("the", "the"), ("values", "values"), ("x2,..,xn", "x2, . . . , xn")],
    )
    assert ellipses.restore(img, [line]) == 0
    assert line.text == "the values x2,..,xn"


@settings(max_examples=30, deadline=None)
@given(gap=st.integers(min_value=2, max_value=24), lead=st.sampled_from(["x2,", "+", "A"]))
def test_only_spaces_are_ever_added_and_only_between_stops_set_apart(gap: int, lead: str) -> None:
    """Stops drawn ``gap`` px apart (ink to ink) after ``lead``: the read gains spaces, and
    nothing else, when, and only when, they stand :data:`ellipses.SPACED` text heights apart."""
    f = font(40, SANS)
    img = Image.new("L", (1200, 140), 255)
    draw = ImageDraw.Draw(img)
    draw.text((40, Y), "a gappy line", font=f, fill=0)
    x = 400.0
    draw.text((x, Y), lead, font=f, fill=0)
    x += draw.textlength(lead, font=f) + gap
    alone = Image.new("L", (40, 80), 255)
    ImageDraw.Draw(alone).text((0, 0), ".", font=f, fill=0)
    stop = ImageOps.invert(alone).getbbox()  # the stop's ink, not its advance
    assert stop is not None
    for _ in range(3):
        draw.text((x - stop[0], Y), ".", font=f, fill=0)
        x += stop[2] - stop[0] + gap
    draw.text((x, Y), "B", font=f, fill=0)
    mask = ImageOps.invert(img)
    first = mask.crop((40, 0, 380, 140)).getbbox()
    second = mask.crop((400, 0, 1200, 140)).getbbox()
    assert first is not None and second is not None
    words = [
        Word("a gappy line", 95.0, 40 + first[0], first[1], 40 + first[2], first[3]),
        Word(f"{lead}...B", 95.0, 400 + second[0], second[1], 400 + second[2], second[3]),
    ]
    line = Line(words, 1, 1)
    height = line.height
    ellipses.restore(img, [line])
    read = line.words[1].text
    assert read.replace(" ", "") == f"{lead}...B"
    # Anti-aliased edges move a gap by a pixel either way.
    if abs(gap - ellipses.SPACED * height) > 1.5:
        assert (". . ." in read) == (gap > ellipses.SPACED * height)
