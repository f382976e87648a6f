"""Every pass after Tesseract survives any reading Tesseract could give.

The passes (check boxes, dropped regions, panels, columns, the re-reading, spaces, hyphens,
line numbers, the layout and Markdown) measure words by their boxes. Here Tesseract's reading
of a real drawn page is replaced by generated lines of words: boxes of any size and place on
the image Tesseract was given (a pixel wide, overlapping, at its edges), texts of any kind.
A page must come back read, never as an exception (which a user would see as a 500). Run
without the forty-second round's two fixes (boxes mapped back from an enlarged copy kept a
pixel wide, zero-wide boxes left out of the monospace judgement), 100 examples found the
divisions by zero they fixed; a scratch fuzz of the same kind, with boxes of no height too,
had found the check-box pass's.
"""

from __future__ import annotations

from typing import Any
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image, ImageDraw

from aigateway.ocr.engine import compose, reader, spaces, tesseract
from aigateway.ocr.engine.geometry import Line, Word
from aigateway.ocr.engine.options import EngineOptions

from ..support.docgen import find_font, font

pytestmark = pytest.mark.skipif(find_font("DejaVuSansMono.ttf") is None, reason="fonts-dejavu")

TOKENS = ["the", "(n", "0)", ";", "12", "•", "-", "x==", "3.20", "TOTAL", "|", "——", "::", "i"]
TOKENS += [
    "iii.",
    "#",
    "*",
    "\u200b",
    "\ufb01",
    "\u2019",
    "\u0661\u0662",
    "字",
    "a\u0301",
    "`",
    "$",
    "(a)",
    "l1",
]

# A word: its text and its box as shares of the image read (x, width, y, height).
_WORD = st.tuples(
    st.sampled_from(TOKENS),
    st.floats(0, 1),
    st.floats(0, 0.5),
    st.floats(0, 1),
    st.floats(0, 0.2),
    st.floats(0, 100),
)
_LINES = st.lists(
    st.tuples(st.lists(_WORD, min_size=1, max_size=6), st.integers(0, 3)), max_size=14
)


def _page() -> Image.Image:
    """Small print, as a 150 DPI page's: Tesseract is given an enlarged copy, and the boxes it
    returns are mapped back (where a box a pixel wide could round to none)."""
    img = Image.new("L", (600, 400), 255)
    draw = ImageDraw.Draw(img)
    mono, sans = font(11, "DejaVuSansMono.ttf"), font(11)
    for k in range(8):
        row = f"{12 + k} assert(n > {k}); return f(x)[0]; // done"
        draw.text((20, 20 + 16 * k), row, font=mono, fill=40)
    for k in range(6):
        draw.text((20, 170 + 16 * k), "TOTAL 9.60 and the rest of a line of prose", font=sans)
    draw.rectangle((20, 280, 30, 290), outline=0, width=1)
    draw.rectangle((380, 280, 580, 390), fill=150)
    draw.text((390, 300), "on a panel", font=sans, fill=20)
    return img


PAGE = _page()


def _reading(lines: list[tuple[list[tuple[str, float, float, float, float, float]], int]]) -> Any:
    """A stand-in for :func:`.tesseract.read_lines` that reads ``lines`` off any image."""

    def read_lines(img: Image.Image, *_: Any, **__: Any) -> tuple[list[Line], float]:
        w, h = img.size
        out = []
        for words, block in lines:
            got = []
            for text, x, width, y, height, conf in words:
                x0, y0 = min(w - 1, int(x * w)), min(h - 1, int(y * h))
                x1 = max(x0 + 1, min(w, x0 + int(width * w)))
                y1 = max(y0 + 1, min(h, y0 + int(height * h)))
                got.append(Word(text, conf, x0, y0, x1, y1))
            out.append(Line(got, block, block))
        confs = [wd.conf for ln in out for wd in ln.words]
        return out, (sum(confs) / len(confs) if confs else 0.0)

    return read_lines


@settings(max_examples=25, deadline=None)
@given(_LINES, st.sampled_from([150, 300]), st.sampled_from([None, "markdown", "html"]))
def test_any_reading_tesseract_gives_goes_through_every_pass(
    lines: list[tuple[list[tuple[str, float, float, float, float, float]], int]],
    dpi: int,
    table_format: str | None,
) -> None:
    opts = EngineOptions(engine="auto", reread_below=80.0)
    with mock.patch.object(tesseract, "read_lines", _reading(lines)):
        r = reader.read_image(PAGE.copy(), dpi, opts)
    markdown, _ = compose.compose(r.items, [], table_format)
    assert isinstance(markdown, str)


def test_a_word_listed_after_one_it_stands_left_of_is_joined_into_a_box_covering_both() -> None:
    """A ``;`` that a line lists after a word it stands left of (the test above found it): the
    spaces pass joins it to that word as a recogniser's stray ``;``, and the joined box must
    cover both, not run from the first word's left edge back to the ``;``'s right one (which
    the layout pass's ink grid then failed to draw: a 500)."""
    line = Line([Word("x==", 50.0, 349, 74, 390, 130), Word(";", 24.0, 0, 80, 152, 120)], 0, 0)
    spaces.restore(PAGE.copy(), [line])
    assert [(w.text, w.x0, w.x1) for w in line.words] == [("x==;", 0, 390)]
