"""Numbered code listings come out as listings, one line per row (``listings.py``)."""

from __future__ import annotations

from aigateway.ocr.engine import compose, layout, listings
from aigateway.ocr.engine.layout import Code, Line, Paragraph, Table, Word
from aigateway.ocr.engine.spaces import _proportional

from ..support.geometry import line as _line

H = 30

CODE = ["int main(void) {", "int count = 0;", "while (next()) {", "count += 1;", "}", "}"]


def _listing(numbers: list[str], code: list[str], y: int = 200) -> list[Line]:
    """Rows of a listing in a typewriter font (18 px a character), each number a line of its
    own in one block and the code in another, as the recogniser often reads them."""
    nums = [_line([n], 60, y + 45 * k, 1, 1) for k, n in enumerate(numbers)]
    body = [
        _line(text.split(), 200 + (36 if text.startswith("count") else 0), y + 45 * k, 2, 2)
        for k, text in enumerate(code)
    ]
    return [*nums, *body]


def _proportional_line(words: list[str], x: int, y: int, block: int) -> Line:
    """A line in a proportional font: each word as wide as its letters."""
    out = []
    for t in words:
        w = round(40 * _proportional(t))
        out.append(Word(t, 95.0, x, y, x + w, y + H))
        x += w + 12
    return Line(out, block, block)


def test_a_numbered_listing_is_one_code_block_line_by_line() -> None:
    numbers = [str(k) for k in range(1, 7)]
    prose = _line(["The", "listing", "above", "counts", "the", "items."], 60, 520, 3, 3)
    items = layout.build_page([*_listing(numbers, CODE), prose])
    code = [i for i in items if isinstance(i, Code)]
    assert len(code) == 1
    assert code[0].lines == tuple(f"{n} {c}" for n, c in zip(numbers, CODE, strict=True))
    assert isinstance(items[-1], Paragraph)
    assert items[-1].lines == ("The listing above counts the items.",)


def test_the_block_is_fenced_in_markdown() -> None:
    markdown, _ = compose.compose([Code(("1 a = 1;", "2 b = a;"), 0, 60)], [], None)
    assert markdown == "```\n1 a = 1;\n2 b = a;\n```"


def test_misread_numbers_inside_a_listing_stay_in_it() -> None:
    # Small digits: "3" read as "a3", "4" as "»": the numbers go on counting after them.
    items = layout.build_page(_listing(["1", "2", "a3", "»", "5", "6"], CODE))
    code = [i for i in items if isinstance(i, Code)]
    assert len(code) == 1 and len(code[0].lines) == 6


def test_numbers_that_do_not_count_up_are_not_a_listing() -> None:
    items = layout.build_page(_listing(["12", "7", "30", "5", "41", "2"], CODE))
    assert not any(isinstance(i, Code) for i in items)


def test_a_numbered_table_in_a_proportional_font_is_not_a_listing() -> None:
    rows = [
        ["Alice", "Martin", "Engineering", "Paris"],
        ["Bob", "Wilson", "Marketing", "London"],
        ["Carol", "Jones", "Finance", "Berlin"],
        ["David", "Brown", "Research", "Madrid"],
    ]
    lines = []
    for k, row in enumerate(rows):
        y = 200 + 45 * k
        lines.append(_line([str(k + 1)], 60, y, 1, 1))
        for c, cell in enumerate(row):
            lines.append(_proportional_line([cell], 200 + 300 * c, y, 2 + c))
    items = layout.build_page(lines)
    assert not any(isinstance(i, Code) for i in items)
    assert any(isinstance(i, Table) for i in items)


def test_two_numbered_rows_are_not_a_listing() -> None:
    lines = _listing(["1", "2"], CODE[:2])
    assert listings.find(layout._rows(lines), lines, H) == []
