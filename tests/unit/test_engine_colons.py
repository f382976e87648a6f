"""A colon lost from a run of colons is given back (``colons.restore``).

Each test draws real glyphs (DejaVu) and hands ``restore`` the words a recogniser would: its
text over boxes tight to each word's ink.
"""

from __future__ import annotations

import numpy as np
import pytest

from aigateway.ocr.engine import colons
from aigateway.ocr.engine.geometry import Line, Word

from ..support.docgen import find_font
from ..support.geometry import drawn

MONO = "DejaVuSansMono.ttf"
SERIF = "DejaVuSerif.ttf"

pytestmark = pytest.mark.skipif(find_font(MONO) is None, reason="fonts-dejavu-core not installed")


@pytest.mark.parametrize("size", [42, 21])
@pytest.mark.parametrize("face", [MONO, SERIF])
def test_a_grammar_rules_lost_colon_comes_back(face: str, size: int) -> None:
    img, line = drawn("decl ::= type name", "decl := type name", face, size)
    assert colons.restore(img, [line]) == 1
    assert line.text == "decl ::= type name"


def test_a_scope_operators_lost_colon_comes_back() -> None:
    img, line = drawn("use std::map here", "use std:map here", MONO)
    assert colons.restore(img, [line]) == 1
    assert line.text == "use std::map here"


@pytest.mark.parametrize("text", ["x := 1", "x:=1", "key: value", "a::b", "std::map::find"])
def test_colons_read_right_stay(text: str) -> None:
    img, line = drawn(text, text, MONO)
    assert colons.restore(img, [line]) == 0
    assert line.text == text


def test_two_runs_are_not_guessed_between() -> None:
    # One colon lost from one of two runs: which one is not told, so neither changes.
    img, line = drawn("std::map::find", "std:map::find", MONO)
    assert colons.restore(img, [line]) == 0
    assert line.text == "std:map::find"


def test_colons_apart_are_not_one_run() -> None:
    # The trailing colon lost: the ink has two colons, but a word between them.
    img, line = drawn("key:value:", "key:value", MONO)
    assert colons.restore(img, [line]) == 0
    assert line.text == "key:value"


def test_a_colon_left_out_of_the_words_box_is_found_beside_it() -> None:
    # Tesseract boxes "::=" read as ":=" around what it read: the first colon stands left
    # of the box, in the blank before it.
    img, line = drawn("decl ::= type name", "decl := type name", MONO)
    word = line.words[1]
    ink = np.asarray(img.crop((word.x0, word.y0, word.x1, word.y1))) < 128
    cols = np.flatnonzero(ink.any(axis=0))
    second = int(cols[np.flatnonzero(np.diff(cols) > 1)[0] + 1])  # after the first blank
    line.words[1] = Word(word.text, word.conf, word.x0 + second, word.y0, word.x1, word.y1)
    assert colons.restore(img, [line]) == 1
    assert line.text == "decl ::= type name"


@pytest.mark.parametrize("cut", [False, True])
def test_one_run_read_into_two_words_is_not_doubled(cut: bool) -> None:
    # "file_type::not_found" read as "file_type:" and ":not_found", the second's box starting
    # past its colon's ink: the first word sees a colon beside its own, and may not take it;
    # nor when a pass has cut the line in two between them (``cut``).
    img, line = drawn("use file_type::not_found here", "use file_type::not_found here", MONO)
    word = line.words[1]
    ink = np.asarray(img.crop((word.x0, word.y0, word.x1, word.y1))) < 128
    cols = np.flatnonzero(ink.any(axis=0))
    glyphs = np.split(cols, np.flatnonzero(np.diff(cols) > 1) + 1)  # "f", "i", ..., "e", ":"
    first_end = word.x0 + int(glyphs[9][-1]) + 1  # the first colon, the 10th glyph
    n_start = word.x0 + int(glyphs[11][0])  # the "n" after the second
    line.words[1:2] = [
        Word("file_type:", word.conf, word.x0, word.y0, first_end, word.y1),
        Word(":not_found", word.conf, n_start, word.y0, word.x1, word.y1),
    ]
    lines = [Line(line.words[:2], 1, 1), Line(line.words[2:], 1, 1)] if cut else [line]
    assert colons.restore(img, lines) == 0
    assert " ".join(ln.text for ln in lines) == "use file_type: :not_found here"
