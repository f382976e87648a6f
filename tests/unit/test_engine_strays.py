"""Glyphs Tesseract leaves out of every word, found from the page's ink and put back.

Each page is drawn here with known glyph boxes, and its lines are built from those boxes as
Tesseract returns them when it drops a glyph (bench corpus, tune split): the closing bracket of
"[Constant Struct]" missing from "Struct", a list bullet missing before its item. The module
must find exactly that ink, and must leave alone what is not a lost glyph: a table rule, ink
out of reach of the line, a page covered in specks.
"""

from __future__ import annotations

import random
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image, ImageDraw

from aigateway.ocr.engine import rapid, reread, strays
from aigateway.ocr.engine.bullets import BULLET
from aigateway.ocr.engine.geometry import Line, Word

from ..support.docgen import font, noise

SIZE = 40


def _draw(parts: list[tuple[str, int]], y: int = 100) -> tuple[Image.Image, list[Word]]:
    """A page with each ``(text, x)`` drawn at ``x``; the words' ink boxes, as a recogniser
    would report them."""
    img = Image.new("L", (1400, 300), 255)
    d = ImageDraw.Draw(img)
    fnt = font(SIZE)
    words = []
    for text, x in parts:
        d.text((x, y), text, font=fnt, fill=0)
        x0, y0, x1, y1 = (round(v) for v in d.textbbox((x, y), text, font=fnt))
        words.append(Word(text, 95.0, x0, y0, x1, y1))
    return img, words


def _without_last_glyph(img: Image.Image, w: Word) -> Word:
    """``w`` as read with its last glyph dropped: text and box end before it."""
    d = ImageDraw.Draw(img)
    x1 = w.x0 + round(d.textlength(w.text[:-1], font=font(SIZE)))
    return Word(w.text[:-1], w.conf, w.x0, w.y0, x1, w.y1)


def test_a_closing_bracket_left_out_of_its_word_is_found() -> None:
    img, words = _draw([("[Constant", 100), ("Struct]", 330)])
    lost = _without_last_glyph(img, words[1])
    lines = [Line([words[0], lost], 1, 1)]
    found = strays.find(img, lines)
    assert [(s.line, s.side) for s in found] == [(0, "right")]
    assert lost.x1 < found[0].x0 <= words[1].x1 and found[0].x1 <= words[1].x1 + 2


@pytest.mark.skipif(rapid.available() is not None, reason=str(rapid.available()))
def test_a_found_glyph_is_read_back_into_its_word() -> None:
    img, words = _draw([("[Constant", 100), ("Struct]", 330)])
    lines = [Line([words[0], _without_last_glyph(img, words[1])], 1, 1)]
    found = strays.find(img, lines)
    assert reread.reread(img, lines, 60.0, strays=found) == 1
    assert lines[0].text == "[Constant Struct]"


def test_a_lost_bullet_is_put_back_and_nothing_else_changes() -> None:
    img, words = _draw([("Fields", 200), ("of", 340), ("the", 400), ("struct", 480)])
    ImageDraw.Draw(img).ellipse((140, 122, 156, 138), fill=0)  # a bullet, x-height high
    lines = [Line(list(words), 1, 1)]
    rest = strays.restore_bullets(img, lines, strays.find(img, lines))
    assert rest == []
    assert lines[0].text == f"{BULLET} Fields of the struct"
    assert lines[0].words[1:] == words


def test_a_lost_bullet_is_put_back_on_a_black_and_white_page() -> None:
    # Two grey levels (a fax, a grainy page's clean-up): Otsu's level is the ink's own, and
    # ink taken as darker than it was none at all.
    img, words = _draw([("Fields", 200), ("of", 340), ("the", 400), ("struct", 480)])
    ImageDraw.Draw(img).ellipse((140, 122, 156, 138), fill=0)
    img = img.point(lambda v: 0 if v < 128 else 255)
    lines = [Line(list(words), 1, 1)]
    assert strays.restore_bullets(img, lines, strays.find(img, lines)) == []
    assert lines[0].text == f"{BULLET} Fields of the struct"


def test_a_bullet_a_hanging_indent_away_is_put_back() -> None:
    # A hanging indent (ReportLab's and Erlang's lists): the bullet three text heights before
    # its item, beyond the reach of a glyph lost from the word.
    img, words = _draw([("Fields", 400), ("of", 540), ("the", 600)])
    ImageDraw.Draw(img).ellipse((262, 122, 278, 138), fill=0)
    lines = [Line(list(words), 1, 1)]
    assert strays.restore_bullets(img, lines, strays.find(img, lines)) == []
    assert lines[0].text == f"{BULLET} Fields of the"
    assert lines[0].words[0].x0 >= 261 and lines[0].words[0].x1 <= 280


