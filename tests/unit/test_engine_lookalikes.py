"""Words read with a look-alike glyph (``lookalikes.py``) and their second reading.

The pure tests pin which words are suspects and which second readings count as a glyph swapped
back (each case is one seen on a manual's page); the property tests hold the guards for any
text. The last test reads a rendered code listing through the engine, where Tesseract reads
``base16`` as ``basel6`` and the recogniser reads it right.
"""

from __future__ import annotations

import io
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image, ImageDraw

from aigateway.ocr.engine import lookalikes, rapid, reader, reread
from aigateway.ocr.engine.geometry import Line, Word
from aigateway.ocr.engine.options import EngineOptions

from ..support.docgen import find_font, font
from ..support.lookalike_page import ROWS, listing


@pytest.mark.parametrize(
    "text",
    [
        "aesi28_encrypt",  # i beside a digit: aes128
        "charl6_t",  # l beside a digit: char16
        "!rri2)",
        "cal1CC",  # a 1 among letters: callCC
        "boo1",
        "/1ib64/libc.so.6",
        "Ox40F6BBCC:",  # a hexadecimal number begun with the letter O
        "Ic",  # two letters, not a word: lc
        "te,",
        "=>",  # Texinfo's result arrow, read by a model that has no class for it
        "Cygwin!",  # a 1 read as "!" at a word's end (a footnote's mark: Cygwin1)
        "Jump!,",
        "fi!e",
    ],
)
def test_suspects(text: str) -> None:
    assert lookalikes.suspect(text)


@pytest.mark.parametrize(
    "text",
    [
        "0x8049a20",  # a hexadecimal number as it is written
        "uint8_t",  # digits beside letters that are not look-alikes
        "bzip2",
        "int32",
        "of",  # two-letter English words
        "If",
        "(p.",
        'select="0"></xsl:param>',  # a 0 between quotes, not among letters
        "",
        "...",
        "operator!=",  # an operator, not a glyph after a letter
        "!important",
        "!",
    ],
)
def test_not_suspects(text: str) -> None:
    assert not lookalikes.suspect(text)


@pytest.mark.parametrize(
    ("text", "after", "suspect"),
    [
        ("functions.", "possibly", True),  # a comma whose tail the clean-up cut off
        ("(eps.", "emf,", True),
        ("input).", "direct", True),
        ("e.g.", "the", True),  # read again, and read as it is
        ("functions.", "Possibly", False),  # a sentence begins
        ("functions.", "", False),  # the page's last word
        ("3.", "items", False),  # a number's stop
        ("...", "and", False),
        ("functions,", "possibly", False),
    ],
)
def test_full_stops_before_lowercase_words_are_suspects(
    text: str, after: str, suspect: bool
) -> None:
    assert lookalikes.suspect(text, after) is suspect


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("aesi28_encrypt", "aes128_encrypt"),
        ("umaci28_set_nonce", "umac128_set_nonce"),
        ("charl6_t", "char16_t"),
        ("cal1CC", "callCC"),
        ("boo1", "bool"),
        ("1ldb", "lldb"),
        ("Ox40F6BBCC:", "0x40F6BBCC:"),
        ("as.raw(@:12)", "as.raw(0:12)"),
        ("Ic", "lc"),
        ("te", "tc"),
        ("=>", "\N{RIGHTWARDS DOUBLE ARROW}"),
        ("=>ans", "\N{RIGHTWARDS DOUBLE ARROW}ans"),
        ("functions.", "functions,"),
        ("input).", "input),"),
        ("valuc.", "value,"),  # two changes in a long word
    ],
)
def test_swaps_kept(old: str, new: str) -> None:
    assert lookalikes.swapped(old, new)


@pytest.mark.parametrize(
    ("old", "new", "why"),
    [
        ("0i.", "Oi.", "a 0 before one letter: 0i is a number"),
        ('select="1"></xsl:param>', 'select="1"></xs1:param>', "an l with no digit beside"),
        ("id(phi)-laplace(phi)", "id(phi)-1aplace(phi)", "an l before letters only"),
        ("1|", "11", "a bar is not a stray mark"),
        ("(le;", "(le1", "punctuation read as a digit"),
        ("s", "S", "case alone"),
        ("Oxff", "0XFF", "three changes in a short word"),
        ("boo1", "bool)", "a glyph more"),
        ("bool", "bool", "no change"),
        ("=>", "=>", "a typed arrow read as typed"),
        ("=>", "\N{RIGHTWARDS DOUBLE ARROW}>", "more than the arrow"),
        ("end,", "end.", "a comma read as a full stop"),
        ("end.", "end;", "a stop read as anything but a comma"),
        ("e.g.", "e,g.", "a stop inside the word"),
    ],
)
def test_swaps_refused(old: str, new: str, why: str) -> None:
    assert not lookalikes.swapped(old, new), why


@given(st.text(max_size=30), st.text(max_size=10))
def test_suspect_takes_any_text(text: str, after: str) -> None:
    assert lookalikes.suspect(text, after) in (True, False)
    # The re-reading asks only for the cut: a suspect has one, any other word none.
    assert (lookalikes.cut(text, after) > 0) is lookalikes.suspect(text, after)


@pytest.mark.parametrize(
    ("old", "new", "score", "kept"),
    [
        ("functions.", "functions,", 0.92, True),  # a comma read from a grainy page
        ("functions.", "functions,", 0.88, False),
        ("basel6", "base16", 0.92, False),  # a glyph swap needs the surer score
        ("basel6", "base16", 0.96, True),
        ("valuc.", "value,", 0.92, False),  # more than the comma: the surer score
    ],
)
def test_a_comma_needs_a_lower_score_than_a_glyph(
    old: str, new: str, score: float, kept: bool
) -> None:
    assert lookalikes.kept(old, new, score) is kept


