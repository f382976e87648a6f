"""Lines Tesseract dropped are found as ink no word covers and read again (``orphans.py``).

Geometry is built by hand (what Tesseract returned), the page is drawn: the pass must find the
ink of the dropped lines, read it with RapidOCR's recogniser, and put each line after the one
above it; ink that is not a dropped line (a rule, a glyph a word lost, a shaded figure's
labels, text far from the page's text) is left alone.
"""

from __future__ import annotations

import pytest
from PIL import Image, ImageDraw

from aigateway.ocr.engine import orphans, rapid
from aigateway.ocr.engine.geometry import Line, Word

from ..support.docgen import find_font, font

pytestmark = [
    pytest.mark.skipif(find_font("DejaVuSansMono.ttf") is None, reason="fonts-dejavu"),
    pytest.mark.skipif(rapid.available() is not None, reason="RapidOCR is not installed"),
]

LISTING = ["if (ready) then", "{", "    start();", "}", "else", "{", "    wait();", "};"]
DROPPED = {1, 3, 4, 5, 7}
"""Lines Tesseract lost: the short ones."""
STEP = 56
X = 200


def _page(dropped: bool = True) -> tuple[Image.Image, list[Line]]:
    """A listing drawn on a page, and Tesseract's lines with the short ones missing; with
    ``dropped`` false those lines are not drawn either (nothing was dropped)."""
    img = Image.new("L", (1400, 900), 255)
    d = ImageDraw.Draw(img)
    mono = font(40, "DejaVuSansMono.ttf")
    lines = []
    for k, text in enumerate(LISTING):
        y = 100 + STEP * k
        if k in DROPPED:
            if dropped:
                d.text((X, y), text, font=mono, fill=0)
            continue
        d.text((X, y), text, font=mono, fill=0)
        x, words = X + 24 * (len(text) - len(text.lstrip())), []
        for w in text.split():
            words.append(Word(w, 92.0, x, y + 6, x + 24 * len(w), y + 42))
            x += 24 * (len(w) + 1)
        lines.append(Line(words, 1, 1))
    return img, lines


def _assert_left_as_read(img: Image.Image, lines: list[Line]) -> None:
    before = [ln.text for ln in lines]
    assert orphans.recover(img, lines) == 0
    assert [ln.text for ln in lines] == before


def test_dropped_short_lines_of_a_listing_are_put_back_in_order() -> None:
    img, lines = _page()
    assert orphans.recover(img, lines) == len(DROPPED)
    assert [ln.text for ln in lines] == [t.strip() for t in LISTING]
    assert all(ln.block == 1 and ln.para == 1 for ln in lines)


def test_a_page_read_whole_is_left_alone() -> None:
    _assert_left_as_read(*_page(dropped=False))


def test_rules_and_shaded_figures_and_far_labels_are_not_text() -> None:
    img, lines = _page(dropped=False)
    d = ImageDraw.Draw(img)
    d.rectangle((X - 40, 90, X - 36, 560), fill=0)  # a listing's frame
    d.rectangle((X, 570, 1200, 573), fill=0)  # a rule under it
    d.rectangle((X - 30, 150, X - 22, 180), fill=0)  # a stub of a rule, line-high
    fig = font(36)
    d.rectangle((700, 600, 1300, 680), fill=200)  # a shaded figure's label
    d.text((720, 615), "Monthly salary", font=fig, fill=0)
    d.text((300, 820), "far below", font=fig, fill=0)  # a picture's caption, far off
    _assert_left_as_read(img, lines)


