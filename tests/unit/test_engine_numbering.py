"""Misread line numbers of a listing are put right from their neighbours (``numbering``)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from aigateway.ocr.engine import numbering
from aigateway.ocr.engine.geometry import Line, Word

from ..support.geometry import line as _line


def _listing(firsts: list[str], x: int = 100, pitch: int = 46) -> list[Line]:
    """One listing line per entry: its first word (right-aligned, as line numbers are set),
    then code."""
    out = []
    for k, first in enumerate(firsts):
        ln = _line([first, "code", f"x{k};"], x, 100 + pitch * k, 1, 1)
        w = ln.words[0]
        shift = 18 * (3 - len(first))  # right-aligned in a three-digit column
        ln.words[0] = Word(w.text, w.conf, w.x0 + shift, w.y0, w.x1 + shift, w.y1)
        out.append(ln)
    return out


def _firsts(lines: list[Line]) -> list[str]:
    return [ln.words[0].text for ln in lines]


def test_misread_numbers_between_good_ones_are_put_right() -> None:
    lines = _listing(["7", "s", "9", "10", "1.", "12", "13", "is", "ae", "16", "1n", "18"])
    assert numbering.repair(lines) == 5
    assert _firsts(lines) == [str(n) for n in range(7, 19)]
    assert all(ln.words[1].text == "code" for ln in lines)  # the rest of each line as read


def test_words_that_are_not_misread_numbers_stay() -> None:
    cases = [
        ["7", "{", "9"],  # a glyph no digit is taken for
        ["7", "ss", "9"],  # another length than the number
        ["3", "s", "9"],  # the numbers around do not count up by one across the gap
        ["7", *["s"] * 13, "21"],  # too many misread in a row: none is within RUN of both ends
        ["s", "9", "10"],  # no numbered line above
    ]
    for firsts in cases:
        lines = _listing(firsts)
        assert numbering.repair(lines) == 0, firsts
        assert _firsts(lines) == firsts


def test_a_word_outside_the_numbers_column_stays() -> None:
    lines = _listing(["7", "s", "9"])
    lines[1] = _line(["s", "code"], 900, lines[1].y0, 1, 1)  # another column's line
    assert numbering.repair(lines) == 0
    assert lines[1].words[0].text == "s"


def test_code_whose_number_was_lost_keeps_its_first_word() -> None:
    # Tesseract dropped the number of the middle line: its first word is code, at the code's
    # indentation right of the numbers' column, and stays.
    lines = _listing(["7", "s", "9"])
    lines[1] = _line(["a", "=", "1;"], 100 + 3 * 18 + 20, lines[1].y0, 1, 1)
    assert numbering.repair(lines) == 0
    assert lines[1].words[0].text == "a"


def test_lines_far_apart_are_not_one_listing() -> None:
    lines = _listing(["7", "s", "9"], pitch=200)  # over three text heights apart
    assert numbering.repair(lines) == 0


@given(
    st.integers(1, 900),
    st.lists(st.booleans(), min_size=3, max_size=30),
    st.randoms(use_true_random=False),
)
def test_any_numbered_listing_comes_back_counting_by_one(
    start: int, misread: list[bool], rnd: object
) -> None:
    import random

    assert isinstance(rnd, random.Random)
    # The first and last numbers are read, and no more than RUN in a row are not.
    misread[0] = misread[-1] = False
    run = 0
    for k, bad in enumerate(misread):
        run = run + 1 if bad else 0
        if run > numbering.RUN:
            misread[k], run = False, 0
    look = sorted(numbering.LOOKALIKES - set("0123456789"))
    numbers = [str(start + k) for k in range(len(misread))]
    firsts = [
        "".join(rnd.choice(look) for _ in n) if bad else n
        for n, bad in zip(numbers, misread, strict=True)
    ]
    lines = _listing(firsts)
    numbering.repair(lines)
    assert _firsts(lines) == numbers
