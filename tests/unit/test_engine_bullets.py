"""List bullets the recogniser misreads, from their ink and place (``bullets.py``), and a
list set with a hanging indent laid out as a list (``prose.bulleted``).

A small bullet a hanging indent before its item comes back from Tesseract as a full stop, and
from RapidOCR's recogniser as "●" whatever its size. A full stop is a bullet only where one
stands: well before the item, raised to the middle of the lower-case letters. A period on
the baseline, or just before the next word, stays a period.
"""

from __future__ import annotations

from PIL import Image, ImageDraw

from aigateway.ocr.engine import bullets, layout
from aigateway.ocr.engine.geometry import Line, Word
from aigateway.ocr.engine.layout import Paragraph, Table

from ..support.docgen import font
from ..support.geometry import line

SIZE = 40


def _item(dot: tuple[int, int, int, int]) -> tuple[Image.Image, Line]:
    """A line ``Fully documented and tested`` at x 300 with a disc drawn at ``dot``, read as
    Tesseract reads a small bullet: a full stop boxed to the disc's ink."""
    img = Image.new("L", (1600, 200), 255)
    d = ImageDraw.Draw(img)
    f = font(SIZE, "DejaVuSerif.ttf")
    words = [Word(".", 60.0, *dot)]
    x = 300
    for text in ["Fully", "documented", "and", "tested"]:
        d.text((x, 60), text, font=f, fill=0)
        x0, y0, x1, y1 = (round(v) for v in d.textbbox((x, 60), text, font=f))
        words.append(Word(text, 95.0, x0, y0, x1, y1))
        x = x1 + 14
    d.ellipse(dot, fill=0)
    return img, Line(words, 1, 1)


def test_a_raised_stop_a_hanging_indent_away_is_a_bullet() -> None:
    img, line = _item((160, 82, 171, 93))  # centred on the lower-case letters
    bullets.restore([line], img)
    assert line.text == "\u2022 Fully documented and tested"


def test_a_stop_on_the_baseline_or_close_to_the_word_stays_a_stop() -> None:
    img, line = _item((160, 92, 171, 103))  # on the baseline: a period
    bullets.restore([line], img)
    assert line.words[0].text == "."
    img, line = _item((270, 82, 281, 93))  # raised, but a space before the word
    bullets.restore([line], img)
    assert line.words[0].text == "."


def _two_columns(dot: tuple[int, int, int, int], second: list[str]) -> tuple[Image.Image, Line]:
    """Two bulleted columns' level lines as Tesseract ran them into one: the first item at
    x 300 with its bullet read as ``•``, the second column's bullet, a disc drawn at ``dot``,
    read as ``e``, then its item's words ``second``."""
    img = Image.new("L", (2000, 200), 255)
    d = ImageDraw.Draw(img)
    f = font(SIZE, "DejaVuSerif.ttf")
    d.ellipse((250, 82, 261, 93), fill=0)
    words = [Word("\u2022", 90.0, 250, 82, 261, 93)]
    x = 300
    for text in ["Fully", "documented", *second]:
        if text == second[0]:
            d.ellipse(dot, fill=0)
            words.append(Word("e", 40.0, *dot))
            x = dot[2] + 40
        d.text((x, 60), text, font=f, fill=0)
        x0, y0, x1, y1 = (round(v) for v in d.textbbox((x, 60), text, font=f))
        words.append(Word(text, 95.0, x0, y0, x1, y1))
        x = x1 + 14
    return img, Line(words, 1, 1)


def test_a_second_columns_bullet_mid_line_is_a_bullet() -> None:
    img, line = _two_columns((1000, 82, 1011, 93), ["Other", "item"])
    bullets.restore([line], img)
    assert line.text == "\u2022 Fully documented \u2022 Other item"


def test_a_letter_mid_line_after_a_gutter_stays_a_letter() -> None:
    # An "e" drawn as a letter: not a filled disc, whatever stands before it.
    img, line = _two_columns((1000, 82, 1011, 93), ["Other", "item"])
    ImageDraw.Draw(img).rectangle((1000, 82, 1011, 93), fill=255)
    ImageDraw.Draw(img).text((1000, 60), "e", font=font(SIZE, "DejaVuSerif.ttf"), fill=0)
    bullets.restore([line], img)
    assert line.words[3].text == "e"


def test_a_large_round_bullet_is_written_as_the_bullet() -> None:
    lines = [
        Line([Word("\u25cf", 90.0, 10, 10, 30, 30), Word("item", 95.0, 60, 5, 140, 35)], 1, 1),
        Line([Word("see", 95.0, 10, 50, 70, 80), Word("\u25cf", 90.0, 90, 50, 110, 70)], 1, 1),
    ]
    bullets.plain(lines)
    assert [ln.text for ln in lines] == ["\u2022 item", "see \u25cf"]  # a list's marker only


def test_a_hanging_indent_list_is_a_list_not_a_two_column_table() -> None:
    items = ["Fully documented and tested", "Work in markup", "Commercial support included"]
    lines = []
    for k, text in enumerate(items):
        item = line(text.split(), 260, 10 + 60 * k, 1, 1)
        bullet = Word("\u2022", 95.0, 100, 20 + 60 * k, 112, 32 + 60 * k)
        lines.append(Line([bullet, *item.words], 1, 1))
    got = layout.build_page(lines)
    assert not any(isinstance(i, Table) for i in got)
    texts = [ln for i in got if isinstance(i, Paragraph) for ln in i.lines]
    assert texts == [f"\u2022 {t}" for t in items]
