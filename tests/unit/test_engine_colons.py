"""A colon lost from a run of colons is given back (``colons.restore``).

Each test draws real glyphs (DejaVu) and hands ``restore`` the words a recogniser would: its
text over boxes tight to each word's ink.
"""

from __future__ import annotations

import pytest

from aigateway.ocr.engine import colons

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
