"""Rows of leader dots (a table of contents, an index) that Tesseract reads as words of
letters, written back as their dots from the ink (``leaders.py``).

Each line is drawn here with known boxes, and its words built as Tesseract returns them for a
clean contents page at 300 DPI: the entry and the page number read well, the dots between them
as ``nnn nent tebe`` at confidence 0-20, some dots in no word at all. The pass must write the
dots it sees, as many as there are, and leave alone what is not a leader: specks standing
unevenly, a word with a letter's ink, a line Tesseract is sure of.
"""

from __future__ import annotations

import random

from PIL import Image, ImageDraw

from aigateway.ocr.engine import hyphens, leaders
from aigateway.ocr.engine.geometry import Line, Word

from ..support.docgen import font

SIZE = 40


def _line(pitch: int, dots: int, y: int = 100) -> tuple[Image.Image, list[Word], list[int]]:
    """A contents line: ``Introduction``, ``dots`` dots ``pitch`` px apart, ``17``. The words
    as read (entry, garbage over most dots, number), and the dots' left edges."""
    img = Image.new("L", (2400, 300), 255)
    d = ImageDraw.Draw(img)
    fnt = font(SIZE, "DejaVuSerif.ttf")
    d.text((100, y), "Introduction", font=fnt, fill=0)
    entry = [round(v) for v in d.textbbox((100, y), "Introduction", font=fnt)]
    start = entry[2] + 60
    xs = [start + k * pitch for k in range(dots)]
    for x in xs:
        d.ellipse((x, y + 32, x + 5, y + 37), fill=0)
    end = xs[-1] + 60
    d.text((end, y), "17", font=fnt, fill=0)
    number = [round(v) for v in d.textbbox((end, y), "17", font=fnt)]
    words = [Word("Introduction", 92.0, *entry)]
    # Garbage words over the dots, the first two dots in none (Tesseract's boxes leave some).
    third = len(xs) // 3
    for text, a, b in (
        ("nnn", 2, third),
        ("nent", third + 1, 2 * third),
        ("tebe", 2 * third + 1, len(xs) - 1),
    ):
        words.append(Word(text, 4.0, xs[a], y + 32, xs[b] + 5, y + 37))
    words.append(Word("17", 96.0, *number))
    return img, words, xs


def test_a_leader_read_as_letters_is_its_dots_every_one() -> None:
    img, words, xs = _line(pitch=24, dots=30)
    lines = [Line(list(words), 1, 1)]
    assert leaders.restore(img, lines) == 3
    texts = [w.text for w in lines[0].words]
    assert texts == ["Introduction", " ".join("." * 30), "17"]  # the two in no word too
    leader = lines[0].words[1]
    assert leader.x0 == xs[0] and leader.x1 >= xs[-1] + 4 and leader.conf >= leaders.SURE


def test_close_dots_are_written_together() -> None:
    # A word processor's leader: dots closer than a space.
    img, words, _ = _line(pitch=10, dots=40)
    lines = [Line(list(words), 1, 1)]
    leaders.restore(img, lines)
    assert [w.text for w in lines[0].words] == ["Introduction", "." * 40, "17"]


def test_specks_standing_unevenly_are_not_a_leader() -> None:
    img = Image.new("L", (2400, 300), 255)
    d = ImageDraw.Draw(img)
    rng = random.Random(3)
    x = 700
    for _ in range(20):
        d.ellipse((x, 132, x + 5, 137), fill=0)
        x += rng.choice((9, 30, 55))
    d.text((100, 100), "Introduction", font=font(SIZE, "DejaVuSerif.ttf"), fill=0)
    words = [Word("Introduction", 92.0, 100, 108, 560, 148), Word("nnnen", 3.0, 700, 132, x, 137)]
    lines = [Line(list(words), 1, 1)]
    assert leaders.restore(img, lines) == 0
    assert lines[0].words == words


def test_letters_among_the_dots_or_a_sure_line_are_left_as_read() -> None:
    img, words, xs = _line(pitch=24, dots=30)
    ImageDraw.Draw(img).text((xs[12] + 8, 100), "e", font=font(SIZE, "DejaVuSerif.ttf"), fill=0)
    lines = [Line(list(words), 1, 1)]
    leaders.restore(img, lines)
    assert [w.text for w in lines[0].words][2] == "nent"  # a letter in its columns
    img, words, _ = _line(pitch=24, dots=30)
    sure = [Word(w.text, 90.0, w.x0, w.y0, w.x1, w.y1) for w in words]
    assert leaders.restore(img, [Line(list(sure), 1, 1)]) == 0


def test_a_leader_is_not_taken_for_a_row_of_hyphens() -> None:
    img, words, _ = _line(pitch=24, dots=30)
    lines = [Line(list(words), 1, 1)]
    leaders.restore(img, lines)
    before = [w.text for w in lines[0].words]
    hyphens.restore(img, lines)
    assert [w.text for w in lines[0].words] == before


def test_a_leader_no_word_covers_is_not_a_row_of_hyphens() -> None:
    # Tesseract can drop a leader whole: the band the hyphens pass looks along, about the
    # line's middle, cuts its dots on the baseline to their tops, two rows as wide as a dot.
    for pitch in (10, 24):
        img, words, _ = _line(pitch=pitch, dots=40)
        lines = [Line([words[0], words[-1]], 1, 1)]
        hyphens.restore(img, lines)
        assert lines[0].text == "Introduction 17"