def test_a_page_of_leftovers_is_a_picture_and_is_left_as_read() -> None:
    # More line-shaped leftovers than MAX_CANDIDATES (a map's labels, a dirty scan): no
    # dropped lines to find, and no time spent reading them.
    img, lines = _page(dropped=False)
    d = ImageDraw.Draw(img)
    label = font(30)
    for k in range(orphans.MAX_CANDIDATES + 6):
        d.text((700 + 90 * (k % 7), 40 + 80 * (k // 7)), "ab", font=label, fill=0)
    _assert_left_as_read(img, lines)


def _cell(rules: tuple[int, ...]) -> tuple[Image.Image, list[Line]]:
    """The listing read whole, then a lone ``4`` three text heights below it and a line of
    text as far below it (so the ``4`` is no page number in the margin), with horizontal rules
    drawn across the page at the ``rules`` rows (a table's cell: one above and one below the
    value) and the cell's sides."""
    img, lines = _page(dropped=False)
    d = ImageDraw.Draw(img)
    d.text((X, 836), "end", font=font(40, "DejaVuSansMono.ttf"), fill=0)
    lines.append(Line([Word("end", 92.0, X, 842, X + 72, 878)], 1, 1))
    for y in rules:
        d.rectangle((X, y, 1200, y + 2), fill=0)
    if len(rules) == 2:
        d.rectangle((X, rules[0], X + 2, rules[1]), fill=0)
        d.rectangle((1198, rules[0], 1200, rules[1]), fill=0)
    d.text((300, 680), "4", font=font(40, "DejaVuSansMono.ttf"), fill=0)
    return img, lines


def test_a_lone_value_in_a_ruled_cell_is_put_back_as_a_paragraph_of_its_own() -> None:
    # A protocol table's row of field sizes, each alone in a cell two text heights tall:
    # further from any line than a dropped line of a listing stands, but framed as a cell.
    img, lines = _cell((640, 760))
    before = [ln.text for ln in lines]
    assert orphans.recover(img, lines) == 1
    assert [ln.text for ln in lines] == [*before[:-1], "4", "end"]
    assert lines[-2].para == max(ln.para for ln in lines) > lines[-3].para


@pytest.mark.parametrize("rules", [(), (640,), (760,)])
def test_a_lone_value_far_from_the_text_and_not_in_a_cell_is_left_alone(
    rules: tuple[int, ...],
) -> None:
    # No frame, or a rule on one side only (an axis over a tick label): a figure's label.
    _assert_left_as_read(*_cell(rules))


def _numbered(*marks: tuple[int, int, str]) -> tuple[Image.Image, list[Line]]:
    """The listing read whole, with ``(x, y, text)`` marks drawn in the page's margins."""
    img, lines = _page(dropped=False)
    d = ImageDraw.Draw(img)
    for x, y, text in marks:
        d.text((x, y), text, font=font(40, "DejaVuSansMono.ttf"), fill=0)
    return img, lines


@pytest.mark.parametrize(("y", "at"), [(820, -1), (0, 0)])
def test_a_lone_page_number_in_a_margin_is_put_back_as_a_block_of_its_own(y: int, at: int) -> None:
    img, lines = _numbered((680, y, "31"))
    before = [ln.text for ln in lines]
    assert orphans.recover(img, lines) == 1
    assert [ln.text for ln in lines] == ([*before, "31"] if at else ["31", *before])
    assert lines[at].block == max(ln.block for ln in lines) > 1


def test_a_page_number_at_the_far_end_of_the_first_line_joins_it() -> None:
    img, lines = _numbered((1200, 100, "xii"))
    assert orphans.recover(img, lines) == 1
    assert lines[0].text == "if (ready) then xii"


@pytest.mark.parametrize(
    "marks",
    [
        [(680, 820, "Draft")],  # not a number
        [(400, 820, "10"), (900, 820, "20")],  # two numbers: a figure's axis, not a page's
    ],
)
def test_margin_ink_that_is_not_one_page_number_is_left_alone(
    marks: list[tuple[int, int, str]],
) -> None:
    _assert_left_as_read(*_numbered(*marks))


def _striped(img: Image.Image, k: int) -> None:
    """Break the strokes of listing line ``k`` as a grainy page's clean-up does: every other
    pair of pixel rows gone, the line's ink still there but no longer readable."""
    y = 100 + STEP * k
    px = img.load()
    assert px is not None
    for yy in range(y, y + STEP - 8):
        if yy % 4 < 2:
            for x in range(X, 1200):
                px[x, yy] = 255


def test_a_cleaned_page_is_read_from_its_page_before_the_clean_up() -> None:
    # The clean-up found the dropped lines' ink but broke their glyphs; the page before it
    # still holds them whole.
    uncleaned, lines = _page()
    cleaned = uncleaned.copy()
    for k in DROPPED:
        _striped(cleaned, k)
    broken = [Line(list(ln.words), ln.block, ln.para) for ln in lines]
    assert orphans.recover(cleaned, lines, uncleaned=uncleaned) == len(DROPPED)
    assert [ln.text for ln in lines] == [t.strip() for t in LISTING]
    # Read from the clean-up alone, the broken lines are not all put back as they stand.
    orphans.recover(cleaned, broken)
    assert [ln.text for ln in broken] != [t.strip() for t in LISTING]


def test_a_piece_unsure_before_the_clean_up_is_read_from_the_clean_up() -> None:
    # A brace lost in the grain of the page before its clean-up, whole in the clean-up.
    cleaned, lines = _page()
    uncleaned = cleaned.copy()
    _striped(uncleaned, 1)
    assert orphans.recover(cleaned, lines, uncleaned=uncleaned) == len(DROPPED)
    assert [ln.text for ln in lines] == [t.strip() for t in LISTING]


def test_pieces_are_read_with_every_class_of_the_model(monkeypatch: pytest.MonkeyPatch) -> None:
    """Ink no word covers may be grain: it is read by the recogniser with every class (the
    whole-page engine's), never by the one cut to the page's script, whose softmax over a
    tenth of the classes scores grain read as letters past the cut."""
    asked: list[bool] = []
    real = rapid.recognize_crops

    def spy(
        crops: list[Image.Image],
        threads: int = 1,
        languages: tuple[str, ...] = ("eng",),
        narrow: bool = False,
        every_class: bool = False,
    ) -> list[tuple[str, float]]:
        asked.append(every_class)
        return real(crops, threads, languages, narrow, every_class)

    monkeypatch.setattr(rapid, "recognize_crops", spy)
    img, lines = _page()
    assert orphans.recover(img, lines) == len(DROPPED)
    assert asked and all(asked)
    rec = rapid._engine(1)._load_rec_model()
    assert len(rec.postprocess_op.character) > 18000  # every class: the model's whole layer