def test_a_leader_dot_or_a_far_disc_is_not_a_bullet() -> None:
    # A row of leader dots before an entry: each dot is a filled disc, but ink stands a text
    # height before the nearest. A disc further than the reach belongs to something else.
    img, words = _draw([("Fields", 400), ("of", 540)])
    d = ImageDraw.Draw(img)
    for x in range(150, 380, 24):
        d.ellipse((x, 130, x + 6, 136), fill=0)
    lines = [Line(list(words), 1, 1)]
    assert strays.find(img, lines) == []
    img, words = _draw([("Fields", 400), ("of", 540)])
    ImageDraw.Draw(img).ellipse((160, 122, 176, 138), fill=0)  # 7.5 text heights away
    assert strays.find(img, [Line(list(words), 1, 1)]) == []


def test_a_ring_before_a_line_is_not_a_bullet() -> None:
    img, words = _draw([("Fields", 200), ("of", 340)])
    ImageDraw.Draw(img).ellipse((136, 118, 160, 142), outline=0, width=2)
    lines = [Line(list(words), 1, 1)]
    found = strays.find(img, lines)
    assert [s.side for s in found] == ["left"]  # found, but not a filled disc
    assert strays.restore_bullets(img, lines, found) == found
    assert lines[0].words == words


def test_a_table_rule_beside_a_word_is_not_a_stray() -> None:
    img, words = _draw([("cell", 100), ("text", 200)])
    ImageDraw.Draw(img).line((300, 20, 300, 280), fill=0, width=3)
    assert strays.find(img, [Line(list(words), 1, 1)]) == []


def test_a_line_number_outside_a_listings_frame_is_found_past_its_rule() -> None:
    # A framed listing: the frame's left edge runs between the line numbers and the code, and
    # the number is beyond it. Only the rule, nearest the word, was found, and passed over as
    # a rule: the number was never looked at.
    img, words = _draw([("4", 130), ("0.", 195), ("1.", 330)])
    ImageDraw.Draw(img).line((174, 20, 174, 280), fill=0, width=2)
    found = strays.find(img, [Line(words[1:], 1, 1)])
    assert [s.side for s in found] == ["left"]
    assert words[0].x0 <= found[0].x0 < found[0].x1 <= words[0].x1  # the number's ink


@pytest.mark.skipif(rapid.available() is not None, reason=str(rapid.available()))
def test_a_line_number_read_back_stays_a_word_of_its_own() -> None:
    # The recogniser reads the number and the word after it as one ("40."): the blank between
    # them is a space.
    img, words = _draw([("4", 130), ("0.", 195), ("1.", 330)])
    ImageDraw.Draw(img).line((174, 20, 174, 280), fill=0, width=2)
    lines = [Line(words[1:], 1, 1)]
    assert reread.reread(img, lines, 60.0, strays=strays.find(img, lines)) == 1
    assert lines[0].text == "4 0. 1."


def test_ink_out_of_reach_of_the_line_is_not_a_stray() -> None:
    # A word three text heights to the right is another column's, not this line's lost glyph.
    img, words = _draw([("alpha", 100), ("beta", 220), ("gamma", 420)])
    assert strays.find(img, [Line(words[:2], 1, 1)]) == []


def test_a_page_of_specks_has_no_strays() -> None:
    rng = random.Random(7)
    img = Image.new("L", (1400, 3000), 255)
    d = ImageDraw.Draw(img)
    fnt = font(SIZE)
    lines = []
    for k in range(40):
        y = 60 + 70 * k
        d.text((200, y), "lorem ipsum", font=fnt, fill=0)
        x0, y0, x1, y1 = (round(v) for v in d.textbbox((200, y), "lorem ipsum", font=fnt))
        lines.append(Line([Word("lorem ipsum", 90.0, x0, y0, x1, y1)], 1, k))
        for x in (x0 - rng.randint(8, 30), x1 + rng.randint(8, 20)):
            d.rectangle((x, y0 + 10, x + 4, y0 + 30), fill=0)
    assert strays.find(img, lines) == []


_box = st.tuples(
    st.integers(-50, 450), st.integers(-50, 350), st.integers(1, 300), st.integers(1, 90)
)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(_box, min_size=1, max_size=5), max_size=12), st.integers(0, 2**32 - 1))
def test_any_geometry_gives_strays_inside_the_page(raw: list[list[Any]], seed: int) -> None:
    # Boxes may stick out of the page (rounding after a resized reading) or overlap; the page
    # is noise. Whatever comes back lies on the page, beside the line it names.
    img = noise((400, 300), 80 + seed % 60, seed)
    lines = [
        Line([Word("w", 50.0, x, y, x + w, y + h) for x, y, w, h in ws], 1, k)
        for k, ws in enumerate(raw)
    ]
    for s in strays.find(img, lines):
        assert 0 <= s.x0 < s.x1 <= img.width and 0 <= s.y0 < s.y1 <= img.height
        assert s.side in ("left", "right") and 0 <= s.line < len(lines)