@given(st.text(max_size=12), st.text(max_size=12))
def test_swapped_never_changes_the_length_or_the_case_alone(old: str, new: str) -> None:
    if lookalikes.swapped(old, new):
        assert len(old) == len(new) and old != new
        changed = [(a, b) for a, b in zip(old, new, strict=True) if a != b]
        assert 1 <= len(changed) <= (1 if len(old) <= 4 else 2)
        comma = old.endswith(".") and new.endswith(",")
        letters = changed[:-1] if comma else changed
        assert all(a.lower() != b.lower() and b.isalnum() for a, b in letters)


def test_a_page_without_words_has_no_suspects() -> None:
    # A page Tesseract found no words on (bars, a ruled form) reaches the re-reading too:
    # the word-after list must be as long as the word list, none (a 500 in a served test).
    img = Image.new("L", (200, 100), 255)
    assert reread.reread(img, [], 80.0) == 0
    assert reread.reread(img, [Line([], 1, 1)], 80.0) == 0


def _needs_recogniser() -> None:
    if rapid.available() is not None:
        pytest.skip(f"rapidocr: {rapid.available()}")
    if find_font("DejaVuSansMono.ttf") is None:
        pytest.skip("fonts-dejavu-core")


def test_a_suspect_is_read_again_and_only_a_swap_is_kept() -> None:
    _needs_recogniser()
    img = Image.new("L", (900, 120), 255)
    d = ImageDraw.Draw(img)
    f = font(40, "DejaVuSansMono.ttf")
    words = []
    x = 30
    for t in ("use", "base16", "and", "lc"):
        x0, y0, x1, y1 = d.textbbox((x, 40), t, font=f)
        d.text((x, 40), t, font=f, fill=0)
        words.append((x0, y0, x1, y1))
        x = x1 + 30
    # What Tesseract might have read: two look-alikes (surely, over the re-reading's cut),
    # and a word read right whose second reading would be the same.
    read = ["use", "basel6", "and", "Ic"]
    line = Line([Word(t, 90.0, *box) for t, box in zip(read, words, strict=True)], 1, 1)
    reread.reread(img, [line], 80.0)
    assert [w.text for w in line.words] == ["use", "base16", "and", "lc"]
    # A sure word (over the look-alikes' cut) is left as it is.
    sure = Line([Word("basel6", 97.0, *words[1])], 1, 1)
    reread.reread(img, [sure], 80.0)
    assert sure.words[0].text == "basel6"


def _typed(
    width: int,
    rows: tuple[tuple[str, ...], ...],
    font_name: str,
    misread: Callable[[str], str],
    conf: float,
) -> tuple[Image.Image, list[Line]]:
    """``rows`` of words rendered at 40 px on a page ``width`` wide, a row every 90 px, and the
    lines Tesseract might have read there: each word as ``misread`` gives it, ``conf`` sure."""
    img = Image.new("L", (width, 90 * len(rows) + 20), 255)
    d = ImageDraw.Draw(img)
    f = font(40, font_name)
    lines = []
    for y, typed in zip(range(30, 90 * len(rows), 90), rows, strict=True):
        words, x = [], 30
        for t in typed:
            box = d.textbbox((x, y), t, font=f)
            d.text((x, y), t, font=f, fill=0)
            words.append(Word(misread(t), conf, *box))
            x = box[2] + 30
        lines.append(Line(words, 1, len(lines) + 1))
    return img, lines


def test_a_result_arrow_is_read_as_one_and_a_typed_arrow_stays() -> None:
    _needs_recogniser()
    arrow = "\N{RIGHTWARDS DOUBLE ARROW}"
    # Tesseract's English model reads both arrows as "=>".
    img, lines = _typed(
        700,
        (("sum", arrow, "3"), ("sum", "=>", "3")),
        "DejaVuSansMono.ttf",
        lambda t: "=>" if t in (arrow, "=>") else t,
        90.0,
    )
    reread.reread(img, lines, 80.0)
    assert [w.text for w in lines[0].words] == ["sum", "\N{RIGHTWARDS DOUBLE ARROW}", "3"]
    assert [w.text for w in lines[1].words] == ["sum", "=>", "3"]


def test_a_comma_read_as_a_full_stop_is_read_again_and_a_real_stop_stays() -> None:
    _needs_recogniser()
    # Tesseract read a stop for the comma (and the real stop as one), surely: over the
    # look-alikes' cut of 95, under the commas' 97.
    img, lines = _typed(
        1200,
        (("maps", "functions,", "possibly", "nonlinear"), ("see", "Fig.", "two", "ends")),
        "DejaVuSans.ttf",
        lambda t: t.replace(",", "."),
        96.0,
    )
    reread.reread(img, lines, 80.0)
    assert [w.text for w in lines[0].words] == ["maps", "functions,", "possibly", "nonlinear"]
    assert [w.text for w in lines[1].words] == ["see", "Fig.", "two", "ends"]


def _scanned(img: Image.Image) -> Image.Image:
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=60)
    return Image.open(io.BytesIO(buf.getvalue())).convert("L")


def test_a_listing_reads_its_digits_among_letters() -> None:
    _needs_recogniser()
    opts = EngineOptions(engine="auto", reread_below=80.0)
    text = " ".join(
        " ".join(p.lines) for p in reader.read_image(_scanned(listing()), 300, opts).items
    )
    assert "basel6" not in text
    # Read without this pass: 20 of the 40 come back basel6.
    assert text.count("base16") == ROWS, text
