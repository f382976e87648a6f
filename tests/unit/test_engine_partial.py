"""Lines Tesseract read in part, found by their uncovered ink and read again whole.

A line of light grey code at 150 DPI (a Doxygen listing) came back ``8 #pragm 1``: sure words,
the faint ``a once`` left out of them. Each page here is drawn with such a line, its words
boxed as Tesseract returned them; :mod:`.partial` must find the ink left out (fainter than the
page's threshold), and only that: a line read whole, a table rule beside a line and a page
of loose ink are left alone. :func:`.partial.read` must then put the recogniser's
reading in only when it holds the old one.
"""

from __future__ import annotations

import random

import pytest
from PIL import Image, ImageDraw

from aigateway.ocr.engine import partial, rapid, strays
from aigateway.ocr.engine.geometry import Line, Word

from ..support.docgen import find_font, font

pytestmark = pytest.mark.skipif(find_font("DejaVuSansMono.ttf") is None, reason="fonts-dejavu")

SIZE = 40
DARK, FAINT = 40, 200
"""The grey of the code Tesseract read, and of the glyphs it left out (paper 255: Otsu's level
falls between the two, so the faint glyphs are not ink to the page's threshold)."""


def _page(parts: list[tuple[str, int]], y: int = 100) -> tuple[Image.Image, list[Word]]:
    """A page of one line drawn in pieces, ``(text, grey)`` each, one after the other in a
    typewriter font; the pieces' boxes (spaces split off), as words."""
    img = Image.new("L", (1600, 300), 255)
    d = ImageDraw.Draw(img)
    mono = font(SIZE, "DejaVuSansMono.ttf")
    x, words = 100.0, []
    for text, grey in parts:
        d.text((x, y), text, font=mono, fill=grey)
        at = 0
        for token in text.split(" "):
            if token:
                a = x + d.textlength(text[:at], font=mono)
                b0, top, b1, bottom = (round(v) for v in d.textbbox((a, y), token, font=mono))
                words.append(Word(token, 95.0 if grey == DARK else 0.0, b0, top, b1, bottom))
            at += len(token) + 1
        x += d.textlength(text, font=mono)
    return img, words


def _pragma() -> tuple[Image.Image, Line]:
    """``8 #pragma once`` with ``a once`` faint, read ``8 #pragm`` and a one-pixel ``1``
    inside ``once``, as Tesseract read the listing."""
    img, words = _page([("8 #pragm", DARK), ("a once", FAINT)])
    sure = [w for w in words if w.conf > 0]
    once = next(w for w in words if w.text == "once")
    one = Word("1", 93.0, once.x0 + 30, once.y0, once.x0 + 31, once.y1)
    return img, Line([*sure, one], 1, 1)


def test_the_faint_end_of_a_line_read_in_part_is_found() -> None:
    img, line = _pragma()
    found = partial.find(strays.mask(img, [line], faint=True), [line])
    assert len(found) == 1
    (x0, _, x1, _), once = found[0].box, line.words[-1]
    assert x0 == line.x0
    assert x1 >= once.x0 + 60  # the tail after the "1" belongs to the line
    assert found[0].extra >= len("a once") - len("1")


def test_a_light_keyword_read_in_part_inside_a_line_is_found() -> None:
    # Syntax-highlighted code at 150 DPI: a light grey ``return`` read ``turn``, its ``re``
    # (one text height's ink or less) left out between the line number and the word.
    img, words = _page([("94 ", DARK), ("re", FAINT), ("turn value;", DARK)])
    line = Line([w for w in words if w.conf > 0], 1, 1)
    assert line.text == "94 turn value;"
    found = partial.find(strays.mask(img, [line], faint=True), [line])
    assert len(found) == 1
    assert found[0].extra >= len("re")


def test_the_page_threshold_alone_does_not_see_the_faint_glyphs() -> None:
    # Why the pass thresholds halfway to the paper: at the page's own level the ink left out
    # is as invisible as it was to Tesseract.
    img, line = _pragma()
    assert partial.find(strays.mask(img, [line]), [line]) == []


def test_a_line_read_whole_is_left_alone() -> None:
    img, words = _page([("8 #pragma once", DARK)])
    line = Line(words, 1, 1)
    assert partial.find(strays.mask(img, [line], faint=True), [line]) == []


