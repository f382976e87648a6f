"""Glyphs read again from the ink, through ``aigateway serve`` as shipped.

A grammar in BNF, set in a typewriter face: Tesseract reads each rule's ``::=`` as ``:=``,
leaving the first colon out of the word's box; the engine finds it beside the box and puts
it back (``colons.py``), while the grammar's own ``':='`` token stays as it is. Prose with
subscripts set as TeX sets them (``x_j``): Tesseract reads ``x;``; the engine reads the
letter from its dot and stem (``semicolons.py``). Prose with formulas: Tesseract runs a
``≤ x`` together, and the engine puts the space back from the ink (``gaps.py``). One real
server process (uvloop, two workers), more pages at once than workers.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Callable

import pytest
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from ..support.docgen import find_font, font
from ..support.served_pages import (
    COMMA_LISTS,
    GRAINY_PROSE,
    LOCAL_OCR_CONFIG,
    encode,
    read_all,
    rendered_and_scanned,
)
from ..support.server import GatewayProcess

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(find_font("DejaVuSansMono.ttf") is None, reason="fonts-dejavu-core"),
]

GRAMMAR = [
    "program   ::= decl* stmt*",
    "decl      ::= type ident ';'",
    "type      ::= 'int' | 'long' | 'char'",
    "stmt      ::= ident ':=' expr ';'",
    "            | 'while' expr 'do' stmt",
    "expr      ::= term (('+' | '-') term)*",
    "term      ::= factor (('*' | '/') factor)*",
    "factor    ::= number | ident | '(' expr ')'",
]


def _prose(d: ImageDraw.ImageDraw, top: int) -> None:
    """A manual's body text from ``top`` down: two pages' worth of paragraphs in DejaVu
    Serif at 40 px (the page a real size, its text around the part under test)."""
    f = font(40, "DejaVuSerif.ttf")
    y = top
    for para in (GRAINY_PROSE + "\n\n" + COMMA_LISTS).split("\n\n"):
        for line in textwrap.wrap(para, 80):
            d.text((250, y), line, font=f, fill=0)
            y += 60
        y += 40
        if y > 3100:
            return


@pytest.fixture(scope="module")
def gateway(module_gateway_factory: Callable[..., GatewayProcess]) -> GatewayProcess:
    return module_gateway_factory(LOCAL_OCR_CONFIG)


def _grammar_page() -> Image.Image:
    """An A4 page at 300 DPI: a sentence, then the grammar in DejaVu Sans Mono at 30 px (a
    manual's listing). Without the pass, none of its seven ``::=`` came back whole; with it,
    six."""
    img = Image.new("L", (2550, 3300), 255)
    d = ImageDraw.Draw(img)
    d.text(
        (300, 300), "The grammar of the language, in BNF:", font=font(40, "DejaVuSerif.ttf"), fill=0
    )
    mono = font(30, "DejaVuSansMono.ttf")
    for k, rule in enumerate(GRAMMAR):
        d.text((360, 420 + 45 * k), rule, font=mono, fill=0)
    return img


def test_a_grammars_rules_keep_both_colons(gateway: GatewayProcess) -> None:
    # As a scanner gives it (a little soft, JPEG at quality 95: 165-170 KB a page).
    page = _grammar_page()
    docs = [
        encode(page.filter(ImageFilter.GaussianBlur(blur)), "JPEG", 95, dpi=300)
        for blur in (0.6, 0.7, 0.8)
    ]
    for md in read_all(gateway, docs):
        assert md.count("::=") >= 5, md  # of 7 (none without the pass)
        # The grammar's own assignment token keeps its one colon.
        assert re.search(r"'?:='?\s*expr", md), md
        assert ":::" not in md, md


SUBSCRIPTED = [
    "For each column we keep the bound l_j ≤ x_j ≤ u_j and its cost c_j, and",
    "the solver moves x_j towards u_j while the reduced cost d_j stays negative.",
    "A column whose x_j reaches u_j leaves the basis, and the next one enters.",
    "When every d_j is positive, the values x_j form an optimal solution, and",
    "the objective is the sum of c_j times x_j over the columns of the problem.",
]


def _subscripted_page() -> Image.Image:
    """An A4 page at 300 DPI: prose in DejaVu Serif at 42 px whose ``_j`` are subscripts,
    set as TeX sets them (seven tenths of the size, lowered 0.15 of it, after a tenth of it).
    Without the pass, three or four of its five ``x_j`` came back as ``x;``."""
    size = 42
    big, small = font(size, "DejaVuSerif.ttf"), font(round(size * 0.7), "DejaVuSerif.ttf")
    assert isinstance(big, ImageFont.FreeTypeFont) and isinstance(small, ImageFont.FreeTypeFont)
    img = Image.new("L", (2550, 3300), 255)
    d = ImageDraw.Draw(img)
    drop = big.getmetrics()[0] - small.getmetrics()[0] + round(0.15 * size)
    for k, line in enumerate(SUBSCRIPTED):
        x, y = 250, 400 + round(1.6 * size) * k
        for n, piece in enumerate(line.split("_")):
            if n:  # the subscript letter, then the rest of the piece on the line
                x += round(size / 10)
                d.text((x, y + drop), piece[0], font=small, fill=0)
                x += round(d.textlength(piece[0], font=small))
                piece = piece[1:]
            d.text((x, y), piece, font=big, fill=0)
            x += round(d.textlength(piece, font=big))
    _prose(d, 400 + round(1.6 * size) * len(SUBSCRIPTED) + 80)
    return img


def test_subscript_letters_read_as_semicolons_are_letters(gateway: GatewayProcess) -> None:
    page = _subscripted_page()
    docs = [
        *rendered_and_scanned(page),
        encode(page.filter(ImageFilter.GaussianBlur(0.7)), "PNG", dpi=300),
    ]
    for md in read_all(gateway, docs):
        assert md.count("xj") >= 4, md  # of 5
        assert "x;" not in md, md
        assert "negative." in md and "problem." in md, md  # real stops and commas stay


BOUNDS = [
    "Each column has a lower bound lb and an upper bound ub, and the",
    "bounds hold as lb ≤ x ≤ ub for a double-bounded variable, as",
    "0 ≤ x ≤ 1 for a binary one and lb ≤ x < +∞ for one bounded below.",
    "A row is fixed when lb = ub, free when \u2212∞ < x < +∞ holds for it,",
    "and the solver reports a row in a state it can check at once.",
    "If x ≥ 0 and y ≥ 0 then x + y ≥ 0 in any basic solution we find.",
]


def _bounds_page() -> Image.Image:
    """An A4 page at 300 DPI: four paragraphs of prose with formulas in DejaVu Serif at
    38 px. Tesseract runs two of its ``≤ x`` together (``≤x``); the engine puts the space
    back from the ink (``gaps.py``)."""
    img = Image.new("L", (2550, 3300), 255)
    d = ImageDraw.Draw(img)
    f = font(38, "DejaVuSerif.ttf")
    y = 300
    for _ in range(4):
        for line in BOUNDS:
            d.text((250, y), line, font=f, fill=0)
            y += 57
        y += 38
    return img


def test_a_formulas_lost_spaces_come_back(gateway: GatewayProcess) -> None:
    docs = [encode(_bounds_page(), "PNG", dpi=300)] * 3
    for md in read_all(gateway, docs):
        assert "≤x" not in md, md  # two without the pass
        assert md.count("≤ x") >= 10, md  # of 12
        assert "upper bound ub" in md, md
