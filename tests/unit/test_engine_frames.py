"""Two rows of cells in a ruled frame are a table (``frames.py``, ``layout.build_page``), and
lines of one recognised paragraph far apart are two paragraphs (``layout.PARA_GAP``).

Geometry is built by hand: a caption, a header row and one row of values (each cell its own
block, as the recogniser reads a ruled table), a sentence after, and the page's horizontal
rules as ``ink.horizontal_rules`` gives them. The frame makes the pair a table; without it, or
with a rule that frames nothing, two aligned rows stay text. The rules come from the drawn page
in the last test.
"""

from __future__ import annotations

import pytest
from PIL import Image, ImageDraw

from aigateway.ocr.engine import ink, layout
from aigateway.ocr.engine.layout import Line, Paragraph, Table

from ..support.docgen import font
from ..support.geometry import line

HEADER = ["Invoice", "Date", "Due"]
VALUES = ["2026-0117", "2026-11-30", "2026-12-30"]
X = [200, 900, 1500]
"""Each column's left edge: the cells are wide apart, as in a boxed header."""


def _lines() -> list[Line]:
    lines = [line(["The", "invoice", "details", "follow."], 200, 100, 1, 1)]
    for r, row in enumerate((HEADER, VALUES)):
        for c, text in enumerate(row):
            lines.append(line([text], X[c], 240 + 110 * r, 2 + 3 * r + c, 2 + 3 * r + c))
    lines.append(line(["Payment", "is", "due", "in", "thirty", "days."], 200, 520, 9, 9))
    return lines


FRAME = [(200, 170, 1900), (310, 170, 1900), (420, 170, 1900)]
"""Rules (y, x0, x1) above the header, between the rows and below the values."""


def _tables(rules: list[tuple[int, int, int]] | None) -> list[Table]:
    items = layout.build_page(_lines(), None if rules is None else (lambda: rules))
    return [it for it in items if isinstance(it, Table)]


@pytest.mark.parametrize("frame", [FRAME, FRAME[:2], FRAME[1:]])
def test_two_rows_in_a_ruled_frame_are_a_table(frame: list[tuple[int, int, int]]) -> None:
    (table,) = _tables(frame)
    assert [list(r) for r in table.rows] == [HEADER, VALUES]


@pytest.mark.parametrize(
    "rules",
    [
        None,
        [],
        FRAME[1:2],  # a rule between them only: a running head over its rule
        [(y, 170, 1000) for y, _, _ in FRAME],  # rules under part of the rows: no frame
        [(60, 170, 1900), (310, 170, 1900), (700, 170, 1900)],  # the others far off
    ],
)
def test_two_aligned_rows_without_a_frame_are_text(
    rules: list[tuple[int, int, int]] | None,
) -> None:
    assert _tables(rules) == []
    items = layout.build_page(_lines(), None if rules is None else (lambda: rules))
    assert all(isinstance(it, Paragraph) for it in items)


def test_the_rules_are_asked_for_only_when_two_rows_could_be_a_ruled_table() -> None:
    asked: list[int] = []

    def rules() -> list[tuple[int, int, int]]:
        asked.append(1)
        return FRAME

    prose = [
        line(["Just", "a", "sentence", "of", "text."], 200, 100 + 60 * k, 1, 1) for k in range(3)
    ]
    layout.build_page(prose, rules)
    assert asked == []
    layout.build_page(_lines(), rules)
    assert asked


def test_horizontal_rules_are_found_on_the_page_and_an_underline_is_not_one() -> None:
    img = Image.new("L", (2100, 700), 255)
    d = ImageDraw.Draw(img)
    fnt = font(30)
    lines = _lines()
    for ln in lines:
        for w in ln.words:
            d.text((w.x0, w.y0), w.text, font=fnt, fill=0)
    for y, x0, x1 in FRAME:
        d.rectangle((x0, y - 1, x1, y + 1), fill=0)
    # An underline right under the sentence's words, as long as a rule.
    d.rectangle((200, 552, 960, 553), fill=0)
    found = ink.horizontal_rules(img, lines)
    ys = sorted({y for y, x0, x1 in found if x0 <= 200 and x1 >= 1880})
    assert [min(ys, key=lambda v: abs(v - y)) - y for y, _, _ in FRAME] == pytest.approx(
        [0, 0, 0], abs=6
    )
    assert not [y for y in ys if 540 <= y <= 570]
    tables = [it for it in layout.build_page(lines, lambda: found) if isinstance(it, Table)]
    assert [[list(r) for r in t.rows] for t in tables] == [[HEADER, VALUES]]


def test_lines_of_one_recognised_paragraph_far_apart_are_two_paragraphs() -> None:
    # A single-block reading gives a region one paragraph: with the table between them taken
    # out, the sentence under it ran into the next table's caption.
    lines = [
        line(["Table", "1:", "the", "request."], 200, 100, 1, 1),
        *[
            line([t], X[c], 240 + 110 * r, 1, 1)
            for r, row in enumerate((HEADER, VALUES))
            for c, t in enumerate(row)
        ],
        line(["Sent", "in", "network", "order."], 200, 520, 1, 1),
        line(["Table", "2:", "the", "reply."], 200, 640, 1, 1),
    ]
    items = layout.build_page(lines, lambda: FRAME)
    texts = [" ".join(it.lines) if isinstance(it, Paragraph) else "table" for it in items]
    assert texts == [
        "Table 1: the request.",
        "table",
        "Sent in network order.",
        "Table 2: the reply.",
    ]


def test_double_spaced_lines_stay_one_paragraph() -> None:
    lines = [line(["A", "line", "of", "prose", "text."], 200, 100 + 72 * k, 1, 1) for k in range(4)]
    (item,) = layout.build_page(lines)
    assert isinstance(item, Paragraph) and len(item.lines) == 4