def test_a_rule_beside_a_line_is_not_text_left_out() -> None:
    img, words = _page([("8 #pragma once", DARK)])
    line = Line(words, 1, 1)
    d = ImageDraw.Draw(img)
    x = line.x1 + 12
    d.rectangle((x, 20, x + 40, 280), fill=0)  # a frame's side, running above and below
    assert partial.find(strays.mask(img, [line], faint=True), [line]) == []


def test_specks_of_grain_along_a_line_read_whole_are_not_text_left_out() -> None:
    # A grainy scan's line, its words all read: single dark pixels scattered over the line's
    # band and past its end span the band's height, but fill little of it.
    img, words = _page([("8 #pragma once", DARK)])
    line = Line(words, 1, 1)
    rng = random.Random(7)
    for _ in range(400):
        img.putpixel((rng.randrange(line.x0, line.x1 + 200), rng.randrange(line.y0, line.y1)), 120)
    assert partial.find(strays.mask(img, [line], faint=True), [line]) == []


def _rows(count: int) -> tuple[Image.Image, list[Line]]:
    """``count`` lines of ``8 #pragm`` with ``a once`` faint after it, one under another."""
    lines = []
    img = Image.new("L", (1600, 60 * count + 100), 255)
    for k in range(count):
        row, words = _page([("8 #pragm", DARK), ("a once", FAINT)])
        img.paste(row.crop((0, 90, 1600, 150)), (0, 40 + 60 * k))
        shift = 40 + 60 * k - 90
        sure = [
            Word(w.text, w.conf, w.x0, w.y0 + shift, w.x1, w.y1 + shift) for w in words if w.conf
        ]
        lines.append(Line(sure, k, k))
    return img, lines


def test_a_page_of_loose_ink_has_no_lines_read_in_part() -> None:
    img, lines = _rows(partial.MAX_LINES)
    assert len(partial.find(strays.mask(img, lines, faint=True), lines)) == partial.MAX_LINES
    img, lines = _rows(partial.MAX_LINES + 1)
    assert partial.find(strays.mask(img, lines, faint=True), lines) == []


@pytest.mark.skipif(rapid.available() is not None, reason="RapidOCR is not installed")
def test_a_line_read_in_part_is_read_again_whole() -> None:
    img, line = _pragma()
    lines, number = [line], line.words[0]
    parts = partial.find(strays.mask(img, lines, faint=True), lines)
    assert partial.read(img, lines, parts) == 1
    assert lines[0].text == "8 #pragma once"
    # The words Tesseract read the same keep their boxes; the new ones follow them in order.
    assert lines[0].words[0] is number
    assert all(a.x1 <= b.x0 for a, b in zip(lines[0].words, lines[0].words[1:], strict=False))


def test_a_reading_that_does_not_hold_the_old_one_is_not_put_in() -> None:
    img, line = _pragma()
    lines = [Line([Word("unrelated", 95.0, w.x0, w.y0, w.x1, w.y1) for w in line.words], 1, 1)]
    before = lines[0].text
    parts = partial.find(strays.mask(img, lines, faint=True), lines)
    partial.read(img, lines, parts)
    assert lines[0].text == before


def test_a_line_re_read_meanwhile_is_read_against_its_words_as_they_are() -> None:
    # A doubtful stretch of the line read again after the line was found: the whole line is
    # still read, and held against its words as they are now.
    img, line = _pragma()
    lines = [line]
    parts = partial.find(strays.mask(img, lines, faint=True), lines)
    w = line.words[1]
    line.words[1] = Word("#pragma", 99.0, w.x0, w.y0, w.x1, w.y1)
    assert partial.read(img, lines, parts) == 1
    assert lines[0].text == "8 #pragma once"


def test_words_run_together_by_the_recogniser_are_refused_or_parted() -> None:
    old = [Word("30", 95.0, 0, 0, 20, 10), Word("operator", 95.0, 40, 0, 120, 10)]
    assert partial._run_together(old, "30operator") is True  # fewer words
    assert partial._run_together(old, "x 30operator y") is True  # two of them run together
    assert partial._run_together(old, "30 bool operator") is False
    # A line number run into the word the recogniser found after it is parted again.
    words = partial._spread(old, "30bool operator", 99.0, (0, 0, 120, 10))
    assert [w.text for w in words] == ["30", "bool", "operator"]
    assert words[0] is old[0] and words[2] is old[1]
    assert 20 < words[1].x0 < words[1].x1 < 40
